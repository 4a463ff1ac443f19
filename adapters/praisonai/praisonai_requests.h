// PraisonAI async runs requests and the readers of their answers: pure functions, tested
// without a server (tests/adapters/praisonai/praisonai_requests_test.cc).
//   GET/DELETE {base}/api/v1/runs/{id}   GET {base}/api/v1/runs?page&page_size&status
//   GET {base}/api/v1/runs/{id}/stream   POST {base}/api/v1/runs/{id}/cancel
//   POST {base}/api/v1/runs (Idempotency-Key)   GET {base}/api/v1/runs/{id}/result
//   Authorization: Bearer KEY (when a key is set)
// Never a trailing slash: the server redirects those.
#ifndef JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_
#define JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/rest_vendor.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"

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

// POST {base}/api/v1/runs with `Idempotency-Key: <request_id>`: the spec's vendor_options at
// the body's top level (agent_file, framework, recipe_config, ...), then the agent run's own
// fields, which win: prompt, recipe_name, config, session_id, timeout (whole seconds, rounded
// up) and agent_file (the spec's device). Unset and empty fields are left out. A spec without
// an agent run, or with a negative or out-of-range timeout, is INVALID_ARGUMENT /
// INVALID_JOB_SPEC and nothing is sent.
absl::StatusOr<http::Request> PraisonaiCreateJobRequest(const Endpoint& endpoint,
                                                        const CreateRequest& request);

// The 2xx answer to a submission: 202 {job_id, status:"queued", created_at, poll_url,
// stream_url}, or, for a repeated Idempotency-Key, the existing job in whatever status it has
// now (possibly as a whole status object). No job_id: VENDOR_BAD_RESPONSE.
absl::StatusOr<v1::Job> ReadPraisonaiCreatedJob(const http::Response& response);

// The documented 409 for a repeated Idempotency-Key, {job_id, status, message}: the job the
// key already made. Any 409 without a job_id is VENDOR_BAD_RESPONSE (a refusal, then).
absl::StatusOr<v1::Job> ReadPraisonaiCreateConflict(const http::Response& response);

// GET {base}/api/v1/runs/{id}/result.
absl::StatusOr<http::Request> PraisonaiGetResultRequest(const Endpoint& endpoint,
                                                        const v1::Job& job);

// {job_id, status, result, error, ...}: agent.text is `result` when it is a string, else its
// compact JSON (null: empty). No cost. vendor_payload is the whole object with JOB_VIEW_FULL.
absl::StatusOr<v1::JobResult> ReadPraisonaiResult(const http::Response& response,
                                                  const v1::Job& job, v1::JobView view);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_REQUESTS_H_
