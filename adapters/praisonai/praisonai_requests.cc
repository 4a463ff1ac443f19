// PraisonAI request builders and answer readers.
#include "adapters/praisonai/praisonai_requests.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/json.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/vendor_request.h"
#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/praisonai/praisonai_vendor.h"

namespace jobfacade {
namespace {

constexpr absl::string_view kRunsPath = "/api/v1/runs";

// google.protobuf.Duration's own range: about 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;
constexpr int32_t kMaxNanos = 999'999'999;

std::string JobUrl(const Endpoint& endpoint, absl::string_view job_id) {
  return absl::StrCat(endpoint.base_url, kRunsPath, "/", PercentEncodePathSegment(job_id));
}

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(PraisonaiVendor().spec().auth, endpoint.key, method, std::move(url));
}

// The run's timeout in whole seconds, rounded up so that a run is never cut shorter than
// asked; 0 when unset or zero (the server's default of one hour then applies). A negative
// timeout would end the run at once.
absl::StatusOr<int64_t> TimeoutSeconds(const v1::AgentRun& run) {
  if (!run.has_timeout()) return 0;
  const google::protobuf::Duration& timeout = run.timeout();
  if (timeout.seconds() < 0 || timeout.nanos() < 0 || timeout.seconds() > kMaxDurationSeconds ||
      timeout.nanos() > kMaxNanos) {
    return InvalidArgument(reason::kInvalidJobSpec, "job.agent_run.timeout",
                           "the timeout must be a valid, non-negative duration");
  }
  return timeout.seconds() + (timeout.nanos() > 0 ? 1 : 0);
}

// The submission body: vendor_options first, then ours on top of them.
absl::StatusOr<json::Struct> CreateBody(const v1::JobSpec& spec) {
  const v1::AgentRun& run = spec.agent_run();
  JF_ASSIGN_OR_RETURN(const int64_t timeout, TimeoutSeconds(run));
  json::Struct body = spec.vendor_options();
  // The request id travels in the Idempotency-Key header, which the server prefers anyway; a
  // second key in the body could only disagree with it.
  body.mutable_fields()->erase("idempotency_key");
  auto put = [&body](const char* key, json::Value value) {
    (*body.mutable_fields())[key] = std::move(value);
  };
  put("prompt", json::Str(run.prompt()));
  if (!run.recipe_name().empty()) put("recipe_name", json::Str(run.recipe_name()));
  if (run.has_config()) put("config", json::Obj(run.config()));
  if (!run.session_id().empty()) put("session_id", json::Str(run.session_id()));
  if (timeout > 0) put("timeout", json::Num(static_cast<double>(timeout)));
  if (!spec.device().empty()) put("agent_file", json::Str(spec.device()));
  return body;
}

}  // namespace

absl::StatusOr<http::Request> PraisonaiGetJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id) {
  return New(endpoint, "GET", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> PraisonaiStreamJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id) {
  http::Request request = New(endpoint, "GET", absl::StrCat(JobUrl(endpoint, job_id), "/stream"));
  for (auto& [name, value] : request.headers) {
    if (name == "Accept") value = "text/event-stream";
  }
  request.headers.emplace_back("Cache-Control", "no-cache");
  return request;
}

absl::StatusOr<http::Request> PraisonaiListJobsRequest(const Endpoint& endpoint,
                                                       const ListRequest& request) {
  absl::StatusOr<int64_t> page = ParsePageCursor(request.cursor);
  if (!page.ok()) return page.status();
  std::string url =
      absl::StrCat(endpoint.base_url, kRunsPath, "?page=", *page,
                   "&page_size=", VendorPageSize(request.page_size, kPraisonaiMaxPageSize));
  AppendQueryParams(request.filter, &url);
  return New(endpoint, "GET", std::move(url));
}

absl::StatusOr<http::Request> PraisonaiCancelJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id) {
  return New(endpoint, "POST", absl::StrCat(JobUrl(endpoint, job_id), "/cancel"));
}

absl::StatusOr<http::Request> PraisonaiDeleteJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id) {
  return New(endpoint, "DELETE", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> PraisonaiCreateJobRequest(const Endpoint& endpoint,
                                                        const CreateRequest& request) {
  if (!request.spec.has_agent_run()) {
    return InvalidArgument(reason::kInvalidJobSpec, "job.agent_run",
                           "PraisonAI runs agents: the job needs an agent_run");
  }
  JF_ASSIGN_OR_RETURN(const json::Struct body, CreateBody(request.spec));
  http::Request out = New(endpoint, "POST", absl::StrCat(endpoint.base_url, kRunsPath));
  out.headers.emplace_back("Content-Type", "application/json");
  const std::string& key = request.vendor_key.empty() ? request.request_id : request.vendor_key;
  if (!key.empty()) out.headers.emplace_back("Idempotency-Key", key);
  out.body = json::ToJson(body);
  return out;
}

absl::StatusOr<v1::Job> ReadPraisonaiCreatedJob(const http::Response& response) {
  // The 202's five keys and the whole status object of a repeated key read alike.
  return NormalizePraisonaiJob(response.body, v1::JOB_VIEW_BASIC);
}

absl::StatusOr<v1::Job> ReadPraisonaiCreateConflict(const http::Response& response) {
  // {job_id, status, message}: the job_id is what makes it the earlier submission's job.
  return ReadPraisonaiCreatedJob(response);
}

absl::StatusOr<http::Request> PraisonaiGetResultRequest(const Endpoint& endpoint,
                                                        const v1::Job& job) {
  return New(endpoint, "GET", absl::StrCat(JobUrl(endpoint, job.vendor_job_id()), "/result"));
}

absl::StatusOr<v1::JobResult> ReadPraisonaiResult(const http::Response& response,
                                                  const v1::Job& job, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct body, ParseVendorObject(kPraisonaiVendor, response.body));
  v1::JobResult result;
  result.set_name(job.name());
  const v1::Job::State state = PraisonaiState(StringOr(body, "status"));
  result.set_state(state != v1::Job::STATE_UNSPECIFIED ? state : job.state());
  // `result` is whatever the agents returned: usually text, but any JSON value.
  const json::Value* text = json::Find(body, "result");
  std::string* agent_text = result.mutable_agent()->mutable_text();
  if (text != nullptr && text->kind_case() == json::Value::kStringValue) {
    *agent_text = text->string_value();
  } else if (!json::IsNull(text)) {
    *agent_text = json::ToJson(*text);
  }
  if (view == v1::JOB_VIEW_FULL) *result.mutable_vendor_payload() = std::move(body);
  return result;
}

absl::StatusOr<ListResult> ReadPraisonaiJobList(const http::Response& response,
                                                const ListRequest& request) {
  absl::StatusOr<PraisonaiJobList> list = NormalizePraisonaiJobList(response.body, request.view);
  if (!list.ok()) return list.status();
  const int64_t page = ParsePageCursor(request.cursor).value_or(1);
  const int page_size = VendorPageSize(request.page_size, kPraisonaiMaxPageSize);
  const int listed = static_cast<int>(list->jobs.size()) + list->skipped;
  const bool more = list->total.has_value() ? page * page_size < *list->total : listed >= page_size;
  ListResult result;
  if (more && listed > 0) result.next_cursor = absl::StrCat(page + 1);
  result.jobs = std::move(list->jobs);
  result.skipped = list->skipped;
  return result;
}

}  // namespace jobfacade
