// PraisonAI's request builders and answer readers as pure functions: no server. The
// submission and result readers are fed the vendor's example files.
#include "adapters/praisonai/praisonai_requests.h"

#include <cstdint>
#include <string>
#include <utility>

#include "adapters/core/json.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::Rfc3339;
using ::jobfacade::testing::TimeOf;
using ::testing::Contains;
using ::testing::Not;
using ::testing::Pair;
using Code = absl::StatusCode;

constexpr char kRequestId[] = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

std::string Example(const std::string& file) { return ReadExample("praisonai", file); }

json::Struct Object(const std::string& text) {
  absl::StatusOr<json::Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.value_or(json::Struct());
}

// Compares parsed JSON, so member order and number spelling do not matter.
void ExpectJsonEq(const std::string& actual, const std::string& expected) {
  EXPECT_TRUE(MessageDifferencer::Equals(Object(actual), Object(expected)))
      << "actual:   " << actual << "\nexpected: " << expected;
}

CreateRequest Submission(const std::string& prompt) {
  CreateRequest request;
  request.request_id = kRequestId;
  request.spec.mutable_agent_run()->set_prompt(prompt);
  return request;
}

absl::StatusOr<http::Request> Create(const CreateRequest& request) {
  return PraisonaiCreateJobRequest(Endpoint{"http://127.0.0.1:8005", ""}, request);
}

// The body a submission sends, or "" when it sends none.
std::string BodyOf(const CreateRequest& request) {
  absl::StatusOr<http::Request> built = Create(request);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? built->body : "";
}

v1::Job CompletedRun(const std::string& id) {
  v1::Job job;
  job.set_name("vendors/praisonai/jobs/" + id);
  job.set_vendor_job_id(id);
  job.set_state(v1::Job::COMPLETED);
  return job;
}

TEST(PraisonaiRequestsTest, RunRequestsAndTheOptionalBearerKey) {
  const Endpoint with_key{"http://127.0.0.1:8005", "key-1"};
  absl::StatusOr<http::Request> get = PraisonaiGetJobRequest(with_key, "run_1");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->url, "http://127.0.0.1:8005/api/v1/runs/run_1");
  EXPECT_THAT(get->headers, Contains(Pair("Authorization", "Bearer key-1")));
  EXPECT_EQ(PraisonaiGetJobRequest(Endpoint{"http://127.0.0.1:8005", ""}, "r")->headers.size(), 2u);
  EXPECT_EQ(PraisonaiCancelJobRequest(with_key, "run_1")->url,
            "http://127.0.0.1:8005/api/v1/runs/run_1/cancel");
  EXPECT_EQ(PraisonaiDeleteJobRequest(with_key, "run_1")->method, "DELETE");
}

TEST(PraisonaiRequestsTest, ListPagesAndTheirSuccessor) {
  const Endpoint endpoint{"http://127.0.0.1:8005", ""};
  ListRequest request;
  request.page_size = 2;
  request.cursor = "2";
  request.filter = {{"status", "queued"}};
  EXPECT_EQ(PraisonaiListJobsRequest(endpoint, request)->url,
            "http://127.0.0.1:8005/api/v1/runs?page=2&page_size=2&status=queued");
  http::Response response;
  response.status = 200;
  response.body = R"({"jobs":[{"job_id":"a"},{"job_id":"b"}],"total":5})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "3");
  response.body = R"({"jobs":[{"job_id":"a"},{"job_id":"b"}],"total":4})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "");
  // Without a total, a full page may have a successor; a skipped item still counts as listed.
  response.body = R"({"jobs":[{"job_id":"a"},{"status":"queued"}]})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "3");
  response.body = R"({"jobs":[{"job_id":"a"}]})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "");
}

TEST(PraisonaiCreateTest, PostsTheRunWithTheRequestIdAsIdempotencyKey) {
  CreateRequest request = Submission("Analyze the quarterly sales data");
  absl::StatusOr<http::Request> built =
      PraisonaiCreateJobRequest(Endpoint{"http://127.0.0.1:8005", "key-1"}, request);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url, "http://127.0.0.1:8005/api/v1/runs");  // never a trailing slash
  EXPECT_THAT(built->headers, Contains(Pair("Content-Type", "application/json")));
  EXPECT_THAT(built->headers, Contains(Pair("Idempotency-Key", kRequestId)));
  EXPECT_THAT(built->headers, Contains(Pair("Authorization", "Bearer key-1")));
  ExpectJsonEq(built->body, R"({"prompt":"Analyze the quarterly sales data"})");
}

// A caller with its own vendor key sends the key the service derived for it instead.
TEST(PraisonaiCreateTest, AVendorKeyTakesThePlaceOfTheRequestId) {
  CreateRequest request = Submission("ours");
  request.vendor_key = "9f1c2b3a-0000-4000-8000-000000000001";
  absl::StatusOr<http::Request> built =
      PraisonaiCreateJobRequest(Endpoint{"http://127.0.0.1:8005", "key-1"}, request);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_THAT(built->headers, Contains(Pair("Idempotency-Key", request.vendor_key)));
  EXPECT_THAT(built->headers, Not(Contains(Pair("Idempotency-Key", kRequestId))));
}

TEST(PraisonaiCreateTest, VendorOptionsGoToTheTopLevelAndOurFieldsWin) {
  CreateRequest request = Submission("ours");
  request.spec.set_device("agents/research.yaml");
  v1::AgentRun& run = *request.spec.mutable_agent_run();
  run.set_recipe_name("nightly-reviewer");
  *run.mutable_config() = Object(R"({"model":"gpt-4o-mini","temperature":0.2})");
  run.set_session_id("project-alpha");
  run.mutable_timeout()->set_seconds(90);
  run.mutable_timeout()->set_nanos(1);
  *request.spec.mutable_vendor_options() = Object(R"({
    "framework": "crewai", "recipe_config": {"depth": 2}, "webhook_url": "https://example.com/cb",
    "prompt": "theirs", "recipe_name": "theirs", "config": {"model": "theirs"},
    "session_id": "theirs", "timeout": 5, "agent_file": "theirs.yaml",
    "idempotency_key": "another-key"})");
  ExpectJsonEq(BodyOf(request), R"({
    "framework": "crewai", "recipe_config": {"depth": 2}, "webhook_url": "https://example.com/cb",
    "prompt": "ours", "recipe_name": "nightly-reviewer",
    "config": {"model": "gpt-4o-mini", "temperature": 0.2},
    "session_id": "project-alpha", "timeout": 91, "agent_file": "agents/research.yaml"})");
}

TEST(PraisonaiCreateTest, VendorOptionsFillWhatTheRunLeavesEmpty) {
  CreateRequest request = Submission("p");
  *request.spec.mutable_vendor_options() =
      Object(R"({"agent_file": "agents.yaml", "recipe_name": "r", "session_id": "s"})");
  ExpectJsonEq(BodyOf(request),
               R"({"prompt":"p","agent_file":"agents.yaml","recipe_name":"r","session_id":"s"})");
}

// The documentation's own request bodies, built from the specs that mean them.
TEST(PraisonaiCreateTest, BuildsTheDocumentedRequests) {
  CreateRequest all_fields = Submission("Test prompt");
  all_fields.spec.set_device("agents.yaml");
  all_fields.spec.mutable_agent_run()->set_session_id("sess_123");
  all_fields.spec.mutable_agent_run()->mutable_timeout()->set_seconds(1800);
  *all_fields.spec.mutable_vendor_options() = Object(R"({"framework":"crewai"})");
  ExpectJsonEq(BodyOf(all_fields), Example("test_submit_request_all_fields.json"));

  CreateRequest recipe = Submission("review todays merges");
  recipe.spec.mutable_agent_run()->set_recipe_name("nightly-reviewer");
  *recipe.spec.mutable_vendor_options() = Object(R"({"recipe_config":{"model":"gpt-4o-mini"}})");
  ExpectJsonEq(BodyOf(recipe), Example("docs_submit_request_recipe.json"));

  CreateRequest webhook = Submission("Analyze the quarterly sales data");
  webhook.spec.mutable_agent_run()->set_session_id("project-alpha");
  webhook.spec.mutable_agent_run()->mutable_timeout()->set_seconds(3600);
  *webhook.spec.mutable_vendor_options() =
      Object(R"({"webhook_url":"https://example.com/callback"})");
  ExpectJsonEq(BodyOf(webhook), Example("docs_submit_request.json"));
}

TEST(PraisonaiCreateTest, TimeoutIsWholeSecondsRoundedUp) {
  struct Case {
    int64_t seconds;
    int32_t nanos;
    std::string body;
  };
  for (const Case& c :
       {Case{0, 0, R"({"prompt":"p"})"}, Case{0, 1, R"({"prompt":"p","timeout":1})"},
        Case{30, 0, R"({"prompt":"p","timeout":30})"},
        Case{30, 1, R"({"prompt":"p","timeout":31})"},
        Case{30, 999999999, R"({"prompt":"p","timeout":31})"},
        Case{3600, 0, R"({"prompt":"p","timeout":3600})"}}) {
    CreateRequest request = Submission("p");
    request.spec.mutable_agent_run()->mutable_timeout()->set_seconds(c.seconds);
    request.spec.mutable_agent_run()->mutable_timeout()->set_nanos(c.nanos);
    SCOPED_TRACE(c.body);
    ExpectJsonEq(BodyOf(request), c.body);
  }
}

TEST(PraisonaiCreateTest, AnUnusableTimeoutSendsNothing) {
  for (auto [seconds, nanos] : {std::pair<int64_t, int32_t>{-1, 0},
                                {0, -1},
                                {0, 1000000000},
                                {315576000001, 0},
                                {INT64_MAX, 999999999}}) {
    CreateRequest request = Submission("p");
    request.spec.mutable_agent_run()->mutable_timeout()->set_seconds(seconds);
    request.spec.mutable_agent_run()->mutable_timeout()->set_nanos(nanos);
    absl::StatusOr<http::Request> built = Create(request);
    EXPECT_THAT(built, IsError(Code::kInvalidArgument, "INVALID_JOB_SPEC")) << seconds;
    EXPECT_EQ(BadRequestField(built.status()), "job.agent_run.timeout");
  }
}

TEST(PraisonaiCreateTest, OnlyAgentRunsAreSent) {
  CreateRequest circuit;
  circuit.request_id = kRequestId;
  circuit.spec.mutable_quantum_program()->set_source("OPENQASM 3;");
  CreateRequest nothing;
  nothing.request_id = kRequestId;
  for (const CreateRequest& request : {circuit, nothing}) {
    absl::StatusOr<http::Request> built = Create(request);
    EXPECT_THAT(built, IsError(Code::kInvalidArgument, "INVALID_JOB_SPEC"));
    EXPECT_EQ(BadRequestField(built.status()), "job.agent_run");
  }
}

TEST(PraisonaiCreateTest, ReadsTheAcceptedRun) {
  absl::StatusOr<v1::Job> job =
      ReadPraisonaiCreatedJob(HttpResponse(202, Example("docs_submit_response_202.json")));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(job->vendor(), "praisonai");
  EXPECT_EQ(job->vendor_job_id(), "run_abc123");
  EXPECT_EQ(job->provider(), "praisonai");
  EXPECT_EQ(job->state(), v1::Job::QUEUED);
  EXPECT_EQ(job->vendor_state(), "queued");
  EXPECT_EQ(job->job_type(), "agent_run");
  EXPECT_EQ(TimeOf(job->create_time()), Rfc3339("2025-01-01T00:00:00Z"));
  EXPECT_FALSE(job->has_vendor_payload());
}

// A repeated Idempotency-Key answers 202 with the existing run as it is now, in either shape.
TEST(PraisonaiCreateTest, ReadsAnExistingRunAnsweredForARepeatedKey) {
  absl::StatusOr<v1::Job> running =
      ReadPraisonaiCreatedJob(HttpResponse(202, Example("docs_status_running_200.json")));
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->vendor_job_id(), "run_abc123");
  EXPECT_EQ(running->state(), v1::Job::RUNNING);
  EXPECT_EQ(TimeOf(running->start_time()), Rfc3339("2025-01-01T00:00:01Z"));

  absl::StatusOr<v1::Job> failed =
      ReadPraisonaiCreatedJob(HttpResponse(202, Example("docs_status_failed_200.json")));
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->state(), v1::Job::FAILED);
  EXPECT_EQ(failed->state_message(), "Agent execution timeout");

  absl::StatusOr<v1::Job> succeeded = ReadPraisonaiCreatedJob(HttpResponse(
      202, R"({"job_id":"run_abc123","status":"succeeded","created_at":"2025-01-01T00:00:00Z",)"
           R"("poll_url":"http://h/api/v1/runs/run_abc123",)"
           R"("stream_url":"http://h/api/v1/runs/run_abc123/stream"})"));
  ASSERT_TRUE(succeeded.ok()) << succeeded.status();
  EXPECT_EQ(succeeded->state(), v1::Job::COMPLETED);
}

TEST(PraisonaiCreateTest, AnAnswerWithoutAJobIdIsBad) {
  for (const std::string body : {R"({"status":"queued","created_at":"2025-01-01T00:00:00Z"})",
                                 R"({"job_id":""})", R"(["run_abc123"])", "not json", ""}) {
    EXPECT_THAT(ReadPraisonaiCreatedJob(HttpResponse(202, body)),
                IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"))
        << body;
  }
}

TEST(PraisonaiCreateTest, TheDocumentedConflictNamesTheExistingRun) {
  absl::StatusOr<v1::Job> job = ReadPraisonaiCreateConflict(
      HttpResponse(409, Example("docs_submit_409_duplicate_idempotency_key.json")));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(job->state(), v1::Job::RUNNING);
  EXPECT_EQ(job->vendor_state(), "running");
  // The message explains the 409; it is not the run's own error.
  EXPECT_EQ(job->state_message(), "");
}

TEST(PraisonaiCreateTest, AConflictWithoutAJobIdIsNoRun) {
  for (const std::string body :
       {R"({"detail":"Job already exists"})",
        R"({"status":"running","message":"Job already exists"})", "<html>409</html>"}) {
    EXPECT_THAT(ReadPraisonaiCreateConflict(HttpResponse(409, body)),
                IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"))
        << body;
  }
}

TEST(PraisonaiResultTest, ReadsTheResultOfTheRun) {
  absl::StatusOr<http::Request> request =
      PraisonaiGetResultRequest(Endpoint{"http://127.0.0.1:8005", "key-1"}, CompletedRun("run/1"));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->method, "GET");
  EXPECT_EQ(request->url, "http://127.0.0.1:8005/api/v1/runs/run%2F1/result");
  EXPECT_THAT(request->headers, Contains(Pair("Authorization", "Bearer key-1")));
}

TEST(PraisonaiResultTest, AStringResultIsTheText) {
  const std::string body = Example("docs_result_200.json");
  absl::StatusOr<v1::JobResult> result =
      ReadPraisonaiResult(HttpResponse(200, body), CompletedRun("run_abc123"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(result->state(), v1::Job::COMPLETED);
  EXPECT_EQ(result->agent().text(), *json::GetString(Object(body), "result"));
  EXPECT_THAT(result->agent().text(), ::testing::StartsWith("The quarterly sales data shows"));
  EXPECT_FALSE(result->has_cost());
  EXPECT_FALSE(result->has_quantum());
  EXPECT_FALSE(result->has_vendor_payload());

  absl::StatusOr<v1::JobResult> full =
      ReadPraisonaiResult(HttpResponse(200, body), CompletedRun("run_abc123"), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_TRUE(MessageDifferencer::Equals(full->vendor_payload(), Object(body)));
}

TEST(PraisonaiResultTest, AnyOtherResultIsItsJsonText) {
  // The webhook's payload carries an object result, as /result may.
  absl::StatusOr<v1::JobResult> object =
      ReadPraisonaiResult(HttpResponse(200, Example("docs_webhook_payload.json")),
                          CompletedRun("run_abc123"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(object->agent().text(), R"({"output":"..."})");

  struct Case {
    std::string result;
    std::string text;
  };
  for (const Case& c : {Case{"null", ""}, Case{"42", "42"}, Case{"true", "true"},
                        Case{R"(["a",{"b":1.5}])", R"(["a",{"b":1.5}])"}, Case{R"("")", ""}}) {
    absl::StatusOr<v1::JobResult> result = ReadPraisonaiResult(
        HttpResponse(200, R"({"job_id":"run_1","status":"succeeded","result":)" + c.result + "}"),
        CompletedRun("run_1"), v1::JOB_VIEW_BASIC);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->agent().text(), c.text) << c.result;
    EXPECT_TRUE(result->has_agent());
  }
  absl::StatusOr<v1::JobResult> absent = ReadPraisonaiResult(
      HttpResponse(200, R"({"job_id":"run_1"})"), CompletedRun("run_1"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(absent->agent().text(), "");
  EXPECT_EQ(absent->state(), v1::Job::COMPLETED);  // the job's own, when the body has none
}

TEST(PraisonaiResultTest, ABodyThatIsNoObjectIsBad) {
  for (const std::string body : {R"("text")", "[]", "null", "{", ""}) {
    EXPECT_THAT(
        ReadPraisonaiResult(HttpResponse(200, body), CompletedRun("run_1"), v1::JOB_VIEW_FULL),
        IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"))
        << body;
  }
}

}  // namespace
}  // namespace jobfacade
