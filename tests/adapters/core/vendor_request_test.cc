// adapters/core/vendor_request.h: key choice, common headers, cursors and page
// sizes.
#include "adapters/core/vendor_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::IsOk;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(VendorRequestTest, CallerKeyWinsOverConfiguredKey) {
  VendorConfig config{"https://x", "configured"};
  CallContext ctx;
  EXPECT_FALSE(HasCallerKey(ctx));
  EXPECT_EQ(EffectiveKey(ctx, config), "configured");
  ctx.caller_key = "";
  EXPECT_FALSE(HasCallerKey(ctx));
  EXPECT_EQ(EffectiveKey(ctx, config), "configured");
  ctx.caller_key = "callers";
  EXPECT_TRUE(HasCallerKey(ctx));
  EXPECT_EQ(EffectiveKey(ctx, config), "callers");
}

TEST(VendorRequestTest, AReplacedConfiguredKeyReachesTheNextRequestOfEveryCopy) {
  VendorConfig config{"https://x", "first"};
  const VendorConfig adapter_copy = config;  // as an adapter holds it
  EXPECT_EQ(EffectiveKey(CallContext(), adapter_copy), "first");
  config.api_key.Set("second");
  EXPECT_EQ(EffectiveKey(CallContext(), adapter_copy), "second");
  CallContext ctx;
  ctx.caller_key = "callers";
  EXPECT_EQ(EffectiveKey(ctx, adapter_copy), "callers");
}

TEST(VendorRequestTest, AuthHeaderFollowsTheVendorsScheme) {
  http::Request request;
  AddAuthHeader(VendorAuth{"Authorization", "apiKey"}, "k1", &request);
  AddAuthHeader(VendorAuth{"X-API-KEY", ""}, "k2", &request);
  AddAuthHeader(VendorAuth{"Authorization", "Bearer"}, "", &request);  // no key, no header
  EXPECT_THAT(request.headers,
              ElementsAre(Pair("Authorization", "apiKey k1"), Pair("X-API-KEY", "k2")));
}

TEST(VendorRequestTest, QueryParamsArePercentEncodedInOrder) {
  std::string url = "https://x/jobs?page=1";
  AppendQueryParams({{"status", "RUNNING"}, {"search", "a b&c=d"}, {"tags", R"({"k":"v"})"}}, &url);
  EXPECT_EQ(
      url,
      "https://x/jobs?page=1&status=RUNNING&search=a%20b%26c%3Dd&tags=%7B%22k%22%3A%22v%22%7D");
}

TEST(VendorRequestTest, VendorCallKnowsEveryKeyThatMayHaveBeenSent) {
  CallContext ctx;
  ctx.caller_key = "caller-secret";
  VendorCall call = MakeVendorCall("ionq", VendorOperation::kCancel, ctx, "configured-secret");
  EXPECT_TRUE(call.caller_supplied_key);
  EXPECT_THAT(call.secrets, ElementsAre("caller-secret", "configured-secret"));
  EXPECT_THAT(CheckVendorResponse(call, HttpResponse(401, "")),
              IsError(absl::StatusCode::kUnauthenticated, "VENDOR_AUTH_FAILED"));
}

TEST(VendorRequestTest, OnlyComplete2xxResponsesAreSuccess) {
  VendorCall call = MakeVendorCall("qbraid", VendorOperation::kGet, CallContext(), "k");
  for (int status : {200, 201, 202, 204, 299}) {
    EXPECT_THAT(CheckVendorResponse(call, HttpResponse(status, "")), IsOk()) << status;
  }
  EXPECT_THAT(CheckVendorResponse(call, HttpResponse(304, "")),
              IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE"));
  http::Response lost = HttpResponse(200, "{}");
  lost.error = http::TransportError::kConnectionLost;
  EXPECT_THAT(CheckVendorResponse(call, lost),
              IsError(absl::StatusCode::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(ParsePageCursorTest, EmptyIsPageOneAndGarbageIsAnInvalidToken) {
  EXPECT_EQ(*ParsePageCursor(""), 1);
  EXPECT_EQ(*ParsePageCursor("7"), 7);
  for (const char* cursor : {"0", "-1", "+2", " 3", "abc", "1.5", "99999999999999999999"}) {
    absl::StatusOr<int64_t> page = ParsePageCursor(cursor);
    EXPECT_THAT(page, IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN")) << cursor;
    EXPECT_EQ(BadRequestField(page.status()), "page_token");
  }
}

TEST(VendorPageSizeTest, LoweredToTheVendorMaximum) {
  EXPECT_EQ(VendorPageSize(10, 100), 10);
  EXPECT_EQ(VendorPageSize(100, 100), 100);
  EXPECT_EQ(VendorPageSize(200, 100), 100);
  EXPECT_EQ(VendorPageSize(0, 100), 50);
  EXPECT_EQ(VendorPageSize(-5, 20), 20);
}

TEST(CheckJobIdTest, EmptyIdIsRefused) {
  EXPECT_THAT(CheckJobId("ionq", ""), IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(CheckJobId("ionq", "x"), IsOk());
}

}  // namespace
}  // namespace jobfacade
