// PraisonAI request builders and answer readers.
#include "adapters/praisonai/praisonai_requests.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/vendor_request.h"
#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/praisonai/praisonai_vendor.h"

namespace jobfacade {
namespace {

constexpr absl::string_view kRunsPath = "/api/v1/runs";

std::string JobUrl(const Endpoint& endpoint, absl::string_view job_id) {
  return absl::StrCat(endpoint.base_url, kRunsPath, "/", PercentEncodePathSegment(job_id));
}

http::Request New(const Endpoint& endpoint, absl::string_view method, std::string url) {
  return NewRestRequest(PraisonaiVendor().spec().auth, endpoint.key, method, std::move(url));
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
