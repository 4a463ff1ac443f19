// The IonQ normaliser on every example payload (v0.4 and v0.3), and on one
// handwritten payload per trap in NOTES.md.
#include "adapters/ionq/ionq_normalizer.h"

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

using ::jobfacade::testing::DurationOf;
using ::jobfacade::testing::ExampleKind;
using ::jobfacade::testing::ExpectExamplesClassified;
using ::jobfacade::testing::HasMetadata;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::Rfc3339;
using ::jobfacade::testing::TimeOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;

constexpr Code kInternal = Code::kInternal;
constexpr char kBadResponse[] = "VENDOR_BAD_RESPONSE";
constexpr char kId[] = "617a1f8b-59d4-435d-aa33-695433d7155e";

std::string Example(const std::string& file) { return ReadExample("ionq", file); }

v1::Job MustNormalize(const std::string& body, v1::JobView view = v1::JOB_VIEW_BASIC) {
  absl::StatusOr<v1::Job> job = NormalizeIonqJob(body, view);
  EXPECT_TRUE(job.ok()) << job.status();
  return job.ok() ? *job : v1::Job();
}

// A job object with an id plus `more` members.
std::string Job(const std::string& more = "") {
  return absl::StrCat(R"({"id":")", kId, R"(")", more.empty() ? "" : ",", more, "}");
}

// --- Every example file
// ---------------------------------------------------------------------

TEST(IonqExamplesTest, EveryExampleFileIsClassifiedAndHandled) {
  const std::map<std::string, ExampleKind> kFiles = {
      {"docs_v04_get_job_probabilities_200.json", ExampleKind::kNotAJob},
      {"spec_v04_create_job_request_circuit.json", ExampleKind::kNotAJob},
      {"spec_v04_create_job_request_qasm3.json", ExampleKind::kNotAJob},
      {"spec_v04_create_job_response_201.json", ExampleKind::kJob},
      {"spec_v04_result_probabilities_aggregate_v1.json", ExampleKind::kNotAJob},
      {"spec_v04_result_probabilities_v1.json", ExampleKind::kNotAJob},
      {"spec_v04_result_probabilities_v2.json", ExampleKind::kNotAJob},
      {"v03_cancel_jobs_response.docs.json", ExampleKind::kNotAJob},
      {"v03_get_job.docs.json", ExampleKind::kJob},
      {"v03_list_jobs.docs.json", ExampleKind::kJobList},
      {"v04_cancel_job_response.docs.json", ExampleKind::kJob},
      {"v04_cancel_jobs_request.docs.json", ExampleKind::kNotAJob},
      {"v04_cancel_jobs_response.docs.json", ExampleKind::kNotAJob},
      {"v04_delete_job_response.schema-derived.json", ExampleKind::kJob},
      {"v04_error_400_bad_request.spec.json", ExampleKind::kNotAJob},
      {"v04_error_401_unauthorized.spec.json", ExampleKind::kNotAJob},
      {"v04_error_404_not_found.spec.json", ExampleKind::kNotAJob},
      {"v04_error_500_internal.spec.json", ExampleKind::kNotAJob},
      {"v04_get_job_legacy_url_results.spec-2026-05.json", ExampleKind::kJob},
      {"v04_get_job_multi_circuit.spec-2026-09.json", ExampleKind::kJob},
      {"v04_get_job_qaoa.spec-2026-09.json", ExampleKind::kJob},
      {"v04_get_job_quantum_function.spec-2026-09.json", ExampleKind::kJob},
      {"v04_get_job_single_circuit.spec-2026-09.json", ExampleKind::kJob},
      {"v04_job_cost_response.schema-derived.json", ExampleKind::kNotAJob},
      {"v04_list_jobs.spec-2026-09.json", ExampleKind::kJobList},
      {"v04_list_jobs_legacy_url_results.spec-2026-05.json", ExampleKind::kJobList},
  };
  ExpectExamplesClassified(
      "ionq", kFiles,
      [](const std::string& body) { return NormalizeIonqJob(body, v1::JOB_VIEW_FULL); },
      [](const std::string& body) { return NormalizeIonqJobList(body, v1::JOB_VIEW_FULL); });
}

TEST(IonqExamplesTest, SingleCircuit) {
  v1::Job job = MustNormalize(Example("v04_get_job_single_circuit.spec-2026-09.json"));
  EXPECT_EQ(job.name(), "vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524");
  EXPECT_EQ(job.vendor(), "ionq");
  EXPECT_EQ(job.vendor_job_id(), "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524");
  EXPECT_EQ(job.provider(), "ionq");
  EXPECT_EQ(job.device(), "qpu.forte-1");
  EXPECT_EQ(job.display_name(), "Bell state");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.vendor_state(), "completed");
  EXPECT_EQ(job.state_message(), "");
  EXPECT_EQ(job.failure_code(), "");
  EXPECT_EQ(job.job_type(), "ionq.circuit.v1");
  EXPECT_EQ(job.shots(), 1000);
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-06-11T20:47:05.440Z"));
  EXPECT_EQ(TimeOf(job.start_time()), Rfc3339("2026-06-11T20:47:10Z"));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-06-11T20:47:15Z"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Milliseconds(4200));
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_FALSE(job.has_cost());
  EXPECT_FALSE(job.has_estimated_cost());
  EXPECT_THAT(job.tags(), IsEmpty());  // metadata is null
  EXPECT_EQ(job.batch_id(), "");
  EXPECT_FALSE(job.has_vendor_payload());
}

TEST(IonqExamplesTest, MultiCircuit) {
  v1::Job job = MustNormalize(Example("v04_get_job_multi_circuit.spec-2026-09.json"));
  EXPECT_EQ(job.vendor_job_id(), "06a2099c-f700-7000-8000-1111aaaabbbb");
  EXPECT_EQ(job.job_type(), "ionq.multi-circuit.v1");
  EXPECT_EQ(job.display_name(), "Multi-circuit batch");
  EXPECT_EQ(job.device(), "qpu.forte-1");
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Milliseconds(12500));
  EXPECT_EQ(job.batch_id(), "");  // it is a parent, not a child
}

TEST(IonqExamplesTest, Qaoa) {
  v1::Job job = MustNormalize(Example("v04_get_job_qaoa.spec-2026-09.json"));
  EXPECT_EQ(job.job_type(), "qctrl.qaoa.v1");
  EXPECT_EQ(job.display_name(), "QAOA maxcut solve");
  EXPECT_EQ(job.shots(), 500);
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-06-11T20:48:30Z"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Seconds(85));
}

TEST(IonqExamplesTest, QuantumFunction) {
  v1::Job job = MustNormalize(Example("v04_get_job_quantum_function.spec-2026-09.json"));
  EXPECT_EQ(job.job_type(), "quantum-function");
  EXPECT_EQ(job.device(), "simulator");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Seconds(60));
}

TEST(IonqExamplesTest, LegacyUrlResultsCompletedWithNullTimes) {
  v1::Job job = MustNormalize(Example("v04_get_job_legacy_url_results.spec-2026-05.json"));
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.display_name(), "");  // name is null
  EXPECT_EQ(job.device(), "simulator");
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2025-05-28T20:47:05.440Z"));
  // A completed job may have null started_at/completed_at.
  EXPECT_FALSE(job.has_start_time());
  EXPECT_FALSE(job.has_end_time());
  EXPECT_FALSE(job.has_execution_duration());
}

TEST(IonqExamplesTest, V03Job) {
  v1::Job job = MustNormalize(Example("v03_get_job.docs.json"));
  EXPECT_EQ(job.name(), "vendors/ionq/jobs/aa54e783-0a9b-4f73-ad2f-63983b6aa4a8");
  EXPECT_EQ(job.device(), "simulator");  // from `target`
  EXPECT_EQ(job.display_name(), "My Awesome Job");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.shots(), 100);
  EXPECT_EQ(job.create_time().seconds(), 1490932820);    // `request`
  EXPECT_EQ(job.start_time().seconds(), 1490932821);     // `start`
  EXPECT_EQ(job.end_time().seconds(), 1490932834);       // `response`
  EXPECT_EQ(job.state_message(), "An error occurred!");  // failure.error
  EXPECT_EQ(job.failure_code(), "internal_error");
  EXPECT_THAT(job.tags(), UnorderedElementsAre(Pair("custom_key", "a string, maximum 400 chars")));
  EXPECT_EQ(job.job_type(), "");
}

TEST(IonqExamplesTest, V04List) {
  absl::StatusOr<IonqJobList> list =
      NormalizeIonqJobList(Example("v04_list_jobs.spec-2026-09.json"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->next, "");  // null
  ASSERT_EQ(list->jobs.size(), 1u);
  EXPECT_EQ(list->jobs[0].name(), "vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524");
  EXPECT_EQ(list->jobs[0].device(), "simulator");
  EXPECT_EQ(list->jobs[0].state(), v1::Job::COMPLETED);
  EXPECT_EQ(TimeOf(list->jobs[0].create_time()), Rfc3339("2025-05-28T20:47:05.440Z"));
}

TEST(IonqExamplesTest, V04ListWithLegacyUrlResults) {
  absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(
      Example("v04_list_jobs_legacy_url_results.spec-2026-05.json"), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->jobs.size(), 1u);
  EXPECT_NE(json::GetObject(list->jobs[0].vendor_payload(), "results"), nullptr);
  EXPECT_EQ(list->next, "");
}

TEST(IonqExamplesTest, V03ListHasANextCursor) {
  absl::StatusOr<IonqJobList> list =
      NormalizeIonqJobList(Example("v03_list_jobs.docs.json"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->next, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
  ASSERT_EQ(list->jobs.size(), 1u);
  EXPECT_EQ(list->jobs[0].device(), "qpu.harmony");
  EXPECT_EQ(list->jobs[0].shots(), 123);
}

TEST(IonqExamplesTest, CancelAndDeleteResponsesAreMinimalJobs) {
  v1::Job cancelled = MustNormalize(Example("v04_cancel_job_response.docs.json"));
  EXPECT_EQ(cancelled.vendor_job_id(), kId);
  EXPECT_EQ(cancelled.state(), v1::Job::CANCELLED);
  v1::Job deleted = MustNormalize(Example("v04_delete_job_response.schema-derived.json"));
  EXPECT_EQ(deleted.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(deleted.vendor_state(), "deleted");
}

TEST(IonqExamplesTest, FullViewCarriesTheJobObjectVerbatim) {
  const std::string body = Example("v04_get_job_single_circuit.spec-2026-09.json");
  v1::Job job = MustNormalize(body, v1::JOB_VIEW_FULL);
  absl::StatusOr<json::Struct> object = json::ParseObject(body);
  ASSERT_TRUE(object.ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(job.vendor_payload(), *object));
}

TEST(IonqExamplesTest, ErrorFilesThroughTheHttpErrorMapping) {
  struct Case {
    const char* file;
    int status;
    Code code;
    const char* reason;
    const char* vendor_message;
  };
  const Case kCases[] = {
      {"v04_error_400_bad_request.spec.json", 400, Code::kInvalidArgument,
       "VENDOR_REJECTED_REQUEST", "Bad Request: \"some-parameter\" was invalid."},
      {"v04_error_401_unauthorized.spec.json", 401, Code::kInternal, "VENDOR_AUTH_FAILED",
       "Unauthorized Error: Invalid key provided. See "
       "https://docs.ionq.com/#authentication "
       "for details, or email support@ionq.co for help."},
      {"v04_error_404_not_found.spec.json", 404, Code::kNotFound, "JOB_NOT_FOUND",
       "Not Found Error: Resource not found. See https://docs.ionq.com/ for "
       "details, or email "
       "support@ionq.co for help."},
      {"v04_error_500_internal.spec.json", 500, Code::kUnavailable, "VENDOR_UNAVAILABLE",
       "Internal Server Error: Internal service outage. Visit "
       "https://status.ionq.co/ to track "
       "this incident."},
  };
  for (const Case& c : kCases) {
    absl::Status s = VendorHttpError("ionq", VendorOperation::kGet,
                                     HttpResponse(c.status, Example(c.file)), false, {});
    EXPECT_THAT(s, IsError(c.code, c.reason)) << c.file;
    EXPECT_EQ(Metadata(s, "vendor_message"), c.vendor_message) << c.file;
    EXPECT_EQ(Metadata(s, "http_status"), std::to_string(c.status));
    EXPECT_EQ(Metadata(s, "vendor"), "ionq");
  }
}

// --- Traps from NOTES.md, one each
// -----------------------------------------------------------

TEST(IonqTrapTest, StartedIsRunning) {
  EXPECT_EQ(MustNormalize(Job(R"("status":"started")")).state(), v1::Job::RUNNING);
}

TEST(IonqTrapTest, V03RunningIsRunning) {
  v1::Job job = MustNormalize(Job(R"("status":"running")"));
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.vendor_state(), "running");
}

TEST(IonqTrapTest, EveryDocumentedStatus) {
  const std::map<std::string, v1::Job::State> kStates = {
      {"submitted", v1::Job::INITIALIZING}, {"ready", v1::Job::QUEUED},
      {"started", v1::Job::RUNNING},        {"running", v1::Job::RUNNING},
      {"canceled", v1::Job::CANCELLED},     {"completed", v1::Job::COMPLETED},
      {"failed", v1::Job::FAILED},          {"paused", v1::Job::STATE_UNSPECIFIED},
  };
  for (const auto& [status, state] : kStates) {
    v1::Job job = MustNormalize(Job(absl::StrCat(R"("status":")", status, R"(")")));
    EXPECT_EQ(job.state(), state) << status;
    EXPECT_EQ(job.vendor_state(), status);
  }
}

TEST(IonqTrapTest, FailureWithCodeAndMessage) {
  v1::Job job = MustNormalize(Job(
      R"("status":"failed","failure":{"code":"QuotaExhaustedError","message":"Out of quota"})"));
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.state_message(), "Out of quota");
  EXPECT_EQ(job.failure_code(), "QuotaExhaustedError");
}

TEST(IonqTrapTest, OlderFailureWithCodeAndError) {
  v1::Job job =
      MustNormalize(Job(R"("status":"failed","failure":{"code":"internal_error","error":"Boom"})"));
  EXPECT_EQ(job.state_message(), "Boom");
  EXPECT_EQ(job.failure_code(), "internal_error");
}

TEST(IonqTrapTest, FailureNullOrMalformed) {
  for (const char* failure : {R"("failure":null)", R"("failure":"boom")", R"("failure":[1])",
                              R"("failure":{"code":null,"message":7})"}) {
    v1::Job job = MustNormalize(Job(failure));
    EXPECT_EQ(job.state_message(), "") << failure;
    EXPECT_EQ(job.failure_code(), "") << failure;
  }
}

TEST(IonqTrapTest, MetadataAsStringMap) {
  v1::Job job = MustNormalize(Job(
      R"("metadata":{"experiment":"bell","round":3,"ratio":0.25,"final":false,
                         "missing":null,"nested":{"a":"b"}})"));
  EXPECT_THAT(job.tags(),
              UnorderedElementsAre(Pair("experiment", "bell"), Pair("round", "3"),
                                   Pair("ratio", "0.25"), Pair("final", "false"),
                                   Pair("missing", ""), Pair("nested", R"({"a":"b"})")));
}

TEST(IonqTrapTest, V03TargetWhenBackendIsAbsent) {
  EXPECT_EQ(MustNormalize(Job(R"("target":"qpu.aria-1")")).device(), "qpu.aria-1");
  EXPECT_EQ(MustNormalize(Job(R"("backend":null,"target":"qpu.aria-1")")).device(), "qpu.aria-1");
  EXPECT_EQ(MustNormalize(Job(R"("backend":"qpu.forte-1","target":"qpu.aria-1")")).device(),
            "qpu.forte-1");
}

TEST(IonqTrapTest, V03EpochSecondsWhenIsoTimesAreAbsent) {
  v1::Job job = MustNormalize(Job(R"("request":1490932820,"start":1490932821.5,
                                     "response":1490932834,"submitted_at":null)"));
  EXPECT_EQ(TimeOf(job.create_time()), absl::FromUnixSeconds(1490932820));
  EXPECT_EQ(TimeOf(job.start_time()), absl::FromUnixSeconds(1490932821) + absl::Milliseconds(500));
  EXPECT_EQ(TimeOf(job.end_time()), absl::FromUnixSeconds(1490932834));
}

TEST(IonqTrapTest, IsoTimesWinOverEpochSeconds) {
  v1::Job job = MustNormalize(Job(R"("submitted_at":"2026-06-11T20:47:05.440Z",
                                     "request":1490932820)"));
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-06-11T20:47:05.440Z"));
}

TEST(IonqTrapTest, TimestampForms) {
  for (const char* text : {"2026-06-11T20:47:05.440Z", "2026-06-11T20:47:05.44+00:00",
                           "2026-06-11T20:47:05.440000", "2026-06-11T20:47:05.440000000Z"}) {
    v1::Job job = MustNormalize(Job(absl::StrCat(R"("submitted_at":")", text, R"(")")));
    EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-06-11T20:47:05.440Z")) << text;
  }
  EXPECT_FALSE(MustNormalize(Job(R"("submitted_at":"soon")")).has_create_time());
}

TEST(IonqTrapTest, ResultsInEitherShapeNeverMatter) {
  for (const char* results :
       {R"("results":{"probabilities":{"url":"/v0.4/jobs/x/results/probabilities"}})",
        R"("results":{"ionq.result.probabilities.json.v2":{"id":"1","format":"f"}})",
        R"("results":{"value":-1.1,"variance":31.2})", R"("results":"s3://somewhere")",
        R"("results":[1,2,3])", R"("results":null)", R"("results":42)"}) {
    v1::Job job = MustNormalize(Job(absl::StrCat(R"("status":"completed",)", results)));
    EXPECT_EQ(job.state(), v1::Job::COMPLETED) << results;
  }
}

TEST(IonqTrapTest, RequiredKeysPresentButNull) {
  v1::Job job = MustNormalize(Job(
      R"("status":null,"type":null,"backend":null,"dry_run":null,"submitter_id":null,
         "project_id":null,"parent_job_id":null,"session_id":null,"metadata":null,"name":null,
         "submitted_at":null,"started_at":null,"completed_at":null,"predicted_wait_time_ms":null,
         "predicted_execution_duration_ms":null,"execution_duration_ms":null,"failure":null,
         "output":null,"settings":null,"stats":null,"results":null)"));
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.device(), "");
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_execution_duration());
  EXPECT_EQ(job.provider(), "ionq");
}

TEST(IonqTrapTest, ParentJobIdIsTheBatch) {
  EXPECT_EQ(
      MustNormalize(Job(R"("parent_job_id":"06a2099c-f700-7000-8000-1111aaaabbbb")")).batch_id(),
      "06a2099c-f700-7000-8000-1111aaaabbbb");
}

TEST(IonqTrapTest, WrongTypesInOptionalFieldsLeaveThemUnset) {
  v1::Job job = MustNormalize(Job(
      R"("status":7,"type":[],"backend":{"name":"x"},"name":false,"shots":"lots",
         "submitted_at":1490932820,"started_at":{},"execution_duration_ms":"fast",
         "metadata":["a"],"parent_job_id":5)"));
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.vendor_state(), "");
  EXPECT_EQ(job.job_type(), "");
  EXPECT_EQ(job.device(), "");
  EXPECT_EQ(job.display_name(), "");
  EXPECT_EQ(job.shots(), 0);
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_start_time());
  EXPECT_FALSE(job.has_execution_duration());
  EXPECT_THAT(job.tags(), IsEmpty());
  EXPECT_EQ(job.batch_id(), "");
}

// --- Required fields and hostile bodies
// -----------------------------------------------------

TEST(IonqBodyTest, IdMustBeANonEmptyString) {
  for (const char* body : {R"({"status":"completed"})", R"({"id":null})", R"({"id":""})",
                           R"({"id":12345})", R"({"id":["x"]})"}) {
    absl::StatusOr<v1::Job> job = NormalizeIonqJob(body, v1::JOB_VIEW_BASIC);
    EXPECT_THAT(job, IsError(kInternal, kBadResponse)) << body;
    EXPECT_EQ(Metadata(job.status(), "vendor"), "ionq");
  }
}

TEST(IonqBodyTest, GarbageTruncatedAndNonObjectBodies) {
  const std::string good = Example("v04_get_job_single_circuit.spec-2026-09.json");
  for (const std::string& body :
       {std::string(""), std::string("Internal Server Error"), good.substr(0, 100),
        std::string("[]"), std::string("null"), std::string("\"e1a09d90\"")}) {
    absl::StatusOr<v1::Job> job = NormalizeIonqJob(body, v1::JOB_VIEW_BASIC);
    EXPECT_THAT(job, IsError(kInternal, kBadResponse)) << body;
    EXPECT_THAT(std::string(job.status().message()), Not(HasSubstr("e1a09d90")));
  }
}

TEST(IonqBodyTest, InvalidUtf8InsideAStringIsTolerated) {
  v1::Job job = MustNormalize(Job("\"name\":\"\xFF\xFE\",\"metadata\":{\"k\":\"v\xC3\"}"));
  EXPECT_EQ(job.display_name(), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(job.tags().at("k"), "v\xEF\xBF\xBD");
}

TEST(IonqBodyTest, DeeplyNestedJsonIsRefusedCleanly) {
  std::string nested;
  for (int i = 0; i < 50000; ++i) nested += "{\"a\":";
  nested += "1" + std::string(50000, '}');
  EXPECT_THAT(NormalizeIonqJob(Job(absl::StrCat(R"("output":)", nested)), v1::JOB_VIEW_BASIC),
              IsError(kInternal, kBadResponse));
}

// --- Lists
// ----------------------------------------------------------------------------------

TEST(IonqListTest, NextCursorNullAbsentOrEmptyMeansNone) {
  for (const char* tail : {R"(,"next":null)", "", R"(,"next":"")", R"(,"next":17)"}) {
    absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(
        absl::StrCat(R"({"jobs":[{"id":"a"},{"id":"b"}])", tail, "}"), v1::JOB_VIEW_BASIC);
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_EQ(list->next, "") << tail;
    ASSERT_EQ(list->jobs.size(), 2u);
    EXPECT_EQ(list->jobs[1].vendor_job_id(), "b");
  }
}

// One unreadable item costs only itself: the page keeps the others and counts it.
TEST(IonqListTest, ItemsWithoutAReadableIdAreSkippedAndCounted) {
  for (const char* body : {R"({"jobs":[{"id":"a"},"b",{"id":"c"}],"next":"n"})",
                           R"({"jobs":[{"id":"a"},{},{"id":"c"}],"next":"n"})",
                           R"({"jobs":[{"id":"a"},null,{"id":"c"}],"next":"n"})",
                           R"({"jobs":[{"id":"a"},{"id":""},{"id":"c"}],"next":"n"})"}) {
    absl::StatusOr<IonqJobList> list = NormalizeIonqJobList(body, v1::JOB_VIEW_BASIC);
    ASSERT_TRUE(list.ok()) << body << ": " << list.status();
    EXPECT_EQ(list->skipped, 1) << body;
    ASSERT_EQ(list->jobs.size(), 2u) << body;
    EXPECT_EQ(list->jobs[0].vendor_job_id(), "a");
    EXPECT_EQ(list->jobs[1].vendor_job_id(), "c");
    EXPECT_EQ(list->next, "n");
  }
}

TEST(IonqListTest, MalformedListsAreBadResponses) {
  for (const char* body : {R"({"next":"x"})", R"({"jobs":null})", R"({"jobs":{"id":"a"}})"}) {
    EXPECT_THAT(NormalizeIonqJobList(body, v1::JOB_VIEW_BASIC), IsError(kInternal, kBadResponse))
        << body;
  }
}

}  // namespace
}  // namespace jobfacade
