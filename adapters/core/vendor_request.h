// What every vendor request carries (deadline, cancellation, headers, key
// choice) and the check that turns a non-2xx response into a contract error;
// shared by the vendor adapters.
#ifndef JOBFACADE_ADAPTERS_CORE_VENDOR_REQUEST_H_
#define JOBFACADE_ADAPTERS_CORE_VENDOR_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/vendor.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

inline constexpr absl::string_view kUserAgent = "jobfacade/0.1";

// True when the caller supplied its own (non-empty) vendor key for this call.
bool HasCallerKey(const CallContext& ctx);

// The key for this call: the caller's own when it supplied one, else the
// configured key.
std::string EffectiveKey(const CallContext& ctx, const VendorConfig& config);

// Appends `params` to `url` (which already has a query) as `&name=value`, values
// percent-encoded.
void AppendQueryParams(const QueryParams& params, std::string* url);

// Adds the vendor's auth header for `key` (none when the key is empty).
void AddAuthHeader(const VendorAuth& auth, const std::string& key, http::Request* request);

// What a response callback needs to map a failure, copied out of the call so
// the callback never touches the adapter or the caller's context after the call
// returns.
struct VendorCall {
  std::string vendor;
  VendorOperation op = VendorOperation::kGet;
  bool caller_supplied_key = false;
  std::vector<std::string> secrets;  // every key the request may carry
};

// `sent_key` is the key the request carries (EffectiveKey's answer when the request was built:
// the configured key may have been replaced since).
VendorCall MakeVendorCall(absl::string_view vendor, VendorOperation op, const CallContext& ctx,
                          absl::string_view sent_key);

// OK for a complete 2xx response, otherwise VendorHttpError.
absl::Status CheckVendorResponse(const VendorCall& call, const http::Response& response);

// `status` with ErrorInfo metadata http_status set when it has none: a body that could not be
// read still came with a status, and API.md puts it in every error where a response arrived.
absl::Status WithHttpStatus(absl::Status status, int http_status);
template <typename T>
absl::StatusOr<T> WithHttpStatus(absl::StatusOr<T> result, int http_status) {
  if (result.ok()) return result;
  return WithHttpStatus(std::move(result).status(), http_status);
}

// The page number in a page-based vendor cursor: "" is page 1. Anything else
// than a positive decimal is INVALID_ARGUMENT / INVALID_PAGE_TOKEN.
absl::StatusOr<int64_t> ParsePageCursor(absl::string_view cursor);

// The page size to ask a vendor for: `requested` lowered to `vendor_max`;
// values below 1 (never sent by the service) fall back to 50 or `vendor_max` if
// smaller.
int VendorPageSize(int requested, int vendor_max);

// Rejects a job id that cannot be put into a URL path: an empty one would
// address the collection itself (GET /jobs, or a bulk DELETE).
absl::Status CheckJobId(absl::string_view vendor, absl::string_view job_id);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_VENDOR_REQUEST_H_
