// Common request setup and response checking for the vendor adapters.
#include "adapters/core/vendor_request.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "google/rpc/error_details.pb.h"

namespace jobfacade {
namespace {

// Page numbers beyond this are not real listings; refusing them keeps P * size
// from overflowing.
constexpr int64_t kMaxPageNumber = 1000000000;

}  // namespace

bool HasCallerKey(const CallContext& ctx) {
  return ctx.caller_key.has_value() && !ctx.caller_key->empty();
}

std::string EffectiveKey(const CallContext& ctx, const VendorConfig& config) {
  return HasCallerKey(ctx) ? *ctx.caller_key : *config.api_key.Get();
}

void AppendQueryParams(const QueryParams& params, std::string* url) {
  for (const auto& [name, value] : params) {
    absl::StrAppend(url, "&", name, "=", PercentEncodeQueryValue(value));
  }
}

void AddAuthHeader(const VendorAuth& auth, const std::string& key, http::Request* request) {
  if (key.empty()) return;
  request->headers.emplace_back(auth.header,
                                auth.scheme.empty() ? key : absl::StrCat(auth.scheme, " ", key));
}

VendorCall MakeVendorCall(absl::string_view vendor, VendorOperation op, const CallContext& ctx,
                          absl::string_view sent_key) {
  VendorCall call;
  call.vendor = std::string(vendor);
  call.op = op;
  call.caller_supplied_key = HasCallerKey(ctx);
  if (call.caller_supplied_key) call.secrets.push_back(*ctx.caller_key);
  if (!sent_key.empty() && (!call.caller_supplied_key || sent_key != *ctx.caller_key)) {
    call.secrets.emplace_back(sent_key);
  }
  return call;
}

absl::Status CheckVendorResponse(const VendorCall& call, const http::Response& response) {
  if (response.error == http::TransportError::kNone && response.status >= 200 &&
      response.status <= 299) {
    return absl::OkStatus();
  }
  return VendorHttpError(call.vendor, call.op, response, call.caller_supplied_key, call.secrets);
}

absl::Status WithHttpStatus(absl::Status status, int http_status) {
  std::optional<google::rpc::ErrorInfo> info = GetErrorInfo(status);
  if (!info.has_value() || info->metadata().count("http_status") > 0) return status;
  (*info->mutable_metadata())["http_status"] = absl::StrCat(http_status);
  status.SetPayload(kErrorInfoTypeUrl, absl::Cord(info->SerializeAsString()));
  return status;
}

absl::StatusOr<int64_t> ParsePageCursor(absl::string_view cursor) {
  if (cursor.empty()) return 1;
  int64_t page = 0;
  const bool digits_only = std::all_of(cursor.begin(), cursor.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (!digits_only || !absl::SimpleAtoi(cursor, &page) || page < 1 || page > kMaxPageNumber) {
    return InvalidArgument(reason::kInvalidPageToken, "page_token",
                           "the page token does not hold a vendor page number");
  }
  return page;
}

int VendorPageSize(int requested, int vendor_max) {
  if (requested < 1) return std::min(50, vendor_max);
  return std::min(requested, vendor_max);
}

absl::Status CheckJobId(absl::string_view vendor, absl::string_view job_id) {
  if (!job_id.empty()) return absl::OkStatus();
  ErrorDetails details;
  details.vendor = std::string(vendor);
  details.field = "name";
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidName,
                   absl::StrCat(vendor, ": the job id is empty"), details);
}

}  // namespace jobfacade
