// PraisonAI async runs requests and the readers of their answers: pure functions, tested
// without a server (tests/adapters/praisonai/praisonai_requests_test.cc).
//   GET/DELETE {base}/api/v1/runs/{id}   GET {base}/api/v1/runs?page&page_size&status
//   GET {base}/api/v1/runs/{id}/stream   POST {base}/api/v1/runs/{id}/cancel
//   Authorization: Bearer KEY (when a key is set)
// Never a trailing slash: the server redirects those.
#ifndef JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_
#define JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/rest_vendor.h"

namespace jobfacade {

// Largest `page_size` GET /api/v1/runs accepts.
inline constexpr int kPraisonaiMaxPageSize = 100;

absl::StatusOr<http::Request> PraisonaiGetJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id);
// Pages are numbered from 1; the cursor is the page number ("" is page 1).
absl::StatusOr<http::Request> PraisonaiListJobsRequest(const Endpoint& endpoint,
                                                       const ListRequest& request);
absl::StatusOr<http::Request> PraisonaiCancelJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id);
absl::StatusOr<http::Request> PraisonaiDeleteJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id);

// GET {base}/api/v1/runs/{id}/stream with Accept: text/event-stream: Server-Sent Events
// (status, progress, heartbeat, then result, error or cancelled, then the server closes).
absl::StatusOr<http::Request> PraisonaiStreamJobRequest(const Endpoint& endpoint,
                                                        absl::string_view job_id);

// One page. Pages are counted in the size asked for; the next request asks for the same.
// Without a total, only a full page can have a successor.
absl::StatusOr<ListResult> ReadPraisonaiJobList(const http::Response& response,
                                                const ListRequest& request);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_
