// IonQ's sandbox personality over real HTTP on a manual clock: submissions checked like the
// create payloads' schema, probabilities and cost once a job completes, and the IonQ adapter's
// CreateJob and GetJobResult against it.
#include "adapters/ionq/ionq_sandbox.h"

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/core/clock.h"
#include "adapters/core/json.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "adapters/sandbox/emulator.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade::sandbox {
namespace {

using ::jobfacade::testing::Awaiter;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kKey[] = "test-ionq-key";
constexpr char kBell[] =
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\n"
    "cx q[0], q[1];\nc = measure q;\n";
// Longer than any phase of a submitted job together.
constexpr absl::Duration kUntilCompleted = absl::Minutes(1);

struct Answer {
  int status = 0;  // 0: no HTTP answer
  std::string body;

  json::Struct Json() const {
    absl::StatusOr<json::Struct> parsed = json::ParseObject(body);
    EXPECT_TRUE(parsed.ok()) << "not a JSON object: " << body.substr(0, 200);
    return parsed.ok() ? *parsed : json::Struct();
  }
};

json::Struct Parse(const std::string& text) {
  absl::StatusOr<json::Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << ": " << text;
  return parsed.ok() ? *parsed : json::Struct();
}

std::map<std::string, double> Probabilities(const v1::QuantumResult& quantum) {
  return {quantum.probabilities().begin(), quantum.probabilities().end()};
}

std::map<std::string, int64_t> Counts(const v1::QuantumResult& quantum) {
  return {quantum.counts().begin(), quantum.counts().end()};
}

bool SameJson(const json::Struct& a, const json::Struct& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// A create payload for `program` with `more` members after the required ones.
std::string Payload(const std::string& program, const std::string& more = "") {
  return absl::StrCat(R"({"type":"ionq.qasm3.v1","backend":"simulator","input":{"data":)",
                      json::ToJson(json::Str(program)), "}", more.empty() ? "" : ",", more, "}");
}

class IonqSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*seed_demo_jobs=*/false); }

  void Start(bool seed_demo_jobs) {
    client_.reset();
    emulator_.reset();
    VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = seed_demo_jobs;
    options.vendors[kIonq].api_key = kKey;
    options.threads = 8;
    absl::StatusOr<std::unique_ptr<VendorEmulator>> started =
        VendorEmulator::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
    client_->set_read_timeout(20, 0);
  }

  Answer Call(const std::string& method, const std::string& path, const std::string& body = "",
              bool with_key = true) {
    const std::string url = emulator_->base_url(kIonq).substr(emulator_->root_url().size()) + path;
    httplib::Headers headers;
    if (with_key) headers.emplace("Authorization", absl::StrCat("apiKey ", kKey));
    httplib::Result r = method == "POST" ? client_->Post(url, headers, body, "application/json")
                                         : client_->Get(url, headers);
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.body = r->body;
    return a;
  }

  // Submits `payload` and returns the new job's id ("" when it was refused).
  std::string Submit(const std::string& payload) {
    Answer a = Call("POST", "/jobs", payload);
    EXPECT_EQ(a.status, 201) << a.body;
    return a.status == 201 ? json::GetString(a.Json(), "id").value_or("") : "";
  }

  json::Struct Job(const std::string& id) {
    Answer a = Call("GET", "/jobs/" + id);
    EXPECT_EQ(a.status, 200) << a.body;
    return a.Json();
  }

  int64_t StatsQubits(const std::string& id) {
    const json::Struct job = Job(id);
    const json::Struct* stats = json::GetObject(job, "stats");
    return stats == nullptr ? -1 : json::GetInt(*stats, "qubits").value_or(-1);
  }

  // Expects IonQ's 400 envelope, and that nothing was created.
  void ExpectRefused(const std::string& body, const std::string& why) {
    Answer a = Call("POST", "/jobs", body);
    EXPECT_EQ(a.status, 400) << why << ": " << a.body;
    json::Struct error = a.Json();
    EXPECT_EQ(json::GetString(error, "error"), "Bad Request") << why;
    EXPECT_EQ(json::GetInt(error, "statusCode"), 400) << why;
    EXPECT_FALSE(json::GetString(error, "message").value_or("").empty()) << why;
    EXPECT_THAT(emulator_->JobIds(kIonq), IsEmpty()) << why;
  }

  ManualClock clock_;
  std::unique_ptr<VendorEmulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(IonqSandboxTest, SubmissionAnswers201AndTheJobShowsWhatWasSent) {
  Answer created =
      Call("POST", "/jobs",
           Payload(kBell, R"("name":"Bell","shots":500,"metadata":{"jobfacade-request-id":"r-1"},)"
                          R"("settings":{"error_mitigation":{"debiasing":true}})"));
  ASSERT_EQ(created.status, 201) << created.body;
  json::Struct answer = created.Json();
  const std::string id = json::GetString(answer, "id").value_or("");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(SameJson(answer, Parse(absl::StrCat(R"({"id":")", id,
                                                  R"(","status":"submitted","session_id":null})"))))
      << created.body;
  EXPECT_THAT(emulator_->JobIds(kIonq), ElementsAre(id));

  json::Struct job = Job(id);
  EXPECT_EQ(json::GetString(job, "status"), "submitted");
  EXPECT_EQ(json::GetString(job, "type"), "ionq.qasm3.v1");
  EXPECT_EQ(json::GetString(job, "backend"), "simulator");
  EXPECT_EQ(json::GetString(job, "name"), "Bell");
  EXPECT_EQ(json::GetInt(job, "shots"), 500);
  EXPECT_TRUE(
      SameJson(*json::GetObject(job, "metadata"), Parse(R"({"jobfacade-request-id":"r-1"})")));
  EXPECT_TRUE(SameJson(*json::GetObject(job, "settings"),
                       Parse(R"({"error_mitigation":{"debiasing":true}})")));
  EXPECT_EQ(StatsQubits(id), 2);
}

TEST_F(IonqSandboxTest, ProbabilitiesAndCostOnceTheJobHasCompleted) {
  const std::string id = Submit(Payload(kBell));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(json::GetInt(Job(id), "shots"), 100);  // the schema's default

  Answer early = Call("GET", "/jobs/" + id + "/results/probabilities");
  EXPECT_EQ(early.status, 404);
  EXPECT_TRUE(SameJson(early.Json(), Parse(R"({"error":"Not Found","statusCode":404,)"
                                           R"("message":"Job not found or not yet completed."})")))
      << early.body;
  Answer early_cost = Call("GET", "/jobs/" + id + "/cost");
  ASSERT_EQ(early_cost.status, 200) << early_cost.body;
  EXPECT_TRUE(SameJson(
      early_cost.Json(),
      Parse(R"({"dry_run":false,"estimated_cost":{"value":7.5,"unit":"usd"},"cost":null})")))
      << early_cost.body;

  clock_.Advance(kUntilCompleted);
  EXPECT_EQ(json::GetString(Job(id), "status"), "completed");
  Answer result = Call("GET", "/jobs/" + id + "/results/probabilities");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_TRUE(SameJson(result.Json(), Parse(R"({"0":0.5,"3":0.5})"))) << result.body;
  Answer cost = Call("GET", "/jobs/" + id + "/cost");
  ASSERT_EQ(cost.status, 200) << cost.body;
  EXPECT_TRUE(SameJson(cost.Json(), Parse(R"({"dry_run":false,)"
                                          R"("estimated_cost":{"value":7.5,"unit":"usd"},)"
                                          R"("cost":{"value":0.375,"unit":"usd"}})")))
      << cost.body;

  EXPECT_EQ(Call("GET", "/jobs/no-such-job/results/probabilities").status, 404);
  EXPECT_EQ(Call("GET", "/jobs/no-such-job/cost").status, 404);
  EXPECT_EQ(Call("GET", "/jobs/" + id + "/results/probabilities", "", /*with_key=*/false).status,
            401);
}

TEST_F(IonqSandboxTest, QubitsAreTheProgramsDeclarationsSummed) {
  const std::string registers =
      Submit(Payload("OPENQASM 3.0; qubit[3] a; qubit b;\nqubit [ 2 ] c;"));
  const std::string none = Submit(Payload("OPENQASM 3.0; h $0;"));
  // A subroutine's parameters and names merely containing "qubit" declare nothing.
  const std::string subroutine =
      Submit(Payload("OPENQASM 3.0; def f(qubit a, qubit[2] b) { } qubit q; int qubits; "
                     "qubit myqubit;"));
  EXPECT_EQ(StatsQubits(registers), 6);
  EXPECT_EQ(StatsQubits(none), 1);
  EXPECT_EQ(StatsQubits(subroutine), 2);

  clock_.Advance(kUntilCompleted);
  EXPECT_EQ(
      Call("GET", "/jobs/" + registers + "/results/probabilities").Json().fields().count("63"), 1u);
  EXPECT_TRUE(SameJson(Call("GET", "/jobs/" + none + "/results/probabilities").Json(),
                       Parse(R"({"0":0.5,"1":0.5})")));
}

TEST_F(IonqSandboxTest, The64QubitAllOnesStateFitsAndMoreIsRefused) {
  const std::string wide = Submit(Payload("qubit[60] a; qubit[4] b;"));
  clock_.Advance(kUntilCompleted);
  EXPECT_TRUE(SameJson(Call("GET", "/jobs/" + wide + "/results/probabilities").Json(),
                       Parse(R"({"0":0.5,"18446744073709551615":0.5})")));
  emulator_->ClearJobs();
  ExpectRefused(Payload("qubit[64] a; qubit b;"), "65 qubits");
  ExpectRefused(Payload("qubit[99999999999999999999] a;"), "a size beyond int64");
}

TEST_F(IonqSandboxTest, PayloadsTheSchemaRefusesAre400s) {
  ExpectRefused(Payload(kBell, R"("foo":1)"), "an unknown key");
  ExpectRefused(Payload(kBell, R"("shots":0)"), "shots 0");
  ExpectRefused(Payload(kBell, R"("shots":1000001)"), "shots over a million");
  ExpectRefused(Payload(kBell, R"("shots":1.5)"), "fractional shots");
  ExpectRefused(Payload(kBell, R"("shots":"100")"), "shots as a string");
  ExpectRefused(Payload(kBell, R"("metadata":{"run":7})"), "a metadata value not a string");
  ExpectRefused(Payload(kBell, R"("name":5)"), "a name not a string");
  ExpectRefused(Payload(kBell, R"("settings":[])"), "settings not an object");
  ExpectRefused(R"({"type":"ionq.qasm3.v1","input":{"data":"qubit q;"}})", "no backend");
  ExpectRefused(R"({"type":"ionq.qasm3.v1","backend":"simulator"})", "no input");
  ExpectRefused(R"({"type":"ionq.qasm3.v1","backend":"simulator","input":{}})", "no input.data");
  ExpectRefused(
      R"({"type":"ionq.qasm3.v1","backend":"simulator","input":{"data":"qubit q;","x":1}})",
      "a key input does not have");
  ExpectRefused(R"({"type":"qasm3","backend":"simulator","input":{"data":"qubit q;"}})",
                "an unknown type");
  ExpectRefused(R"({"backend":"simulator","input":{"data":"qubit q;"}})", "no type");
  ExpectRefused(R"(["not","an","object"])", "not an object");
  ExpectRefused("type=ionq.qasm3.v1", "not JSON");
  EXPECT_EQ(Call("POST", "/jobs", Payload(kBell), /*with_key=*/false).status, 401);
  EXPECT_THAT(emulator_->JobIds(kIonq), IsEmpty());
}

TEST_F(IonqSandboxTest, OtherDocumentedTypesAreTaken) {
  const std::string circuit =
      Submit(R"({"type":"ionq.circuit.v1","backend":"simulator","noise":{"model":"ideal"},)"
             R"("input":{"qubits":3,"gateset":"qis","circuit":[{"gate":"h","target":0}]}})");
  EXPECT_EQ(StatsQubits(circuit), 3);
  EXPECT_EQ(json::GetString(Job(circuit), "type"), "ionq.circuit.v1");
  // `noise` is no member of a QAOA payload.
  Answer qaoa = Call("POST", "/jobs",
                     R"({"type":"qctrl.qaoa.v1","backend":"simulator","input":{},)"
                     R"("noise":{"model":"ideal"}})");
  EXPECT_EQ(qaoa.status, 400) << qaoa.body;
}

TEST_F(IonqSandboxTest, TheCompletedDemoJobServesAResult) {
  Start(/*seed_demo_jobs=*/true);
  Answer result =
      Call("GET", absl::StrCat("/jobs/", kDemoIonqCompletedJob, "/results/probabilities"));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_TRUE(SameJson(result.Json(), Parse(R"({"0":0.5,"3":0.5})"))) << result.body;
  EXPECT_EQ(StatsQubits(kDemoIonqCompletedJob), 2);
  Answer running =
      Call("GET", absl::StrCat("/jobs/", kDemoIonqRunningJob, "/results/probabilities"));
  EXPECT_EQ(running.status, 404) << running.body;
}

// The adapter's own requests against the personality: the submission passes its checks, and
// the result reads the width from the job's stats.
class IonqSandboxAdapterTest : public IonqSandboxTest {
 protected:
  void SetUp() override {
    IonqSandboxTest::SetUp();
    engine_ = std::make_unique<http::HttpEngine>();
    adapter_ =
        MakeVendorAdapter(kIonq, engine_.get(), VendorConfig{emulator_->base_url(kIonq), kKey});
    ASSERT_NE(adapter_, nullptr);
  }

  void TearDown() override {
    adapter_.reset();
    engine_.reset();
  }

  static CallContext Context() {
    CallContext ctx;
    ctx.deadline = absl::Now() + absl::Seconds(20);
    return ctx;
  }

  static CreateRequest Bell() {
    CreateRequest request;
    request.request_id = "5b0c8c1e-2d7f-4a6b-9e3c-1f2a3b4c5d6e";
    request.spec.set_device("simulator");
    request.spec.set_shots(1000);
    request.spec.set_display_name("Bell");
    (*request.spec.mutable_tags())["experiment"] = "bell";
    *request.spec.mutable_vendor_options() = Parse(R"({"error_mitigation":{"debiasing":false}})");
    request.spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
    request.spec.mutable_quantum_program()->set_source(kBell);
    return request;
  }

  absl::StatusOr<v1::Job> Create(const CreateRequest& request) {
    Awaiter<v1::Job> created;
    adapter_->CreateJob(Context(), request, created.Callback());
    return created.Wait();
  }

  absl::StatusOr<v1::Job> Get(const std::string& id) {
    Awaiter<v1::Job> read;
    adapter_->GetJob(Context(), id, v1::JOB_VIEW_FULL, read.Callback());
    return read.Wait();
  }

  absl::StatusOr<v1::JobResult> Result(const v1::Job& job) {
    Awaiter<v1::JobResult> result;
    adapter_->GetJobResult(Context(), job, v1::JOB_VIEW_BASIC, result.Callback());
    return result.Wait();
  }

  std::unique_ptr<http::HttpEngine> engine_;
  std::unique_ptr<VendorAdapter> adapter_;
};

TEST_F(IonqSandboxAdapterTest, SubmitsAndReadsTheResultWithItsCost) {
  const CreateRequest request = Bell();
  absl::StatusOr<v1::Job> job = Create(request);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  EXPECT_THAT(emulator_->JobIds(kIonq), ElementsAre(job->vendor_job_id()));

  clock_.Advance(kUntilCompleted);
  absl::StatusOr<v1::Job> completed = Get(job->vendor_job_id());
  ASSERT_TRUE(completed.ok()) << completed.status();
  EXPECT_EQ(completed->state(), v1::Job::COMPLETED);
  EXPECT_THAT(completed->tags(),
              ::testing::UnorderedElementsAre(Pair("experiment", "bell"),
                                              Pair("jobfacade-request-id", request.request_id)));

  absl::StatusOr<v1::JobResult> result = Result(*completed);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->name(), completed->name());
  const v1::QuantumResult& quantum = result->quantum();
  EXPECT_THAT(Probabilities(quantum), ElementsAre(Pair("00", 0.5), Pair("11", 0.5)));
  EXPECT_THAT(Counts(quantum), ElementsAre(Pair("00", 500), Pair("11", 500)));
  EXPECT_EQ(quantum.shots(), 1000);
  EXPECT_TRUE(quantum.counts_estimated());
  ASSERT_TRUE(result->has_cost());
  EXPECT_DOUBLE_EQ(result->cost().amount(), 0.375);
  EXPECT_EQ(result->cost().unit(), "usd");
}

TEST_F(IonqSandboxAdapterTest, ARefusedSubmissionAndAnUnfinishedResult) {
  // The service never sends shots 0; the vendor's refusal still reaches the caller as one.
  CreateRequest no_shots = Bell();
  no_shots.spec.set_shots(0);
  absl::StatusOr<v1::Job> refused = Create(no_shots);
  EXPECT_THAT(refused, IsError(absl::StatusCode::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_THAT(Metadata(refused.status(), "vendor_message"), HasSubstr("shots"));
  EXPECT_THAT(emulator_->JobIds(kIonq), IsEmpty());

  absl::StatusOr<v1::Job> job = Create(Bell());
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(Result(*job), IsError(absl::StatusCode::kFailedPrecondition, "RESULT_NOT_AVAILABLE"));
}

}  // namespace
}  // namespace jobfacade::sandbox
