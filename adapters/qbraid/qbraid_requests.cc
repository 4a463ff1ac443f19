// qBraid request builders and answer readers.
#include "adapters/qbraid/qbraid_requests.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/json.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/utf8.h"
#include "adapters/core/vendor_request.h"
#include "adapters/qbraid/qbraid_normalizer.h"
#include "adapters/qbraid/qbraid_vendor.h"

namespace jobfacade {
namespace {

std::string JobUrl(const Endpoint& endpoint, absl::string_view job_id) {
  return absl::StrCat(endpoint.base_url, "/jobs/", PercentEncodePathSegment(job_id));
}

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(QbraidVendor().spec().auth, endpoint.key, method, std::move(url));
}

// qBraid's program.format for a canonical format; nullopt for one this adapter does not send.
std::optional<absl::string_view> ProgramFormat(v1::QuantumProgram::Format format) {
  switch (format) {
    case v1::QuantumProgram::FORMAT_OPENQASM3:
      return "qasm3";
    case v1::QuantumProgram::FORMAT_OPENQASM2:
      return "qasm2";
    default:
      return std::nullopt;
  }
}

void Set(json::Struct& object, absl::string_view key, json::Value value) {
  (*object.mutable_fields())[std::string(key)] = std::move(value);
}

// A 2xx whose envelope says success:false: qBraid refused the job and made none.
absl::Status Rejected(const http::Response& response) {
  ErrorDetails details;
  details.vendor = std::string(kQbraidVendor);
  details.http_status = response.status;
  details.vendor_message = ExtractVendorMessage(response.body).value_or("");
  details.field = "job";
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kVendorRejectedRequest,
                   absl::StrCat(kQbraidVendor, ": the vendor rejected the job (HTTP ",
                                response.status, " with success false)"),
                   details);
}

}  // namespace

absl::StatusOr<http::Request> QbraidGetJobRequest(const Endpoint& endpoint,
                                                  absl::string_view job_id) {
  return New(endpoint, "GET", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> QbraidListJobsRequest(const Endpoint& endpoint,
                                                    const ListRequest& request) {
  absl::StatusOr<int64_t> page = ParsePageCursor(request.cursor);
  if (!page.ok()) return page.status();
  std::string url = absl::StrCat(endpoint.base_url, "/jobs?page=", *page,
                                 "&limit=", VendorPageSize(request.page_size, kQbraidMaxPageSize));
  AppendQueryParams(request.filter, &url);
  return New(endpoint, "GET", std::move(url));
}

absl::StatusOr<http::Request> QbraidCancelJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id) {
  return New(endpoint, "POST", absl::StrCat(JobUrl(endpoint, job_id), "/cancel"));
}

absl::StatusOr<http::Request> QbraidDeleteJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id) {
  return New(endpoint, "DELETE", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> QbraidCreateJobRequest(const Endpoint& endpoint,
                                                     const CreateRequest& request) {
  const v1::JobSpec& spec = request.spec;
  if (!spec.has_quantum_program()) {
    return InvalidArgument(reason::kInvalidJobSpec, "job.quantum_program",
                           "qbraid: a job needs a quantum program");
  }
  const std::optional<absl::string_view> format = ProgramFormat(spec.quantum_program().format());
  if (!format.has_value()) {
    ErrorDetails details;
    details.vendor = std::string(kQbraidVendor);
    return MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                     "qbraid: programs are sent as OpenQASM 2 or 3 only", details);
  }
  json::Struct program;
  Set(program, "format", json::Str(*format));
  Set(program, "data", json::Str(spec.quantum_program().source()));

  json::Struct tags;
  for (const auto& [key, value] : spec.tags()) Set(tags, key, json::Str(value));
  // Set last: the request id wins over a user tag of that name (which the service refuses).
  if (!request.request_id.empty()) Set(tags, kRequestIdTag, json::Str(request.request_id));

  json::Struct body;
  Set(body, "shots", json::Num(static_cast<double>(spec.shots())));
  Set(body, "deviceQrn", json::Str(spec.device()));
  Set(body, "program", json::Obj(std::move(program)));
  if (!spec.display_name().empty()) Set(body, "name", json::Str(spec.display_name()));
  if (!tags.fields().empty()) Set(body, "tags", json::Obj(std::move(tags)));
  if (!spec.vendor_options().fields().empty()) {
    Set(body, "runtimeOptions", json::Obj(spec.vendor_options()));
  }
  http::Request http_request = New(endpoint, "POST", absl::StrCat(endpoint.base_url, "/jobs"));
  http_request.headers.emplace_back("Content-Type", "application/json");
  http_request.body = json::ToJson(body);
  return http_request;
}

absl::StatusOr<v1::Job> ReadQbraidCreatedJob(const http::Response& response) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kQbraidVendor, response.body));
  // An older docs snapshot answered the bare RuntimeJob, without the envelope.
  if (json::Find(root, "success") == nullptr) {
    return NormalizeQbraidJobObject(root, v1::JOB_VIEW_BASIC);
  }
  const std::optional<bool> success = json::GetBool(root, "success");
  if (!success.has_value()) return BadVendorResponse(kQbraidVendor, "success is not a boolean");
  if (!*success) return Rejected(response);
  const json::Struct* data = json::GetObject(root, "data");
  if (data == nullptr) return BadVendorResponse(kQbraidVendor, "data is not an object");
  // The docs' {jobQrn, status} and the live whole RuntimeJob read alike: the normaliser fills
  // what the vendor said and leaves the rest unset.
  return NormalizeQbraidJobObject(*data, v1::JOB_VIEW_BASIC);
}

absl::StatusOr<http::Request> QbraidGetResultRequest(const Endpoint& endpoint, const v1::Job& job) {
  return New(endpoint, "GET", absl::StrCat(JobUrl(endpoint, job.vendor_job_id()), "/result"));
}

absl::StatusOr<v1::JobResult> ReadQbraidResult(const http::Response& response, const v1::Job& job,
                                               v1::JobView view) {
  return NormalizeQbraidResult(response.body, job, view);
}

absl::StatusOr<ListResult> ReadQbraidJobList(const http::Response& response,
                                             const ListRequest& request) {
  absl::StatusOr<QbraidJobList> list = NormalizeQbraidJobList(response.body, request.view);
  if (!list.ok()) return list.status();
  // The request was built from this cursor, so it parses.
  const int64_t page = ParsePageCursor(request.cursor).value_or(1);
  ListResult result;
  if (list->has_next && list->jobs.size() + list->skipped > 0) {
    result.next_cursor = absl::StrCat(page + 1);
  }
  result.jobs = std::move(list->jobs);
  result.skipped = list->skipped;
  return result;
}

absl::Status ReadQbraidStateChange(const http::Response& response) {
  absl::StatusOr<json::Value> parsed = json::Parse(ToValidUtf8(response.body));
  if (!parsed.ok() || parsed->kind_case() != json::Value::kStructValue) {
    return absl::OkStatus();
  }
  std::optional<bool> success = json::GetBool(parsed->struct_value(), "success");
  if (success.has_value() && !*success) {
    return BadVendorResponse(kQbraidVendor, "success is false");
  }
  return absl::OkStatus();
}

}  // namespace jobfacade
