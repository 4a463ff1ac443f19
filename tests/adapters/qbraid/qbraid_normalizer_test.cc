// The qBraid normaliser on every example payload the vendor documents, and on
// one handwritten payload per trap in NOTES.md.
#include "adapters/qbraid/qbraid_normalizer.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
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
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::Rfc3339;
using ::jobfacade::testing::TimeOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;

constexpr Code kInternal = Code::kInternal;
constexpr char kBadResponse[] = "VENDOR_BAD_RESPONSE";

std::string Example(const std::string& file) { return ReadExample("qbraid", file); }

v1::Job MustNormalize(const std::string& body, v1::JobView view = v1::JOB_VIEW_BASIC) {
  absl::StatusOr<v1::Job> job = NormalizeQbraidJob(body, view);
  EXPECT_TRUE(job.ok()) << job.status();
  return job.ok() ? *job : v1::Job();
}

// A GET body around `job_members` (the inside of the RuntimeJob object).
std::string Envelope(const std::string& job_members) {
  return absl::StrCat(R"({"success":true,"data":{)", job_members, "}}");
}

// The smallest job the normaliser accepts, plus `more` members.
std::string MinimalJob(const std::string& more = "") {
  return Envelope(absl::StrCat(R"("jobQrn":"qbraid:qbraid:sim:qir-sv-1a2b-qjob-x")",
                               more.empty() ? "" : ",", more));
}

// --- Every example file
// ---------------------------------------------------------------------

// What each file in qbraid/examples is; a new file fails this test until it is
// classified.
TEST(QbraidExamplesTest, EveryExampleFileIsClassifiedAndHandled) {
  const std::map<std::string, ExampleKind> kFiles = {
      {"docs_create_job_request_qasm3.json", ExampleKind::kNotAJob},
      {"docs_create_job_response_201.json", ExampleKind::kJob},
      {"docs_example_delete_jobs_bulk.json", ExampleKind::kNotAJob},
      {"docs_example_list_jobs.json", ExampleKind::kJobList},
      {"docs_get_job_result_200.json", ExampleKind::kNotAJob},
      {"sdk_create_job_request_sv1_qasm3.json", ExampleKind::kNotAJob},
      {"sdk_create_job_response_aquila.json", ExampleKind::kJob},
      {"sdk_create_job_response_rigetti_qvm.json", ExampleKind::kJob},
      {"sdk_create_job_response_sv1.json", ExampleKind::kJob},
      {"sdk_get_device_aws_sv1.json", ExampleKind::kNotAJob},
      {"sdk_get_device_azure_rigetti_qvm.json", ExampleKind::kNotAJob},
      {"sdk_get_job_aquila_completed.json", ExampleKind::kJob},
      {"sdk_get_job_aquila_queued.json", ExampleKind::kJob},
      {"sdk_get_job_pasqal_emu_tn_completed.json", ExampleKind::kJob},
      {"sdk_get_job_program_sv1.json", ExampleKind::kNotAJob},
      {"sdk_get_job_qir_sv_failed.json", ExampleKind::kJob},
      {"sdk_get_job_result_pasqal_emu_tn.json", ExampleKind::kNotAJob},
      {"sdk_get_job_result_rigetti_qvm.json", ExampleKind::kNotAJob},
      {"sdk_get_job_result_sv1.json", ExampleKind::kNotAJob},
      {"sdk_get_job_rigetti_qvm_completed.json", ExampleKind::kJob},
      {"sdk_get_job_sv1_completed.json", ExampleKind::kJob},
      {"spec_get_job_result_409_not_ready.json", ExampleKind::kNotAJob},
  };
  ExpectExamplesClassified(
      "qbraid", kFiles,
      [](const std::string& body) { return NormalizeQbraidJob(body, v1::JOB_VIEW_FULL); },
      [](const std::string& body) { return NormalizeQbraidJobList(body, v1::JOB_VIEW_FULL); });
}

TEST(QbraidExamplesTest, ListJobsDocsExample) {
  absl::StatusOr<QbraidJobList> list =
      NormalizeQbraidJobList(Example("docs_example_list_jobs.json"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_FALSE(list->has_next);
  ASSERT_EQ(list->jobs.size(), 1u);
  const v1::Job& job = list->jobs[0];
  EXPECT_EQ(job.name(), "vendors/qbraid/jobs/qbraid:job:abc123xyz");
  EXPECT_EQ(job.vendor(), "qbraid");
  EXPECT_EQ(job.vendor_job_id(), "qbraid:job:abc123xyz");
  EXPECT_EQ(job.provider(), "qbraid");
  EXPECT_EQ(job.device(), "qbraid:qbraid:sim:qir-sv");
  EXPECT_EQ(job.display_name(), "Bell state job");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.vendor_state(), "COMPLETED");
  EXPECT_EQ(job.state_message(), "");
  EXPECT_EQ(job.job_type(), "gate_model");
  EXPECT_EQ(job.shots(), 1000);
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2025-01-15T10:30:00Z"));
  EXPECT_FALSE(job.has_start_time());
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2025-01-15T10:30:05Z"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Seconds(5));
  EXPECT_FALSE(job.has_queue_position());
  ASSERT_TRUE(job.has_cost());
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0.501875);
  EXPECT_EQ(job.cost().unit(), "credits");
  ASSERT_TRUE(job.has_estimated_cost());
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 0.5);
  EXPECT_EQ(job.estimated_cost().unit(), "credits");
  EXPECT_THAT(job.tags(), UnorderedElementsAre(Pair("experiment", "bell-state")));
  EXPECT_EQ(job.batch_id(), "");
  EXPECT_FALSE(job.has_vendor_payload());
}

TEST(QbraidExamplesTest, AquilaCompleted) {
  v1::Job job = MustNormalize(Example("sdk_get_job_aquila_completed.json"));
  EXPECT_EQ(job.name(),
            "vendors/qbraid/jobs/"
            "aws:quera:qpu:aquila-37f5-qjob-696aae286a18e4f726abf2af");
  EXPECT_EQ(job.provider(), "quera");
  EXPECT_EQ(job.device(), "aws:quera:qpu:aquila");
  EXPECT_EQ(job.display_name(), "Analog Job");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.job_type(), "analog");
  EXPECT_EQ(job.shots(), 100);
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-01-16T21:31:24.447Z"));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-01-16T21:33:27.771Z"));
  EXPECT_FALSE(job.has_execution_duration());  // executionDuration is null
  EXPECT_DOUBLE_EQ(job.cost().amount(), 130);
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 130);
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_THAT(job.tags(), IsEmpty());
  EXPECT_EQ(job.batch_id(), "");
}

TEST(QbraidExamplesTest, AquilaQueued) {
  v1::Job job = MustNormalize(Example("sdk_get_job_aquila_queued.json"));
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(job.vendor_state(), "QUEUED");
  ASSERT_TRUE(job.has_queue_position());
  EXPECT_EQ(job.queue_position(), 1);
  EXPECT_FALSE(job.has_cost());  // cost is null
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 130);
  // timeStamps is null: the record's own createdAt stands in for the creation
  // time.
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-01-16T21:31:20.564Z"));
  EXPECT_FALSE(job.has_end_time());
  EXPECT_FALSE(job.has_execution_duration());
}

TEST(QbraidExamplesTest, PasqalEmulatorCompleted) {
  v1::Job job = MustNormalize(Example("sdk_get_job_pasqal_emu_tn_completed.json"));
  EXPECT_EQ(job.vendor_job_id(), "azure:pasqal:sim:emu-tn-37f5-qjob-696aafc96a18e4f726abf2ba");
  EXPECT_EQ(job.provider(), "pasqal");
  EXPECT_EQ(job.device(), "azure:pasqal:sim:emu-tn");
  EXPECT_EQ(job.display_name(), "Pulser Sequence Job");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-01-16T21:38:21.627Z"));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-01-16T21:38:42Z"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Seconds(11));
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0.0465);
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 25);
}

TEST(QbraidExamplesTest, QirSimulatorFailed) {
  v1::Job job = MustNormalize(Example("sdk_get_job_qir_sv_failed.json"));
  EXPECT_EQ(job.provider(), "qbraid");
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.state_message(),
            "Error: \"Failed to link some declared functions: "
            "__quantum__qis__barrier__body\"\n");
  EXPECT_EQ(job.display_name(), "");  // name is null
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-04-21T19:40:37Z"));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-04-21T19:40:37Z"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Milliseconds(2));
  ASSERT_TRUE(job.has_cost());
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0);
}

TEST(QbraidExamplesTest, RigettiQvmCompleted) {
  v1::Job job = MustNormalize(Example("sdk_get_job_rigetti_qvm_completed.json"));
  EXPECT_EQ(job.provider(), "rigetti");
  EXPECT_EQ(job.device(), "azure:rigetti:sim:qvm");
  EXPECT_EQ(job.display_name(), "Quil Job");
  EXPECT_EQ(job.job_type(), "gate_model");
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Milliseconds(1200));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-01-16T21:33:15.516Z"));
  ASSERT_TRUE(job.has_cost());
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0);
}

TEST(QbraidExamplesTest, Sv1Completed) {
  v1::Job job = MustNormalize(Example("sdk_get_job_sv1_completed.json"));
  EXPECT_EQ(job.name(), "vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
  EXPECT_EQ(job.provider(), "aws");
  EXPECT_EQ(job.display_name(), "QASM job");
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2026-01-16T19:37:43.066Z"));
  EXPECT_EQ(TimeOf(job.end_time()), Rfc3339("2026-01-16T19:37:44.515Z"));
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0.375);
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 7.5);
}

TEST(QbraidExamplesTest, CreateResponsesAreInitializingJobs) {
  for (const char* file :
       {"sdk_create_job_response_aquila.json", "sdk_create_job_response_rigetti_qvm.json",
        "sdk_create_job_response_sv1.json"}) {
    v1::Job job = MustNormalize(Example(file));
    EXPECT_EQ(job.state(), v1::Job::INITIALIZING) << file;
    EXPECT_FALSE(job.has_create_time()) << file;  // timeStamps null, no createdAt
    EXPECT_FALSE(job.has_cost()) << file;
    EXPECT_TRUE(job.has_estimated_cost()) << file;
    EXPECT_FALSE(job.has_queue_position()) << file;
  }
}

TEST(QbraidExamplesTest, FullViewCarriesTheDataObjectVerbatim) {
  const std::string body = Example("sdk_get_job_aquila_completed.json");
  v1::Job full = MustNormalize(body, v1::JOB_VIEW_FULL);
  ASSERT_TRUE(full.has_vendor_payload());
  absl::StatusOr<json::Struct> root = json::ParseObject(body);
  ASSERT_TRUE(root.ok());
  const json::Struct* data = json::GetObject(*root, "data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(full.vendor_payload(), *data));
  EXPECT_EQ(json::GetString(full.vendor_payload(), "_id"), "696aae286a18e4f726abf2b0");
  for (v1::JobView view : {v1::JOB_VIEW_BASIC, v1::JOB_VIEW_UNSPECIFIED}) {
    EXPECT_FALSE(MustNormalize(body, view).has_vendor_payload());
  }
}

TEST(QbraidExamplesTest, NonJobFilesFailWithoutEchoingTheBody) {
  absl::StatusOr<v1::Job> job =
      NormalizeQbraidJob(Example("sdk_get_job_program_sv1.json"), v1::JOB_VIEW_BASIC);
  EXPECT_THAT(job, IsError(kInternal, kBadResponse));
  EXPECT_EQ(Metadata(job.status(), "vendor"), "qbraid");
  EXPECT_THAT(std::string(job.status().message()), Not(HasSubstr("OPENQASM")));
}

// --- Traps from NOTES.md, one each
// -----------------------------------------------------------

TEST(QbraidTrapTest, KeysAbsentRatherThanNull) {
  v1::Job job = MustNormalize(MinimalJob(R"("status":"QUEUED")"));
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(job.state_message(), "");
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_FALSE(job.has_cost());
  EXPECT_FALSE(job.has_estimated_cost());
  EXPECT_FALSE(job.has_create_time());
  EXPECT_THAT(job.tags(), IsEmpty());
  EXPECT_EQ(job.provider(), "");
  EXPECT_EQ(job.display_name(), "");
}

TEST(QbraidTrapTest, KeysNullRatherThanAbsent) {
  v1::Job job = MustNormalize(MinimalJob(
      R"("name":null,"status":null,"statusMsg":null,"queuePosition":null,"cost":null,
         "estimatedCost":null,"metadata":null,"tags":null,"timeStamps":null,"provider":null,
         "deviceQrn":null,"experimentType":null,"shots":null,"batchJobQrn":null,
         "groupJobQrn":null)"));
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.vendor_state(), "");
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_FALSE(job.has_cost());
  EXPECT_FALSE(job.has_create_time());
  EXPECT_EQ(job.shots(), 0);
  EXPECT_EQ(job.batch_id(), "");
}

TEST(QbraidTrapTest, ProviderAsString) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("provider":"QuEra")")).provider(), "quera");
}

TEST(QbraidTrapTest, ProviderAsObject) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("provider":{"_id":"1","provider":"AWS"})")).provider(),
            "aws");
  EXPECT_EQ(MustNormalize(MinimalJob(R"("provider":{"name":"IonQ"})")).provider(), "ionq");
  EXPECT_EQ(MustNormalize(MinimalJob(R"("provider":{"id":7})")).provider(), "");
}

TEST(QbraidTrapTest, VendorAsStringOrObjectIsTolerated) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("vendor":{"name":"AWS"},"provider":"aws")")).vendor(),
            "qbraid");
  EXPECT_EQ(MustNormalize(MinimalJob(R"("vendor":"aws")")).vendor(), "qbraid");
}

TEST(QbraidTrapTest, CostAsNumber) {
  EXPECT_DOUBLE_EQ(MustNormalize(MinimalJob(R"("cost":0.501875)")).cost().amount(), 0.501875);
}

TEST(QbraidTrapTest, CostAsDecimalString) {
  v1::Job job = MustNormalize(MinimalJob(R"("cost":"0.375","estimatedCost":"0E-33")"));
  ASSERT_TRUE(job.has_cost());
  EXPECT_DOUBLE_EQ(job.cost().amount(), 0.375);
  EXPECT_EQ(job.cost().unit(), "credits");
  ASSERT_TRUE(job.has_estimated_cost());
  EXPECT_DOUBLE_EQ(job.estimated_cost().amount(), 0);
}

TEST(QbraidTrapTest, TimestampForms) {
  const std::map<std::string, std::string> kForms = {
      {"2025-01-15T10:30:00Z", "2025-01-15T10:30:00Z"},
      {"2026-01-16T19:37:43.066Z", "2026-01-16T19:37:43.066Z"},
      {"2026-01-16T19:37:43.066000Z", "2026-01-16T19:37:43.066Z"},
      {"2026-01-16T21:33:15.867401Z", "2026-01-16T21:33:15.867401Z"},
      {"2026-01-16T21:33:15.867401+00:00", "2026-01-16T21:33:15.867401Z"},
      {"2026-01-16T21:33:15.867401", "2026-01-16T21:33:15.867401Z"},
      {"2026-01-16T21:33:15.123456789Z", "2026-01-16T21:33:15.123456789Z"},
  };
  for (const auto& [sent, expected] : kForms) {
    v1::Job job = MustNormalize(MinimalJob(
        absl::StrCat(R"("timeStamps":{"createdAt":")", sent, R"(","endedAt":")", sent, R"("})")));
    EXPECT_EQ(TimeOf(job.create_time()), Rfc3339(expected)) << sent;
    EXPECT_EQ(TimeOf(job.end_time()), Rfc3339(expected)) << sent;
  }
}

TEST(QbraidTrapTest, UnparseableTimestampLeavesTheFieldUnset) {
  v1::Job job =
      MustNormalize(MinimalJob(R"("timeStamps":{"createdAt":"yesterday","endedAt":1736937000})"));
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_end_time());
}

TEST(QbraidTrapTest, TimeStampsNull) {
  v1::Job job = MustNormalize(MinimalJob(R"("timeStamps":null)"));
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_end_time());
  EXPECT_FALSE(job.has_execution_duration());
}

TEST(QbraidTrapTest, TimeStampsWithOnlyCreatedAt) {
  v1::Job job = MustNormalize(MinimalJob(R"("timeStamps":{"createdAt":"2025-01-15T10:30:00Z"})"));
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2025-01-15T10:30:00Z"));
  EXPECT_FALSE(job.has_end_time());
  EXPECT_FALSE(job.has_execution_duration());
}

TEST(QbraidTrapTest, TimeStampsCreatedAtWinsOverTheRecordsCreatedAt) {
  v1::Job job = MustNormalize(MinimalJob(R"("timeStamps":{"createdAt":"2025-01-15T10:30:00Z"},
                                            "createdAt":"2025-01-15T10:29:00Z")"));
  EXPECT_EQ(TimeOf(job.create_time()), Rfc3339("2025-01-15T10:30:00Z"));
}

TEST(QbraidTrapTest, ExecutionDurationInMilliseconds) {
  v1::Job job = MustNormalize(MinimalJob(R"("timeStamps":{"executionDuration":1250})"));
  EXPECT_EQ(DurationOf(job.execution_duration()), absl::Milliseconds(1250));
}

TEST(QbraidTrapTest, ExecutionDurationNull) {
  v1::Job job = MustNormalize(
      MinimalJob(R"("timeStamps":{"createdAt":"2025-01-15T10:30:00Z","executionDuration":null})"));
  EXPECT_FALSE(job.has_execution_duration());
  EXPECT_TRUE(job.has_create_time());
}

TEST(QbraidTrapTest, GroupJobQrnPreferredOverBatchJobQrn) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("batchJobQrn":"old","groupJobQrn":"new")")).batch_id(),
            "new");
}

TEST(QbraidTrapTest, BatchJobQrnWhenGroupJobQrnAbsentOrNull) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("batchJobQrn":"old")")).batch_id(), "old");
  EXPECT_EQ(MustNormalize(MinimalJob(R"("batchJobQrn":"old","groupJobQrn":null)")).batch_id(),
            "old");
}

TEST(QbraidTrapTest, ExtraKeysAreIgnored) {
  v1::Job job = MustNormalize(MinimalJob(
      R"("_id":"x","jobVrn":"arn:...","device":{"a":1},"providerId":{"provider":"AWS"},
         "s3Destination":{"bucket":"b"},"futureField":[1,2,3],"status":"RUNNING")"));
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.provider(), "");  // providerId is not the provider
}

TEST(QbraidTrapTest, NameNull) {
  EXPECT_EQ(MustNormalize(MinimalJob(R"("name":null)")).display_name(), "");
}

TEST(QbraidTrapTest, UnknownStatusIsUnspecifiedAndKeptVerbatim) {
  v1::Job unknown = MustNormalize(MinimalJob(R"("status":"UNKNOWN")"));
  EXPECT_EQ(unknown.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(unknown.vendor_state(), "UNKNOWN");
  v1::Job novel = MustNormalize(MinimalJob(R"("status":"PAUSED_FOR_CALIBRATION")"));
  EXPECT_EQ(novel.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(novel.vendor_state(), "PAUSED_FOR_CALIBRATION");
}

TEST(QbraidTrapTest, EveryDocumentedStatus) {
  const std::map<std::string, v1::Job::State> kStates = {
      {"INITIALIZING", v1::Job::INITIALIZING},
      {"VALIDATING", v1::Job::INITIALIZING},
      {"QUEUED", v1::Job::QUEUED},
      {"RUNNING", v1::Job::RUNNING},
      {"CANCELLING", v1::Job::CANCELLING},
      {"CANCELLED", v1::Job::CANCELLED},
      {"COMPLETED", v1::Job::COMPLETED},
      {"FAILED", v1::Job::FAILED},
      {"UNKNOWN", v1::Job::STATE_UNSPECIFIED},
      {"HOLD", v1::Job::ON_HOLD},
  };
  for (const auto& [status, state] : kStates) {
    v1::Job job = MustNormalize(MinimalJob(absl::StrCat(R"("status":")", status, R"(")")));
    EXPECT_EQ(job.state(), state) << status;
    EXPECT_EQ(job.vendor_state(), status);
  }
}

TEST(QbraidTrapTest, TagValuesAsText) {
  v1::Job job =
      MustNormalize(MinimalJob(R"("tags":{"experiment":"bell","round":2,"ok":true,"w":0.5})"));
  EXPECT_THAT(job.tags(), UnorderedElementsAre(Pair("experiment", "bell"), Pair("round", "2"),
                                               Pair("ok", "true"), Pair("w", "0.5")));
}

TEST(QbraidTrapTest, QueuePositionOnlyWhenPresent) {
  v1::Job zero = MustNormalize(MinimalJob(R"("queuePosition":0)"));
  ASSERT_TRUE(zero.has_queue_position());
  EXPECT_EQ(zero.queue_position(), 0);
  EXPECT_FALSE(MustNormalize(MinimalJob()).has_queue_position());
}

TEST(QbraidTrapTest, WrongTypesInOptionalFieldsLeaveThemUnset) {
  v1::Job job = MustNormalize(MinimalJob(
      R"("name":42,"status":["RUNNING"],"statusMsg":{},"shots":"many","deviceQrn":7,
         "tags":["a"],"timeStamps":"2025-01-15T10:30:00Z","queuePosition":"first",
         "cost":{"value":1},"estimatedCost":true,"provider":5,"experimentType":false,
         "groupJobQrn":9,"batchJobQrn":[])"));
  EXPECT_EQ(job.display_name(), "");
  EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(job.vendor_state(), "");
  EXPECT_EQ(job.state_message(), "");
  EXPECT_EQ(job.shots(), 0);
  EXPECT_EQ(job.device(), "");
  EXPECT_THAT(job.tags(), IsEmpty());
  EXPECT_FALSE(job.has_create_time());
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_FALSE(job.has_cost());
  EXPECT_FALSE(job.has_estimated_cost());
  EXPECT_EQ(job.provider(), "");
  EXPECT_EQ(job.job_type(), "");
  EXPECT_EQ(job.batch_id(), "");
}

TEST(QbraidTrapTest, OutOfRangeNumbersLeaveFieldsUnset) {
  v1::Job job = MustNormalize(MinimalJob(
      R"("queuePosition":1e12,"shots":1.5,"timeStamps":{"executionDuration":-5},"cost":"1e999")"));
  EXPECT_FALSE(job.has_queue_position());
  EXPECT_EQ(job.shots(), 0);
  EXPECT_FALSE(job.has_execution_duration());
  EXPECT_FALSE(job.has_cost());
  // A number beyond double range is not JSON protobuf can hold: a clean error,
  // not a crash.
  EXPECT_THAT(NormalizeQbraidJob(MinimalJob(R"("cost":1e999)"), v1::JOB_VIEW_BASIC),
              IsError(kInternal, kBadResponse));
}

// --- Envelope and required fields
// -----------------------------------------------------------

TEST(QbraidEnvelopeTest, SuccessFalseIsABadResponse) {
  absl::StatusOr<v1::Job> job = NormalizeQbraidJob(
      R"({"success":false,"data":{"jobQrn":"q"},"message":"nope"})", v1::JOB_VIEW_BASIC);
  EXPECT_THAT(job, IsError(kInternal, kBadResponse));
  EXPECT_EQ(Metadata(job.status(), "vendor"), "qbraid");
}

TEST(QbraidEnvelopeTest, SuccessMissingOrNotBooleanIsABadResponse) {
  EXPECT_THAT(NormalizeQbraidJob(R"({"data":{"jobQrn":"q"}})", v1::JOB_VIEW_BASIC),
              IsError(kInternal, kBadResponse));
  EXPECT_THAT(NormalizeQbraidJob(R"({"success":"true","data":{"jobQrn":"q"}})", v1::JOB_VIEW_BASIC),
              IsError(kInternal, kBadResponse));
}

TEST(QbraidEnvelopeTest, DataMustBeAnObject) {
  for (const char* body : {R"({"success":true})", R"({"success":true,"data":null})",
                           R"({"success":true,"data":[]})", R"({"success":true,"data":"q"})"}) {
    EXPECT_THAT(NormalizeQbraidJob(body, v1::JOB_VIEW_BASIC), IsError(kInternal, kBadResponse))
        << body;
  }
}

TEST(QbraidEnvelopeTest, JobQrnMustBeANonEmptyString) {
  for (const char* members : {R"("status":"QUEUED")", R"("jobQrn":null)", R"("jobQrn":"")",
                              R"("jobQrn":42)", R"("jobQrn":{"id":"q"})"}) {
    EXPECT_THAT(NormalizeQbraidJob(Envelope(members), v1::JOB_VIEW_BASIC),
                IsError(kInternal, kBadResponse))
        << members;
  }
}

TEST(QbraidEnvelopeTest, GarbageAndTruncatedJson) {
  const std::string good = Example("sdk_get_job_sv1_completed.json");
  for (const std::string& body :
       {std::string(), std::string("garbage"), std::string("<html>502</html>"),
        good.substr(0, good.size() / 2), good.substr(0, good.size() - 2)}) {
    absl::StatusOr<v1::Job> job = NormalizeQbraidJob(body, v1::JOB_VIEW_BASIC);
    EXPECT_THAT(job, IsError(kInternal, kBadResponse));
    EXPECT_THAT(std::string(job.status().message()), Not(HasSubstr("qjob")));
  }
}

TEST(QbraidEnvelopeTest, NonObjectBodies) {
  for (const char* body : {"[]", "null", "true", "42", R"("success")"}) {
    EXPECT_THAT(NormalizeQbraidJob(body, v1::JOB_VIEW_BASIC), IsError(kInternal, kBadResponse));
    EXPECT_THAT(NormalizeQbraidJobList(body, v1::JOB_VIEW_BASIC), IsError(kInternal, kBadResponse));
  }
}

TEST(QbraidEnvelopeTest, InvalidUtf8InsideAStringIsTolerated) {
  v1::Job job = MustNormalize(MinimalJob("\"name\":\"caf\xE9 job\",\"status\":\"QUEUED\""));
  EXPECT_EQ(job.display_name(), "caf\xEF\xBF\xBD job");
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  // The job must be serialisable: proto3 strings have to be valid UTF-8.
  v1::Job copy;
  EXPECT_TRUE(copy.ParseFromString(job.SerializeAsString()));
}

TEST(QbraidEnvelopeTest, DeeplyNestedJsonIsRefusedCleanly) {
  std::string nested = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_THAT(NormalizeQbraidJob(MinimalJob(absl::StrCat(R"("runtimeOptions":)", nested)),
                                 v1::JOB_VIEW_BASIC),
              IsError(kInternal, kBadResponse));
  // Moderate nesting in an ignored member is fine.
  std::string moderate = std::string(20, '[') + std::string(20, ']');
  EXPECT_TRUE(NormalizeQbraidJob(MinimalJob(absl::StrCat(R"("runtimeOptions":)", moderate)),
                                 v1::JOB_VIEW_FULL)
                  .ok());
}

// --- Lists
// ----------------------------------------------------------------------------------

std::string ListBody(const std::string& pagination, int jobs = 2) {
  std::string data;
  for (int i = 0; i < jobs; ++i) {
    absl::StrAppend(&data, i ? "," : "", R"({"jobQrn":"q)", i, R"(","status":"COMPLETED"})");
  }
  return absl::StrCat(R"({"success":true,"data":[)", data, "]", pagination.empty() ? "" : ",",
                      pagination, "}");
}

TEST(QbraidListTest, HasNextFromPagination) {
  absl::StatusOr<QbraidJobList> list = NormalizeQbraidJobList(
      ListBody(R"("pagination":{"page":1,"totalPages":1,"hasNext":true})"), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->has_next);  // hasNext wins over the page arithmetic
  ASSERT_EQ(list->jobs.size(), 2u);
  EXPECT_EQ(list->jobs[0].name(), "vendors/qbraid/jobs/q0");
  EXPECT_EQ(list->jobs[1].name(), "vendors/qbraid/jobs/q1");
  list = NormalizeQbraidJobList(ListBody(R"("pagination":{"hasNext":false,"totalPages":9})"),
                                v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok());
  EXPECT_FALSE(list->has_next);
}

TEST(QbraidListTest, HasNextFromPageCountsWhenHasNextIsAbsent) {
  auto has_next = [](const std::string& pagination) {
    absl::StatusOr<QbraidJobList> list =
        NormalizeQbraidJobList(ListBody(pagination), v1::JOB_VIEW_BASIC);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() && list->has_next;
  };
  EXPECT_TRUE(has_next(R"("pagination":{"page":1,"totalPages":3})"));
  EXPECT_FALSE(has_next(R"("pagination":{"page":3,"totalPages":3})"));
  EXPECT_FALSE(has_next(R"("pagination":{"page":1,"totalPages":null,"hasNext":null})"));
  EXPECT_FALSE(has_next(R"("pagination":null)"));
  EXPECT_FALSE(has_next(""));
}

TEST(QbraidListTest, EmptyPage) {
  absl::StatusOr<QbraidJobList> list =
      NormalizeQbraidJobList(ListBody(R"("pagination":{"hasNext":false})", 0), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(list->jobs, IsEmpty());
}

TEST(QbraidListTest, FullViewGivesEachJobItsOwnPayload) {
  absl::StatusOr<QbraidJobList> list = NormalizeQbraidJobList(ListBody(""), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->jobs.size(), 2u);
  EXPECT_EQ(json::GetString(list->jobs[1].vendor_payload(), "jobQrn"), "q1");
}

// One unreadable item costs only itself: the page keeps the others and counts it.
TEST(QbraidListTest, ItemsWithoutAReadableIdAreSkippedAndCounted) {
  for (
      const char* body :
      {R"({"success":true,"data":[{"jobQrn":"q"},7,{"jobQrn":"r"}],"pagination":{"hasNext":true}})",
       R"({"success":true,"data":[{"jobQrn":"q"},{"status":"QUEUED"},{"jobQrn":"r"}],"pagination":{"hasNext":true}})",
       R"({"success":true,"data":[{"jobQrn":"q"},{"jobQrn":null},{"jobQrn":"r"}],"pagination":{"hasNext":true}})"}) {
    absl::StatusOr<QbraidJobList> list = NormalizeQbraidJobList(body, v1::JOB_VIEW_BASIC);
    ASSERT_TRUE(list.ok()) << body << ": " << list.status();
    EXPECT_EQ(list->skipped, 1) << body;
    ASSERT_EQ(list->jobs.size(), 2u) << body;
    EXPECT_EQ(list->jobs[0].vendor_job_id(), "q");
    EXPECT_EQ(list->jobs[1].vendor_job_id(), "r");
    EXPECT_TRUE(list->has_next);
  }
}

TEST(QbraidListTest, MalformedListsAreBadResponses) {
  for (const char* body : {R"({"success":true,"data":{"jobQrn":"q"}})", R"({"success":true})",
                           R"({"success":false,"data":[]})"}) {
    EXPECT_THAT(NormalizeQbraidJobList(body, v1::JOB_VIEW_BASIC), IsError(kInternal, kBadResponse))
        << body;
  }
}

// --- Error bodies through the HTTP error mapping
// --------------------------------------------

TEST(QbraidErrorBodiesTest, GatewayAndFastApiEnvelopes) {
  absl::Status gateway =
      VendorHttpError("qbraid", VendorOperation::kGet,
                      HttpResponse(401, R"({"success":false,"message":"Unauthorized",
                            "error":{"code":"INVALID_API_KEY","message":"Invalid API key"}})"),
                      false, {});
  EXPECT_THAT(gateway, IsError(kInternal, "VENDOR_AUTH_FAILED"));
  EXPECT_EQ(Metadata(gateway, "vendor_message"), "INVALID_API_KEY: Invalid API key");
  absl::Status conflict = VendorHttpError(
      "qbraid", VendorOperation::kCancel,
      HttpResponse(
          409,
          R"({"success":false,"message":"Job is still initializing, try again in a few moments",
                            "error":{"code":"JOB_CANCEL_CONFLICT"}})"),
      false, {});
  EXPECT_THAT(conflict, IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  EXPECT_THAT(Metadata(conflict, "vendor_message"), HasSubstr("JOB_CANCEL_CONFLICT"));
  absl::Status fastapi = VendorHttpError(
      "qbraid", VendorOperation::kDelete,
      HttpResponse(403, R"({"detail":"You do not have permission to delete this job"})"), false,
      {});
  EXPECT_THAT(fastapi, IsError(Code::kPermissionDenied, "VENDOR_PERMISSION_DENIED"));
  EXPECT_EQ(Metadata(fastapi, "vendor_message"), "You do not have permission to delete this job");
}

}  // namespace
}  // namespace jobfacade
