// IonQ's request builders and answer readers as pure functions: no server.
#include "adapters/ionq/ionq_requests.h"

#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/core/json.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/ionq/ionq_vendor.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::HttpResponse;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::ReadExample;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using Code = absl::StatusCode;

const Endpoint kEndpoint{"https://api.ionq.co/v0.4", "key-1"};
constexpr char kRequestId[] = "5b0c8c1e-2d7f-4a6b-9e3c-1f2a3b4c5d6e";
constexpr char kJobId[] = "617a1f8b-59d4-435d-aa33-695433d7155e";
constexpr char kBadResponse[] = "VENDOR_BAD_RESPONSE";
constexpr char kUnsupported[] = "UNSUPPORTED_BY_VENDOR";
constexpr char kBell[] =
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\n"
    "cx q[0], q[1];\nc = measure q;\n";

std::string Example(const std::string& file) { return ReadExample("ionq", file); }

json::Struct ParseObject(const std::string& text) {
  absl::StatusOr<json::Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << ": " << text;
  return parsed.ok() ? *parsed : json::Struct();
}

void ExpectSameJson(const std::string& actual, const std::string& expected) {
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ParseObject(actual),
                                                                 ParseObject(expected)))
      << "actual:   " << actual << "\nexpected: " << expected;
}

std::set<std::string> Keys(const json::Struct& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.fields()) keys.insert(key);
  return keys;
}

CreateRequest Bell() {
  CreateRequest request;
  request.request_id = kRequestId;
  v1::JobSpec& spec = request.spec;
  spec.set_device("qpu.forte-1");
  spec.set_shots(500);
  spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
  spec.mutable_quantum_program()->set_source(kBell);
  return request;
}

// A completed job as GetJob reads it in JOB_VIEW_FULL; `payload` is its job object.
v1::Job CompletedJob(int64_t shots, const std::string& payload = "{}") {
  v1::Job job;
  job.set_name(absl::StrCat("vendors/ionq/jobs/", kJobId));
  job.set_vendor_job_id(kJobId);
  job.set_state(v1::Job::COMPLETED);
  job.set_shots(shots);
  *job.mutable_vendor_payload() = ParseObject(payload);
  return job;
}

v1::Job JobOfQubits(int qubits, int64_t shots = 1000) {
  return CompletedJob(shots, absl::StrCat(R"({"stats":{"qubits":)", qubits, "}}"));
}

v1::QuantumResult MustReadQuantum(const std::string& body, const v1::Job& job) {
  absl::StatusOr<v1::JobResult> result =
      ReadIonqResult(HttpResponse(200, body), job, v1::JOB_VIEW_BASIC);
  EXPECT_TRUE(result.ok()) << result.status() << ": " << body;
  return result.ok() ? result->quantum() : v1::QuantumResult();
}

std::map<std::string, double> Probabilities(const v1::QuantumResult& quantum) {
  return {quantum.probabilities().begin(), quantum.probabilities().end()};
}

std::map<std::string, int64_t> Counts(const v1::QuantumResult& quantum) {
  return {quantum.counts().begin(), quantum.counts().end()};
}

TEST(IonqRequestsTest, JobRequestsUseTheApiKeyScheme) {
  absl::StatusOr<http::Request> get = IonqGetJobRequest(kEndpoint, "617a1f8b");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->url, "https://api.ionq.co/v0.4/jobs/617a1f8b");
  EXPECT_THAT(get->headers, Contains(Pair("Authorization", "apiKey key-1")));
  absl::StatusOr<http::Request> cancel = IonqCancelJobRequest(kEndpoint, "617a1f8b");
  EXPECT_EQ(cancel->method, "PUT");
  EXPECT_EQ(cancel->url, "https://api.ionq.co/v0.4/jobs/617a1f8b/status/cancel");
  EXPECT_EQ(IonqDeleteJobRequest(kEndpoint, "j")->method, "DELETE");
}

TEST(IonqRequestsTest, ListRequestsPassTheCursorVerbatimAndEncoded) {
  ListRequest request;
  request.page_size = 0;
  request.cursor = "c/ursor=1+2";
  request.filter = {{"status", "ready"}, {"target", "qpu.aria-1"}};
  EXPECT_EQ(IonqListJobsRequest(kEndpoint, request)->url,
            "https://api.ionq.co/v0.4/jobs?limit=50&next=c%2Fursor%3D1%2B2&status=ready&"
            "target=qpu.aria-1");
}

TEST(IonqRequestsTest, ListReaderEndsOnACursorPointingAtItself) {
  ListRequest request;
  request.cursor = "n1";
  http::Response response;
  response.status = 200;
  response.body = R"({"jobs":[{"id":"a"}],"next":"n1"})";
  absl::StatusOr<ListResult> page = ReadIonqJobList(response, request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "");
  response.body = R"({"jobs":[{"id":"a"}],"next":"n2"})";
  EXPECT_EQ(ReadIonqJobList(response, request)->next_cursor, "n2");
}

// --- CreateJob -------------------------------------------------------------------------------

TEST(IonqCreateTest, SubmitsTheProgramWithNameTagsAndSettings) {
  CreateRequest request = Bell();
  request.spec.set_display_name("Bell state");
  (*request.spec.mutable_tags())["experiment"] = "bell";
  (*request.spec.mutable_tags())["run"] = "7";
  *request.spec.mutable_vendor_options() =
      ParseObject(R"({"error_mitigation":{"debiasing":true},"compilation":{"opt":1}})");
  absl::StatusOr<http::Request> http_request = IonqCreateJobRequest(kEndpoint, request);
  ASSERT_TRUE(http_request.ok()) << http_request.status();
  EXPECT_EQ(http_request->method, "POST");
  EXPECT_EQ(http_request->url, "https://api.ionq.co/v0.4/jobs");
  EXPECT_THAT(http_request->headers,
              UnorderedElementsAre(
                  Pair("Accept", "application/json"), Pair("User-Agent", "jobfacade/0.1"),
                  Pair("Authorization", "apiKey key-1"), Pair("Content-Type", "application/json")));
  ExpectSameJson(http_request->body, absl::StrCat(R"({
    "type": "ionq.qasm3.v1",
    "backend": "qpu.forte-1",
    "shots": 500,
    "input": {"data": )",
                                                  json::ToJson(json::Str(kBell)), R"(},
    "name": "Bell state",
    "metadata": {"experiment": "bell", "run": "7", "jobfacade-request-id": ")",
                                                  kRequestId, R"("},
    "settings": {"error_mitigation": {"debiasing": true}, "compilation": {"opt": 1}}
  })"));
}

TEST(IonqCreateTest, LeavesOutAnEmptyNameAndSettingsButAlwaysSendsTheRequestId) {
  absl::StatusOr<http::Request> http_request = IonqCreateJobRequest(kEndpoint, Bell());
  ASSERT_TRUE(http_request.ok()) << http_request.status();
  ExpectSameJson(http_request->body,
                 absl::StrCat(R"({"type":"ionq.qasm3.v1","backend":"qpu.forte-1","shots":500,)",
                              R"("input":{"data":)", json::ToJson(json::Str(kBell)), "},",
                              R"("metadata":{"jobfacade-request-id":")", kRequestId, R"("}})"));
}

// The create payloads are closed (additionalProperties: false): every member sent must be one
// the vendor's own schema names, with the type it says.
TEST(IonqCreateTest, TheBodyFitsTheCircuitPayloadSchema) {
  const std::string path =
      absl::StrCat(JOBFACADE_SHARED_DIR, "/vendor-apis/ionq/openapi-v0.4.json");
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path;
  const json::Struct openapi = ParseObject(
      std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
  const json::Struct& schemas =
      *json::GetObject(*json::GetObject(openapi, "components"), "schemas");
  const json::Struct& payload = *json::GetObject(schemas, "CircuitJobCreationPayload");
  EXPECT_EQ(json::GetBool(payload, "additionalProperties"), false);
  const json::Struct& properties = *json::GetObject(payload, "properties");
  const json::Struct& input = *json::GetObject(schemas, "Qasm3CircuitInput");

  CreateRequest request = Bell();
  request.spec.set_display_name("n");
  (*request.spec.mutable_tags())["k"] = "v";
  *request.spec.mutable_vendor_options() = ParseObject(R"({"error_mitigation":{}})");
  const json::Struct body = ParseObject(IonqCreateJobRequest(kEndpoint, request)->body);

  std::set<std::string> allowed = Keys(properties);
  for (const std::string& key : Keys(body)) EXPECT_EQ(allowed.count(key), 1u) << key;
  const json::ListValue* types = json::GetList(*json::GetObject(properties, "type"), "enum");
  ASSERT_NE(types, nullptr);
  std::set<std::string> type_names;
  for (const json::Value& type : types->values()) type_names.insert(type.string_value());
  EXPECT_EQ(type_names.count(*json::GetString(body, "type")), 1u);
  EXPECT_EQ(Keys(*json::GetObject(body, "input")), Keys(*json::GetObject(input, "properties")));
  for (const std::string& key : std::vector<std::string>{"backend", "type", "name"}) {
    EXPECT_TRUE(json::GetString(body, key).has_value()) << key;
  }
  EXPECT_EQ(json::GetInt(body, "shots"), 500);
  for (const auto& [key, value] : json::GetObject(body, "metadata")->fields()) {
    EXPECT_EQ(value.kind_case(), json::Value::kStringValue) << key;  // JobMetadata: strings
  }
  EXPECT_NE(json::GetObject(body, "settings"), nullptr);
}

TEST(IonqCreateTest, RefusesEverythingButOpenQasm3AndSendsNothing) {
  CreateRequest qasm2 = Bell();
  qasm2.spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM2);
  EXPECT_THAT(IonqCreateJobRequest(kEndpoint, qasm2), IsError(Code::kUnimplemented, kUnsupported));
  CreateRequest agent = Bell();
  agent.spec.mutable_agent_run()->set_prompt("hello");
  EXPECT_THAT(IonqCreateJobRequest(kEndpoint, agent), IsError(Code::kUnimplemented, kUnsupported));
  CreateRequest none = Bell();
  none.spec.clear_program();
  EXPECT_THAT(IonqCreateJobRequest(kEndpoint, none), IsError(Code::kUnimplemented, kUnsupported));
}

TEST(IonqCreateTest, ReadsTheCreatedJobFromTheSpecExample) {
  absl::StatusOr<v1::Job> job =
      ReadIonqCreatedJob(HttpResponse(201, Example("spec_v04_create_job_response_201.json")));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), absl::StrCat("vendors/ionq/jobs/", kJobId));
  EXPECT_EQ(job->vendor(), "ionq");
  EXPECT_EQ(job->vendor_job_id(), kJobId);
  EXPECT_EQ(job->provider(), "ionq");
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  EXPECT_EQ(job->vendor_state(), "submitted");
  EXPECT_FALSE(job->has_vendor_payload());
}

TEST(IonqCreateTest, AcceptsAnyStatusAndRefusesAnAnswerWithoutId) {
  // v0.3 answered 200 "ready".
  absl::StatusOr<v1::Job> ready =
      ReadIonqCreatedJob(HttpResponse(200, R"({"id":"j-1","status":"ready"})"));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->state(), v1::Job::QUEUED);
  absl::StatusOr<v1::Job> odd = ReadIonqCreatedJob(
      HttpResponse(201, R"({"id":"j-2","status":"validating","session_id":null})"));
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(odd->state(), v1::Job::STATE_UNSPECIFIED);
  EXPECT_EQ(odd->vendor_state(), "validating");

  for (const std::string& body :
       std::vector<std::string>{R"({"status":"submitted","session_id":null})",
                                R"({"id":"","status":"submitted"})", "[]", "<html>", ""}) {
    EXPECT_THAT(ReadIonqCreatedJob(HttpResponse(201, body)), IsError(Code::kInternal, kBadResponse))
        << body;
  }
}

// --- GetJobResult ----------------------------------------------------------------------------

TEST(IonqResultTest, RequestsTheProbabilitiesAndTheCostOfTheJob) {
  const v1::Job job = JobOfQubits(2);
  absl::StatusOr<http::Request> result = IonqGetResultRequest(kEndpoint, job);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->method, "GET");
  EXPECT_EQ(result->url,
            absl::StrCat("https://api.ionq.co/v0.4/jobs/", kJobId, "/results/probabilities"));
  EXPECT_THAT(result->headers, Contains(Pair("Authorization", "apiKey key-1")));
  absl::StatusOr<http::Request> cost = IonqGetResultCostRequest(kEndpoint, job);
  ASSERT_TRUE(cost.ok()) << cost.status();
  EXPECT_EQ(cost->method, "GET");
  EXPECT_EQ(cost->url, absl::StrCat("https://api.ionq.co/v0.4/jobs/", kJobId, "/cost"));
  EXPECT_THAT(cost->headers, Contains(Pair("Authorization", "apiKey key-1")));
}

TEST(IonqResultTest, RefusesMultiCircuitJobsBeforeSending) {
  absl::StatusOr<v1::Job> multi =
      NormalizeIonqJob(Example("v04_get_job_multi_circuit.spec-2026-09.json"), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(multi.ok()) << multi.status();
  EXPECT_THAT(IonqGetResultRequest(kEndpoint, *multi), IsError(Code::kUnimplemented, kUnsupported));
  // Either sign is enough: the type, or children listed under another type.
  v1::Job by_type = JobOfQubits(2);
  by_type.set_job_type("ionq.multi-circuit.v1");
  EXPECT_THAT(IonqGetResultRequest(kEndpoint, by_type),
              IsError(Code::kUnimplemented, kUnsupported));
  v1::Job by_children = CompletedJob(100, R"({"child_job_ids":["c-1"]})");
  by_children.set_job_type("ionq.circuit.v1");
  EXPECT_THAT(IonqGetResultRequest(kEndpoint, by_children),
              IsError(Code::kUnimplemented, kUnsupported));
  // No children (null or empty) is a single circuit.
  EXPECT_TRUE(IonqGetResultRequest(kEndpoint, CompletedJob(100, R"({"child_job_ids":[]})")).ok());
  EXPECT_TRUE(IonqGetResultRequest(kEndpoint, CompletedJob(100, R"({"child_job_ids":null})")).ok());
}

TEST(IonqResultTest, ReadsTheDocsExampleWithoutStatsAndDoesNotNeedASumOfOne) {
  v1::Job job = CompletedJob(1000);
  absl::StatusOr<v1::JobResult> result =
      ReadIonqResult(HttpResponse(200, Example("docs_v04_get_job_probabilities_200.json")), job,
                     v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->name(), job.name());
  EXPECT_EQ(result->state(), v1::Job::COMPLETED);
  // The highest key, 1, needs one bit.
  EXPECT_THAT(Probabilities(result->quantum()), ElementsAre(Pair("0", 0.51), Pair("1", 0.51)));
  EXPECT_THAT(Counts(result->quantum()), ElementsAre(Pair("0", 510), Pair("1", 510)));
  EXPECT_TRUE(result->quantum().counts_estimated());
  EXPECT_EQ(result->quantum().shots(), 1000);
  EXPECT_FALSE(result->has_cost());
  EXPECT_FALSE(result->has_vendor_payload());
}

TEST(IonqResultTest, KeysBecomeBitstringsWithQubitZeroRightmost) {
  const std::string body = Example("spec_v04_result_probabilities_v1.json");  // 0, 1, 3
  EXPECT_THAT(Probabilities(MustReadQuantum(body, JobOfQubits(2))),
              ElementsAre(Pair("00", 0.5), Pair("01", 0.25), Pair("11", 0.25)));
  EXPECT_THAT(Probabilities(MustReadQuantum(body, JobOfQubits(3))),
              ElementsAre(Pair("000", 0.5), Pair("001", 0.25), Pair("011", 0.25)));
  // Key 2 is qubit 1 set: "10" written q1 q0.
  EXPECT_THAT(Probabilities(MustReadQuantum(R"({"1":0.5,"2":0.5})", JobOfQubits(2))),
              ElementsAre(Pair("01", 0.5), Pair("10", 0.5)));
  EXPECT_THAT(Probabilities(MustReadQuantum(R"({"4":0.75,"6":0.25})", JobOfQubits(3))),
              ElementsAre(Pair("100", 0.75), Pair("110", 0.25)));
}

TEST(IonqResultTest, WidthComesFromTheHighestKeyWithoutStatsOrWhenAKeyIsWider) {
  // No stats: key 3 needs two bits.
  EXPECT_THAT(Probabilities(MustReadQuantum(Example("spec_v04_result_probabilities_v1.json"),
                                            CompletedJob(0))),
              ElementsAre(Pair("00", 0.5), Pair("01", 0.25), Pair("11", 0.25)));
  // stats.qubits 1, but key 4 needs three bits: every key is widened.
  EXPECT_THAT(Probabilities(MustReadQuantum(R"({"0":0.5,"4":0.5})", JobOfQubits(1))),
              ElementsAre(Pair("000", 0.5), Pair("100", 0.5)));
  // Only zeros: one bit.
  EXPECT_THAT(Probabilities(MustReadQuantum(R"({"0":1})", CompletedJob(0))),
              ElementsAre(Pair("0", 1.0)));
  // stats.qubits that is zero, negative or absurd says nothing.
  for (const std::string& stats :
       std::vector<std::string>{R"({"qubits":0})", R"({"qubits":-3})", R"({"qubits":1e9})",
                                R"({"qubits":"many"})", "null"}) {
    EXPECT_THAT(Probabilities(MustReadQuantum(
                    R"({"2":1})", CompletedJob(0, absl::StrCat(R"({"stats":)", stats, "}")))),
                ElementsAre(Pair("10", 1.0)))
        << stats;
  }
  // Keys beyond 64 bits are still read exactly, up to 256 bits: 2^70, and 2^255.
  EXPECT_THAT(Probabilities(MustReadQuantum(R"({"1180591620717411303424":1})", CompletedJob(0))),
              ElementsAre(Pair(absl::StrCat("1", std::string(70, '0')), 1.0)));
  EXPECT_THAT(
      Probabilities(MustReadQuantum(
          R"({"57896044618658097711785492504343953926634992332820282019728792003956564819968":1})",
          CompletedJob(0))),
      ElementsAre(Pair(absl::StrCat("1", std::string(255, '0')), 1.0)));
}

TEST(IonqResultTest, CountsAreRoundedProbabilitiesTimesShots) {
  v1::QuantumResult quantum = MustReadQuantum(R"({"0":0.25,"1":0.03125,"2":0.375,"3":0.34375})",
                                              JobOfQubits(2, /*shots=*/10));
  // 2.5 -> 3, 0.3125 -> 0 (left out, like an outcome never measured), 3.75 -> 4, 3.4375 -> 3.
  EXPECT_THAT(Counts(quantum), ElementsAre(Pair("00", 3), Pair("10", 4), Pair("11", 3)));
  EXPECT_EQ(quantum.probabilities().size(), 4u);
  EXPECT_EQ(quantum.shots(), 10);
  EXPECT_TRUE(quantum.counts_estimated());

  // A probability a rounding error above 1 never counts more than the shots.
  EXPECT_THAT(Counts(MustReadQuantum(R"({"0":1.0000009})", JobOfQubits(1, 1000000))),
              ElementsAre(Pair("0", 1000000)));

  // Without shots there is nothing to count.
  v1::QuantumResult no_shots = MustReadQuantum(R"({"0":0.5,"3":0.5})", JobOfQubits(2, 0));
  EXPECT_THAT(no_shots.counts(), IsEmpty());
  EXPECT_FALSE(no_shots.counts_estimated());
  EXPECT_EQ(no_shots.shots(), 0);
  EXPECT_EQ(no_shots.probabilities().size(), 2u);
}

TEST(IonqResultTest, VendorPayloadOnlyWithTheFullView) {
  const std::string body = Example("spec_v04_result_probabilities_v1.json");
  absl::StatusOr<v1::JobResult> full =
      ReadIonqResult(HttpResponse(200, body), JobOfQubits(2), v1::JOB_VIEW_FULL);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(full->vendor_payload(),
                                                                 ParseObject(body)));
}

TEST(IonqResultTest, OtherShapesAndBadValuesAreBadResponses) {
  for (const std::string& file :
       std::vector<std::string>{"spec_v04_result_probabilities_aggregate_v1.json",
                                "spec_v04_result_probabilities_v2.json",
                                "v04_get_job_single_circuit.spec-2026-09.json"}) {
    EXPECT_THAT(ReadIonqResult(HttpResponse(200, Example(file)), JobOfQubits(2), v1::JOB_VIEW_FULL),
                IsError(Code::kInternal, kBadResponse))
        << file;
  }
  for (const std::string& body : std::vector<std::string>{
           "",
           "[]",
           "0.5",
           "<html></html>",
           R"({"-1":0.5})",
           R"({"1.0":0.5})",
           R"({"0x1":0.5})",
           R"({"":0.5})",
           R"({" 1":0.5})",
           R"({"1e2":0.5})",
           R"({"0":"0.5"})",
           R"({"0":null})",
           R"({"0":true})",
           R"({"0":-0.1})",
           R"({"0":1.01})",
           R"({"0":1e308,"1":0})",
           R"({"0":{"0":1}})",
           R"({"1":0.5,"01":0.5})",                                  // two spellings of one state
           absl::StrCat(R"({")", std::string(79, '9'), R"(":1})"),   // beyond 256 qubits
           absl::StrCat(R"({"2)", std::string(77, '0'), R"(":1})"),  // 2*10^77 > 2^256
       }) {
    EXPECT_THAT(ReadIonqResult(HttpResponse(200, body), JobOfQubits(2), v1::JOB_VIEW_BASIC),
                IsError(Code::kInternal, kBadResponse))
        << body;
  }
  // An empty distribution is readable, and empty.
  EXPECT_THAT(MustReadQuantum("{}", JobOfQubits(2)).probabilities(), IsEmpty());
}

TEST(IonqResultTest, ReadsTheCostInLowerCase) {
  std::optional<v1::Cost> cost =
      ReadIonqResultCost(HttpResponse(200, Example("v04_job_cost_response.schema-derived.json")));
  ASSERT_TRUE(cost.has_value());
  EXPECT_DOUBLE_EQ(cost->amount(), 24.83);
  EXPECT_EQ(cost->unit(), "usd");
  std::optional<v1::Cost> credits = ReadIonqResultCost(
      HttpResponse(200, R"({"dry_run":false,"estimated_cost":{"value":3,"unit":"Credit"},)"
                        R"("cost":{"value":2.5,"unit":"Credit"}})"));
  ASSERT_TRUE(credits.has_value());
  EXPECT_DOUBLE_EQ(credits->amount(), 2.5);
  EXPECT_EQ(credits->unit(), "credit");
  // GetCost's tolerance: a decimal string is an amount too.
  std::optional<v1::Cost> text =
      ReadIonqResultCost(HttpResponse(200, R"({"cost":{"value":"1.5","unit":"usd"}})"));
  ASSERT_TRUE(text.has_value());
  EXPECT_DOUBLE_EQ(text->amount(), 1.5);
}

TEST(IonqResultTest, NoCostWhenTheJobHasNoneOrTheBodyIsUnreadable) {
  for (const std::string& body : std::vector<std::string>{
           R"({"dry_run":false,"estimated_cost":{"value":1,"unit":"usd"},"cost":null})",
           R"({"dry_run":false,"estimated_cost":{"value":1,"unit":"usd"}})",
           R"({"cost":{"value":"many","unit":"usd"}})", R"({"cost":{"unit":"usd"}})",
           R"({"cost":{"value":1.5}})", R"({"cost":{"value":1.5,"unit":""}})", R"({"cost":1.5})",
           "[]", "", "<html>"}) {
    EXPECT_EQ(ReadIonqResultCost(HttpResponse(200, body)), std::nullopt) << body;
  }
}

TEST(IonqVendorTest, TakesOpenQasm3SubmissionsWithTagsAndReadsResults) {
  const RestVendor& vendor = static_cast<const RestVendor&>(IonqVendor());
  const SubmissionRules& rules = vendor.spec().submission;
  EXPECT_FALSE(rules.agent_runs);
  EXPECT_THAT(rules.formats, ElementsAre(v1::QuantumProgram::FORMAT_OPENQASM3));
  EXPECT_TRUE(rules.tags);
  EXPECT_FALSE(rules.deduplicates);
  const RestApi& api = vendor.api();
  EXPECT_EQ(api.create_job, &IonqCreateJobRequest);
  EXPECT_EQ(api.read_created_job, &ReadIonqCreatedJob);
  EXPECT_EQ(api.read_create_conflict, nullptr);
  EXPECT_EQ(api.get_result, &IonqGetResultRequest);
  EXPECT_EQ(api.read_result, &ReadIonqResult);
  EXPECT_EQ(api.get_result_cost, &IonqGetResultCostRequest);
  EXPECT_EQ(api.read_result_cost, &ReadIonqResultCost);
}

}  // namespace
}  // namespace jobfacade
