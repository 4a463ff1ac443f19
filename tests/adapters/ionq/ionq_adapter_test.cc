// The IonQ adapter's requests as a local HTTP server sees them, and how it
// treats replies.
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/ionq/ionq_requests.h"
#include "adapters/ionq/ionq_vendor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_harness.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/filter_terms.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::StateIn;
using ::jobfacade::testing::TermOf;

using ::jobfacade::testing::EverythingIn;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::IsOk;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::RecordingServer;
using ::jobfacade::testing::RetryDelay;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using Code = absl::StatusCode;

constexpr char kKey[] = "ionq-configured-key-0002";
constexpr char kId[] = "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524";

class IonqAdapterTest : public ::jobfacade::testing::AdapterHarness {
 protected:
  IonqAdapterTest() : AdapterHarness("ionq", "/v0.4", kKey) {}
};

TEST_F(IonqAdapterTest, GetJobSendsTheIdWithApiKeyAuthorization) {
  server_.AnswerWith(200, ReadExample("ionq", "v04_get_job_single_circuit.spec-2026-09.json"));
  absl::StatusOr<v1::Job> job = Get(kId);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), absl::StrCat("vendors/ionq/jobs/", kId));
  EXPECT_EQ(job->device(), "qpu.forte-1");
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, absl::StrCat("/v0.4/jobs/", kId));
  EXPECT_EQ(request.query, "");
  EXPECT_THAT(request.Header("Authorization"), Optional(absl::StrCat("apiKey ", kKey)));
  EXPECT_EQ(request.Header("X-API-KEY"), std::nullopt);
  EXPECT_THAT(request.Header("Accept"), Optional(std::string("application/json")));
  EXPECT_THAT(request.Header("User-Agent"), Optional(std::string("jobfacade/0.1")));
}

TEST_F(IonqAdapterTest, CallerKeyReplacesTheConfiguredKey) {
  server_.AnswerWith(200, ReadExample("ionq", "v04_get_job_qaoa.spec-2026-09.json"));
  CallContext ctx = Context();
  ctx.caller_key = "callers-ionq-key";
  ASSERT_TRUE(Get(kId, v1::JOB_VIEW_BASIC, ctx).ok());
  EXPECT_THAT(server_.OnlyRequest().Header("Authorization"),
              Optional(std::string("apiKey callers-ionq-key")));
}

TEST_F(IonqAdapterTest, IdsAreEncodedIntoTheirPathSegment) {
  server_.AnswerWith(404, ReadExample("ionq", "v04_error_404_not_found.spec.json"));
  EXPECT_THAT(Get("a/b?c#d"), IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(server_.OnlyRequest().path, "/v0.4/jobs/a%2Fb%3Fc%23d");
}

TEST_F(IonqAdapterTest, NotFoundThroughTheAdapter) {
  server_.AnswerWith(404, ReadExample("ionq", "v04_error_404_not_found.spec.json"));
  absl::StatusOr<v1::Job> job = Get(kId);
  EXPECT_THAT(job, IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(job.status().message(), "ionq: job not found");
  EXPECT_EQ(Metadata(job.status(), "http_status"), "404");
  EXPECT_THAT(Metadata(job.status(), "vendor_message"), HasSubstr("Resource not found."));
}

TEST_F(IonqAdapterTest, ConfiguredKeyRejectedIsInternalAndNeverEchoed) {
  server_.SetHandler([](const RecordingServer::Request& request) {
    return RecordingServer::Reply{
        401,
        absl::StrCat(R"({"error":"Unauthorized Error","message":"Bad key: )",
                     request.Header("Authorization").value_or(""), R"(","statusCode":401})"),
        {}};
  });
  absl::StatusOr<v1::Job> job = Get(kId);
  EXPECT_THAT(job, IsError(Code::kInternal, "VENDOR_AUTH_FAILED"));
  EXPECT_THAT(EverythingIn(job.status()), Not(HasSubstr(kKey)));
}

TEST_F(IonqAdapterTest, ListFirstPageAndTheNextCursor) {
  server_.AnswerWith(200, ReadExample("ionq", "v03_list_jobs.docs.json"));
  absl::StatusOr<ListResult> page = List(Page(25));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->next_cursor, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/v0.4/jobs");
  EXPECT_EQ(request.query, "limit=25");
}

TEST_F(IonqAdapterTest, ListPassesTheCursorBackEncoded) {
  server_.AnswerWith(200, ReadExample("ionq", "v04_list_jobs.spec-2026-09.json"));
  absl::StatusOr<ListResult> page = List(Page(200, "c/ursor=1+2"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "");  // next is null on the last page
  EXPECT_EQ(server_.OnlyRequest().query, "limit=100&next=c%2Fursor%3D1%2B2");
}

TEST_F(IonqAdapterTest, ListPushesTheStatusFilterDown) {
  server_.AnswerWith(200, R"({"jobs":[],"next":null})");
  ListRequest request = Page(10);
  request.filter = IonqVendor().PushDown({StateIn({v1::Job::QUEUED})});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "limit=10&status=ready");
}

TEST_F(IonqAdapterTest, ListPushesTheStatusAndTargetDown) {
  server_.AnswerWith(200, R"({"jobs":[],"next":null})");
  ListRequest request = Page(10, "cursor-1");
  request.filter = IonqVendor().PushDown(
      {StateIn({v1::Job::QUEUED}), TermOf(FilterField::kDevice, "qpu.forte-1")});
  EXPECT_EQ(request.filter, (QueryParams{{"status", "ready"}, {"target", "qpu.forte-1"}}));
  request.filter.back().second = "qpu.forte-1 enterprise";  // values are percent-encoded
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query,
            "limit=10&next=cursor-1&status=ready&target=qpu.forte-1%20enterprise");
}

// IonQ answers 400 to query parameters it does not know: it is sent status and target only,
// and RUNNING (started or v0.3's running, which it cannot filter on) not at all.
TEST_F(IonqAdapterTest, ListSendsNoQbraidOnlyFilters) {
  server_.AnswerWith(200, R"({"jobs":[],"next":null})");
  ListRequest request = Page(10);
  request.filter = IonqVendor().PushDown(
      {TermOf(FilterField::kProvider, "ionq"), TermOf(FilterField::kDisplayName, "bell"),
       TermOf(FilterField::kTag, "alpha", "team"), StateIn({v1::Job::RUNNING}),
       TermOf(FilterField::kDevice, "a,b")});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "limit=10");
}

TEST_F(IonqAdapterTest, ListCursorPointingAtItselfEndsTheListing) {
  server_.AnswerWith(200, R"({"jobs":[{"id":"a"}],"next":"same"})");
  absl::StatusOr<ListResult> page = List(Page(10, "same"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "");
}

TEST_F(IonqAdapterTest, ListBadBodyIsABadResponse) {
  server_.AnswerWith(200, R"({"jobs":"none"})");
  EXPECT_THAT(List(Page(10)), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
}

TEST_F(IonqAdapterTest, ListBadRequestNamesTheFilter) {
  server_.AnswerWith(400, ReadExample("ionq", "v04_error_400_bad_request.spec.json"));
  absl::StatusOr<ListResult> page = List(Page(10));
  EXPECT_THAT(page, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(::jobfacade::testing::BadRequestField(page.status()), "filter");
}

TEST_F(IonqAdapterTest, CancelPutsToTheStatusCancelPathWithoutABody) {
  server_.AnswerWith(200, ReadExample("ionq", "v04_cancel_job_response.docs.json"));
  EXPECT_THAT(Cancel(kId), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.path, absl::StrCat("/v0.4/jobs/", kId, "/status/cancel"));
  EXPECT_EQ(request.body, "");
  EXPECT_THAT(request.Header("Authorization"), Optional(absl::StrCat("apiKey ", kKey)));
}

TEST_F(IonqAdapterTest, CancelOfAFinishedJobIsAStateConflict) {
  server_.AnswerWith(400, R"({"error":"Bad Request","message":"Job already completed",
                               "statusCode":400})");
  EXPECT_THAT(Cancel(kId), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
}

TEST_F(IonqAdapterTest, DeleteSendsDelete) {
  server_.AnswerWith(200, ReadExample("ionq", "v04_delete_job_response.schema-derived.json"));
  EXPECT_THAT(Delete(kId), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.path, absl::StrCat("/v0.4/jobs/", kId));
}

TEST_F(IonqAdapterTest, RateLimitWithAnHttpDateRetryAfter) {
  const std::string in_a_minute = absl::FormatTime(
      "%a, %d %b %Y %H:%M:%S GMT", absl::Now() + absl::Seconds(60), absl::UTCTimeZone());
  server_.AnswerWith(429, R"({"error":"Too Many Requests","statusCode":429})",
                     {{"Retry-After", in_a_minute}});
  absl::StatusOr<v1::Job> job = Get(kId);
  EXPECT_THAT(job, IsError(Code::kResourceExhausted, "VENDOR_RATE_LIMITED"));
  std::optional<absl::Duration> delay = RetryDelay(job.status());
  ASSERT_TRUE(delay.has_value());
  EXPECT_GT(*delay, absl::Seconds(50));
  EXPECT_LE(*delay, absl::Seconds(60));
}

TEST_F(IonqAdapterTest, ServerErrorIsUnavailable) {
  server_.AnswerWith(500, ReadExample("ionq", "v04_error_500_internal.spec.json"));
  EXPECT_THAT(Get(kId), IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
}

TEST_F(IonqAdapterTest, EmptyJobIdIsRefusedWithoutARequest) {
  // An empty id would make DELETE /jobs, IonQ's bulk delete.
  EXPECT_THAT(Delete(""), IsError(Code::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

}  // namespace
}  // namespace jobfacade
