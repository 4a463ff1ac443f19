// A vendor whose job API is REST over HTTP: pure request builders and response readers per
// vendor, and one generic adapter (RestAdapter) that sends the first and applies the second.
#ifndef JOBFACADE_ADAPTERS_CORE_REST_VENDOR_H_
#define JOBFACADE_ADAPTERS_CORE_REST_VENDOR_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/vendor.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

// Where and as whom a request goes: the vendor's base URL (no trailing slash) and the key for
// this call (the caller's own or the configured one; empty: no auth header).
struct Endpoint {
  std::string base_url;
  std::string key;
};

// A REST vendor's API: pure functions from (endpoint, arguments) to the vendor's request
// (method, URL, headers; the adapter adds the caller's deadline and cancellation), and from a
// complete 2xx answer to the canonical one. A builder's failure is a contract error (for
// example INVALID_PAGE_TOKEN for a cursor the vendor never made) and nothing is sent; a
// reader's failure is INTERNAL / VENDOR_BAD_RESPONSE (the adapter adds http_status).
struct RestApi {
  absl::StatusOr<http::Request> (*get_job)(const Endpoint& endpoint, absl::string_view job_id);
  absl::StatusOr<http::Request> (*list_jobs)(const Endpoint& endpoint, const ListRequest& request);
  absl::StatusOr<http::Request> (*cancel_job)(const Endpoint& endpoint, absl::string_view job_id);
  absl::StatusOr<http::Request> (*delete_job)(const Endpoint& endpoint, absl::string_view job_id);
  absl::StatusOr<v1::Job> (*read_job)(absl::string_view body, v1::JobView view);
  absl::StatusOr<ListResult> (*read_job_list)(const http::Response& response,
                                              const ListRequest& request);
  // A 2xx answer to a cancel or delete that still says it failed; null: every 2xx is success.
  absl::Status (*read_state_change)(const http::Response& response) = nullptr;
  // The job's Server-Sent Events stream (WatchMode::kEventStream); null: the vendor has none.
  absl::StatusOr<http::Request> (*stream_job)(const Endpoint& endpoint,
                                              absl::string_view job_id) = nullptr;

  // CreateJob: the submission (POST), and the job read from its 2xx answer. A 2xx that still
  // says the create failed is VENDOR_REJECTED_REQUEST; one that cannot be read is
  // SUBMISSION_UNCONFIRMED (the job may exist). Null: the vendor takes no submissions.
  absl::StatusOr<http::Request> (*create_job)(const Endpoint& endpoint,
                                              const CreateRequest& request) = nullptr;
  absl::StatusOr<v1::Job> (*read_created_job)(const http::Response& response) = nullptr;
  // A 409 answer to a submission that names the job an earlier submission with the same
  // request id made (PraisonAI's duplicate Idempotency-Key); null: a 409 is a refusal.
  absl::StatusOr<v1::Job> (*read_create_conflict)(const http::Response& response) = nullptr;

  // GetJobResult of a COMPLETED job (as read in JOB_VIEW_FULL): the request and its reader.
  // The reader may refuse a job whose results do not fit one JobResult (UNIMPLEMENTED /
  // UNSUPPORTED_BY_VENDOR for batch jobs). Null: the vendor has no results.
  absl::StatusOr<http::Request> (*get_result)(const Endpoint& endpoint,
                                              const v1::Job& job) = nullptr;
  absl::StatusOr<v1::JobResult> (*read_result)(const http::Response& response, const v1::Job& job,
                                               v1::JobView view) = nullptr;
  // A second read for the result's cost (IonQ's GET /jobs/{id}/cost); its failure leaves the
  // cost unset. Null: the result carries its own cost.
  absl::StatusOr<http::Request> (*get_result_cost)(const Endpoint& endpoint,
                                                   const v1::Job& job) = nullptr;
  std::optional<v1::Cost> (*read_result_cost)(const http::Response& response) = nullptr;
};

class RestVendor : public Vendor {
 public:
  virtual const RestApi& api() const = 0;

  // A RestAdapter for this vendor.
  std::unique_ptr<VendorAdapter> NewAdapter(http::HttpClient* http,
                                            VendorConfig config) const override;
};

// A request with `Accept: application/json`, `User-Agent: jobfacade/0.1` and the vendor's auth
// header for `key` (none when it is empty).
http::Request NewRestRequest(const VendorAuth& auth, const std::string& key,
                             absl::string_view method, std::string url);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_REST_VENDOR_H_
