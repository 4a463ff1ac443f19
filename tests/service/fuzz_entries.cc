// The fuzz entries of the filter parser, the page-token decoder, the name parser and the three
// vendor normalisers: one input through the code under test, then the invariants its answer must
// keep.
#include "tests/service/fuzz_entries.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
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
#include "adapters/core/json.h"
#include "adapters/core/rest_vendor.h"
#include "adapters/core/sse.h"
#include "adapters/core/time_util.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/qbraid/qbraid_normalizer.h"
#include "adapters/registry.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "service/filter.h"
#include "service/names.h"
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
  const QueryParams params = filter.PushDown(vendor);
  std::set<std::string> names;
  for (const auto& [name, value] : params) {
    if (!names.insert(name).second) return Broken(absl::StrCat("pushed ", name, " twice"));
  }
  const bool qbraid = vendor == "qbraid";
  const std::optional<std::string> status = FindParam(params, "status");
  const std::optional<std::string> provider = FindParam(params, "provider");
  const std::optional<std::string> search = FindParam(params, "search");
  const std::optional<std::string> tags = FindParam(params, "tags");
  const std::optional<std::string> target = FindParam(params, "target");
  if (params.size() != names.size() ||
      static_cast<size_t>(status.has_value() + provider.has_value() + search.has_value() +
                          tags.has_value() + target.has_value()) != params.size()) {
    return Broken(absl::StrCat("pushed a parameter no vendor reads to ", vendor));
  }
  if (status.has_value() && !IsFilterableStatus(vendor, *status)) {
    return Broken(absl::StrCat("pushed a status ", vendor, " cannot filter on"));
  }
  if (!qbraid && (provider.has_value() || search.has_value() || tags.has_value())) {
    return Broken(absl::StrCat("pushed qBraid-only filters to ", vendor));
  }
  if (vendor != "ionq" && target.has_value()) return Broken("pushed a target to non-IonQ");
  if (provider.has_value() &&
      (provider->empty() || absl::AsciiStrToLower(*provider) != *provider)) {
    return Broken("pushed an empty or mixed-case provider");
  }
  if (search.has_value() && (search->empty() || search->size() > 255)) {
    return Broken("pushed a search outside 1..255 characters");
  }
  if (tags.has_value() && !json::ParseObject(*tags).ok()) return Broken("pushed tags not JSON");
  if (target.has_value() && (target->empty() || absl::StrContains(*target, ","))) {
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

// API.md's rule for the {job} of a name, written apart from service/names.cc: 1 to 512 bytes of
// printable ASCII, no '/', no whitespace.
bool IsContractJobId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxJobIdBytes) return false;
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E || c == '/') return false;
  }
  return true;
}

bool IsContractVendor(absl::string_view vendor) {
  return vendor == "qbraid" || vendor == "ionq" || vendor == "praisonai";
}

// A name rejection the contract allows: INVALID_NAME or UNKNOWN_VENDOR on `field`.
absl::Status CheckNameRejection(const absl::Status& status, absl::string_view field) {
  const std::string why = ErrorReason(status);
  const absl::string_view reason =
      why == reason::kUnknownVendor ? reason::kUnknownVendor : reason::kInvalidName;
  return CheckRejection(status, reason, field);
}

// Whether `input` is vendors/{vendor}/jobs/{id} with a contract vendor and id.
bool IsContractJobName(absl::string_view input) {
  if (!absl::ConsumePrefix(&input, "vendors/")) return false;
  const size_t slash = input.find('/');
  if (slash == absl::string_view::npos || !IsContractVendor(input.substr(0, slash))) return false;
  input.remove_prefix(slash);
  return absl::ConsumePrefix(&input, "/jobs/") && IsContractJobId(input);
}

// ---- Normalisers.

// One vendor's normalisers behind one shape. A list page is its jobs plus its paging fields as
// text, so that pages normalised in different views can be compared.
struct ListPage {
  std::vector<v1::Job> jobs;
  std::string paging;
};

struct Normalizers {
  absl::string_view vendor;
  absl::StatusOr<v1::Job> (*job)(absl::string_view body, v1::JobView view);
  absl::StatusOr<v1::Job> (*object)(const json::Struct& job, v1::JobView view);
  absl::StatusOr<ListPage> (*list)(absl::string_view body, v1::JobView view);
  v1::Job::State (*state)(absl::string_view status);
};

absl::StatusOr<ListPage> QbraidList(absl::string_view body, v1::JobView view) {
  absl::StatusOr<QbraidJobList> list = NormalizeQbraidJobList(body, view);
  if (!list.ok()) return list.status();
  return ListPage{std::move(list->jobs), absl::StrCat("has_next=", list->has_next)};
}

absl::StatusOr<ListPage> IonqList(absl::string_view body, v1::JobView view) {
  absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(body, view);
  if (!list.ok()) return list.status();
  return ListPage{std::move(list->jobs), absl::StrCat("next=", list->next)};
}

std::string OptionalText(const std::optional<int64_t>& value) {
  return value.has_value() ? absl::StrCat(*value) : "none";
}

absl::StatusOr<ListPage> PraisonaiList(absl::string_view body, v1::JobView view) {
  absl::StatusOr<PraisonaiJobList> list = NormalizePraisonaiJobList(body, view);
  if (!list.ok()) return list.status();
  return ListPage{std::move(list->jobs), absl::StrCat("total=", OptionalText(list->total),
                                                      " page=", OptionalText(list->page),
                                                      " size=", OptionalText(list->page_size))};
}

const Normalizers* NormalizersOf(absl::string_view vendor) {
  static constexpr Normalizers kAll[] = {
      {kQbraidVendor, NormalizeQbraidJob, NormalizeQbraidJobObject, QbraidList, QbraidState},
      {kIonqVendor, NormalizeIonqJob, NormalizeIonqJobObject, IonqList, IonqState},
      {kPraisonaiVendor, NormalizePraisonaiJob, NormalizePraisonaiJobObject, PraisonaiList,
       PraisonaiState},
  };
  for (const Normalizers& n : kAll) {
    if (n.vendor == vendor) return &n;
  }
  return nullptr;
}

// The range a google.protobuf.Timestamp may hold (0001-01-01 to 9999-12-31), and a Duration.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
constexpr int64_t kMaxDurationSeconds = 315576000000;

bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= kMinTimestampSeconds && t.seconds() <= kMaxTimestampSeconds &&
         t.nanos() >= 0 && t.nanos() <= 999999999;
}

bool IsValidNonNegativeDuration(const google::protobuf::Duration& d) {
  return d.seconds() >= 0 && d.seconds() <= kMaxDurationSeconds && d.nanos() >= 0 &&
         d.nanos() <= 999999999;
}

bool SameJob(const v1::Job& a, const v1::Job& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

v1::Job WithoutPayload(v1::Job job) {
  job.clear_vendor_payload();
  return job;
}

// The contract of one normalised job (see CheckNormalizerInput).
absl::Status CheckJob(const Normalizers& n, const v1::Job& job, v1::JobView view) {
  if (job.vendor() != n.vendor) return Broken(absl::StrCat("vendor is '", job.vendor(), "'"));
  const std::string& id = job.vendor_job_id();
  if (id.empty()) return Broken("a job without vendor_job_id");
  if (job.name() != FormatJobName(n.vendor, id)) {
    return Broken(absl::StrCat("name '", job.name(), "' is not formatted from the id"));
  }
  // A vendor id outside API.md's rules (whitespace, '/', non-ASCII, over 512 bytes) gives a
  // name that ParseJobName refuses; API.md does not say whether a normaliser should refuse such
  // a job. Either way the name must parse back exactly when the id keeps the rules.
  absl::StatusOr<JobName> parsed = ParseJobName(job.name());
  if (parsed.ok() != IsContractJobId(id)) {
    return Broken(absl::StrCat("ParseJobName ", parsed.ok() ? "accepts" : "refuses",
                               " the name of a job whose id ",
                               IsContractJobId(id) ? "keeps" : "breaks", " API.md's rules"));
  }
  if (parsed.ok() && (parsed->vendor != n.vendor || parsed->job_id != id)) {
    return Broken("the name parses to another vendor or id");
  }
  if (!v1::Job::State_IsValid(job.state())) return Broken("state is not a Job.State");
  if (job.state() != n.state(job.vendor_state())) {
    return Broken("state is not the vendor's mapping of vendor_state");
  }
  if (job.provider() != absl::AsciiStrToLower(job.provider())) {
    return Broken("provider is not lower case");
  }
  if (n.vendor != kQbraidVendor && job.provider() != n.vendor) {
    return Broken("provider is not the vendor");
  }
  if (n.vendor == kPraisonaiVendor && job.job_type() != kPraisonaiJobType) {
    return Broken("a PraisonAI job that is not an agent run");
  }
  for (const auto* t : {&job.create_time(), &job.start_time(), &job.end_time()}) {
    if (!IsValidTimestamp(*t)) return Broken("a timestamp out of protobuf's range");
  }
  if (!IsValidNonNegativeDuration(job.execution_duration())) {
    return Broken("execution_duration negative or out of protobuf's range");
  }
  if (job.has_cost() && job.cost().unit().empty()) return Broken("a cost without unit");
  if (job.has_estimated_cost() && job.estimated_cost().unit().empty()) {
    return Broken("an estimated cost without unit");
  }
  // proto3 strings must be UTF-8, or the job cannot be parsed by a gRPC client.
  v1::Job reparsed;
  if (!reparsed.ParseFromString(job.SerializeAsString()) || !SameJob(job, reparsed)) {
    return Broken("the job does not survive serialisation (invalid UTF-8?)");
  }
  if (job.has_vendor_payload() != (view == v1::JOB_VIEW_FULL)) {
    return Broken("vendor_payload present without JOB_VIEW_FULL or absent with it");
  }
  if (view == v1::JOB_VIEW_FULL) {
    absl::StatusOr<v1::Job> again = n.object(job.vendor_payload(), view);
    if (!again.ok() || !SameJob(*again, job)) {
      return Broken("the job's own vendor_payload normalises to another job");
    }
  }
  return absl::OkStatus();
}

// True when `text` is part of what the normaliser says about a body that is not JSON at all: a
// body that happens to read like the service's own words ("the vendor: body is") is not quoted.
bool InFixedMessageText(const Normalizers& n, absl::string_view text) {
  const absl::StatusOr<v1::Job> job = n.job("\x01", v1::JOB_VIEW_BASIC);
  const absl::StatusOr<ListPage> list = n.list("\x01", v1::JOB_VIEW_BASIC);
  return (!job.ok() && absl::StrContains(job.status().message(), text)) ||
         (!list.ok() && absl::StrContains(list.status().message(), text));
}

// A failed normalisation the contract allows: INTERNAL / VENDOR_BAD_RESPONSE for the vendor, with
// a short message that does not quote the body.
absl::Status CheckBadResponse(const Normalizers& n, const absl::Status& status,
                              absl::string_view body) {
  if (status.code() != absl::StatusCode::kInternal ||
      ErrorReason(status) != reason::kVendorBadResponse) {
    return Broken(absl::StrCat("failed with ", status.ToString()));
  }
  std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value() || info->metadata().count("vendor") == 0 ||
      info->metadata().at("vendor") != n.vendor) {
    return Broken("a bad response that does not name its vendor");
  }
  if (status.message().size() > 512) return Broken("an unbounded error message");
  if (body.size() >= 16 && absl::StrContains(status.message(), body) &&
      !InFixedMessageText(n, body)) {
    return Broken("the error message quotes the body");
  }
  return absl::OkStatus();
}

constexpr v1::JobView kViews[] = {v1::JOB_VIEW_UNSPECIFIED, v1::JOB_VIEW_BASIC, v1::JOB_VIEW_FULL};

absl::Status CheckJobBody(const Normalizers& n, absl::string_view body, bool* accepted) {
  std::vector<absl::StatusOr<v1::Job>> results;
  for (v1::JobView view : kViews) results.push_back(n.job(body, view));
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok() != results[0].ok()) return Broken("a job accepted in one view only");
    if (!results[i].ok()) {
      if (absl::Status s = CheckBadResponse(n, results[i].status(), body); !s.ok()) return s;
      continue;
    }
    if (absl::Status s = CheckJob(n, *results[i], kViews[i]); !s.ok()) return s;
    if (!SameJob(WithoutPayload(*results[i]), WithoutPayload(*results[0]))) {
      return Broken("views give different jobs");
    }
  }
  *accepted = results[0].ok();
  return absl::OkStatus();
}

// A refusal a submission's or a result's reader may answer besides a bad response.
absl::Status CheckReaderRefusal(const Normalizers& n, const absl::Status& status,
                                absl::string_view body) {
  const std::string reason = ErrorReason(status);
  if ((status.code() == absl::StatusCode::kInvalidArgument &&
       reason == reason::kVendorRejectedRequest) ||
      (status.code() == absl::StatusCode::kUnimplemented &&
       reason == reason::kUnsupportedByVendor)) {
    if (status.message().size() > 512) return Broken("an unbounded error message");
    return absl::OkStatus();
  }
  return CheckBadResponse(n, status, body);
}

// The vendor's readers of a submission's answer (2xx, and a 409 where the vendor names the
// earlier job in it) and of a COMPLETED job's result and cost: a job that keeps the contract,
// a result of that job in one shape, or a clean refusal.
absl::Status CheckAnswerBodies(const Normalizers& n, absl::string_view body) {
  const auto* vendor = dynamic_cast<const RestVendor*>(FindVendor(n.vendor));
  if (vendor == nullptr) return Broken("not a REST vendor");
  const RestApi& api = vendor->api();
  http::Response response;
  response.body = std::string(body);
  for (const auto& [status, read] :
       {std::pair{201, api.read_created_job}, std::pair{409, api.read_create_conflict}}) {
    if (read == nullptr) continue;
    response.status = status;
    absl::StatusOr<v1::Job> job = read(response);
    absl::Status s = job.ok() ? CheckJob(n, *job, v1::JOB_VIEW_BASIC)
                              : CheckReaderRefusal(n, job.status(), body);
    if (!s.ok()) return Broken(absl::StrCat("created job (", status, "): ", s.message()));
  }
  response.status = 200;
  v1::Job job;
  job.set_vendor(std::string(n.vendor));
  job.set_vendor_job_id("job-1");
  job.set_name(FormatJobName(n.vendor, "job-1"));
  job.set_state(v1::Job::COMPLETED);
  job.set_shots(1000);
  (*(*job.mutable_vendor_payload()->mutable_fields())["stats"]
        .mutable_struct_value()
        ->mutable_fields())["qubits"]
      .set_number_value(3);
  if (api.read_result != nullptr) {
    for (v1::JobView view : kViews) {
      absl::StatusOr<v1::JobResult> result = api.read_result(response, job, view);
      if (!result.ok()) {
        if (absl::Status s = CheckReaderRefusal(n, result.status(), body); !s.ok()) {
          return Broken(absl::StrCat("result: ", s.message()));
        }
        continue;
      }
      if (result->name() != job.name()) return Broken("a result of another job");
      if (view != v1::JOB_VIEW_FULL && result->has_vendor_payload()) {
        return Broken("a vendor_payload outside JOB_VIEW_FULL");
      }
      int64_t total = 0;
      for (const auto& [outcome, count] : result->quantum().counts()) {
        if (outcome.empty() || count < 0) return Broken("an empty outcome or a negative count");
        total += count;
      }
      for (const auto& [outcome, p] : result->quantum().probabilities()) {
        if (outcome.empty() || !std::isfinite(p) || p < 0) return Broken("a bad probability");
      }
      if (!result->quantum().counts_estimated() && total != result->quantum().shots()) {
        return Broken("counts that do not add up to the shots");
      }
      if (result->has_cost() && (!std::isfinite(result->cost().amount()) ||
                                 result->cost().unit().empty())) {
        return Broken("a result cost without a finite amount and a unit");
      }
    }
  }
  if (api.read_result_cost != nullptr) {
    if (std::optional<v1::Cost> cost = api.read_result_cost(response);
        cost.has_value() && (!std::isfinite(cost->amount()) || cost->unit().empty())) {
      return Broken("a job cost without a finite amount and a unit");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckListBody(const Normalizers& n, absl::string_view body, bool* accepted) {
  std::vector<absl::StatusOr<ListPage>> results;
  for (v1::JobView view : kViews) results.push_back(n.list(body, view));
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok() != results[0].ok()) return Broken("a page accepted in one view only");
    if (!results[i].ok()) {
      if (absl::Status s = CheckBadResponse(n, results[i].status(), body); !s.ok()) return s;
      continue;
    }
    const ListPage& page = *results[i];
    if (page.paging != results[0]->paging || page.jobs.size() != results[0]->jobs.size()) {
      return Broken("views give different pages");
    }
    for (size_t j = 0; j < page.jobs.size(); ++j) {
      if (absl::Status s = CheckJob(n, page.jobs[j], kViews[i]); !s.ok()) {
        return Broken(absl::StrCat("listed job ", j, ": ", s.message()));
      }
      if (!SameJob(WithoutPayload(page.jobs[j]), WithoutPayload(results[0]->jobs[j]))) {
        return Broken("views give different listed jobs");
      }
    }
  }
  *accepted = results[0].ok();
  return absl::OkStatus();
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
  // The service's own encoding of the state must decode to it again. Only a token no longer
  // than the one just accepted is sure to pass the size bound: a signed body may carry raw
  // control characters that the encoder writes as six-byte escapes.
  const std::string reencoded = codec.Encode(*state);
  absl::StatusOr<PageTokenState> again = codec.Decode(reencoded, expected);
  if (!again.ok() && reencoded.size() > token.size()) return absl::OkStatus();
  if (!again.ok()) {
    return Broken(absl::StrCat("a re-encoded token fails: ", again.status().ToString()));
  }
  if (!SamePositions(*state, *again)) return Broken("a re-encoded token decodes differently");
  return absl::OkStatus();
}

absl::Status CheckNameInput(absl::string_view input, bool* accepted) {
  absl::StatusOr<JobName> name = ParseJobName(input);
  if (accepted != nullptr) *accepted = name.ok();
  if (name.ok() != IsContractJobName(input)) {
    return Broken(name.ok()
                      ? "accepted a name outside API.md's rules"
                      : absl::StrCat("refused a name API.md allows: ", name.status().message()));
  }
  if (name.ok()) {
    if (FormatJobName(name->vendor, name->job_id) != input) {
      return Broken("the parsed name formats to another string");
    }
  } else if (absl::Status s = CheckNameRejection(name.status(), "name"); !s.ok()) {
    return s;
  }

  absl::StatusOr<std::string> parent = ParseParent(input);
  absl::string_view vendor = input;
  const bool contract_parent = absl::ConsumePrefix(&vendor, "vendors/") &&
                               (vendor == kAllVendors || IsContractVendor(vendor));
  if (parent.ok() != contract_parent) {
    return Broken(parent.ok() ? "accepted a parent outside API.md's rules"
                              : "refused a parent API.md allows");
  }
  if (parent.ok()) {
    if (FormatParent(*parent) != input)
      return Broken("the parsed parent formats to another string");
  } else if (absl::Status s = CheckNameRejection(parent.status(), "parent"); !s.ok()) {
    return s;
  }

  // The input as the id of a job: the name round-trips exactly when the id keeps the rules.
  for (absl::string_view v : {"qbraid", "ionq", "praisonai"}) {
    absl::StatusOr<JobName> as_id = ParseJobName(FormatJobName(v, input), "name");
    if (as_id.ok() != IsContractJobId(input)) {
      return Broken(as_id.ok() ? "accepted an id outside API.md's rules"
                               : "refused an id API.md allows");
    }
    if (as_id.ok() && (as_id->vendor != v || as_id->job_id != input)) {
      return Broken("a formatted name parses to another vendor or id");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNormalizerInput(absl::string_view vendor, absl::string_view input,
                                  NormalizerOutcome* outcome) {
  const Normalizers* n = NormalizersOf(vendor);
  if (n == nullptr) return absl::InvalidArgumentError(absl::StrCat("no vendor ", vendor));
  NormalizerOutcome result;
  if (absl::Status s = CheckJobBody(*n, input, &result.job); !s.ok()) {
    return Broken(absl::StrCat(vendor, " job: ", s.message()));
  }
  if (absl::Status s = CheckListBody(*n, input, &result.list); !s.ok()) {
    return Broken(absl::StrCat(vendor, " list: ", s.message()));
  }
  if (absl::Status s = CheckAnswerBodies(*n, input); !s.ok()) {
    return Broken(absl::StrCat(vendor, " ", s.message()));
  }
  if (outcome != nullptr) *outcome = result;
  return absl::OkStatus();
}

absl::Status CheckSseInput(absl::string_view input, size_t* events) {
  constexpr size_t kBound = 4096;  // small, so that fuzzing reaches the bound
  struct Parsed {
    std::vector<std::string> events;  // type, a NUL, data, a NUL, id
    bool broken = false;
  };
  auto parse = [&](const std::vector<size_t>& cuts) {
    Parsed parsed;
    SseParser parser(
        [&](const SseEvent& e) {
          parsed.events.push_back(
              absl::StrCat(e.type, std::string(1, '\0'), e.data, std::string(1, '\0'), e.id));
        },
        kBound);
    size_t from = 0;
    for (size_t cut : cuts) {
      parsed.broken |= !parser.Feed(input.substr(from, cut - from));
      from = cut;
    }
    parsed.broken |= !parser.Feed(input.substr(from));
    return parsed;
  };
  const Parsed whole = parse({});
  for (const std::string& event : whole.events) {
    if (event.size() > 3 * kBound + 2) return absl::InternalError("an event beyond the bound");
  }
  if (events != nullptr) *events = whole.events.size();
  // Cut points from the input's own bytes: every byte alone, and a few uneven cuttings.
  std::vector<std::vector<size_t>> cuttings(1);
  for (size_t i = 1; i < input.size() && i < 2048; ++i) cuttings[0].push_back(i);
  for (size_t step : {2u, 3u, 7u, 64u}) {
    std::vector<size_t> cuts;
    for (size_t i = static_cast<unsigned char>(input.empty() ? 0 : input[0]) % step + 1;
         i < input.size(); i += step) {
      cuts.push_back(i);
    }
    cuttings.push_back(std::move(cuts));
  }
  for (const auto& cuts : cuttings) {
    const Parsed pieces = parse(cuts);
    // A broken stream stops parsing where it broke, which the whole input reaches too.
    if (pieces.broken != whole.broken || pieces.events != whole.events) {
      return absl::InternalError(absl::StrCat("cutting the stream into ", cuts.size() + 1,
                                              " pieces changed what was parsed"));
    }
  }
  return absl::OkStatus();
}

int SseFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckSseInput(absl::string_view(reinterpret_cast<const char*>(data), size)),
              "SseFuzzEntry");
  return 0;
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

namespace {

absl::string_view Bytes(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace

int NameFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckNameInput(Bytes(data, size)), "NameFuzzEntry");
  return 0;
}

int QbraidNormalizerFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckNormalizerInput(kQbraidVendor, Bytes(data, size)), "QbraidNormalizerFuzzEntry");
  return 0;
}

int IonqNormalizerFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckNormalizerInput(kIonqVendor, Bytes(data, size)), "IonqNormalizerFuzzEntry");
  return 0;
}

int PraisonaiNormalizerFuzzEntry(const uint8_t* data, size_t size) {
  AbortUnless(CheckNormalizerInput(kPraisonaiVendor, Bytes(data, size)),
              "PraisonaiNormalizerFuzzEntry");
  return 0;
}

}  // namespace jobfacade
