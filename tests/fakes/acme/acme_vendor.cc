// Acme's declaration, request builders, readers and push-down (state, machine).
#include "tests/fakes/acme/acme_vendor.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/time_util.h"
#include "adapters/core/vendor_request.h"
#include "tests/fakes/acme/acme_sandbox.h"

namespace jobfacade::acme {
namespace {

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(AcmeVendor().spec().auth, endpoint.key, method, std::move(url));
}

std::string JobUrl(const Endpoint& endpoint, absl::string_view id) {
  return absl::StrCat(endpoint.base_url, "/jobs/", PercentEncodePathSegment(id));
}

absl::StatusOr<http::Request> GetJobRequest(const Endpoint& endpoint, absl::string_view id) {
  return New(endpoint, "GET", JobUrl(endpoint, id));
}

absl::StatusOr<http::Request> ListJobsRequest(const Endpoint& endpoint,
                                              const ListRequest& request) {
  std::string url = absl::StrCat(
      endpoint.base_url, "/jobs?limit=", VendorPageSize(request.page_size, kAcmeMaxPageSize));
  if (!request.cursor.empty()) {
    absl::StrAppend(&url, "&cursor=", PercentEncodeQueryValue(request.cursor));
  }
  AppendQueryParams(request.filter, &url);
  return New(endpoint, "GET", std::move(url));
}

absl::StatusOr<http::Request> StopJobRequest(const Endpoint& endpoint, absl::string_view id) {
  return New(endpoint, "POST", absl::StrCat(JobUrl(endpoint, id), "/stop"));
}

absl::StatusOr<http::Request> DeleteJobRequest(const Endpoint& endpoint, absl::string_view id) {
  return New(endpoint, "DELETE", JobUrl(endpoint, id));
}

absl::StatusOr<ListResult> ReadJobList(const http::Response& response, const ListRequest& request) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kAcmeVendor, response.body));
  const json::ListValue* jobs = json::GetList(root, "jobs");
  if (jobs == nullptr) return BadVendorResponse(kAcmeVendor, "jobs is not a list");
  ListedJobs listed = NormalizeListedJobs(*jobs, request.view, &NormalizeAcmeJobObject);
  ListResult result;
  result.jobs = std::move(listed.jobs);
  result.skipped = listed.skipped;
  const std::string next = StringOr(root, "cursor");
  if (next != request.cursor) result.next_cursor = next;
  return result;
}

class Acme final : public RestVendor {
 public:
  const VendorSpec& spec() const override {
    static const VendorSpec* kSpec = new VendorSpec{
        std::string(kAcmeVendor),
        "Acme",
        {"ACME_API_KEY", "ACME_BASE_URL", "https://api.acme.invalid/v1"},
        {"Authorization", "Token"},
        {{"pending", v1::Job::QUEUED},
         {"active", v1::Job::RUNNING},
         {"done", v1::Job::COMPLETED},
         {"error", v1::Job::FAILED},
         {"stopped", v1::Job::CANCELLED}},
        /*statuses_ignore_case=*/false,
        kAcmeMaxPageSize,
        WatchMode::kPoll,
    };
    return *kSpec;
  }

  QueryParams PushDown(const std::vector<FilterTerm>& terms) const override {
    std::optional<std::string> state, machine;
    for (const FilterTerm& term : terms) {
      if (!IsUniformTerm(term)) continue;
      const FilterComparison& first = term.any_of.front();
      if (first.field == FilterField::kState && !state.has_value()) {
        state = SingleVendorStatus(spec().statuses, term);
      } else if (first.field == FilterField::kDevice && !machine.has_value()) {
        machine = SharedValue(term);
      }
    }
    QueryParams params;
    if (state.has_value()) params.emplace_back("state", *state);
    if (machine.has_value() && !machine->empty()) params.emplace_back("machine", *machine);
    return params;
  }

  const RestApi& api() const override {
    static constexpr RestApi kApi = {&GetJobRequest,    &ListJobsRequest,  &StopJobRequest,
                                     &DeleteJobRequest, &NormalizeAcmeJob, &ReadJobList};
    return kApi;
  }

  std::unique_ptr<sandbox::Personality> NewSandboxPersonality(
      const sandbox::PersonalityOptions& options) const override {
    return NewAcmePersonality(options);
  }
};

}  // namespace

const RestVendor& AcmeVendor() {
  static const Acme* kVendor = new Acme();
  return *kVendor;
}

absl::StatusOr<v1::Job> NormalizeAcmeJobObject(const json::Struct& job, v1::JobView view) {
  std::optional<std::string> id = json::GetString(job, "id");
  if (!id.has_value() || id->empty()) return BadVendorResponse(kAcmeVendor, "job has no id");
  v1::Job out;
  out.set_name(JobName(kAcmeVendor, *id));
  out.set_vendor(std::string(kAcmeVendor));
  out.set_vendor_job_id(*id);
  out.set_provider(std::string(kAcmeVendor));
  out.set_device(StringOr(job, "machine"));
  out.set_display_name(StringOr(job, "title"));
  const std::string state = StringOr(job, "state");
  out.set_state(AcmeVendor().StateOf(state));
  out.set_vendor_state(state);
  out.set_state_message(StringOr(job, "message"));
  if (auto t = GetTimestamp(job, "created")) *out.mutable_create_time() = ToProtoTimestamp(*t);
  if (auto t = GetTimestamp(job, "finished")) *out.mutable_end_time() = ToProtoTimestamp(*t);
  CopyTags(json::GetObject(job, "labels"), out.mutable_tags());
  if (view == v1::JOB_VIEW_FULL) *out.mutable_vendor_payload() = job;
  return out;
}

absl::StatusOr<v1::Job> NormalizeAcmeJob(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kAcmeVendor, body));
  const json::Struct* job = json::GetObject(root, "job");
  if (job == nullptr) return BadVendorResponse(kAcmeVendor, "job is not an object");
  return NormalizeAcmeJobObject(*job, view);
}

}  // namespace jobfacade::acme
