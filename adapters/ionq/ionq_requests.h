// IonQ v0.4 requests and the readers of their answers: pure functions, tested without a
// server (tests/adapters/ionq/ionq_requests_test.cc).
//   GET/DELETE {base}/jobs/{id}   GET {base}/jobs?limit&next&status&target
//   PUT {base}/jobs/{id}/status/cancel   Authorization: apiKey KEY
#ifndef JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_
#define JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/rest_vendor.h"

namespace jobfacade {

// Largest `limit` GET /jobs accepts.
inline constexpr int kIonqMaxPageSize = 100;

absl::StatusOr<http::Request> IonqGetJobRequest(const Endpoint& endpoint, absl::string_view job_id);
// The cursor is IonQ's own `next` token ("" is the first page).
absl::StatusOr<http::Request> IonqListJobsRequest(const Endpoint& endpoint,
                                                  const ListRequest& request);
absl::StatusOr<http::Request> IonqCancelJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id);
absl::StatusOr<http::Request> IonqDeleteJobRequest(const Endpoint& endpoint,
                                                   absl::string_view job_id);

// One page; a `next` that points back at the page just read ends the listing (it would repeat
// it forever).
absl::StatusOr<ListResult> ReadIonqJobList(const http::Response& response,
                                           const ListRequest& request);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_
