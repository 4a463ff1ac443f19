// adapters/core/http_errors.h: one test per row of the vendor-failure mapping,
// the error envelopes, Retry-After, secrets, and URL encoding.
#include "adapters/core/http_errors.h"

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::EverythingIn;
using ::jobfacade::testing::HasMetadata;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::RetryDelay;
using ::jobfacade::testing::TransportFailure;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using Code = absl::StatusCode;
using Op = VendorOperation;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2015, 10, 21, 7, 28, 0), absl::UTCTimeZone());

absl::Status Map(int status, Op op = Op::kGet, std::string body = "",
                 std::vector<std::pair<std::string, std::string>> headers = {},
                 bool caller_key = false, std::vector<std::string> secrets = {}) {
  return VendorHttpError("ionq", op, HttpResponse(status, std::move(body), std::move(headers)),
                         caller_key, secrets, kNow);
}

absl::Status MapTransport(http::TransportError error) {
  return VendorHttpError("qbraid", Op::kGet, TransportFailure(error), false, {}, kNow);
}

// --- Transport failures
// -------------------------------------------------------------------

TEST(VendorHttpErrorTest, ConnectFailedIsUnavailable) {
  absl::Status s = MapTransport(http::TransportError::kConnectFailed);
  EXPECT_THAT(s, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
  EXPECT_EQ(Metadata(s, "vendor"), "qbraid");
  EXPECT_FALSE(HasMetadata(s, "http_status"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("qbraid: "));
}

TEST(VendorHttpErrorTest, ConnectionLostIsUnavailable) {
  EXPECT_THAT(MapTransport(http::TransportError::kConnectionLost),
              IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(VendorHttpErrorTest, TlsFailureIsUnavailable) {
  EXPECT_THAT(MapTransport(http::TransportError::kTls),
              IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(VendorHttpErrorTest, OtherTransportFailureIsUnavailable) {
  EXPECT_THAT(MapTransport(http::TransportError::kOther),
              IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(VendorHttpErrorTest, TimeoutIsDeadlineExceeded) {
  EXPECT_THAT(MapTransport(http::TransportError::kTimeout),
              IsError(Code::kDeadlineExceeded, "DEADLINE_EXCEEDED"));
}

TEST(VendorHttpErrorTest, CancelledIsCancelled) {
  EXPECT_THAT(MapTransport(http::TransportError::kCancelled),
              IsError(Code::kCancelled, "CANCELLED"));
}

TEST(VendorHttpErrorTest, StalledBodyIsUnavailable) {
  EXPECT_THAT(MapTransport(http::TransportError::kStalled),
              IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(VendorHttpErrorTest, FullWaitQueueIsUnavailable) {
  absl::Status s = MapTransport(http::TransportError::kOverloaded);
  EXPECT_THAT(s, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("waiting"));
}

TEST(VendorHttpErrorTest, OpenCircuitIsCircuitOpenWithRetryDelay) {
  http::Response response = TransportFailure(http::TransportError::kCircuitOpen);
  response.retry_delay = absl::Seconds(12);
  absl::Status s = VendorHttpError("qbraid", Op::kList, response, false, {}, kNow);
  EXPECT_THAT(s, IsError(Code::kUnavailable, "VENDOR_CIRCUIT_OPEN"));
  EXPECT_EQ(Metadata(s, "vendor"), "qbraid");
  EXPECT_FALSE(HasMetadata(s, "http_status"));
  EXPECT_THAT(RetryDelay(s), Optional(absl::Seconds(12)));
}

TEST(VendorHttpErrorTest, ResponseTooLargeIsBadResponse) {
  EXPECT_THAT(MapTransport(http::TransportError::kResponseTooLarge),
              IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
}

// --- HTTP statuses
// --------------------------------------------------------------------------

TEST(VendorHttpErrorTest, Unauthorized401WithConfiguredKeyIsInternal) {
  absl::Status s = Map(401);
  EXPECT_THAT(s, IsError(Code::kInternal, "VENDOR_AUTH_FAILED"));
  EXPECT_EQ(Metadata(s, "http_status"), "401");
  EXPECT_EQ(Metadata(s, "vendor"), "ionq");
}

TEST(VendorHttpErrorTest, Unauthorized401WithCallerKeyIsUnauthenticated) {
  EXPECT_THAT(Map(401, Op::kGet, "", {}, /*caller_key=*/true),
              IsError(Code::kUnauthenticated, "VENDOR_AUTH_FAILED"));
}

TEST(VendorHttpErrorTest, Forbidden403IsPermissionDenied) {
  EXPECT_THAT(Map(403), IsError(Code::kPermissionDenied, "VENDOR_PERMISSION_DENIED"));
}

TEST(VendorHttpErrorTest, NotFound404ForJobOperationsIsJobNotFound) {
  for (Op op : {Op::kGet, Op::kCancel, Op::kDelete}) {
    absl::Status s = Map(404, op);
    EXPECT_THAT(s, IsError(Code::kNotFound, "JOB_NOT_FOUND"));
    EXPECT_EQ(s.message(), "ionq: job not found");
  }
}

TEST(VendorHttpErrorTest, NotFound404ForListMeansTheBaseUrlIsWrong) {
  EXPECT_THAT(Map(404, Op::kList), IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST(VendorHttpErrorTest, Conflict409IsJobStateConflict) {
  for (Op op : {Op::kGet, Op::kList, Op::kCancel, Op::kDelete}) {
    EXPECT_THAT(Map(409, op), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  }
}

TEST(VendorHttpErrorTest, BadRequest400OnCancelOrDeleteIsJobStateConflict) {
  EXPECT_THAT(Map(400, Op::kCancel), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  EXPECT_THAT(Map(400, Op::kDelete), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
}

TEST(VendorHttpErrorTest, BadRequest400OnReadsIsRejectedRequest) {
  absl::Status get = Map(400, Op::kGet);
  EXPECT_THAT(get, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(BadRequestField(get), "name");
  absl::Status list = Map(400, Op::kList);
  EXPECT_THAT(list, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(BadRequestField(list), "filter");
}

TEST(VendorHttpErrorTest, Unprocessable422IsRejectedRequest) {
  for (Op op : {Op::kGet, Op::kList, Op::kCancel, Op::kDelete}) {
    EXPECT_THAT(Map(422, op), IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  }
}

TEST(VendorHttpErrorTest, TooManyRequests429WithDeltaSecondsRetryAfter) {
  absl::Status s = Map(429, Op::kGet, "", {{"retry-after", "7"}});
  EXPECT_THAT(s, IsError(Code::kResourceExhausted, "VENDOR_RATE_LIMITED"));
  EXPECT_THAT(RetryDelay(s), Optional(absl::Seconds(7)));
}

TEST(VendorHttpErrorTest, TooManyRequests429WithHttpDateRetryAfter) {
  absl::Status s = Map(429, Op::kList, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:30 GMT"}});
  EXPECT_THAT(s, IsError(Code::kResourceExhausted, "VENDOR_RATE_LIMITED"));
  EXPECT_THAT(RetryDelay(s), Optional(absl::Seconds(30)));
}

TEST(VendorHttpErrorTest, TooManyRequests429WithoutRetryAfterWaitsOneSecond) {
  EXPECT_THAT(RetryDelay(Map(429)), Optional(absl::Seconds(1)));
  EXPECT_THAT(RetryDelay(Map(429, Op::kGet, "", {{"retry-after", "soon"}})),
              Optional(absl::Seconds(1)));
}

TEST(VendorHttpErrorTest, MethodNotAllowed405IsUnsupported) {
  EXPECT_THAT(Map(405, Op::kDelete), IsError(Code::kUnimplemented, "UNSUPPORTED_BY_VENDOR"));
}

TEST(VendorHttpErrorTest, NotImplemented501IsUnsupported) {
  EXPECT_THAT(Map(501, Op::kCancel), IsError(Code::kUnimplemented, "UNSUPPORTED_BY_VENDOR"));
}

TEST(VendorHttpErrorTest, ServerErrors5xxAreUnavailable) {
  for (int status : {500, 502, 503, 504, 520, 599}) {
    absl::Status s = Map(status);
    EXPECT_THAT(s, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE")) << status;
    EXPECT_EQ(Metadata(s, "http_status"), std::to_string(status));
  }
}

TEST(VendorHttpErrorTest, ServiceUnavailableKeepsItsRetryAfter) {
  EXPECT_THAT(RetryDelay(Map(503, Op::kGet, "", {{"retry-after", "12"}})),
              Optional(absl::Seconds(12)));
  EXPECT_EQ(RetryDelay(Map(503)), std::nullopt);
}

TEST(VendorHttpErrorTest, RedirectsAreBadResponses) {
  for (int status : {301, 302, 307, 308}) {
    EXPECT_THAT(Map(status), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE")) << status;
  }
}

TEST(VendorHttpErrorTest, Other4xxAreRejectedRequests) {
  for (int status : {402, 406, 410, 413, 418, 451}) {
    EXPECT_THAT(Map(status), IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST")) << status;
  }
}

// --- Envelopes
// ------------------------------------------------------------------------------

TEST(VendorMessageTest, QbraidGatewayEnvelope) {
  absl::Status s = Map(404, Op::kGet,
                       R"({"success":false,"message":"Request failed",
                           "error":{"code":"NOT_FOUND","message":"Job not found"}})");
  EXPECT_EQ(Metadata(s, "vendor_message"), "NOT_FOUND: Job not found");
}

TEST(VendorMessageTest, QbraidGatewayEnvelopeWithoutInnerMessage) {
  absl::Status s = Map(409, Op::kCancel,
                       R"({"success":false,"message":"Job is still initializing",
                           "error":{"code":"JOB_CANCEL_CONFLICT"}})");
  EXPECT_EQ(Metadata(s, "vendor_message"), "JOB_CANCEL_CONFLICT: Job is still initializing");
}

TEST(VendorMessageTest, FastApiStringDetail) {
  EXPECT_EQ(
      Metadata(Map(403, Op::kGet, R"({"detail":"You do not have permission"})"), "vendor_message"),
      "You do not have permission");
}

TEST(VendorMessageTest, FastApiValidationDetailList) {
  absl::Status s = Map(422, Op::kGet,
                       R"({"detail":[{"loc":["path","job_qrn"],"msg":"field required",
                                      "type":"value_error.missing"},
                                     {"loc":["query","limit",0],"msg":"too big","type":"x"}]})");
  EXPECT_EQ(Metadata(s, "vendor_message"), "path.job_qrn: field required; query.limit.0: too big");
}

TEST(VendorMessageTest, IonqEnvelope) {
  absl::Status s = Map(400, Op::kGet,
                       R"({"error":"Bad Request","message":"\"limit\" was invalid.",
                           "statusCode":400,"validation":{"keys":["limit"]}})");
  EXPECT_EQ(Metadata(s, "vendor_message"), "Bad Request: \"limit\" was invalid.");
}

TEST(VendorMessageTest, PraisonaiAuthEnvelope) {
  EXPECT_EQ(Metadata(Map(401, Op::kGet, R"({"error":"Unauthorized"})"), "vendor_message"),
            "Unauthorized");
}

TEST(VendorMessageTest, HtmlAndOtherBodiesGiveNoVendorMessage) {
  for (const char* body :
       {"<html><body><h1>502 Bad Gateway</h1></body></html>", "upstream connect error", "", "[1,2]",
        "\"text\"", R"({"unrelated":"field"})", R"({"detail":{"nested":1}})"}) {
    absl::Status s = Map(502, Op::kGet, body);
    EXPECT_THAT(s, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
    EXPECT_FALSE(HasMetadata(s, "vendor_message")) << body;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr("Bad Gateway")));
  }
}

TEST(VendorMessageTest, LongMessagesAreBounded) {
  const std::string body = R"({"detail":")" + std::string(10000, 'a') + R"("})";
  absl::Status s = Map(400, Op::kGet, body);
  EXPECT_EQ(Metadata(s, "vendor_message").size(), kMaxVendorMessageBytes);
  EXPECT_LT(s.message().size(), 200u);
}

TEST(VendorMessageTest, InvalidUtf8InTheBodyIsRepaired) {
  absl::Status s = Map(404, Op::kGet, "{\"detail\":\"Job caf\xE9 not found\"}");
  EXPECT_EQ(Metadata(s, "vendor_message"), "Job caf\xEF\xBF\xBD not found");
}

TEST(VendorMessageTest, SecretsNeverAppearAnywhere) {
  const std::string key = "sk-live-0123456789abcdef";
  for (const std::string body :
       {R"({"detail":"Invalid API key sk-live-0123456789abcdef"})",
        R"({"success":false,"message":"bad key sk-live-0123456789abcdef",
            "error":{"code":"INVALID_API_KEY","message":"key sk-live-0123456789abcdef"}})",
        R"({"error":"Unauthorized Error","message":"Key sk-live-0123456789abcdef is invalid"})",
        R"({"detail":[{"loc":["header","sk-live-0123456789abcdef"],"msg":"bad"}]})",
        // JSON escapes must not smuggle the key past the scrubber.
        R"({"detail":"key sk\u002dlive\u002d0123456789abcdef"})"}) {
    for (int status : {400, 401, 403, 404, 429, 500}) {
      absl::Status s = Map(status, Op::kGet, body, {}, true, {key});
      EXPECT_THAT(EverythingIn(s), Not(HasSubstr(key))) << status << " " << body;
      EXPECT_THAT(Metadata(s, "vendor_message"), HasSubstr("[redacted]"));
    }
  }
}

TEST(VendorMessageTest, ExtractVendorMessageDirectly) {
  EXPECT_THAT(ExtractVendorMessage(R"({"message":"only a message"})"),
              Optional(std::string("only a message")));
  EXPECT_EQ(ExtractVendorMessage("not json"), std::nullopt);
}

// --- Retry-After
// ----------------------------------------------------------------------------

TEST(ParseRetryAfterTest, DeltaSeconds) {
  EXPECT_THAT(ParseRetryAfter("0", kNow), Optional(absl::ZeroDuration()));
  EXPECT_THAT(ParseRetryAfter(" 120 ", kNow), Optional(absl::Seconds(120)));
  EXPECT_THAT(ParseRetryAfter("99999999999999999999", kNow), Optional(kMaxRetryDelay));
}

TEST(ParseRetryAfterTest, HttpDatesInAllThreeForms) {
  EXPECT_THAT(ParseRetryAfter("Wed, 21 Oct 2015 07:29:00 GMT", kNow), Optional(absl::Seconds(60)));
  EXPECT_THAT(ParseRetryAfter("Wednesday, 21-Oct-15 07:28:10 GMT", kNow),
              Optional(absl::Seconds(10)));
  EXPECT_THAT(ParseRetryAfter("Wed Oct 21 07:28:05 2015", kNow), Optional(absl::Seconds(5)));
}

TEST(ParseRetryAfterTest, PastDatesMeanNow) {
  EXPECT_THAT(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", kNow),
              Optional(absl::ZeroDuration()));
}

TEST(ParseRetryAfterTest, GarbageIsUnparseable) {
  for (const char* value : {"", "soon", "-5", "1.5", "Wed, 21 Oct 2015", "12abc"}) {
    EXPECT_EQ(ParseRetryAfter(value, kNow), std::nullopt) << value;
  }
}

// --- Percent-encoding
// -----------------------------------------------------------------------

TEST(PercentEncodeTest, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(PercentEncodePathSegment("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(PercentEncodePathSegment("aws:quera:qpu:aquila-37f5-qjob-696aae"),
            "aws%3Aquera%3Aqpu%3Aaquila-37f5-qjob-696aae");
  EXPECT_EQ(PercentEncodePathSegment("a/b?c#d e%f+g&h"), "a%2Fb%3Fc%23d%20e%25f%2Bg%26h");
  EXPECT_EQ(PercentEncodePathSegment("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncodeQueryValue("3c90c3cc=/+"), "3c90c3cc%3D%2F%2B");
}

TEST(PercentEncodeTest, DotSegmentsCannotEscapeTheirPath) {
  EXPECT_EQ(PercentEncodePathSegment("."), "%2E");
  EXPECT_EQ(PercentEncodePathSegment(".."), "%2E%2E");
  EXPECT_EQ(PercentEncodePathSegment("..."), "...");
  EXPECT_EQ(PercentEncodePathSegment("a..b"), "a..b");
}

}  // namespace
}  // namespace jobfacade
