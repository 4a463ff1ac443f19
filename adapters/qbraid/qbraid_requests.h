// qBraid Runtime API v2 requests and the readers of their answers: pure functions, tested
// without a server (tests/adapters/qbraid/qbraid_requests_test.cc).
//   GET/DELETE {base}/jobs/{qrn}   GET {base}/jobs?page&limit&status&provider&search&tags
//   POST {base}/jobs/{qrn}/cancel  POST {base}/jobs  GET {base}/jobs/{qrn}/result
//   X-API-KEY: KEY
#ifndef JOBFACADE_ADAPTERS_QBRAID_QBRAID_REQUESTS_H_
#define JOBFACADE_ADAPTERS_QBRAID_QBRAID_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/rest_vendor.h"

namespace jobfacade {

// Largest `limit` GET /jobs accepts.
inline constexpr int kQbraidMaxPageSize = 100;

absl::StatusOr<http::Request> QbraidGetJobRequest(const Endpoint& endpoint,
                                                  absl::string_view job_id);
// Pages are numbered from 1; the cursor is the page number ("" is page 1).
absl::StatusOr<http::Request> QbraidListJobsRequest(const Endpoint& endpoint,
                                                    const ListRequest& request);
absl::StatusOr<http::Request> QbraidCancelJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id);
absl::StatusOr<http::Request> QbraidDeleteJobRequest(const Endpoint& endpoint,
                                                     absl::string_view job_id);

// One page; the next cursor is the next page number while hasNext says so. An empty page
// never has a successor, whatever hasNext says, so that a confused vendor cannot send the
// listing round forever.
absl::StatusOr<ListResult> ReadQbraidJobList(const http::Response& response,
                                             const ListRequest& request);
// POST /jobs with the JSON body {shots, deviceQrn, program:{format:"qasm3"|"qasm2", data},
// name (when set), tags (the user's and kRequestIdTag: the request id, by which a submission
// whose answer was lost is found again), runtimeOptions (vendor_options, when set)}.
absl::StatusOr<http::Request> QbraidCreateJobRequest(const Endpoint& endpoint,
                                                     const CreateRequest& request);
// The 201 answer: {"success":true,"data":{jobQrn,status}} (docs) or with a whole RuntimeJob as
// `data` (live), or an older bare RuntimeJob. success:false is INVALID_ARGUMENT /
// VENDOR_REJECTED_REQUEST with the vendor's message, even with a 201; no jobQrn, or anything
// else unreadable, is VENDOR_BAD_RESPONSE.
absl::StatusOr<v1::Job> ReadQbraidCreatedJob(const http::Response& response);

// GET /jobs/{qrn}/result, and its answer (NormalizeQbraidResult).
absl::StatusOr<http::Request> QbraidGetResultRequest(const Endpoint& endpoint, const v1::Job& job);
absl::StatusOr<v1::JobResult> ReadQbraidResult(const http::Response& response, const v1::Job& job,
                                               v1::JobView view);

// A 2xx cancel or delete still fails when its JSON envelope says success:false; a body that is
// not JSON is accepted (the service reads the job again to see the effect).
absl::Status ReadQbraidStateChange(const http::Response& response);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_QBRAID_QBRAID_REQUESTS_H_
