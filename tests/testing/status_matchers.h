// Test helpers that make assertions read like the contract: code + ErrorInfo reason.
#ifndef JOBFACADE_TESTS_TESTING_STATUS_MATCHERS_H_
#define JOBFACADE_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "adapters/core/errors.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"

namespace jobfacade::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// Matches an absl::Status or StatusOr with the given code and ErrorInfo reason.
MATCHER_P2(IsError, code, reason_text,
           std::string("is an error with code ") + absl::StatusCodeToString(code) + " and reason " +
               std::string(reason_text)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s << ", reason \"" << ErrorReason(s) << "\"";
  return s.code() == code && ErrorReason(s) == reason_text;
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.ok();
}

// The BadRequest field named by `status`, or "" when it has none.
inline std::string BadRequestField(const absl::Status& status) {
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return "";
  google::rpc::BadRequest bad;
  if (!bad.ParseFromString(std::string(*payload)) || bad.field_violations_size() == 0) return "";
  return bad.field_violations(0).field();
}

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_STATUS_MATCHERS_H_
