// absl::Status -> grpc::Status with rich error details.
#include "service/grpc_status.h"

#include <string>

#include "adapters/core/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace jobfacade {
namespace {

// The reason given to an error that was built without one (a bug, or a library error).
absl::string_view FallbackReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kCancelled:
      return reason::kCancelled;
    case absl::StatusCode::kDeadlineExceeded:
      return reason::kDeadlineExceeded;
    case absl::StatusCode::kUnavailable:
      return reason::kVendorUnavailable;
    default:
      return reason::kInternal;
  }
}

void AddDetail(google::rpc::Status& out, absl::string_view type_url, const absl::Cord& value) {
  auto* any = out.add_details();
  any->set_type_url(std::string(type_url));
  any->set_value(std::string(value));
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  if (auto info = status.GetPayload(kErrorInfoTypeUrl); info.has_value()) {
    AddDetail(rich, kErrorInfoTypeUrl, *info);
  } else {
    google::rpc::ErrorInfo fallback;
    fallback.set_reason(std::string(FallbackReason(status.code())));
    fallback.set_domain(std::string(kErrorDomain));
    AddDetail(rich, kErrorInfoTypeUrl, absl::Cord(fallback.SerializeAsString()));
  }
  if (auto bad = status.GetPayload(kBadRequestTypeUrl); bad.has_value()) {
    AddDetail(rich, kBadRequestTypeUrl, *bad);
  }
  if (auto retry = status.GetPayload(kRetryInfoTypeUrl); retry.has_value()) {
    AddDetail(rich, kRetryInfoTypeUrl, *retry);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      rich.SerializeAsString());
}

}  // namespace jobfacade
