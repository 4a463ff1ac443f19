// The filter and page-token fuzz entries: one input through the parser, then the invariants its
// answer must keep.
#include "tests/service/fuzz_entries.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "service/filter.h"
#include "service/page_token.h"
#include "tests/service/vendor_list_model.h"

namespace jobfacade {
namespace {

absl::Status Broken(absl::string_view what) { return absl::InternalError(what); }

// Characters of `text` counted as UTF-8 lead bytes (what error positions count).
size_t CharCount(absl::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string BadRequestFieldOf(const absl::Status& status) {
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return "";
  google::rpc::BadRequest bad;
  if (!bad.ParseFromString(std::string(*payload)) || bad.field_violations_size() != 1) return "";
  return bad.field_violations(0).field();
}

// A rejection the contract allows: INVALID_ARGUMENT with `reason` and a BadRequest on `field`.
absl::Status CheckRejection(const absl::Status& status, absl::string_view reason,
                            absl::string_view field) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return Broken(absl::StrCat("rejected with code ", absl::StatusCodeToString(status.code())));
  }
  if (ErrorReason(status) != reason) {
    return Broken(absl::StrCat("rejected with reason '", ErrorReason(status), "'"));
  }
  if (BadRequestFieldOf(status) != field) return Broken("no BadRequest naming the field");
  return absl::OkStatus();
}

v1::Job SampleJob(absl::string_view vendor, absl::string_view id, absl::string_view status,
                  v1::Job::State state) {
  v1::Job job;
  job.set_vendor(std::string(vendor));
  job.set_vendor_job_id(std::string(id));
  job.set_name(absl::StrCat("vendors/", vendor, "/jobs/", id));
  job.set_vendor_state(std::string(status));
  job.set_state(state);
  return job;
}

// Jobs of every vendor with most fields set, so that corpus filters match some of them.
const std::vector<v1::Job>& SampleJobs() {
  static const auto* kJobs = [] {
    auto* jobs = new std::vector<v1::Job>;
    v1::Job qbraid =
        SampleJob("qbraid", "aws:aws:sim:sv1-1a2b-qjob-0123", "RUNNING", v1::Job::RUNNING);
    qbraid.set_provider("aws");
    qbraid.set_device("aws:aws:sim:sv1");
    qbraid.set_display_name("Bell state run");
    qbraid.set_job_type("gate_model");
    (*qbraid.mutable_tags())["team"] = "alpha";
    (*qbraid.mutable_tags())["cost center"] = "42";
    *qbraid.mutable_create_time() = ToProtoTimestamp(*ParseVendorTimestamp("2026-03-01T12:00:00Z"));
    jobs->push_back(qbraid);

    v1::Job validating =
        SampleJob("qbraid", "ibm:ibm:qpu:kyiv-9f9f-qjob-4567", "VALIDATING", v1::Job::INITIALIZING);
    validating.set_provider("IBM");
    validating.set_display_name("");
    (*validating.mutable_tags())["team"] = "";
    jobs->push_back(validating);

    v1::Job ionq =
        SampleJob("ionq", "617a1f8b-59d4-435d-aa33-695433d7155e", "started", v1::Job::RUNNING);
    ionq.set_provider("ionq");
    ionq.set_device("qpu.aria-1");
    ionq.set_display_name("bell");
    ionq.set_job_type("circuit");
    (*ionq.mutable_tags())["team"] = "alpha";
    *ionq.mutable_create_time() = ToProtoTimestamp(*ParseVendorTimestamp("2026-01-01T00:00:00Z"));
    jobs->push_back(ionq);

    v1::Job ionq_ready =
        SampleJob("ionq", "0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41", "ready", v1::Job::QUEUED);
    ionq_ready.set_provider("ionq");
    ionq_ready.set_device("simulator");
    jobs->push_back(ionq_ready);

    v1::Job praisonai = SampleJob("praisonai", "run_4f1c9a2e7b30", "queued", v1::Job::QUEUED);
    praisonai.set_provider("praisonai");
    praisonai.set_job_type("agent_run");
    *praisonai.mutable_create_time() =
        ToProtoTimestamp(*ParseVendorTimestamp("2026-08-22T18:03:27.512034Z"));
    jobs->push_back(praisonai);
    return jobs;
  }();
  return *kJobs;
}

// What each vendor's list endpoint accepts as `status`.
bool IsFilterableStatus(absl::string_view vendor, absl::string_view status) {
  static const auto* kQbraid =
      new std::set<std::string>{"INITIALIZING", "QUEUED",    "VALIDATING", "RUNNING", "CANCELLING",
                                "CANCELLED",    "COMPLETED", "FAILED",     "UNKNOWN", "HOLD"};
  static const auto* kIonq =
      new std::set<std::string>{"submitted", "ready", "started", "canceled", "failed", "completed"};
  static const auto* kPraisonai =
      new std::set<std::string>{"queued", "running", "succeeded", "failed", "cancelled"};
  const std::string s(status);
  if (vendor == "qbraid") return kQbraid->count(s) > 0;
  if (vendor == "ionq") return kIonq->count(s) > 0;
  if (vendor == "praisonai") return kPraisonai->count(s) > 0;
  return false;
}

absl::Status CheckPushDown(const Filter& filter, absl::string_view vendor) {
  const VendorListFilter f = filter.PushDown(vendor);
  const bool qbraid = vendor == "qbraid";
  if (f.vendor_status.has_value() && !IsFilterableStatus(vendor, *f.vendor_status)) {
    return Broken(absl::StrCat("pushed a status ", vendor, " cannot filter on"));
  }
  if (!qbraid && (f.provider.has_value() || f.search.has_value() || !f.tags.empty())) {
    return Broken(absl::StrCat("pushed qBraid-only filters to ", vendor));
  }
  if (vendor != "ionq" && f.target.has_value()) return Broken("pushed a target to non-IonQ");
  if (f.provider.has_value() &&
      (f.provider->empty() || absl::AsciiStrToLower(*f.provider) != *f.provider)) {
    return Broken("pushed an empty or mixed-case provider");
  }
  if (f.search.has_value() && (f.search->empty() || f.search->size() > 255)) {
    return Broken("pushed a search outside 1..255 characters");
  }
  if (f.target.has_value() && (f.target->empty() || absl::StrContains(*f.target, ","))) {
    return Broken("pushed an empty or multi-backend target");
  }
  return absl::OkStatus();
}

absl::Status CheckAcceptedFilter(const Filter& filter) {
  for (const FilterTerm& term : filter.terms()) {
    if (term.any_of.empty()) return Broken("a term without comparisons");
    for (const FilterComparison& c : term.any_of) {
      if (c.field != term.any_of[0].field || c.tag_key != term.any_of[0].tag_key) {
        return Broken("an OR group across fields");
      }
    }
  }
  for (absl::string_view vendor : {"qbraid", "ionq", "praisonai", "acme"}) {
    if (absl::Status s = CheckPushDown(filter, vendor); !s.ok()) return s;
  }
  for (const v1::Job& job : SampleJobs()) {
    if (!filter.Matches(job)) continue;
    if (!filter.MayMatchVendor(job.vendor())) {
      return Broken(absl::StrCat("matches a job of ", job.vendor(), " but rules that vendor out"));
    }
    if (!testing::VendorListAccepts(job.vendor(), filter.PushDown(job.vendor()), job)) {
      return Broken(absl::StrCat("matches ", job.name(), " but its push-down would drop it"));
    }
  }
  return absl::OkStatus();
}

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool SamePositions(const PageTokenState& a, const PageTokenState& b) {
  if (a.positions.size() != b.positions.size()) return false;
  for (size_t i = 0; i < a.positions.size(); ++i) {
    const VendorPosition& x = a.positions[i];
    const VendorPosition& y = b.positions[i];
    if (x.vendor != y.vendor || x.cursor != y.cursor || x.skip != y.skip || x.done != y.done ||
        x.vendor_page_size != y.vendor_page_size) {
      return false;
    }
  }
  return true;
}

void AbortUnless(const absl::Status& status, absl::string_view entry) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", std::string(entry).c_str(), status.ToString().c_str());
  std::abort();
}

}  // namespace

absl::Status CheckFilterInput(absl::string_view input, bool* accepted) {
  absl::StatusOr<Filter> filter = ParseFilter(input);
  if (accepted != nullptr) *accepted = filter.ok();
  if (filter.ok()) return CheckAcceptedFilter(*filter);
  if (absl::Status s = CheckRejection(filter.status(), reason::kInvalidFilter, "filter"); !s.ok()) {
    return s;
  }
  // "position N: what", with N a character of the input or just past its end.
  absl::string_view message = filter.status().message();
  size_t position = 0;
  const size_t colon = message.find(':');
  if (!absl::ConsumePrefix(&message, "position ") || colon == absl::string_view::npos ||
      !absl::SimpleAtoi(message.substr(0, colon - 9), &position) || position < 1 ||
      position > CharCount(input) + 1) {
    return Broken(absl::StrCat("message does not name a position inside the filter: ",
                               filter.status().message()));
  }
  return absl::OkStatus();
}

absl::Status CheckPageTokenInput(absl::string_view input, bool* accepted) {
  std::string token(input);
  if (absl::StartsWith(input, kFuzzPageTokenBodyPrefix)) {
    const absl::string_view body = input.substr(kFuzzPageTokenBodyPrefix.size());
    token = absl::WebSafeBase64Escape(absl::StrCat(body, Hmac(kFuzzPageTokenKey, body)));
  }
  const PageTokenCodec codec{std::string(kFuzzPageTokenKey)};
  const ListBinding expected{std::string(kFuzzPageTokenParent), std::string(kFuzzPageTokenFilter),
                             kFuzzPageTokenView};
  absl::StatusOr<PageTokenState> state = codec.Decode(token, expected);
  if (accepted != nullptr) *accepted = state.ok();
  if (!state.ok()) {
    if (absl::Status s = CheckRejection(state.status(), reason::kInvalidPageToken, "page_token");
        !s.ok()) {
      return s;
    }
    if (absl::StrContains(state.status().message(), kFuzzPageTokenKey)) {
      return Broken("the error message carries the key");
    }
    return absl::OkStatus();
  }
  if (state->binding.parent != expected.parent || state->binding.filter != expected.filter ||
      state->binding.view != expected.view) {
    return Broken("accepted a token bound to other arguments");
  }
  for (const VendorPosition& p : state->positions) {
    if (p.vendor.empty() || p.skip < 0 || p.vendor_page_size < 0 || p.vendor_page_size > 200) {
      return Broken("accepted an out-of-range position");
    }
  }
  absl::StatusOr<PageTokenState> again = codec.Decode(codec.Encode(*state), expected);
  if (!again.ok())
    return Broken(absl::StrCat("a re-encoded token fails: ", again.status().ToString()));
  if (!SamePositions(*state, *again)) return Broken("a re-encoded token decodes differently");
  return absl::OkStatus();
}

int FilterFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckFilterInput(absl::string_view(reinterpret_cast<const char*>(data), size)),
              "FilterFuzzEntry");
  return 0;
}

int PageTokenFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckPageTokenInput(absl::string_view(reinterpret_cast<const char*>(data), size)),
              "PageTokenFuzzEntry");
  return 0;
}

}  // namespace jobfacade
