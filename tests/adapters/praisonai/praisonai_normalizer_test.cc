// The PraisonAI normaliser on every example payload of the async runs API, and
// on one handwritten payload per trap in NOTES.md.
#include "adapters/praisonai/praisonai_normalizer.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::ExampleKind;
using ::jobfacade::testing::ExpectExamplesClassified;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::Rfc3339;
using ::jobfacade::testing::TimeOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using Code = absl::StatusCode;

constexpr Code kInternal = Code::kInternal;
constexpr char kBadResponse[] = "VENDOR_BAD_RESPONSE";

std::string Example(const std::string& file) { return ReadExample("praisonai", file); }

v1::Job MustNormalize(const std::string& body, v1::JobView view = v1::JOB_VIEW_BASIC) {
  absl::StatusOr<v1::Job> job = NormalizePraisonaiJob(body, view);
  EXPECT_TRUE(job.ok()) << job.status();
  return job.ok() ? *job : v1::Job();
}

std::string RunObject(const std::string& more = "") {
  return absl::StrCat(R"({"job_id":"run_0123456789ab")", more.empty() ? "" : ",", more, "}");
}

// Every key the server always sends, null when unset (NOTES.md).
constexpr char kAllKeysNull[] =
    R"("status":null,"progress":null,"created_at":null,"started_at":null,"completed_at":null,
       "agent_id":null,"run_id":null,"session_id":null,"error":null,"retry_after":null)";

// --- Every example file
// ---------------------------------------------------------------------

TEST(PraisonaiExamplesTest, EveryExampleFileIsClassifiedAndHandled) {
  const std::map<std::string, ExampleKind> kFiles = {
      {"docs_cancel_200.json", ExampleKind::kJob},
      {"docs_delete_400_job_running.json", ExampleKind::kNotAJob},
      {"docs_error_404.json", ExampleKind::kNotAJob},
      {"docs_list_200.json", ExampleKind::kJobList},
      {"docs_result_200.json", ExampleKind::kJob},
      {"docs_result_400_failed.json", ExampleKind::kNotAJob},
      {"docs_result_400_not_complete.json", ExampleKind::kNotAJob},
      {"docs_status_failed_200.json", ExampleKind::kJob},
      {"docs_status_running_200.json", ExampleKind::kJob},
      {"docs_status_succeeded_200.json", ExampleKind::kJob},
      {"docs_submit_409_duplicate_idempotency_key.json", ExampleKind::kJob},
      {"docs_submit_request.json", ExampleKind::kNotAJob},
      {"docs_submit_request_recipe.json", ExampleKind::kNotAJob},
      {"docs_submit_response_202.json", ExampleKind::kJob},
      {"docs_webhook_payload.json", ExampleKind::kJob},
      {"test_submit_request_all_fields.json", ExampleKind::kNotAJob},
  };
  ExpectExamplesClassified(
      "praisonai", kFiles,
      [](const std::string& body) { return NormalizePraisonaiJob(body, v1::JOB_VIEW_FULL); },
      [](const std::string& body) { return NormalizePraisonaiJobList(body, v1::JOB_VIEW_FULL); });
}

TEST(PraisonaiExamplesTest, StatusRunning) {
  v1::Job job = MustNormalize(Example("docs_status_running_200.json"));
  EXPECT_EQ(job.name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(job.vendor(), "praisonai");
  EXPECT_EQ(job.vendor_job_id(), "run_abc123");
  EXPECT_EQ(job.provider(), "praisonai");
  EXPECT_EQ(job.device(), "");
  EXPECT_EQ(job.display_name(), "");
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.vendor_state(), "running");
  EXPECT_EQ(job.job_type(), "agent_run");
  EXPECT_EQ(job.shots(), 0);
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2025-01-01T00:00:00Z"));
  EXPECT_EQ(TimeOf(job.start_time()), Rfc3339("2025-01-01T00:00:01Z"));
  EXPECT_FALSE(job.has_end_time());
  EXPECT_FALSE(job.has_execution_duration());
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_FALSE(job.has_cost());
  EXPECT_THAT(job.tags(), IsEmpty());
  EXPECT_EQ(job.batch_id(), "");
  EXPECT_FALSE(job.has_vendor_payload());
}

TEST(PraisonaiExamplesTest, StatusFailed) {
  v1::Job job = MustNormalize(Example("docs_status_failed_200.json"));
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.state_message(), "Agent execution timeout");
  EXPECT_EQ(job.failure_code(), "");
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2025-01-01T01:00:01Z"));
}

TEST(PraisonaiExamplesTest, StatusSucceeded) {
  v1::Job job = MustNormalize(Example("docs_status_succeeded_200.json"));
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.vendor_state(), "succeeded");
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2025-01-01T00:01:00Z"));
}

TEST(PraisonaiExamplesTest, ResultAndWebhookPayloads) {
  v1::Job result = MustNormalize(Example("docs_result_200.json"));
  EXPECT_EQ(result.state(), v1::Job::COMPLETED);
  EXPECT_FALSE(result.has_start_time());
  EXPECT_EQ(TimeOf(result.end_time()), Rfc3339("2025-01-01T00:00:45Z"));
  v1::Job webhook = MustNormalize(Example("docs_webhook_payload.json"));
  EXPECT_EQ(webhook.state(), v1::Job::COMPLETED);
  EXPECT_FALSE(webhook.has_create_time());
  EXPECT_EQ(TimeOf(webhook.end_time()), Rfc3339("2024-01-15T10:30:00Z"));
}

TEST(PraisonaiExamplesTest, SubmitAndCancelResponses) {
  v1::Job submitted = MustNormalize(Example("docs_submit_response_202.json"));
  EXPECT_EQ(submitted.state(), v1::Job::QUEUED);
  EXPECT_EQ(TimeOf(submitted.create_time()), Rfc3339("2025-01-01T00:00:00Z"));
  v1::Job cancelled = MustNormalize(Example("docs_cancel_200.json"));
  EXPECT_EQ(cancelled.state(), v1::Job::CANCELLED);
  EXPECT_EQ(cancelled.vendor_state(), "cancelled");
}

TEST(PraisonaiExamplesTest, List) {
  absl::StatusOr<PraisonaiJobList> list =
      NormalizePraisonaiJobList(Example("docs_list_200.json"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->total, Optional(100));
  EXPECT_THAT(list->page, Optional(1));
  EXPECT_THAT(list->page_size, Optional(20));
  ASSERT_EQ(list->jobs.size(), 2u);
  EXPECT_EQ(list->jobs[0].name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(list->jobs[0].state(), v1::Job::RUNNING);
  EXPECT_EQ(list->jobs[1].name(), "vendors/praisonai/jobs/run_def456");
  EXPECT_EQ(list->jobs[1].state(), v1::Job::COMPLETED);
  EXPECT_EQ(TimeOf(list->jobs[1].create_time()), Rfc3339("2025-01-01T00:05:00Z"));
}

TEST(PraisonaiExamplesTest, FullViewCarriesTheStatusObjectVerbatim) {
  const std::string body = Example("docs_status_running_200.json");
  v1::Job job = MustNormalize(body, v1::JOB_VIEW_FULL);
  absl::StatusOr<json::Struct> object = json::ParseObject(body);
  ASSERT_TRUE(object.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(job.vendor_payload(), *object));
  EXPECT_NE(json::GetObject(job.vendor_payload(), "progress"), nullptr);
}

TEST(PraisonaiExamplesTest, ErrorFilesThroughTheHttpErrorMapping) {
  absl::Status running =
      VendorHttpError("praisonai", VendorOperation::kDelete,
                      HttpResponse(400, Example("docs_delete_400_job_running.json")), false, {});
  EXPECT_THAT(running, IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  EXPECT_EQ(Metadata(running, "vendor_message"), "Cannot delete running job. Cancel it first.");
  absl::Status missing =
      VendorHttpError("praisonai", VendorOperation::kGet,
                      HttpResponse(404, Example("docs_error_404.json")), false, {});
  EXPECT_THAT(missing, IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(Metadata(missing, "vendor_message"), "Job not found: run_abc123");
  EXPECT_EQ(missing.message(), "praisonai: job not found");
  absl::Status unauthorized =
      VendorHttpError("praisonai", VendorOperation::kList,
                      HttpResponse(401, R"({"error":"Unauthorized"})"), true, {});
  EXPECT_THAT(unauthorized, IsError(Code::kUnauthenticated, "VENDOR_AUTH_FAILED"));
  EXPECT_EQ(Metadata(unauthorized, "vendor_message"), "Unauthorized");
}

// --- Traps from NOTES.md, one each
// -----------------------------------------------------------

TEST(PraisonaiTrapTest, TimestampsWithAndWithoutZone) {
  const absl::Time expected = Rfc3339("2026-08-22T18:03:27.512034Z");
  for (const char* text : {"2026-08-22T18:03:27.512034Z", "2026-08-22T18:03:27.512034+00:00",
                           "2026-08-22T18:03:27.512034"}) {
    v1::Job job =
        MustNormalize(RunObject(absl::StrCat(R"("created_at":")", text, R"(","started_at":")", text,
                                             R"(","completed_at":")", text, R"(")")));
    EXPECT_EQ(TimeOf(job.create_time()), expected) << text;
    EXPECT_EQ(TimeOf(job.start_time()), expected) << text;
    EXPECT_EQ(TimeOf(job.end_time()), expected) << text;
  }
}

TEST(PraisonaiTrapTest, UnparseableTimestampLeavesTheFieldUnset) {
  v1::Job job = MustNormalize(RunObject(R"("created_at":"a while ago","started_at":1735689600)"));
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_start_time());
}

TEST(PraisonaiTrapTest, KeysNullWhenUnset) {
  v1::Job job = MustNormalize(RunObject(kAllKeysNull));
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.vendor_state(), "");
  EXPECT_EQ(job.device(), "");
  EXPECT_EQ(job.state_message(), "");
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_start_time());
  EXPECT_FALSE(job.has_end_time());
  EXPECT_EQ(job.job_type(), "agent_run");
  EXPECT_EQ(job.provider(), "praisonai");
}

TEST(PraisonaiTrapTest, JobTypeIsAlwaysAgentRun) {
  EXPECT_EQ(MustNormalize(RunObject(R"("type":"something-else")")).job_type(), "agent_run");
}

TEST(PraisonaiTrapTest, ProviderIsAlwaysPraisonai) {
  EXPECT_EQ(MustNormalize(RunObject(R"("provider":"openai")")).provider(), "praisonai");
}

TEST(PraisonaiTrapTest, DeviceIsAgentIdOrEmpty) {
  EXPECT_EQ(MustNormalize(RunObject(R"("agent_id":"researcher")")).device(), "researcher");
  EXPECT_EQ(MustNormalize(RunObject(R"("agent_id":null)")).device(), "");
  EXPECT_EQ(MustNormalize(RunObject()).device(), "");
}

TEST(PraisonaiTrapTest, StateMessageIsError) {
  v1::Job job = MustNormalize(RunObject(R"("status":"failed","error":"Rate limit from the LLM")"));
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.state_message(), "Rate limit from the LLM");
}

TEST(PraisonaiTrapTest, EveryDocumentedStatus) {
  const std::map<std::string, v1::Job::State> kStates = {
      {"queued", v1::Job::QUEUED},
      {"running", v1::Job::RUNNING},
      {"succeeded", v1::Job::COMPLETED},
      {"failed", v1::Job::FAILED},
      {"cancelled", v1::Job::CANCELLED},
      {"paused", v1::Job::STATE_UNSPECIFIED},
      {"canceled", v1::Job::STATE_UNSPECIFIED},
  };
  for (const auto& [status, state] : kStates) {
    v1::Job job = MustNormalize(RunObject(absl::StrCat(R"("status":")", status, R"(")")));
    EXPECT_EQ(job.state(), state) << status;
    EXPECT_EQ(job.vendor_state(), status);
  }
}

TEST(PraisonaiTrapTest, WrongTypesInOptionalFieldsLeaveThemUnset) {
  v1::Job job = MustNormalize(RunObject(
      R"("status":{"name":"running"},"agent_id":12,"error":{"message":"x"},
         "created_at":[],"progress":"half","retry_after":"later")"));
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.device(), "");
  EXPECT_EQ(job.state_message(), "");
  EXPECT_FALSE(job.has_create_time());
}

// --- Required fields and hostile bodies
// -----------------------------------------------------

TEST(PraisonaiBodyTest, JobIdMustBeANonEmptyString) {
  for (const char* body : {R"({"status":"queued"})", R"({"job_id":null})", R"({"job_id":""})",
                           R"({"job_id":7})", R"({"id":"run_0123456789ab"})"}) {
    absl::StatusOr<v1::Job> job = NormalizePraisonaiJob(body, v1::JOB_VIEW_BASIC);
    EXPECT_THAT(job, IsError(kInternal, kBadResponse)) << body;
    EXPECT_EQ(Metadata(job.status(), "vendor"), "praisonai");
  }
}

TEST(PraisonaiBodyTest, GarbageTruncatedAndNonObjectBodies) {
  const std::string good = Example("docs_status_failed_200.json");
  for (const std::string& body :
       {std::string(""), std::string("Temporary Redirect"), good.substr(0, good.size() - 3),
        std::string("[{\"job_id\":\"run_abc123\"}]"), std::string("1")}) {
    absl::StatusOr<v1::Job> job = NormalizePraisonaiJob(body, v1::JOB_VIEW_BASIC);
    EXPECT_THAT(job, IsError(kInternal, kBadResponse)) << body;
    EXPECT_THAT(std::string(job.status().message()), Not(HasSubstr("run_abc123")));
  }
}

TEST(PraisonaiBodyTest, InvalidUtf8InsideAStringIsTolerated) {
  v1::Job job = MustNormalize(RunObject("\"status\":\"failed\",\"error\":\"d\xE9j\xE0 vu\""));
  EXPECT_EQ(job.state_message(), "d\xEF\xBF\xBDj\xEF\xBF\xBD vu");
}

TEST(PraisonaiBodyTest, DeeplyNestedJsonIsRefusedCleanly) {
  const std::string nested = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_THAT(
      NormalizePraisonaiJob(RunObject(absl::StrCat(R"("progress":)", nested)), v1::JOB_VIEW_BASIC),
      IsError(kInternal, kBadResponse));
}

// --- Lists
// ----------------------------------------------------------------------------------

TEST(PraisonaiListTest, CountsMayBeAbsentOrNull) {
  absl::StatusOr<PraisonaiJobList> list = NormalizePraisonaiJobList(
      R"({"jobs":[{"job_id":"run_a"}],"total":null})", v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->total, std::nullopt);
  EXPECT_EQ(list->page, std::nullopt);
  EXPECT_EQ(list->page_size, std::nullopt);
  ASSERT_EQ(list->jobs.size(), 1u);
}

// One unreadable item costs only itself: the page keeps the others and counts it.
TEST(PraisonaiListTest, ItemsWithoutAReadableIdAreSkippedAndCounted) {
  for (const char* body :
       {R"({"jobs":[{"job_id":"run_a"},null,{"job_id":"run_c"}],"total":9})",
        R"({"jobs":[{"job_id":"run_a"},{"status":"queued"},{"job_id":"run_c"}],"total":9})",
        R"({"jobs":[{"job_id":"run_a"},"run_b",{"job_id":"run_c"}],"total":9})"}) {
    absl::StatusOr<PraisonaiJobList> list = NormalizePraisonaiJobList(body, v1::JOB_VIEW_BASIC);
    ASSERT_TRUE(list.ok()) << body << ": " << list.status();
    EXPECT_EQ(list->skipped, 1) << body;
    ASSERT_EQ(list->jobs.size(), 2u) << body;
    EXPECT_EQ(list->jobs[0].vendor_job_id(), "run_a");
    EXPECT_EQ(list->jobs[1].vendor_job_id(), "run_c");
    EXPECT_EQ(list->total, 9);
  }
}

TEST(PraisonaiListTest, MalformedListsAreBadResponses) {
  for (const char* body : {R"({"total":0})", R"({"jobs":null})", R"({"jobs":"run_a"})"}) {
    EXPECT_THAT(NormalizePraisonaiJobList(body, v1::JOB_VIEW_BASIC),
                IsError(kInternal, kBadResponse))
        << body;
  }
}

}  // namespace
}  // namespace jobfacade
