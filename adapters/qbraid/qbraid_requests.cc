// qBraid request builders and answer readers.
#include "adapters/qbraid/qbraid_requests.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/json.h"
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
