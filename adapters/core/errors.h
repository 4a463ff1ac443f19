// The contract's error model as absl::Status values: a code, a message and the
// google.rpc.ErrorInfo / BadRequest / RetryInfo details, carried as status payloads so that one
// place (service/grpc_status.h) can turn them into a rich grpc::Status.
#ifndef JOBFACADE_ADAPTERS_CORE_ERRORS_H_
#define JOBFACADE_ADAPTERS_CORE_ERRORS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace google::rpc {
class ErrorInfo;
class BadRequest;
class RetryInfo;
}  // namespace google::rpc

namespace jobfacade {

inline constexpr absl::string_view kErrorDomain = "jobfacade";

// Type URLs under which the details are stored as absl::Status payloads.
inline constexpr absl::string_view kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr absl::string_view kBadRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr absl::string_view kRetryInfoTypeUrl = "type.googleapis.com/google.rpc.RetryInfo";

// ErrorInfo.reason values of the contract (API.md, "Errors").
namespace reason {
inline constexpr absl::string_view kInvalidName = "INVALID_NAME";
inline constexpr absl::string_view kInvalidRequest = "INVALID_REQUEST";
inline constexpr absl::string_view kInvalidPageSize = "INVALID_PAGE_SIZE";
inline constexpr absl::string_view kUnknownVendor = "UNKNOWN_VENDOR";
inline constexpr absl::string_view kVendorNotConfigured = "VENDOR_NOT_CONFIGURED";
inline constexpr absl::string_view kInvalidFilter = "INVALID_FILTER";
inline constexpr absl::string_view kInvalidPageToken = "INVALID_PAGE_TOKEN";
inline constexpr absl::string_view kJobNotFound = "JOB_NOT_FOUND";
inline constexpr absl::string_view kVendorPermissionDenied = "VENDOR_PERMISSION_DENIED";
inline constexpr absl::string_view kVendorAuthFailed = "VENDOR_AUTH_FAILED";
inline constexpr absl::string_view kVendorRejectedRequest = "VENDOR_REJECTED_REQUEST";
inline constexpr absl::string_view kJobStateConflict = "JOB_STATE_CONFLICT";
inline constexpr absl::string_view kJobAlreadyTerminal = "JOB_ALREADY_TERMINAL";
inline constexpr absl::string_view kJobNotTerminal = "JOB_NOT_TERMINAL";
inline constexpr absl::string_view kVendorRateLimited = "VENDOR_RATE_LIMITED";
inline constexpr absl::string_view kVendorUnavailable = "VENDOR_UNAVAILABLE";
inline constexpr absl::string_view kVendorCircuitOpen = "VENDOR_CIRCUIT_OPEN";
inline constexpr absl::string_view kDeadlineExceeded = "DEADLINE_EXCEEDED";
inline constexpr absl::string_view kVendorBadResponse = "VENDOR_BAD_RESPONSE";
inline constexpr absl::string_view kUnsupportedByVendor = "UNSUPPORTED_BY_VENDOR";
// Not in API.md's table; used for caller authentication and server-internal faults.
inline constexpr absl::string_view kUnauthenticated = "UNAUTHENTICATED";
inline constexpr absl::string_view kCancelled = "CANCELLED";
inline constexpr absl::string_view kInternal = "INTERNAL";
inline constexpr absl::string_view kNotImplemented = "NOT_IMPLEMENTED";
inline constexpr absl::string_view kTooManyWatches = "TOO_MANY_WATCHES";
inline constexpr absl::string_view kShuttingDown = "SHUTTING_DOWN";
inline constexpr absl::string_view kCallerNotAllowed = "CALLER_NOT_ALLOWED";
inline constexpr absl::string_view kCallerKeyNeedsTls = "CALLER_KEY_NEEDS_TLS";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
inline constexpr absl::string_view kInvalidJobSpec = "INVALID_JOB_SPEC";
inline constexpr absl::string_view kInvalidRequestId = "INVALID_REQUEST_ID";
inline constexpr absl::string_view kSubmissionUnconfirmed = "SUBMISSION_UNCONFIRMED";
inline constexpr absl::string_view kResultNotAvailable = "RESULT_NOT_AVAILABLE";
inline constexpr absl::string_view kIdempotencyStoreUnavailable = "IDEMPOTENCY_STORE_UNAVAILABLE";
}  // namespace reason

// Longest vendor_message kept in ErrorInfo metadata, in bytes.
inline constexpr size_t kMaxVendorMessageBytes = 512;

// The optional facts an error carries besides code, reason and message.
struct ErrorDetails {
  std::string vendor;                         // ErrorInfo.metadata["vendor"], when known
  int http_status = 0;                        // ErrorInfo.metadata["http_status"], when nonzero
  std::string vendor_message;                 // bounded to kMaxVendorMessageBytes on the way in
  std::string field;                          // BadRequest field violation (INVALID_ARGUMENT only)
  std::optional<absl::Duration> retry_delay;  // RetryInfo
};

// Builds an error status carrying exactly one ErrorInfo (domain "jobfacade") and, as
// `details` says, a BadRequest and a RetryInfo. `message` should already be free of secrets.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const ErrorDetails& details = {});

// Shorthand for an INVALID_ARGUMENT with a BadRequest naming `field`.
absl::Status InvalidArgument(absl::string_view reason, absl::string_view field,
                             absl::string_view message);

// `status` with every secret of `secrets` removed from its ErrorInfo's vendor_message (for an
// error a reader made from a vendor's answer without the request's keys at hand).
absl::Status RedactVendorMessage(absl::Status status, const std::vector<std::string>& secrets);

// The ErrorInfo reason of `status`, or "" when it has none.
std::string ErrorReason(const absl::Status& status);

// The ErrorInfo of `status` when it carries one.
std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status);

// The delay of the RetryInfo `status` carries, when it carries one.
std::optional<absl::Duration> GetRetryDelay(const absl::Status& status);

// Cuts `text` to at most `max_bytes` bytes without splitting a UTF-8 sequence, replaces
// invalid UTF-8 and control characters, and removes every occurrence of each secret.
std::string SanitizeForMessage(absl::string_view text, size_t max_bytes,
                               const std::vector<std::string>& secrets = {});

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_ERRORS_H_
