// Vendor HTTP failures to contract errors (API.md, "Errors"), plus URL encoding
// for the vendor request builders.
#ifndef JOBFACADE_ADAPTERS_CORE_HTTP_ERRORS_H_
#define JOBFACADE_ADAPTERS_CORE_HTTP_ERRORS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

// The vendor call that failed; a 404 means different things for a job and for
// the list. A submission (kCreate) whose request may have reached the vendor and whose answer
// was lost or a 5xx is UNAVAILABLE / SUBMISSION_UNCONFIRMED: it may have made a job. A result
// read (kResult) that the vendor answers 400, 404 or 409 has no result yet.
enum class VendorOperation { kGet, kList, kCancel, kDelete, kCreate, kResult };

// Retry delay used when a 429 carries no usable Retry-After.
inline constexpr absl::Duration kDefaultRetryDelay = absl::Seconds(1);
// Longest Retry-After honoured; anything longer is taken as this.
inline constexpr absl::Duration kMaxRetryDelay = absl::Hours(24);

// Maps a transport failure or a non-2xx response to a contract error with
// ErrorInfo metadata `vendor`, `http_status` (when a response arrived) and a
// bounded `vendor_message` taken from the body's error envelope. Every secret
// in `secrets` is removed from what is kept. `caller_supplied_key` makes a 401
// UNAUTHENTICATED instead of INTERNAL. A Retry-After date is measured from
// response.received_at (when the engine completed it); without one it is not used.
absl::Status VendorHttpError(absl::string_view vendor, VendorOperation op,
                             const http::Response& response, bool caller_supplied_key,
                             const std::vector<std::string>& secrets);

// The same, with `now` for Retry-After given as an HTTP-date.
absl::Status VendorHttpError(absl::string_view vendor, VendorOperation op,
                             const http::Response& response, bool caller_supplied_key,
                             const std::vector<std::string>& secrets, absl::Time now);

// UNAVAILABLE / SUBMISSION_UNCONFIRMED with a RetryInfo: a submission that may have reached
// the vendor and whose outcome is unknown (`what` says why).
absl::Status SubmissionUnconfirmed(absl::string_view vendor, absl::string_view what);

// The human-readable message of a vendor error body, from whichever envelope it
// uses: qBraid {"success":false,"message","error":{"code","message"}}, FastAPI
// {"detail":"..."} and
// {"detail":[{"loc","msg","type"}]}, IonQ {"error","message","statusCode"}, and
// {"error":"..."}. nullopt for HTML, non-JSON and unrecognised bodies. Not yet
// bounded or scrubbed.
std::optional<std::string> ExtractVendorMessage(absl::string_view body);

// A Retry-After header value, delta-seconds or HTTP-date (IMF-fixdate, RFC 850
// or asctime), as a delay from `now`: never negative, at most kMaxRetryDelay.
// nullopt when unparseable.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9
// - . _ ~). A segment that is exactly "." or ".." has its dots encoded too, so
// an id can never become a dot-segment that moves the request to another path.
std::string PercentEncodePathSegment(absl::string_view segment);

// Percent-encodes a query parameter value (same character set as a path
// segment).
std::string PercentEncodeQueryValue(absl::string_view value);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_HTTP_ERRORS_H_
