// One table from vendor HTTP outcomes to contract errors, shared by every
// vendor adapter.
#include "adapters/core/http_errors.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "adapters/core/errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/json.h"

namespace jobfacade {
namespace {

using http::TransportError;

std::optional<std::string> HeaderValue(const http::Response& response, absl::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

// FastAPI's validation errors:
// [{"loc":["path","job_qrn"],"msg":"...","type":"..."}].
std::string JoinValidationErrors(const json::ListValue& items) {
  std::vector<std::string> parts;
  for (const json::Value& item : items.values()) {
    if (item.kind_case() == json::Value::kStringValue) {
      parts.push_back(item.string_value());
      continue;
    }
    if (item.kind_case() != json::Value::kStructValue) continue;
    const json::Struct& error = item.struct_value();
    std::optional<std::string> msg = json::GetString(error, "msg");
    if (!msg.has_value()) msg = json::GetString(error, "message");
    if (!msg.has_value()) continue;
    std::vector<std::string> loc;
    if (const json::ListValue* path = json::GetList(error, "loc")) {
      for (const json::Value& piece : path->values()) {
        if (auto text = json::ScalarToString(piece)) loc.push_back(*text);
      }
    }
    parts.push_back(loc.empty() ? *msg : absl::StrCat(absl::StrJoin(loc, "."), ": ", *msg));
  }
  return absl::StrJoin(parts, "; ");
}

// "a: b", or whichever of the two is not empty.
std::string JoinNonEmpty(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty() || a == b) return std::string(a);
  return absl::StrCat(a, ": ", b);
}

absl::string_view TransportWhat(TransportError error) {
  switch (error) {
    case TransportError::kConnectFailed:
      return "could not connect to the vendor";
    case TransportError::kConnectionLost:
      return "connection to the vendor was lost";
    case TransportError::kTls:
      return "TLS failure talking to the vendor";
    case TransportError::kTimeout:
      return "deadline exceeded waiting for the vendor";
    case TransportError::kCancelled:
      return "request to the vendor was cancelled";
    case TransportError::kResponseTooLarge:
      return "vendor response was too large";
    case TransportError::kStalled:
      return "the vendor stopped sending its response";
    case TransportError::kCircuitOpen:
      return "circuit breaker open after repeated vendor failures; not calling the vendor";
    case TransportError::kOverloaded:
      return "too many requests are already waiting for the vendor";
    case TransportError::kNone:
    case TransportError::kOther:
      break;
  }
  return "transport error talking to the vendor";
}

// A submission that may have reached the vendor and whose answer never came (or came as a
// 5xx): the job may exist. The caller retries with the same request_id, which looks it up.
absl::Status SubmissionUnconfirmed(absl::string_view vendor, ErrorDetails details,
                                   absl::string_view what) {
  if (!details.retry_delay.has_value()) details.retry_delay = kDefaultRetryDelay;
  return MakeError(absl::StatusCode::kUnavailable, reason::kSubmissionUnconfirmed,
                   absl::StrCat(vendor, ": ", what,
                                "; the job may have been created: retry with the same request_id"),
                   details);
}

// Whether a submission that failed in transport can have reached the vendor: only a refused
// connection, an open circuit or a full queue prove it did not.
bool MayHaveBeenSent(TransportError error) {
  switch (error) {
    case TransportError::kConnectFailed:
    case TransportError::kCircuitOpen:
    case TransportError::kOverloaded:
    case TransportError::kTls:
      return false;
    default:
      return true;
  }
}

absl::Status TransportFailure(absl::string_view vendor, const http::Response& response) {
  const TransportError error = response.error;
  ErrorDetails details;
  details.vendor = std::string(vendor);
  const std::string message = absl::StrCat(vendor, ": ", TransportWhat(error));
  switch (error) {
    case TransportError::kCircuitOpen:
      details.retry_delay = response.retry_delay;
      return MakeError(absl::StatusCode::kUnavailable, reason::kVendorCircuitOpen, message,
                       details);
    case TransportError::kTimeout:
      return MakeError(absl::StatusCode::kDeadlineExceeded, reason::kDeadlineExceeded, message,
                       details);
    case TransportError::kCancelled:
      return MakeError(absl::StatusCode::kCancelled, reason::kCancelled, message, details);
    case TransportError::kResponseTooLarge:
      return MakeError(absl::StatusCode::kInternal, reason::kVendorBadResponse, message, details);
    default:
      return MakeError(absl::StatusCode::kUnavailable, reason::kVendorUnavailable, message,
                       details);
  }
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

std::string PercentEncode(absl::string_view text, bool encode_dots) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c) && !(encode_dots && c == '.')) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

}  // namespace

absl::Status SubmissionUnconfirmed(absl::string_view vendor, absl::string_view what) {
  ErrorDetails details;
  details.vendor = std::string(vendor);
  return SubmissionUnconfirmed(vendor, std::move(details), what);
}

std::optional<std::string> ExtractVendorMessage(absl::string_view body) {
  absl::StatusOr<json::Value> parsed = json::Parse(ToValidUtf8(body));
  if (!parsed.ok() || parsed->kind_case() != json::Value::kStructValue) return std::nullopt;
  const json::Struct& root = parsed->struct_value();
  std::string message;
  if (const json::Value* detail = json::Find(root, "detail")) {
    if (detail->kind_case() == json::Value::kStringValue) {
      message = detail->string_value();
    } else if (detail->kind_case() == json::Value::kListValue) {
      message = JoinValidationErrors(detail->list_value());
    }
  }
  if (message.empty()) {
    const std::string top_message = StringOr(root, "message");
    if (const json::Struct* error = json::GetObject(root, "error")) {
      // qBraid's gateway: the nested message is the specific one, the top one a
      // summary.
      std::string inner = StringOr(*error, "message");
      message = JoinNonEmpty(StringOr(*error, "code"), inner.empty() ? top_message : inner);
    } else {
      // IonQ names the error class in `error` and explains it in `message`.
      message = JoinNonEmpty(StringOr(root, "error"), top_message);
    }
  }
  if (message.empty()) return std::nullopt;
  return message;
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  const bool date_measurable = now != absl::InfinitePast();
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    // More than 9 digits is beyond kMaxRetryDelay anyway and could overflow.
    if (value.size() > 9) return kMaxRetryDelay;
    int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::min(absl::Seconds(seconds), kMaxRetryDelay);
  }
  static constexpr const char* kDateFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate, the preferred form
      "%A, %d-%b-%y %H:%M:%S GMT",  // obsolete RFC 850
      "%a %b %e %H:%M:%S %Y",       // obsolete asctime()
  };
  const std::string text(value);
  for (const char* format : kDateFormats) {
    absl::Time when;
    std::string error;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &when, &error)) {
      if (!date_measurable) return std::nullopt;
      return std::clamp(when - now, absl::ZeroDuration(), kMaxRetryDelay);
    }
  }
  return std::nullopt;
}

absl::Status VendorHttpError(absl::string_view vendor, VendorOperation op,
                             const http::Response& response, bool caller_supplied_key,
                             const std::vector<std::string>& secrets) {
  return VendorHttpError(vendor, op, response, caller_supplied_key, secrets, response.received_at);
}

absl::Status VendorHttpError(absl::string_view vendor, VendorOperation op,
                             const http::Response& response, bool caller_supplied_key,
                             const std::vector<std::string>& secrets, absl::Time now) {
  if (response.error != TransportError::kNone) {
    if (op == VendorOperation::kCreate && MayHaveBeenSent(response.error)) {
      ErrorDetails details;
      details.vendor = std::string(vendor);
      return SubmissionUnconfirmed(vendor, std::move(details), TransportWhat(response.error));
    }
    return TransportFailure(vendor, response);
  }

  const int status = response.status;
  ErrorDetails details;
  details.vendor = std::string(vendor);
  details.http_status = status;
  if (std::optional<std::string> message = ExtractVendorMessage(response.body)) {
    details.vendor_message = SanitizeForMessage(*message, kMaxVendorMessageBytes, secrets);
  }
  const std::optional<std::string> retry_after = HeaderValue(response, "retry-after");
  std::optional<absl::Duration> retry_delay;
  if (retry_after.has_value()) retry_delay = ParseRetryAfter(*retry_after, now);

  const bool job_operation = op != VendorOperation::kList && op != VendorOperation::kCreate;
  const bool changes_job = op == VendorOperation::kCancel || op == VendorOperation::kDelete;
  auto error = [&](absl::StatusCode code, absl::string_view reason, absl::string_view what) {
    return MakeError(code, reason, absl::StrCat(vendor, ": ", what), details);
  };

  if (status == 401) {
    return error(
        caller_supplied_key ? absl::StatusCode::kUnauthenticated : absl::StatusCode::kInternal,
        reason::kVendorAuthFailed,
        caller_supplied_key ? "the vendor rejected the supplied API key"
                            : "the vendor rejected the configured API key");
  }
  if (status == 403) {
    return error(absl::StatusCode::kPermissionDenied, reason::kVendorPermissionDenied,
                 "permission denied by the vendor");
  }
  if (op == VendorOperation::kResult && (status == 400 || status == 404 || status == 409)) {
    return error(absl::StatusCode::kFailedPrecondition, reason::kResultNotAvailable,
                 absl::StrCat("the vendor has no result for the job (HTTP ", status, ")"));
  }
  if (op == VendorOperation::kCreate && status >= 500 && status <= 599) {
    details.retry_delay = retry_delay;
    return SubmissionUnconfirmed(vendor, std::move(details),
                                 absl::StrCat("vendor unavailable (HTTP ", status, ")"));
  }
  if (op == VendorOperation::kCreate && status >= 400 && status <= 499 && status != 401 &&
      status != 403 && status != 429) {
    // A refused submission made no job: an unknown device (qBraid 404), a body the vendor
    // does not take (400, 422), a body too large (413).
    details.field = "job";
    return error(absl::StatusCode::kInvalidArgument, reason::kVendorRejectedRequest,
                 absl::StrCat("the vendor rejected the job (HTTP ", status, ")"));
  }
  if (status == 404) {
    if (job_operation) {
      return error(absl::StatusCode::kNotFound, reason::kJobNotFound, "job not found");
    }
    // The job list itself cannot be missing: the configured base URL is wrong.
    return error(absl::StatusCode::kUnavailable, reason::kVendorUnavailable,
                 "the vendor's job list was not found (check the base URL)");
  }
  if (status == 409 || (status == 400 && changes_job)) {
    return error(absl::StatusCode::kFailedPrecondition, reason::kJobStateConflict,
                 "the vendor refused the request in the job's current state");
  }
  // The contract's INVALID_ARGUMENT carries a BadRequest naming the field; what
  // a vendor rejects is the job's name for job calls and, for a listing, the
  // filter pushed down to it.
  const absl::string_view rejected_field = job_operation ? "name" : "filter";
  if (status == 400 || status == 422) {
    details.field = std::string(rejected_field);
    return error(absl::StatusCode::kInvalidArgument, reason::kVendorRejectedRequest,
                 "the vendor rejected the request");
  }
  if (status == 429) {
    details.retry_delay = retry_delay.value_or(kDefaultRetryDelay);
    return error(absl::StatusCode::kResourceExhausted, reason::kVendorRateLimited,
                 "rate limited by the vendor");
  }
  if (status == 405 || status == 501) {
    return error(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                 "the vendor does not support this operation");
  }
  if (status >= 500 && status <= 599) {
    // A 503 may say when to come back; pass that on to whoever retries.
    details.retry_delay = retry_delay;
    return error(absl::StatusCode::kUnavailable, reason::kVendorUnavailable,
                 absl::StrCat("vendor unavailable (HTTP ", status, ")"));
  }
  if (status >= 400 && status <= 499) {
    details.field = std::string(rejected_field);
    return error(absl::StatusCode::kInvalidArgument, reason::kVendorRejectedRequest,
                 absl::StrCat("the vendor rejected the request (HTTP ", status, ")"));
  }
  if (status >= 300 && status <= 399) {
    // Redirects are never followed: a vendor API that redirects is
    // misconfigured.
    return error(absl::StatusCode::kInternal, reason::kVendorBadResponse,
                 absl::StrCat("unexpected redirect (HTTP ", status, ")"));
  }
  return error(absl::StatusCode::kInternal, reason::kVendorBadResponse,
               absl::StrCat("unexpected HTTP status ", status));
}

std::string PercentEncodePathSegment(absl::string_view segment) {
  return PercentEncode(segment, segment == "." || segment == "..");
}

std::string PercentEncodeQueryValue(absl::string_view value) { return PercentEncode(value, false); }

}  // namespace jobfacade
