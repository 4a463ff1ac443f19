// Error construction: one ErrorInfo per status, plus BadRequest and RetryInfo when asked.
#include "adapters/core/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "adapters/core/utf8.h"
#include "google/rpc/error_details.pb.h"

namespace jobfacade {

std::string SanitizeForMessage(absl::string_view text, size_t max_bytes,
                               const std::vector<std::string>& secrets) {
  std::string scrubbed(text);
  for (const std::string& secret : secrets) {
    if (secret.size() >= 4) absl::StrReplaceAll({{secret, "[redacted]"}}, &scrubbed);
  }
  std::string out;
  out.reserve(std::min(scrubbed.size(), max_bytes));
  for (size_t i = 0; i < scrubbed.size();) {
    size_t len = Utf8SequenceLength(scrubbed, i);
    absl::string_view piece;
    std::string replacement;
    if (len == 0) {
      replacement = "\xEF\xBF\xBD";  // U+FFFD
      len = 1;
      piece = replacement;
    } else if (len == 1 &&
               (static_cast<unsigned char>(scrubbed[i]) < 0x20 || scrubbed[i] == 0x7F)) {
      piece = " ";
    } else {
      piece = absl::string_view(scrubbed).substr(i, len);
    }
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece.data(), piece.size());
    i += len;
  }
  return out;
}

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                       const ErrorDetails& details) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  if (!details.vendor.empty()) (*info.mutable_metadata())["vendor"] = details.vendor;
  if (details.http_status != 0) {
    (*info.mutable_metadata())["http_status"] = absl::StrCat(details.http_status);
  }
  if (!details.vendor_message.empty()) {
    (*info.mutable_metadata())["vendor_message"] =
        SanitizeForMessage(details.vendor_message, kMaxVendorMessageBytes);
  }
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  if (!details.field.empty()) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(details.field);
    violation->set_description(std::string(message));
    status.SetPayload(kBadRequestTypeUrl, absl::Cord(bad_request.SerializeAsString()));
  }
  if (details.retry_delay.has_value()) {
    google::rpc::RetryInfo retry;
    absl::Duration d = *details.retry_delay;
    if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
    const int64_t seconds = absl::IDivDuration(d, absl::Seconds(1), &d);
    retry.mutable_retry_delay()->set_seconds(seconds);
    retry.mutable_retry_delay()->set_nanos(
        static_cast<int32_t>(absl::IDivDuration(d, absl::Nanoseconds(1), &d)));
    status.SetPayload(kRetryInfoTypeUrl, absl::Cord(retry.SerializeAsString()));
  }
  return status;
}

absl::Status RedactVendorMessage(absl::Status status, const std::vector<std::string>& secrets) {
  std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value()) return status;
  auto it = info->mutable_metadata()->find("vendor_message");
  if (it == info->mutable_metadata()->end()) return status;
  it->second = SanitizeForMessage(it->second, kMaxVendorMessageBytes, secrets);
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info->SerializeAsString()));
  return status;
}

absl::Status InvalidArgument(absl::string_view reason, absl::string_view field,
                             absl::string_view message) {
  ErrorDetails details;
  details.field = std::string(field);
  return MakeError(absl::StatusCode::kInvalidArgument, reason, message, details);
}

std::optional<google::rpc::ErrorInfo> GetErrorInfo(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  return info;
}

std::optional<absl::Duration> GetRetryDelay(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryInfoTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::RetryInfo retry;
  if (!retry.ParseFromString(std::string(*payload)) || !retry.has_retry_delay()) {
    return std::nullopt;
  }
  return absl::Seconds(retry.retry_delay().seconds()) +
         absl::Nanoseconds(retry.retry_delay().nanos());
}

std::string ErrorReason(const absl::Status& status) {
  auto info = GetErrorInfo(status);
  return info.has_value() ? info->reason() : std::string();
}

}  // namespace jobfacade
