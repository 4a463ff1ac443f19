// adapters/core/errors.h: one ErrorInfo per error, the optional details, and
// sanitising.
#include "adapters/core/errors.h"

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::RetryDelay;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MakeErrorTest, CarriesOneErrorInfoWithDomainReasonAndMetadata) {
  ErrorDetails details;
  details.vendor = "ionq";
  details.http_status = 404;
  details.vendor_message = "Resource not found.";
  absl::Status status =
      MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound, "ionq: job not found", details);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "ionq: job not found");
  auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->domain(), "jobfacade");
  EXPECT_EQ(info->reason(), "JOB_NOT_FOUND");
  EXPECT_EQ(info->metadata().size(), 3u);
  EXPECT_EQ(Metadata(status, "vendor"), "ionq");
  EXPECT_EQ(Metadata(status, "http_status"), "404");
  EXPECT_EQ(Metadata(status, "vendor_message"), "Resource not found.");
  EXPECT_EQ(ErrorReason(status), "JOB_NOT_FOUND");
  EXPECT_FALSE(status.GetPayload(kBadRequestTypeUrl).has_value());
  EXPECT_FALSE(status.GetPayload(kRetryInfoTypeUrl).has_value());
}

TEST(MakeErrorTest, OmitsMetadataThatIsUnknown) {
  absl::Status status = MakeError(absl::StatusCode::kInternal, reason::kInternal, "boom");
  auto info = GetErrorInfo(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->metadata().empty());
}

TEST(MakeErrorTest, VendorMessageIsBounded) {
  ErrorDetails details;
  details.vendor_message = std::string(5000, 'x');
  absl::Status status =
      MakeError(absl::StatusCode::kUnavailable, reason::kVendorUnavailable, "down", details);
  EXPECT_EQ(Metadata(status, "vendor_message").size(), kMaxVendorMessageBytes);
}

TEST(MakeErrorTest, BadRequestNamesTheField) {
  absl::Status status = InvalidArgument(reason::kInvalidPageSize, "page_size", "negative");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  ASSERT_TRUE(payload.has_value());
  google::rpc::BadRequest bad;
  ASSERT_TRUE(bad.ParseFromString(std::string(*payload)));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "page_size");
  EXPECT_EQ(ErrorReason(status), "INVALID_PAGE_SIZE");
}

TEST(MakeErrorTest, RetryInfoSplitsSecondsAndNanos) {
  ErrorDetails details;
  details.retry_delay = absl::Milliseconds(2500);
  absl::Status status = MakeError(absl::StatusCode::kResourceExhausted, reason::kVendorRateLimited,
                                  "slow down", details);
  EXPECT_EQ(RetryDelay(status), absl::Milliseconds(2500));
  details.retry_delay = absl::Seconds(-3);
  status = MakeError(absl::StatusCode::kResourceExhausted, reason::kVendorRateLimited, "slow down",
                     details);
  EXPECT_EQ(RetryDelay(status), absl::ZeroDuration());
}

TEST(ErrorReasonTest, PlainStatusHasNone) {
  EXPECT_EQ(ErrorReason(absl::InternalError("x")), "");
  EXPECT_EQ(GetErrorInfo(absl::OkStatus()), std::nullopt);
}

TEST(SanitizeForMessageTest, RemovesSecrets) {
  EXPECT_EQ(SanitizeForMessage("bad key sk-123456 given", 100, {"sk-123456"}),
            "bad key [redacted] given");
  EXPECT_THAT(SanitizeForMessage("k=abcd-abcd-abcd", 8, {"abcd-abcd-abcd"}),
              Not(HasSubstr("abcd")));
}

TEST(SanitizeForMessageTest, CutsWithoutSplittingUtf8) {
  // "é" is two bytes; a cut at 2 bytes must not keep half of it.
  EXPECT_EQ(SanitizeForMessage("a\xC3\xA9z", 2), "a");
  EXPECT_EQ(SanitizeForMessage("a\xC3\xA9z", 3), "a\xC3\xA9");
}

TEST(SanitizeForMessageTest, ReplacesInvalidUtf8AndControlCharacters) {
  EXPECT_EQ(SanitizeForMessage("a\xFF"
                               "b",
                               100),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SanitizeForMessage("line1\nline2\t\x01", 100), "line1 line2  ");
}

}  // namespace
}  // namespace jobfacade
