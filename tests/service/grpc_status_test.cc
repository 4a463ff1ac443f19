// ToGrpcStatus: code, message and google.rpc.Status details as the contract requires.
#include "service/grpc_status.h"

#include "adapters/core/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

google::rpc::Status Details(const grpc::Status& s) {
  google::rpc::Status rich;
  EXPECT_TRUE(rich.ParseFromString(s.error_details()));
  return rich;
}

TEST(GrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcStatusTest, CarriesExactlyOneErrorInfoAndRetryInfo) {
  ErrorDetails d;
  d.vendor = "ionq";
  d.http_status = 429;
  d.vendor_message = "slow down";
  d.retry_delay = absl::Milliseconds(1500);
  auto s = ToGrpcStatus(MakeError(absl::StatusCode::kResourceExhausted, reason::kVendorRateLimited,
                                  "ionq: rate limited", d));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), "ionq: rate limited");
  auto rich = Details(s);
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  int infos = 0, retries = 0;
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      ++infos;
      google::rpc::ErrorInfo info;
      ASSERT_TRUE(any.UnpackTo(&info));
      EXPECT_EQ(info.reason(), "VENDOR_RATE_LIMITED");
      EXPECT_EQ(info.domain(), "jobfacade");
      EXPECT_EQ(info.metadata().at("vendor"), "ionq");
      EXPECT_EQ(info.metadata().at("http_status"), "429");
      EXPECT_EQ(info.metadata().at("vendor_message"), "slow down");
    }
    if (any.Is<google::rpc::RetryInfo>()) {
      ++retries;
      google::rpc::RetryInfo retry;
      ASSERT_TRUE(any.UnpackTo(&retry));
      EXPECT_EQ(retry.retry_delay().seconds(), 1);
      EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
    }
  }
  EXPECT_EQ(infos, 1);
  EXPECT_EQ(retries, 1);
}

TEST(GrpcStatusTest, InvalidArgumentCarriesBadRequest) {
  auto s = ToGrpcStatus(InvalidArgument(reason::kInvalidName, "name", "bad name"));
  auto rich = Details(s);
  bool found = false;
  for (const auto& any : rich.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad)) {
      found = true;
      ASSERT_EQ(bad.field_violations_size(), 1);
      EXPECT_EQ(bad.field_violations(0).field(), "name");
    }
  }
  EXPECT_TRUE(found);
}

TEST(GrpcStatusTest, PlainStatusGetsAFallbackErrorInfo) {
  auto rich = Details(ToGrpcStatus(absl::InternalError("boom")));
  ASSERT_EQ(rich.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rich.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INTERNAL");
  EXPECT_EQ(info.domain(), "jobfacade");
}

TEST(GrpcStatusTest, VendorMessageIsBounded) {
  ErrorDetails d;
  d.vendor_message = std::string(10000, 'x');
  auto info = GetErrorInfo(MakeError(absl::StatusCode::kUnavailable, "X", "m", d));
  ASSERT_TRUE(info.has_value());
  EXPECT_LE(info->metadata().at("vendor_message").size(), kMaxVendorMessageBytes);
}

}  // namespace
}  // namespace jobfacade
