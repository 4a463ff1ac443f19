// IonQ v0.4 requests and the readers of their answers: pure functions, tested without a
// server (tests/adapters/ionq/ionq_requests_test.cc).
//   GET/DELETE {base}/jobs/{id}   GET {base}/jobs?limit&next&status&target
//   PUT {base}/jobs/{id}/status/cancel   POST {base}/jobs (ionq.qasm3.v1)
//   GET {base}/jobs/{id}/results/probabilities   GET {base}/jobs/{id}/cost
//   Authorization: apiKey KEY
#ifndef JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_
#define JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_

#include <optional>

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

// The submission of an OpenQASM 3 program: {"type":"ionq.qasm3.v1","backend","shots",
// "input":{"data"},"name"?,"metadata":{tags..., kRequestIdTag: request_id},"settings"?}, nothing
// the create payload's schema does not name (it has additionalProperties:false). Any other
// program is UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR.
absl::StatusOr<http::Request> IonqCreateJobRequest(const Endpoint& endpoint,
                                                   const CreateRequest& request);
// 201 {"id","status","session_id"} (v0.3: 200, "ready"); any status is accepted.
absl::StatusOr<v1::Job> ReadIonqCreatedJob(const http::Response& response);

// The job's probabilities. A multi-circuit job (one distribution per child) is UNIMPLEMENTED /
// UNSUPPORTED_BY_VENDOR and nothing is sent.
absl::StatusOr<http::Request> IonqGetResultRequest(const Endpoint& endpoint, const v1::Job& job);
// {"<decimal state>": probability} as bitstrings of the job's width (stats.qubits, widened to
// the longest key) with qubit 0 rightmost, and counts estimated as round(p * job.shots()).
absl::StatusOr<v1::JobResult> ReadIonqResult(const http::Response& response, const v1::Job& job,
                                             v1::JobView view);

absl::StatusOr<http::Request> IonqGetResultCostRequest(const Endpoint& endpoint,
                                                       const v1::Job& job);
// {"cost":{"value","unit"}}; nullopt while the job has no final cost or the body is unreadable.
std::optional<v1::Cost> ReadIonqResultCost(const http::Response& response);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_IONQ_IONQ_REQUESTS_H_
