// A vendor whose job API is REST over HTTP: pure request builders and response readers per
// vendor, and one generic adapter (RestAdapter) that sends the first and applies the second.
#ifndef JOBFACADE_ADAPTERS_CORE_REST_VENDOR_H_
#define JOBFACADE_ADAPTERS_CORE_REST_VENDOR_H_

#include <memory>
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

class RestVendor : public Vendor {
 public:
  // Pure functions from (endpoint, arguments) to the vendor's request: method, URL and
  // headers. The adapter adds the caller's deadline and cancellation. A failure is a contract
  // error (for example INVALID_PAGE_TOKEN for a cursor the vendor never made) and nothing is
  // sent.
  virtual absl::StatusOr<http::Request> GetJobRequest(const Endpoint& endpoint,
                                                      absl::string_view job_id) const = 0;
  virtual absl::StatusOr<http::Request> ListJobsRequest(const Endpoint& endpoint,
                                                        const ListRequest& request) const = 0;
  virtual absl::StatusOr<http::Request> CancelJobRequest(const Endpoint& endpoint,
                                                         absl::string_view job_id) const = 0;
  virtual absl::StatusOr<http::Request> DeleteJobRequest(const Endpoint& endpoint,
                                                         absl::string_view job_id) const = 0;

  // Pure functions from a complete 2xx response to the canonical answer; failures are
  // INTERNAL / VENDOR_BAD_RESPONSE (the adapter adds http_status).
  virtual absl::StatusOr<v1::Job> ReadJob(const http::Response& response,
                                          v1::JobView view) const = 0;
  virtual absl::StatusOr<ListResult> ReadJobList(const http::Response& response,
                                                 const ListRequest& request) const = 0;
  // A 2xx answer to a cancel or delete that still says it failed; OK by default.
  virtual absl::Status ReadStateChange(const http::Response& response) const;

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
