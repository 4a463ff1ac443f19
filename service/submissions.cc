// The spec checks and one submission's way through the idempotency store:
//   claim the request id -> submit -> record the job
//   the id is held by a live call -> wait for its record to change
//   the id's owner is gone (or its outcome unknown) -> take the record over, look the id up at
//     the vendor, and submit only when the vendor has no such job.
#include "service/submissions.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/list_filter.h"
#include "adapters/core/time_util.h"

namespace jobfacade {
namespace {

absl::Status BadSpec(const Vendor& vendor, absl::string_view field, absl::string_view message) {
  ErrorDetails details;
  details.vendor = vendor.name();
  details.field = std::string(field);
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidJobSpec, message, details);
}

absl::string_view FormatName(v1::QuantumProgram::Format format) {
  switch (format) {
    case v1::QuantumProgram::FORMAT_OPENQASM2:
      return "OpenQASM 2";
    case v1::QuantumProgram::FORMAT_OPENQASM3:
      return "OpenQASM 3";
    default:
      return "unspecified";
  }
}

std::string Sha256Hex(absl::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

bool IsHex(absl::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::Status CheckJobSpec(const v1::JobSpec& spec, const Vendor& vendor) {
  const SubmissionRules& rules = vendor.spec().submission;
  const std::string& name = vendor.name();
  if (spec.program_case() == v1::JobSpec::PROGRAM_NOT_SET) {
    return BadSpec(vendor, "job.program",
                   rules.agent_runs ? "the job needs a program: set agent_run"
                                    : "the job needs a program: set quantum_program");
  }
  if (rules.agent_runs) {
    if (spec.has_quantum_program()) {
      return BadSpec(vendor, "job.quantum_program",
                     absl::StrCat(name, " runs agents, not circuits: set agent_run"));
    }
    if (spec.agent_run().prompt().empty()) {
      return BadSpec(vendor, "job.agent_run.prompt", "the agent run needs a prompt");
    }
    if (spec.shots() != 0) {
      return BadSpec(vendor, "job.shots", absl::StrCat(name, " runs take no shots: leave it 0"));
    }
    if (spec.agent_run().has_timeout() &&
        (spec.agent_run().timeout().seconds() < 0 || spec.agent_run().timeout().nanos() < 0)) {
      return BadSpec(vendor, "job.agent_run.timeout", "the timeout must not be negative");
    }
  } else {
    if (spec.has_agent_run()) {
      return BadSpec(vendor, "job.agent_run",
                     absl::StrCat(name, " runs circuits, not agents: set quantum_program"));
    }
    if (spec.device().empty()) {
      return BadSpec(vendor, "job.device", absl::StrCat(name, " needs a device for every job"));
    }
    if (spec.shots() < kMinShots || spec.shots() > kMaxShots) {
      return BadSpec(
          vendor, "job.shots",
          absl::StrCat("shots must be ", kMinShots, " to ", kMaxShots, ", not ", spec.shots()));
    }
    const v1::QuantumProgram& program = spec.quantum_program();
    if (program.format() == v1::QuantumProgram::FORMAT_UNSPECIFIED) {
      return BadSpec(vendor, "job.quantum_program.format",
                     "the program's format must be FORMAT_OPENQASM2 or FORMAT_OPENQASM3");
    }
    if (absl::StripAsciiWhitespace(program.source()).empty()) {
      return BadSpec(vendor, "job.quantum_program.source", "the program's source is empty");
    }
    if (std::find(rules.formats.begin(), rules.formats.end(), program.format()) ==
        rules.formats.end()) {
      ErrorDetails details;
      details.vendor = name;
      return MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                       absl::StrCat(name, " does not take ", FormatName(program.format()),
                                    " programs; nothing was sent"),
                       details);
    }
  }
  if (!spec.tags().empty() && !rules.tags) {
    return BadSpec(vendor, "job.tags", absl::StrCat(name, " keeps no tags: leave job.tags empty"));
  }
  if (spec.tags().count(std::string(kRequestIdTag)) > 0) {
    return BadSpec(vendor, "job.tags",
                   absl::StrCat("the tag ", kRequestIdTag,
                                " is the server's own (it carries request_id to the vendor)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeRequestId(absl::string_view request_id) {
  // 8-4-4-4-12 hex digits.
  static constexpr size_t kGroups[] = {8, 4, 4, 4, 12};
  bool ok = request_id.size() == 36;
  size_t at = 0;
  for (size_t i = 0; ok && i < 5; ++i) {
    ok = IsHex(request_id.substr(at, kGroups[i])) &&
         (i == 4 || (at + kGroups[i] < request_id.size() && request_id[at + kGroups[i]] == '-'));
    at += kGroups[i] + 1;
  }
  if (!ok) {
    return InvalidArgument(reason::kInvalidRequestId, "request_id",
                           "request_id must be a UUID such as "
                           "\"0f8e0d1c-7a58-4b1e-9c2d-3e4f5a6b7c8d\" (or empty)");
  }
  return absl::AsciiStrToLower(request_id);
}

std::string NewUuid() {
  // OpenSSL's generator, not absl::BitGen: seeding a BitGen takes Debian Abseil's shared random
  // pool under a spin lock ThreadSanitizer cannot see, and it reports a race there.
  uint8_t bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // No entropy left to draw (never seen): the id only has to be unlikely to repeat.
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = counter.fetch_add(1) ^ static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
    std::memcpy(bytes, &n, sizeof(n));
    std::memcpy(bytes + 8, &n, sizeof(n));
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const std::string hex =
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), 16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

std::string VendorDedupKey(absl::string_view identity, absl::string_view request_id) {
  if (identity.empty()) return std::string(request_id);
  const std::string hex = Sha256Hex(absl::StrCat(identity, "\n", request_id));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20, 12));
}

std::string SubmissionKey(absl::string_view request_id, absl::string_view parent,
                          absl::string_view identity) {
  return absl::StrCat("jobfacade:request:",
                      Sha256Hex(absl::StrCat(parent, "\n", identity, "\n", request_id)));
}

std::string SubmissionFingerprint(absl::string_view parent, const v1::JobSpec& spec) {
  std::string bytes = absl::StrCat(parent, "\n");
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);  // map fields (tags, Structs) in key order
    spec.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

// One CreateJob with a request id, from the claim to its answer. Holds itself alive through
// the callbacks it hands out.
class Submissions::Flow : public std::enable_shared_from_this<Flow> {
 public:
  Flow(Submissions* owner, VendorAdapter* adapter, const Vendor& vendor, CallContext ctx,
       std::string key, std::string fingerprint, CreateRequest request, Callback done)
      : s_(*owner),
        adapter_(adapter),
        vendor_(vendor),
        ctx_(std::move(ctx)),
        key_(std::move(key)),
        request_(std::move(request)),
        poll_(s_.options_.first_poll),
        done_(std::move(done)) {
    mine_.fingerprint = std::move(fingerprint);
    mine_.owner = NewUuid();
  }

  void Claim() {
    const absl::Time now = s_.clock_.Now();
    mine_.lease_until = Lease(now);
    // Claimed means sent at once: whoever takes the record over looks for the job first.
    mine_.first_attempt = now;
    s_.store_->Claim(
        key_, mine_, s_.options_.ttl,
        [self = shared_from_this()](absl::StatusOr<IdempotencyStore::ClaimResult> claim) {
          if (!claim.ok()) return self->Finish(claim.status());
          if (claim->claimed) return self->Submit();
          self->Consider(claim->record);
        });
  }

 private:
  absl::Time Lease(absl::Time now) const {
    const absl::Time until =
        ctx_.deadline == absl::InfiniteFuture() ? now + absl::Minutes(1) : ctx_.deadline;
    return until + s_.options_.lease_margin;
  }

  // A record some other call wrote (or left).
  void Consider(const SubmissionRecord& record) {
    if (record.fingerprint != mine_.fingerprint) {
      ErrorDetails details;
      details.vendor = vendor_.name();
      return Finish(MakeError(absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
                              "this request_id was already used for a different CreateJob "
                              "request; use a new request_id for a new job",
                              details));
    }
    if (record.created()) {
      v1::Job job;
      if (!job.ParseFromString(record.job)) {
        return Finish(MakeError(absl::StatusCode::kInternal, reason::kInternal,
                                "the idempotency record of this request_id is unreadable"));
      }
      return Finish(std::move(job));
    }
    if (s_.clock_.Now() < record.lease_until) return Wait();
    TakeOver(record);
  }

  // Another call is submitting: look again a little later.
  void Wait() {
    if (ctx_.cancellation != nullptr && ctx_.cancellation->IsCancelled()) {
      return Finish(MakeError(absl::StatusCode::kCancelled, reason::kCancelled,
                              "the caller cancelled the call"));
    }
    const absl::Time at = s_.scheduler_->Now() + poll_;
    if (s_.clock_.Now() + poll_ >= ctx_.deadline) {
      return Finish(MakeError(absl::StatusCode::kDeadlineExceeded, reason::kDeadlineExceeded,
                              "deadline exceeded waiting for the first CreateJob with this "
                              "request_id to finish; retry with the same request_id"));
    }
    poll_ = std::min(poll_ * 2, s_.options_.max_poll);
    s_.scheduler_->RunAt(at, [self = shared_from_this()] { self->Reconsider(); });
  }

  // The record's owner is gone, or its submission's outcome is unknown: this call takes over,
  // then looks the id up before it submits anything.
  void TakeOver(const SubmissionRecord& record) {
    SubmissionRecord taken = record;
    taken.owner = mine_.owner;
    taken.lease_until = Lease(s_.clock_.Now());
    mine_ = taken;
    s_.store_->Replace(key_, record.owner, taken, s_.options_.ttl,
                       [self = shared_from_this()](absl::StatusOr<bool> replaced) {
                         if (!replaced.ok()) return self->Finish(replaced.status());
                         if (*replaced) return self->LookUp("", 0);
                         // Someone else moved first: see what they left.
                         self->Reconsider();
                       });
  }

  // Pages through the vendor's jobs tagged with the request id (newest first), back to a
  // little before the first attempt. A vendor that keeps the id itself is asked by
  // submitting again with the same id.
  void LookUp(std::string cursor, int scanned) {
    if (vendor_.spec().submission.deduplicates) return Submit();
    FilterComparison by_tag;
    by_tag.field = FilterField::kTag;
    by_tag.tag_key = std::string(kRequestIdTag);
    by_tag.op = FilterOp::kEq;
    by_tag.value = request_.request_id;
    ListRequest list;
    list.page_size = 100;
    list.cursor = std::move(cursor);
    list.filter = vendor_.PushDown({FilterTerm{{by_tag}}});
    adapter_->ListJobs(
        ctx_, list, [self = shared_from_this(), scanned](absl::StatusOr<ListResult> page) mutable {
          if (!page.ok()) {
            // Whether the earlier submission made a job is still unknown.
            return self->GiveUp(SubmissionUnconfirmed(
                self->vendor_.name(),
                absl::StrCat("the vendor could not be asked for an earlier submission with this "
                             "request_id (",
                             ErrorReason(page.status()), ")")));
          }
          const absl::Time since = self->mine_.first_attempt - self->s_.options_.lookup_margin;
          bool past_window = false;
          for (v1::Job& job : page->jobs) {
            auto tag = job.tags().find(std::string(kRequestIdTag));
            if (tag != job.tags().end() && tag->second == self->request_.request_id) {
              return self->Record(std::move(job));
            }
            if (job.has_create_time() && FromProtoTimestamp(job.create_time()) < since) {
              past_window = true;
            }
            ++scanned;
          }
          if (page->next_cursor.empty() || past_window ||
              scanned >= self->s_.options_.lookup_max_jobs) {
            return self->RenewThenSubmit();
          }
          self->LookUp(std::move(page->next_cursor), scanned);
        });
  }

  // Submits after a takeover, once the claim is renewed: a call that took the record over
  // meanwhile (this one's lookup outlived its claim) makes this one wait instead.
  void RenewThenSubmit() {
    SubmissionRecord renewed = mine_;
    renewed.lease_until = Lease(s_.clock_.Now());
    s_.store_->Replace(key_, mine_.owner, renewed, s_.options_.ttl,
                       [self = shared_from_this(), renewed](absl::StatusOr<bool> done) {
                         if (!done.ok()) return self->Finish(done.status());
                         if (!*done) return self->Reconsider();
                         self->mine_ = renewed;
                         self->Submit();
                       });
  }

  // Looks at the record again after another call changed it; a record released meanwhile
  // means that call made no job, and this one may try.
  void Reconsider() {
    s_.store_->Get(
        key_, [self = shared_from_this()](absl::StatusOr<std::optional<SubmissionRecord>> got) {
          if (!got.ok()) return self->Finish(got.status());
          if (!got->has_value()) return self->Claim();
          self->Consider(**got);
        });
  }

  void Submit() {
    adapter_->CreateJob(ctx_, request_, [self = shared_from_this()](absl::StatusOr<v1::Job> job) {
      if (job.ok()) return self->Record(*std::move(job));
      if (ErrorReason(job.status()) == reason::kSubmissionUnconfirmed) {
        return self->GiveUp(job.status());
      }
      // Nothing was made: the id is free again.
      self->s_.store_->Release(
          self->key_, self->mine_.owner,
          [self, error = job.status()](absl::StatusOr<bool>) { self->Finish(error); });
    });
  }

  // The job this id made: kept for the id's next calls, then answered.
  void Record(v1::Job job) {
    SubmissionRecord created = mine_;
    created.lease_until = absl::InfinitePast();
    created.job = job.SerializeAsString();
    s_.store_->Replace(
        key_, mine_.owner, created, s_.options_.ttl,
        [self = shared_from_this(), job = std::move(job)](absl::StatusOr<bool>) mutable {
          // Unrecorded (the store went away), the job is still the answer; the
          // id's next call finds it at the vendor.
          self->Finish(std::move(job));
        });
  }

  // Ends with `error` and leaves the record for the id's next call, which looks the id up.
  void GiveUp(absl::Status error) {
    SubmissionRecord left = mine_;
    left.lease_until = absl::InfinitePast();
    s_.store_->Replace(key_, mine_.owner, left, s_.options_.ttl,
                       [self = shared_from_this(), error = std::move(error)](absl::StatusOr<bool>) {
                         self->Finish(error);
                       });
  }

  void Finish(absl::StatusOr<v1::Job> result) {
    if (done_ == nullptr) return;
    Callback done = std::move(done_);
    done_ = nullptr;
    std::move(done)(std::move(result));
  }

  Submissions& s_;
  VendorAdapter* const adapter_;
  const Vendor& vendor_;
  const CallContext ctx_;
  const std::string key_;
  const CreateRequest request_;
  SubmissionRecord mine_;  // what this call wrote last
  absl::Duration poll_;
  Callback done_;
};

Submissions::Submissions(IdempotencyStore* store, Scheduler* scheduler, const Clock& clock,
                         SubmissionOptions options)
    : store_(store), scheduler_(scheduler), clock_(clock), options_(options) {}

void Submissions::Create(VendorAdapter* adapter, const Vendor& vendor, const CallContext& ctx,
                         const std::string& parent, const std::string& identity,
                         CreateRequest request, bool deduplicate, Callback done) {
  if (!deduplicate) return adapter->CreateJob(ctx, request, std::move(done));
  std::string key = SubmissionKey(request.request_id, parent, identity);
  std::string fingerprint = SubmissionFingerprint(parent, request.spec);
  auto flow = std::make_shared<Flow>(this, adapter, vendor, ctx, std::move(key),
                                     std::move(fingerprint), std::move(request), std::move(done));
  flow->Claim();
}

}  // namespace jobfacade
