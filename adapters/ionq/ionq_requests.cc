// IonQ request builders and answer readers.
#include "adapters/ionq/ionq_requests.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/vendor_request.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/ionq/ionq_vendor.h"

namespace jobfacade {
namespace {

std::string JobUrl(const Endpoint& endpoint, absl::string_view job_id) {
  return absl::StrCat(endpoint.base_url, "/jobs/", PercentEncodePathSegment(job_id));
}

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(IonqVendor().spec().auth, endpoint.key, method, std::move(url));
}

}  // namespace

absl::StatusOr<http::Request> IonqGetJobRequest(const Endpoint& endpoint,
                                                absl::string_view job_id) {
  return New(endpoint, "GET", JobUrl(endpoint, job_id));
}

absl::StatusOr<http::Request> IonqListJobsRequest(const Endpoint& endpoint,
                                                  const ListRequest& request) {
  std::string url = absl::StrCat(
      endpoint.base_url, "/jobs?limit=", VendorPageSize(request.page_size, kIonqMaxPageSize));
  if (!request.cursor.empty()) {
    absl::StrAppend(&url, "&next=", PercentEncodeQueryValue(request.cursor));
  }
  AppendQueryParams(request.filter, &url);
  return New(endpoint, "GET", std::move(url));
}

absl::StatusOr<http::Request> IonqCancelJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id) {
  return New(endpoint, "PUT", absl::StrCat(JobUrl(endpoint, job_id), "/status/cancel"));
}

absl::StatusOr<http::Request> IonqDeleteJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id) {
  return New(endpoint, "DELETE", JobUrl(endpoint, job_id));
}

absl::StatusOr<ListResult> ReadIonqJobList(const http::Response& response,
                                           const ListRequest& request) {
  absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(response.body, request.view);
  if (!list.ok()) return list.status();
  ListResult result;
  if (list->next != request.cursor) result.next_cursor = std::move(list->next);
  result.jobs = std::move(list->jobs);
  result.skipped = list->skipped;
  return result;
}

}  // namespace jobfacade
