// The qBraid adapter's requests as a local HTTP server sees them, and how it
// treats replies.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "adapters/core/json.h"
#include "adapters/qbraid/qbraid_requests.h"
#include "adapters/qbraid/qbraid_vendor.h"
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
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using Code = absl::StatusCode;

constexpr char kKey[] = "qbraid-configured-key-0001";
constexpr char kQrn[] = "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6";
constexpr char kEncodedQrn[] = "aws%3Aaws%3Asim%3Asv1-37f5-qjob-696a938393f44d9db42773d6";

// A list page of `count` jobs with the given pagination members.
std::string ListPage(int count, const std::string& pagination) {
  std::string data;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&data, i ? "," : "", R"({"jobQrn":"qbraid:qbraid:sim:qir-sv-1a2b-qjob-)", i,
                    R"(","status":"QUEUED"})");
  }
  return absl::StrCat(R"({"success":true,"data":[)", data, R"(],"pagination":)", pagination, "}");
}

class QbraidAdapterTest : public ::jobfacade::testing::AdapterHarness {
 protected:
  QbraidAdapterTest() : AdapterHarness("qbraid", "/api/v1", kKey) {}

  absl::StatusOr<v1::Job> Create(const CreateRequest& request) {
    ::jobfacade::testing::Awaiter<v1::Job> awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->CreateJob(Context(), request, awaiter.Callback());
    return awaiter.Wait();
  }

  absl::StatusOr<v1::JobResult> Result(const v1::Job& job, v1::JobView view) {
    ::jobfacade::testing::Awaiter<v1::JobResult> awaiter;
    call_counts_.push_back([awaiter] { return awaiter.calls(); });
    adapter_->GetJobResult(Context(), job, view, awaiter.Callback());
    return awaiter.Wait();
  }
};

CreateRequest BellSubmission() {
  CreateRequest request;
  request.request_id = "5f0c6f1e-8a4b-4c1d-9e2f-3a4b5c6d7e8f";
  request.spec.set_device("aws:aws:sim:sv1");
  request.spec.set_shots(100);
  request.spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
  request.spec.mutable_quantum_program()->set_source("OPENQASM 3;\nqubit[2] q;");
  return request;
}

v1::Job CompletedJob() {
  v1::Job job;
  job.set_name(absl::StrCat("vendors/qbraid/jobs/", kQrn));
  job.set_vendor_job_id(kQrn);
  job.set_state(v1::Job::COMPLETED);
  return job;
}

TEST_F(QbraidAdapterTest, GetJobSendsThePercentEncodedQrnWithTheApiKey) {
  server_.AnswerWith(200, ReadExample("qbraid", "sdk_get_job_sv1_completed.json"));
  absl::StatusOr<v1::Job> job = Get(kQrn);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), absl::StrCat("vendors/qbraid/jobs/", kQrn));
  EXPECT_EQ(job->state(), v1::Job::COMPLETED);
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, absl::StrCat("/api/v1/jobs/", kEncodedQrn));
  EXPECT_EQ(request.query, "");
  EXPECT_THAT(request.Header("X-API-KEY"), Optional(std::string(kKey)));
  EXPECT_EQ(request.Header("Authorization"), std::nullopt);
  EXPECT_THAT(request.Header("Accept"), Optional(std::string("application/json")));
  EXPECT_THAT(request.Header("User-Agent"), Optional(std::string("jobfacade/0.1")));
}

TEST_F(QbraidAdapterTest, GetJobFullViewCarriesThePayload) {
  server_.AnswerWith(200, ReadExample("qbraid", "sdk_get_job_aquila_queued.json"));
  absl::StatusOr<v1::Job> job =
      Get("aws:quera:qpu:aquila-37f5-qjob-696aae286a18e4f726abf2af", v1::JOB_VIEW_FULL);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->queue_position(), 1);
  EXPECT_TRUE(job->has_vendor_payload());
}

TEST_F(QbraidAdapterTest, CallerKeyReplacesTheConfiguredKey) {
  server_.AnswerWith(200, ReadExample("qbraid", "sdk_get_job_sv1_completed.json"));
  CallContext ctx = Context();
  ctx.caller_key = "callers-own-key-42";
  ASSERT_TRUE(Get(kQrn, v1::JOB_VIEW_BASIC, ctx).ok());
  EXPECT_THAT(server_.OnlyRequest().Header("X-API-KEY"),
              Optional(std::string("callers-own-key-42")));
}

TEST_F(QbraidAdapterTest, NotFoundThroughTheAdapter) {
  server_.AnswerWith(404, R"({"success":false,"message":"Not found",
                               "error":{"code":"NOT_FOUND","message":"Job not found"}})");
  absl::StatusOr<v1::Job> job = Get(kQrn);
  EXPECT_THAT(job, IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(Metadata(job.status(), "vendor"), "qbraid");
  EXPECT_EQ(Metadata(job.status(), "http_status"), "404");
  EXPECT_EQ(Metadata(job.status(), "vendor_message"), "NOT_FOUND: Job not found");
}

TEST_F(QbraidAdapterTest, SuccessFalseInA2xxGetIsABadResponse) {
  server_.AnswerWith(200, R"({"success":false,"message":"internal"})");
  EXPECT_THAT(Get(kQrn), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
}

TEST_F(QbraidAdapterTest, UnauthorizedCallerKeyIsUnauthenticatedAndNeverEchoed) {
  server_.SetHandler([](const RecordingServer::Request& request) {
    return RecordingServer::Reply{401,
                                  absl::StrCat(R"({"success":false,"message":"Invalid API key )",
                                               request.Header("X-API-KEY").value_or(""),
                                               R"(","error":{"code":"INVALID_API_KEY"}})"),
                                  {}};
  });
  CallContext ctx = Context();
  ctx.caller_key = "caller-secret-key-77";
  absl::StatusOr<v1::Job> job = Get(kQrn, v1::JOB_VIEW_BASIC, ctx);
  EXPECT_THAT(job, IsError(Code::kUnauthenticated, "VENDOR_AUTH_FAILED"));
  EXPECT_THAT(EverythingIn(job.status()), Not(HasSubstr("caller-secret-key-77")));
  EXPECT_THAT(Metadata(job.status(), "vendor_message"), HasSubstr("INVALID_API_KEY"));
}

TEST_F(QbraidAdapterTest, RedirectsAreNotFollowed) {
  server_.AnswerWith(307, "", {{"Location", "/elsewhere"}});
  EXPECT_THAT(Get(kQrn), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(QbraidAdapterTest, EmptyJobIdIsRefusedWithoutARequest) {
  EXPECT_THAT(Get(""), IsError(Code::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(Cancel(""), IsError(Code::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(Delete(""), IsError(Code::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(QbraidAdapterTest, DotSegmentIdsStayInsideTheJobsPath) {
  server_.AnswerWith(404, R"({"detail":"Job not found"})");
  EXPECT_THAT(Get(".."), IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(server_.OnlyRequest().path, "/api/v1/jobs/%2E%2E");
}

TEST_F(QbraidAdapterTest, ListFirstPageAndItsCursor) {
  server_.AnswerWith(200, ListPage(2, R"({"page":1,"limit":2,"totalPages":3,"hasNext":true})"));
  absl::StatusOr<ListResult> page = List(Page(2));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->jobs[0].vendor_job_id(), "qbraid:qbraid:sim:qir-sv-1a2b-qjob-0");
  EXPECT_EQ(page->next_cursor, "2");
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/api/v1/jobs");
  EXPECT_EQ(request.query, "page=1&limit=2");
  EXPECT_THAT(request.Header("X-API-KEY"), Optional(std::string(kKey)));
}

TEST_F(QbraidAdapterTest, ListFollowingPagesUntilTheLast) {
  server_.SetHandler([](const RecordingServer::Request& request) {
    const bool last = request.query == "page=3&limit=50";
    return RecordingServer::Reply{200,
                                  ListPage(1, last ? R"({"page":3,"totalPages":3,"hasNext":false})"
                                                   : R"({"page":2,"totalPages":3,"hasNext":true})"),
                                  {}};
  });
  absl::StatusOr<ListResult> second = List(Page(50, "2"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->next_cursor, "3");
  absl::StatusOr<ListResult> third = List(Page(50, second->next_cursor));
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->next_cursor, "");
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[0].query, "page=2&limit=50");
  EXPECT_EQ(server_.requests()[1].query, "page=3&limit=50");
}

TEST_F(QbraidAdapterTest, ListHasNextFallsBackToPageCounts) {
  server_.AnswerWith(200, ListPage(1, R"({"page":1,"totalPages":2})"));
  absl::StatusOr<ListResult> page = List(Page(1));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "2");
}

TEST_F(QbraidAdapterTest, ListEmptyPageIsTheLastWhateverHasNextSays) {
  server_.AnswerWith(200, ListPage(0, R"({"page":4,"totalPages":9,"hasNext":true})"));
  absl::StatusOr<ListResult> page = List(Page(10, "4"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_THAT(page->jobs, IsEmpty());
  EXPECT_EQ(page->next_cursor, "");
}

TEST_F(QbraidAdapterTest, ListPageSizeIsLoweredToTheVendorLimit) {
  server_.AnswerWith(200, ListPage(0, R"({"hasNext":false})"));
  ASSERT_TRUE(List(Page(200)).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "page=1&limit=100");
}

TEST_F(QbraidAdapterTest, ListPushesTheStatusFilterDown) {
  server_.AnswerWith(200, ListPage(0, R"({"hasNext":false})"));
  ListRequest request = Page(20);
  request.filter = QbraidVendor().PushDown({StateIn({v1::Job::RUNNING})});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "page=1&limit=20&status=RUNNING");
}

// The query's parameters in order, percent-decoded.
std::vector<std::pair<std::string, std::string>> QueryParams(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (absl::string_view item : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    std::string value;
    for (size_t i = 0; i < kv.second.size(); ++i) {
      int byte = 0;
      if (kv.second[i] == '%' && i + 2 < kv.second.size() &&
          absl::SimpleHexAtoi(kv.second.substr(i + 1, 2), &byte)) {
        value.push_back(static_cast<char>(byte));
        i += 2;
      } else {
        value.push_back(kv.second[i]);
      }
    }
    params.emplace_back(kv.first, value);
  }
  return params;
}

TEST_F(QbraidAdapterTest, ListPushesStatusProviderSearchAndTagsDown) {
  server_.AnswerWith(200, ListPage(0, R"({"hasNext":false})"));
  ListRequest request = Page(20);
  request.filter = QbraidVendor().PushDown({
      StateIn({v1::Job::QUEUED}),
      TermOf(FilterField::kProvider, "AWS"),
      TermOf(FilterField::kDisplayName, "Bell state & co=1", "", FilterOp::kHas),
      TermOf(FilterField::kTag, "alpha", "team"),
      TermOf(FilterField::kTag, "4\"2", "cost center"),
      TermOf(FilterField::kDevice, "not-a-qbraid-filter"),
      TermOf(FilterField::kJobType, "gate_model"),
  });
  ASSERT_TRUE(List(request).ok());
  const std::string query = server_.OnlyRequest().query;
  EXPECT_THAT(query, Not(HasSubstr(" ")));
  EXPECT_THAT(query, HasSubstr("&search=Bell%20state%20%26%20co%3D1&"));
  const auto params = QueryParams(query);
  ASSERT_EQ(params.size(), 6u) << query;
  EXPECT_EQ(params[0], std::make_pair(std::string("page"), std::string("1")));
  EXPECT_EQ(params[1], std::make_pair(std::string("limit"), std::string("20")));
  EXPECT_EQ(params[2], std::make_pair(std::string("status"), std::string("QUEUED")));
  EXPECT_EQ(params[3], std::make_pair(std::string("provider"), std::string("aws")));
  EXPECT_EQ(params[4], std::make_pair(std::string("search"), std::string("Bell state & co=1")));
  EXPECT_EQ(params[5].first, "tags");
  // `tags` is one JSON object of string values, every pair of the filter.
  absl::StatusOr<json::Struct> tags = json::ParseObject(params[5].second);
  ASSERT_TRUE(tags.ok()) << params[5].second;
  EXPECT_EQ(tags->fields_size(), 2);
  EXPECT_EQ(json::GetString(*tags, "team"), "alpha");
  EXPECT_EQ(json::GetString(*tags, "cost center"), "4\"2");
}

TEST_F(QbraidAdapterTest, ListLeavesOutASearchQbraidWouldRefuse) {
  server_.AnswerWith(200, ListPage(0, R"({"hasNext":false})"));
  for (const std::string& search : {std::string(), std::string(256, 'a')}) {
    ListRequest request = Page(20);
    request.filter =
        QbraidVendor().PushDown({TermOf(FilterField::kDisplayName, search, "", FilterOp::kHas)});
    ASSERT_TRUE(List(request).ok());
  }
  ListRequest longest = Page(20);
  longest.filter = QbraidVendor().PushDown(
      {TermOf(FilterField::kDisplayName, std::string(255, 'a'), "", FilterOp::kHas)});
  ASSERT_TRUE(List(longest).ok());
  std::vector<RecordingServer::Request> requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].query, "page=1&limit=20");
  EXPECT_EQ(requests[1].query, "page=1&limit=20");
  EXPECT_EQ(requests[2].query, absl::StrCat("page=1&limit=20&search=", std::string(255, 'a')));
}

TEST_F(QbraidAdapterTest, ListFiltersTravelWithEveryPage) {
  server_.AnswerWith(200, ListPage(0, R"({"hasNext":false})"));
  ListRequest request = Page(20, "3");
  request.filter = QbraidVendor().PushDown({TermOf(FilterField::kProvider, "ibm")});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "page=3&limit=20&provider=ibm");
}

TEST_F(QbraidAdapterTest, ListWithAForeignCursorIsAnInvalidPageToken) {
  EXPECT_THAT(List(Page(20, "next-please")), IsError(Code::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(QbraidAdapterTest, ListNotFoundMeansTheBaseUrlIsWrong) {
  server_.AnswerWith(404, "<html>Not Found</html>");
  absl::StatusOr<ListResult> page = List(Page(20));
  EXPECT_THAT(page, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
  EXPECT_EQ(Metadata(page.status(), "vendor_message"), "");
}

TEST_F(QbraidAdapterTest, CancelPostsToTheCancelPathAndAccepts202) {
  server_.AnswerWith(
      202,
      absl::StrCat(
          R"({"success":true,"data":{"message":"Job cancellation initiated successfully","jobQrn":")",
          kQrn, R"(","status":"CANCELLING"}})"));
  EXPECT_THAT(Cancel(kQrn), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, absl::StrCat("/api/v1/jobs/", kEncodedQrn, "/cancel"));
  EXPECT_THAT(request.Header("X-API-KEY"), Optional(std::string(kKey)));
}

TEST_F(QbraidAdapterTest, CancelWithSuccessFalseIsABadResponse) {
  server_.AnswerWith(202, R"({"success":false,"message":"could not cancel"})");
  EXPECT_THAT(Cancel(kQrn), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
}

TEST_F(QbraidAdapterTest, CancelWhileInitializingIsAStateConflict) {
  server_.AnswerWith(409,
                     R"({"success":false,"message":"Job is still initializing",
                               "error":{"code":"JOB_CANCEL_CONFLICT"}})");
  absl::Status status = Cancel(kQrn);
  EXPECT_THAT(status, IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  EXPECT_EQ(Metadata(status, "vendor_message"), "JOB_CANCEL_CONFLICT: Job is still initializing");
}

TEST_F(QbraidAdapterTest, DeleteSendsDeleteAndChecksTheEnvelope) {
  server_.AnswerWith(200, R"({"success":true,"data":{"message":"Job deleted successfully"}})");
  EXPECT_THAT(Delete(kQrn), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.path, absl::StrCat("/api/v1/jobs/", kEncodedQrn));
  EXPECT_THAT(request.path, Not(EndsWith("/")));
  server_.AnswerWith(200, R"({"success":false})");
  EXPECT_THAT(Delete(kQrn), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
}

TEST_F(QbraidAdapterTest, RateLimitCarriesRetryAfter) {
  server_.AnswerWith(429, R"({"detail":"Too many requests"})", {{"Retry-After", "3"}});
  absl::StatusOr<v1::Job> job = Get(kQrn);
  EXPECT_THAT(job, IsError(Code::kResourceExhausted, "VENDOR_RATE_LIMITED"));
  EXPECT_THAT(::jobfacade::testing::RetryDelay(job.status()), Optional(absl::Seconds(3)));
}

TEST_F(QbraidAdapterTest, PassedDeadlineIsDeadlineExceeded) {
  CallContext ctx = Context();
  ctx.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_THAT(Get(kQrn, v1::JOB_VIEW_BASIC, ctx),
              IsError(Code::kDeadlineExceeded, "DEADLINE_EXCEEDED"));
}

TEST_F(QbraidAdapterTest, CancelledCallIsCancelled) {
  CallContext ctx = Context();
  ctx.cancellation = std::make_shared<Cancellation>();
  ctx.cancellation->Cancel();
  EXPECT_THAT(Get(kQrn, v1::JOB_VIEW_BASIC, ctx), IsError(Code::kCancelled, "CANCELLED"));
}

TEST_F(QbraidAdapterTest, CreateJobPostsJsonAndReadsTheLiveAnswer) {
  server_.AnswerWith(201, ReadExample("qbraid", "sdk_create_job_response_sv1.json"));
  absl::StatusOr<v1::Job> job = Create(BellSubmission());
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->vendor_job_id(), kQrn);
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v1/jobs");
  EXPECT_THAT(request.Header("Content-Type"), Optional(std::string("application/json")));
  EXPECT_THAT(request.Header("X-API-KEY"), Optional(std::string(kKey)));
  absl::StatusOr<json::Struct> body = json::ParseObject(request.body);
  ASSERT_TRUE(body.ok()) << request.body;
  EXPECT_EQ(json::GetInt(*body, "shots"), 100);
  EXPECT_EQ(json::GetString(*body, "deviceQrn"), "aws:aws:sim:sv1");
}

TEST_F(QbraidAdapterTest, A201WithSuccessFalseIsARefusal) {
  server_.AnswerWith(201, R"({"success":false,"message":"Device is offline"})");
  absl::StatusOr<v1::Job> job = Create(BellSubmission());
  EXPECT_THAT(job, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(Metadata(job.status(), "vendor_message"), "Device is offline");
  EXPECT_EQ(Metadata(job.status(), "http_status"), "201");
}

TEST_F(QbraidAdapterTest, A201WithoutAJobQrnIsUnconfirmed) {
  server_.AnswerWith(201, R"({"success":true,"data":{"status":"INITIALIZING"}})");
  absl::StatusOr<v1::Job> job = Create(BellSubmission());
  EXPECT_THAT(job, IsError(Code::kUnavailable, "SUBMISSION_UNCONFIRMED"));
  EXPECT_EQ(Metadata(job.status(), "http_status"), "201");
}

TEST_F(QbraidAdapterTest, GetJobResultReadsTheResultOfTheQrn) {
  server_.AnswerWith(200, ReadExample("qbraid", "sdk_get_job_result_sv1.json"));
  absl::StatusOr<v1::JobResult> result = Result(CompletedJob(), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->quantum().shots(), 100);
  EXPECT_DOUBLE_EQ(result->cost().amount(), 0.375);
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, absl::StrCat("/api/v1/jobs/", kEncodedQrn, "/result"));
}

TEST_F(QbraidAdapterTest, ResultNotReadyIsResultNotAvailable) {
  server_.AnswerWith(409, ReadExample("qbraid", "spec_get_job_result_409_not_ready.json"));
  absl::StatusOr<v1::JobResult> result = Result(CompletedJob(), v1::JOB_VIEW_BASIC);
  EXPECT_THAT(result, IsError(Code::kFailedPrecondition, "RESULT_NOT_AVAILABLE"));
  EXPECT_EQ(Metadata(result.status(), "vendor_message"),
            "Job results are not yet available or are not valid JSON");
}

}  // namespace
}  // namespace jobfacade
