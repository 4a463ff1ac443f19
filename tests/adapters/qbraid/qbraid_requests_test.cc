// qBraid's request builders and answer readers as pure functions: no server.
#include "adapters/qbraid/qbraid_requests.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;

constexpr char kRequestId[] = "5f0c6f1e-8a4b-4c1d-9e2f-3a4b5c6d7e8f";
constexpr char kQasm3[] =
    "OPENQASM 3;\ninclude \"stdgates.inc\";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\nmeasure q;";
constexpr char kQasm2[] =
    "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n"
    "measure q -> c;";

const Endpoint kEndpoint{"https://api-v2.qbraid.com/api/v1", "key-1"};

http::Response Ok(std::string body) {
  http::Response response;
  response.status = 200;
  response.body = std::move(body);
  return response;
}

TEST(QbraidRequestsTest, JobRequestsAddressTheEncodedQrnWithTheKey) {
  const std::string qrn = "aws:aws:sim:sv1-37f5-qjob-69/6a";
  absl::StatusOr<http::Request> get = QbraidGetJobRequest(kEndpoint, qrn);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->method, "GET");
  EXPECT_EQ(get->url,
            "https://api-v2.qbraid.com/api/v1/jobs/aws%3Aaws%3Asim%3Asv1-37f5-qjob-69%2F6a");
  EXPECT_THAT(get->headers,
              ElementsAre(Pair("Accept", "application/json"), Pair("User-Agent", "jobfacade/0.1"),
                          Pair("X-API-KEY", "key-1")));
  EXPECT_EQ(QbraidCancelJobRequest(kEndpoint, "q")->url,
            "https://api-v2.qbraid.com/api/v1/jobs/q/cancel");
  EXPECT_EQ(QbraidCancelJobRequest(kEndpoint, "q")->method, "POST");
  EXPECT_EQ(QbraidDeleteJobRequest(kEndpoint, "q")->method, "DELETE");
  // No key, no header.
  EXPECT_EQ(QbraidGetJobRequest(Endpoint{kEndpoint.base_url, ""}, "q")->headers.size(), 2u);
}

TEST(QbraidRequestsTest, ListRequestsCountPagesAndCarryThePushedDownFilter) {
  ListRequest request;
  request.page_size = 500;
  request.cursor = "3";
  request.filter = {{"status", "RUNNING"}, {"search", "Bell state"}};
  EXPECT_EQ(
      QbraidListJobsRequest(kEndpoint, request)->url,
      "https://api-v2.qbraid.com/api/v1/jobs?page=3&limit=100&status=RUNNING&search=Bell%20state");
  request.cursor = "x";
  EXPECT_THAT(QbraidListJobsRequest(kEndpoint, request).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST(QbraidRequestsTest, ListReaderFollowsHasNextButNeverFromAnEmptyPage) {
  ListRequest request;
  request.cursor = "2";
  absl::StatusOr<ListResult> page = ReadQbraidJobList(
      Ok(R"({"success":true,"data":[{"jobQrn":"a"},{"x":1}],"pagination":{"hasNext":true}})"),
      request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "3");
  EXPECT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->skipped, 1);
  page =
      ReadQbraidJobList(Ok(R"({"success":true,"data":[],"pagination":{"hasNext":true}})"), request);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->next_cursor, "");
}

TEST(QbraidRequestsTest, StateChangeReaderRefusesSuccessFalseOnly) {
  EXPECT_TRUE(ReadQbraidStateChange(Ok(R"({"success":true})")).ok());
  EXPECT_TRUE(ReadQbraidStateChange(Ok("not json")).ok());
  EXPECT_THAT(ReadQbraidStateChange(Ok(R"({"success":false})")),
              IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE"));
}

// --- CreateJob ----------------------------------------------------------------------------

std::string Example(const std::string& file) { return ReadExample("qbraid", file); }

json::Struct MustParse(const std::string& text) {
  absl::StatusOr<json::Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << ": " << text;
  return parsed.ok() ? *parsed : json::Struct();
}

CreateRequest Submission(v1::QuantumProgram::Format format, const std::string& source) {
  CreateRequest request;
  request.request_id = kRequestId;
  request.spec.set_device("aws:aws:sim:dm1");
  request.spec.set_shots(1000);
  request.spec.mutable_quantum_program()->set_format(format);
  request.spec.mutable_quantum_program()->set_source(source);
  return request;
}

// The body as sent, parsed, next to what it should be; both printed sorted, so a difference
// reads as one.
void ExpectBody(const http::Request& request, const json::Struct& want) {
  EXPECT_EQ(json::ToJson(MustParse(request.body)), json::ToJson(want));
}

TEST(QbraidCreateRequestTest, DocsExampleIsWhatAQasm3SubmissionSends) {
  CreateRequest request = Submission(v1::QuantumProgram::FORMAT_OPENQASM3, kQasm3);
  request.spec.set_display_name("Bell state job");
  (*request.spec.mutable_tags())["experiment"] = "bell-state";
  absl::StatusOr<http::Request> built = QbraidCreateJobRequest(kEndpoint, request);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->method, "POST");
  EXPECT_EQ(built->url, "https://api-v2.qbraid.com/api/v1/jobs");
  EXPECT_THAT(built->headers,
              ElementsAre(Pair("Accept", "application/json"), Pair("User-Agent", "jobfacade/0.1"),
                          Pair("X-API-KEY", "key-1"), Pair("Content-Type", "application/json")));
  // The docs' request, with the request id among the tags and no empty runtimeOptions.
  json::Struct want = MustParse(Example("docs_create_job_request_qasm3.json"));
  want.mutable_fields()->erase("runtimeOptions");
  (*(*want.mutable_fields())["tags"]
        .mutable_struct_value()
        ->mutable_fields())["jobfacade-request-id"] = json::Str(kRequestId);
  ExpectBody(*built, want);
  // The schema says integer: shots must not print as 1000.0 or 1e3.
  EXPECT_THAT(built->body, ::testing::HasSubstr("\"shots\":1000"));
}

TEST(QbraidCreateRequestTest, SdkExampleWithANameAndNoTags) {
  CreateRequest request = Submission(
      v1::QuantumProgram::FORMAT_OPENQASM3,
      "OPENQASM 3.0;\nbit[2] b;\nqubit[2] q;\nh q[0];\ncnot q[0], q[1];\nb[0] = measure q[0];\n"
      "b[1] = measure q[1];\n");
  request.spec.set_device("aws:aws:sim:sv1");
  request.spec.set_shots(100);
  request.spec.set_display_name("QASM job");
  absl::StatusOr<http::Request> built = QbraidCreateJobRequest(kEndpoint, request);
  ASSERT_TRUE(built.ok()) << built.status();
  json::Struct want = MustParse(Example("sdk_create_job_request_sv1_qasm3.json"));
  (*want.mutable_fields())["tags"] =
      json::Obj(MustParse(R"({"jobfacade-request-id":")" + std::string(kRequestId) + R"("})"));
  ExpectBody(*built, want);
}

TEST(QbraidCreateRequestTest, Qasm2WithoutNameTagsOrOptions) {
  absl::StatusOr<http::Request> built =
      QbraidCreateJobRequest(kEndpoint, Submission(v1::QuantumProgram::FORMAT_OPENQASM2, kQasm2));
  ASSERT_TRUE(built.ok()) << built.status();
  json::Struct want;
  (*want.mutable_fields())["shots"] = json::Num(1000);
  (*want.mutable_fields())["deviceQrn"] = json::Str("aws:aws:sim:dm1");
  (*want.mutable_fields())["program"] = json::Obj(MustParse(
      absl::StrCat(R"({"format":"qasm2","data":)", json::ToJson(json::Str(kQasm2)), "}")));
  (*want.mutable_fields())["tags"] =
      json::Obj(MustParse(absl::StrCat(R"({"jobfacade-request-id":")", kRequestId, R"("})")));
  ExpectBody(*built, want);

  // Without a request id (never the case from the service) there is no tag to send at all.
  CreateRequest anonymous = Submission(v1::QuantumProgram::FORMAT_OPENQASM2, kQasm2);
  anonymous.request_id.clear();
  built = QbraidCreateJobRequest(kEndpoint, anonymous);
  ASSERT_TRUE(built.ok()) << built.status();
  want.mutable_fields()->erase("tags");
  ExpectBody(*built, want);
}

TEST(QbraidCreateRequestTest, Qasm2WithNameTagsAndRuntimeOptions) {
  CreateRequest request = Submission(v1::QuantumProgram::FORMAT_OPENQASM2, kQasm2);
  request.spec.set_display_name("GHZ");
  (*request.spec.mutable_tags())["round"] = "2";
  (*request.spec.mutable_tags())["owner"] = "ana";
  *request.spec.mutable_vendor_options() =
      MustParse(R"({"noiseModel":"depolarizing","transpile":{"level":2,"keep":[1,true,null]}})");
  absl::StatusOr<http::Request> built = QbraidCreateJobRequest(kEndpoint, request);
  ASSERT_TRUE(built.ok()) << built.status();
  json::Struct want = MustParse(absl::StrCat(
      R"({"shots":1000,"deviceQrn":"aws:aws:sim:dm1","name":"GHZ",)",
      R"("program":{"format":"qasm2","data":)", json::ToJson(json::Str(kQasm2)), "},",
      R"("tags":{"round":"2","owner":"ana","jobfacade-request-id":")", kRequestId, R"("},)",
      R"("runtimeOptions":{"noiseModel":"depolarizing","transpile":{"level":2,"keep":[1,true,null]}}})"));
  ExpectBody(*built, want);
}

TEST(QbraidCreateRequestTest, WhatCannotBeSentIsRefusedBeforeSending) {
  CreateRequest agent;
  agent.request_id = kRequestId;
  agent.spec.mutable_agent_run()->set_prompt("hello");
  absl::StatusOr<http::Request> built = QbraidCreateJobRequest(kEndpoint, agent);
  EXPECT_THAT(built, IsError(Code::kInvalidArgument, "INVALID_JOB_SPEC"));
  EXPECT_EQ(BadRequestField(built.status()), "job.quantum_program");

  EXPECT_THAT(
      QbraidCreateJobRequest(kEndpoint, Submission(v1::QuantumProgram::FORMAT_UNSPECIFIED, kQasm3)),
      IsError(Code::kUnimplemented, "UNSUPPORTED_BY_VENDOR"));
}

http::Response Created(std::string body) { return HttpResponse(201, std::move(body)); }

TEST(QbraidCreatedJobReaderTest, DocsMinimalAnswerGivesWhatTheVendorSaid) {
  absl::StatusOr<v1::Job> job =
      ReadQbraidCreatedJob(Created(Example("docs_create_job_response_201.json")));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), "vendors/qbraid/jobs/aws:aws:sim:dm1-a1b2-qjob-1234567890abcdef");
  EXPECT_EQ(job->vendor(), "qbraid");
  EXPECT_EQ(job->vendor_job_id(), "aws:aws:sim:dm1-a1b2-qjob-1234567890abcdef");
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  EXPECT_EQ(job->vendor_state(), "INITIALIZING");
  // Nothing the vendor did not say.
  EXPECT_EQ(job->device(), "");
  EXPECT_EQ(job->display_name(), "");
  EXPECT_EQ(job->shots(), 0);
  EXPECT_FALSE(job->has_create_time());
  EXPECT_FALSE(job->has_estimated_cost());
  EXPECT_FALSE(job->has_vendor_payload());
}

TEST(QbraidCreatedJobReaderTest, LiveAnswersCarryTheWholeJob) {
  struct Case {
    const char* file;
    const char* qrn;
    const char* device;
    const char* name;
    const char* provider;
    double estimated_cost;
  };
  for (const Case& c : {
           Case{"sdk_create_job_response_sv1.json",
                "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6", "aws:aws:sim:sv1", "QASM job",
                "aws", 7.5},
           Case{"sdk_create_job_response_aquila.json",
                "aws:quera:qpu:aquila-37f5-qjob-696aae286a18e4f726abf2af", "aws:quera:qpu:aquila",
                "Analog Job", "quera", 130},
           Case{"sdk_create_job_response_rigetti_qvm.json",
                "azure:rigetti:sim:qvm-37f5-qjob-696aae936a18e4f726abf2b5", "azure:rigetti:sim:qvm",
                "Quil Job", "rigetti", 0},
       }) {
    SCOPED_TRACE(c.file);
    absl::StatusOr<v1::Job> job = ReadQbraidCreatedJob(Created(Example(c.file)));
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->name(), absl::StrCat("vendors/qbraid/jobs/", c.qrn));
    EXPECT_EQ(job->vendor_job_id(), c.qrn);
    EXPECT_EQ(job->device(), c.device);
    EXPECT_EQ(job->display_name(), c.name);
    EXPECT_EQ(job->provider(), c.provider);
    EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
    EXPECT_EQ(job->shots(), 100);
    EXPECT_FALSE(job->has_cost());
    ASSERT_TRUE(job->has_estimated_cost());
    EXPECT_DOUBLE_EQ(job->estimated_cost().amount(), c.estimated_cost);
    EXPECT_EQ(job->estimated_cost().unit(), "credits");
  }
}

TEST(QbraidCreatedJobReaderTest, AnOlderBareRuntimeJobReadsLikeTheEnvelopedOne) {
  const std::string enveloped = Example("sdk_create_job_response_sv1.json");
  const std::string bare = json::ToJson(*json::GetObject(MustParse(enveloped), "data"));
  absl::StatusOr<v1::Job> from_bare = ReadQbraidCreatedJob(Created(bare));
  absl::StatusOr<v1::Job> from_envelope = ReadQbraidCreatedJob(Created(enveloped));
  ASSERT_TRUE(from_bare.ok()) << from_bare.status();
  ASSERT_TRUE(from_envelope.ok()) << from_envelope.status();
  EXPECT_EQ(from_bare->SerializeAsString(), from_envelope->SerializeAsString());
  EXPECT_EQ(from_bare->vendor_job_id(), "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
}

TEST(QbraidCreatedJobReaderTest, SuccessFalseIsARefusalWithTheVendorsMessage) {
  absl::StatusOr<v1::Job> job = ReadQbraidCreatedJob(
      Created(R"({"success":false,"message":"Insufficient credits to submit this job"})"));
  EXPECT_THAT(job, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(Metadata(job.status(), "vendor"), "qbraid");
  EXPECT_EQ(Metadata(job.status(), "http_status"), "201");
  EXPECT_EQ(Metadata(job.status(), "vendor_message"), "Insufficient credits to submit this job");
  EXPECT_EQ(BadRequestField(job.status()), "job");

  // The gateway's envelope, even with a jobQrn beside it.
  job = ReadQbraidCreatedJob(Created(
      R"({"success":false,"message":"Bad program","data":{"jobQrn":"q-1"},
          "error":{"code":"INVALID_PROGRAM","message":"qasm3 parse error at line 2"}})"));
  EXPECT_THAT(job, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(Metadata(job.status(), "vendor_message"),
            "INVALID_PROGRAM: qasm3 parse error at line 2");
}

TEST(QbraidCreatedJobReaderTest, UnreadableAnswersAreBadResponses) {
  for (const char* body : {
           "",
           "<html>Created</html>",
           "[]",
           R"({"success":true})",
           R"({"success":true,"data":null})",
           R"({"success":true,"data":[{"jobQrn":"q-1"}]})",
           R"({"success":true,"data":{}})",
           R"({"success":true,"data":{"jobQrn":""}})",
           R"({"success":true,"data":{"jobQrn":42}})",
           R"({"success":"true","data":{"jobQrn":"q-1"}})",
           R"({"success":null,"data":{"jobQrn":"q-1"}})",
           R"({"detail":"Created"})",
       }) {
    EXPECT_THAT(ReadQbraidCreatedJob(Created(body)),
                IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"))
        << body;
  }
}

// --- GetJobResult ---------------------------------------------------------------------------

v1::Job CompletedJob() {
  v1::Job job;
  job.set_name("vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
  job.set_vendor_job_id("aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
  job.set_state(v1::Job::COMPLETED);
  return job;
}

// measurementCounts of an example file, read independently of the code under test.
std::map<std::string, int64_t> CountsIn(const std::string& body) {
  std::map<std::string, int64_t> counts;
  const json::Struct root = MustParse(body);
  const json::Struct* counts_json = json::GetObject(
      *json::GetObject(*json::GetObject(root, "data"), "resultData"), "measurementCounts");
  for (const auto& [bits, value] : counts_json->fields()) {
    counts[bits] = static_cast<int64_t>(value.number_value());
  }
  return counts;
}

TEST(QbraidResultRequestTest, ReadsTheEncodedQrnsResult) {
  absl::StatusOr<http::Request> built = QbraidGetResultRequest(kEndpoint, CompletedJob());
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->method, "GET");
  EXPECT_EQ(built->url,
            "https://api-v2.qbraid.com/api/v1/jobs/"
            "aws%3Aaws%3Asim%3Asv1-37f5-qjob-696a938393f44d9db42773d6/result");
  EXPECT_THAT(built->headers,
              ElementsAre(Pair("Accept", "application/json"), Pair("User-Agent", "jobfacade/0.1"),
                          Pair("X-API-KEY", "key-1")));
  EXPECT_EQ(built->body, "");
}

TEST(QbraidResultReaderTest, DocsExample) {
  const std::string body = Example("docs_get_job_result_200.json");
  absl::StatusOr<v1::JobResult> result =
      ReadQbraidResult(Ok(body), CompletedJob(), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->name(), CompletedJob().name());
  EXPECT_EQ(result->state(), v1::Job::COMPLETED);
  EXPECT_THAT(result->quantum().counts(), UnorderedElementsAre(Pair("00", 504), Pair("11", 496)));
  EXPECT_EQ(result->quantum().shots(), 1000);
  EXPECT_TRUE(result->quantum().probabilities().empty());
  EXPECT_FALSE(result->quantum().counts_estimated());
  ASSERT_TRUE(result->has_cost());
  EXPECT_DOUBLE_EQ(result->cost().amount(), 0.501875);
  EXPECT_EQ(result->cost().unit(), "credits");
  EXPECT_FALSE(result->has_agent());
  EXPECT_FALSE(result->has_vendor_payload());

  result = ReadQbraidResult(Ok(body), CompletedJob(), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(json::ToJson(result->vendor_payload()),
            json::ToJson(*json::GetObject(MustParse(body), "data")));
}

TEST(QbraidResultReaderTest, EverySdkResultWithItsDecimalStringCost) {
  const std::map<std::string, double> kCosts = {
      {"sdk_get_job_result_pasqal_emu_tn.json", 0.0465},
      {"sdk_get_job_result_rigetti_qvm.json", 0.0},
      {"sdk_get_job_result_sv1.json", 0.375},
  };
  for (const auto& [file, cost] : kCosts) {
    SCOPED_TRACE(file);
    const std::string body = Example(file);
    absl::StatusOr<v1::JobResult> result =
        ReadQbraidResult(Ok(body), CompletedJob(), v1::JOB_VIEW_FULL);
    ASSERT_TRUE(result.ok()) << result.status();
    const std::map<std::string, int64_t> want = CountsIn(body);
    int64_t shots = 0;
    for (const auto& [bits, count] : want) shots += count;
    const std::map<std::string, int64_t> got(result->quantum().counts().begin(),
                                             result->quantum().counts().end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(result->quantum().shots(), shots);
    ASSERT_TRUE(result->has_cost());
    EXPECT_DOUBLE_EQ(result->cost().amount(), cost);
    EXPECT_EQ(result->cost().unit(), "credits");
    // The payload keeps what the counts leave out (SV1's per-shot measurements).
    EXPECT_EQ(json::ToJson(result->vendor_payload()),
              json::ToJson(*json::GetObject(MustParse(body), "data")));
  }
  // Keys are passed on as qBraid writes them, leading zeros included.
  absl::StatusOr<v1::JobResult> pasqal = ReadQbraidResult(
      Ok(Example("sdk_get_job_result_pasqal_emu_tn.json")), CompletedJob(), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(pasqal.ok());
  EXPECT_EQ(pasqal->quantum().shots(), 100);
  EXPECT_EQ(pasqal->quantum().counts().at("011010"), 13);
  EXPECT_EQ(pasqal->quantum().counts().at("000000"), 1);
}

std::string ResultWith(const std::string& data_members) {
  return absl::StrCat(R"({"success":true,"data":{"status":"COMPLETED",)", data_members, "}}");
}

constexpr char kCounts[] = R"("resultData":{"measurementCounts":{"0":3,"1":1}})";

TEST(QbraidResultReaderTest, CostIsANumberADecimalStringOrNothing) {
  auto cost_of = [](const std::string& cost_json) {
    absl::StatusOr<v1::JobResult> result =
        ReadQbraidResult(Ok(ResultWith(absl::StrCat(R"("cost":)", cost_json, ",", kCounts))),
                         CompletedJob(), v1::JOB_VIEW_BASIC);
    EXPECT_TRUE(result.ok()) << cost_json << ": " << result.status();
    EXPECT_EQ(result.ok() ? result->quantum().shots() : 0, 4) << cost_json;
    return result.ok() && result->has_cost() ? std::optional<double>(result->cost().amount())
                                             : std::nullopt;
  };
  EXPECT_EQ(cost_of(R"("0E-33")"), 0.0);
  EXPECT_EQ(cost_of(R"("0.375")"), 0.375);
  EXPECT_EQ(cost_of("1.25"), 1.25);
  EXPECT_EQ(cost_of(R"("12.5 credits")"), std::nullopt);
  EXPECT_EQ(cost_of(R"("")"), std::nullopt);
  EXPECT_EQ(cost_of("null"), std::nullopt);
  EXPECT_EQ(cost_of("{}"), std::nullopt);
  absl::StatusOr<v1::JobResult> no_cost =
      ReadQbraidResult(Ok(ResultWith(kCounts)), CompletedJob(), v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(no_cost.ok()) << no_cost.status();
  EXPECT_FALSE(no_cost->has_cost());
}

TEST(QbraidResultReaderTest, BatchResultsAreNotSupportedYet) {
  const std::string batch =
      R"({"success":true,"data":{"status":"COMPLETED","cost":"0.75","timeStamps":null,
          "results":[{"status":"COMPLETED","resultData":{"measurementCounts":{"00":50,"11":50}}},
                     {"status":"COMPLETED","resultData":{"measurementCounts":{"0":100}}}]}})";
  absl::StatusOr<v1::JobResult> result =
      ReadQbraidResult(Ok(batch), CompletedJob(), v1::JOB_VIEW_FULL);
  EXPECT_THAT(result, IsError(Code::kUnimplemented, "UNSUPPORTED_BY_VENDOR"));
  EXPECT_EQ(Metadata(result.status(), "vendor"), "qbraid");
}

TEST(QbraidResultReaderTest, UnreadableResultsAreBadResponses) {
  for (const std::string& body : {
           std::string("not json"),
           std::string(R"({"success":false,"message":"nope"})"),
           std::string(R"({"data":{"resultData":{"measurementCounts":{"0":1}}}})"),
           std::string(R"({"success":true,"data":[]})"),
           Example("spec_get_job_result_409_not_ready.json"),
           ResultWith(R"("cost":1)"),
           ResultWith(R"("resultData":null)"),
           ResultWith(R"("resultData":{"measurements":[[0],[1]]})"),
           ResultWith(R"("resultData":{"measurementCounts":[3,1]})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":1.5}})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":-1}})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":"3"}})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":null}})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":1e300}})"),
           ResultWith(R"("resultData":{"measurementCounts":{"0":9.2e18,"1":9.2e18}})"),
       }) {
    EXPECT_THAT(ReadQbraidResult(Ok(body), CompletedJob(), v1::JOB_VIEW_BASIC),
                IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"))
        << body;
  }
}

}  // namespace
}  // namespace jobfacade
