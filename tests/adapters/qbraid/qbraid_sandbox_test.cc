// qBraid's sandbox personality over real HTTP: submissions (POST /jobs) validated the way the
// vendor's FastAPI does, found again by their request-id tag, and results that exist only once
// the job is COMPLETED; and the adapter's own create and result calls against it.
#include "adapters/qbraid/qbraid_sandbox.h"

#include <httplib.h>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/json.h"
#include "adapters/http/http_engine.h"
#include "adapters/qbraid/qbraid_requests.h"
#include "adapters/registry.h"
#include "adapters/sandbox/emulator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade::sandbox {
namespace {

using ::jobfacade::testing::Awaiter;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::ReadExample;
using json::Struct;
using json::Value;
using ::testing::MatchesRegex;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kKey[] = "test-qbraid-key";
constexpr char kRequestId[] = "0b6d7c52-3e7a-4f4e-9a51-6c1f2d3e4a5b";
constexpr char kBell3[] =
    "OPENQASM 3;\ninclude \"stdgates.inc\";\nqubit[3] q;\nh q[0];\ncx q[0], q[1];\nmeasure q;";
// A submitted job's default timeline: 1 s initializing, 5 s queued, 10 s running.
constexpr absl::Duration kUntilCompleted = absl::Seconds(17);

// --- Counting the qubits a program declares ---------------------------------------------------

TEST(CountDeclaredQubitsTest, Qasm3AndQasm2DeclarationsAreSummed) {
  EXPECT_EQ(CountDeclaredQubits(kBell3), 3);
  EXPECT_EQ(CountDeclaredQubits("OPENQASM 3.0;\nqubit a;\nqubit[4] b;\nbit[5] c;"), 5);
  EXPECT_EQ(CountDeclaredQubits("OPENQASM 2.0;\nqreg q[5];\ncreg c[5];\nqreg anc [ 2 ] ;"), 7);
  EXPECT_EQ(CountDeclaredQubits("qubit  [ 2 ]  q;qubit\tr;"), 3);
  // Gate bodies end a statement with a brace, not a semicolon.
  EXPECT_EQ(CountDeclaredQubits("gate g a { h a; } qubit[2] q; def f(qubit x) { }"), 2);
}

TEST(CountDeclaredQubitsTest, CommentsAndOtherWordsCountForNothing) {
  EXPECT_EQ(CountDeclaredQubits("// qubit[9] x;\nqubit[2] q; /* qreg r[4]; */"), 2);
  EXPECT_EQ(CountDeclaredQubits("int qubit_count = 3; qubits[4] q; qregs r[2]; qubit[2] q;"), 2);
}

TEST(CountDeclaredQubitsTest, OneWhenNoneCanBeReadAndBoundedWhenAbsurd) {
  EXPECT_EQ(CountDeclaredQubits(""), 1);
  EXPECT_EQ(CountDeclaredQubits("OPENQASM 3;\nconst int n = 4;\nqubit[n] q;"), 1);
  EXPECT_EQ(CountDeclaredQubits("qubit[0] q; qreg r[-2]; qreg s; qubit[3 q;"), 1);
  EXPECT_EQ(CountDeclaredQubits("qubit[1000000000] q;"), 1024);
  EXPECT_EQ(CountDeclaredQubits("qubit[99999999999999999999999] q;"), 1);
  EXPECT_EQ(CountDeclaredQubits("qubit[1000] a; qubit[1000] b;"), 1024);
}

// --- The personality over HTTP ----------------------------------------------------------------

struct Answer {
  int status = 0;
  std::string body;
  Struct Json() const {
    absl::StatusOr<Struct> parsed = json::ParseObject(body);
    EXPECT_TRUE(parsed.ok()) << "not a JSON object: " << body.substr(0, 200);
    return parsed.ok() ? *parsed : Struct();
  }
};

Struct MustParse(const std::string& text) {
  absl::StatusOr<Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << ": " << text;
  return parsed.ok() ? *parsed : Struct();
}

std::string Str(const Struct& s, const std::string& key) {
  return json::GetString(s, key).value_or("<absent or not a string>");
}

const Struct& Obj(const Struct& s, const std::string& key) {
  static const Struct* kEmpty = new Struct();
  const Struct* o = json::GetObject(s, key);
  EXPECT_NE(o, nullptr) << "no object " << key << " in " << json::ToJson(s);
  return o != nullptr ? *o : *kEmpty;
}

// A submission body around `members`.
std::string Body(const std::string& members) { return absl::StrCat("{", members, "}"); }

std::string Qasm3Body(int64_t shots, const std::string& request_id) {
  return Body(absl::StrCat(R"("shots":)", shots, R"(,"deviceQrn":"aws:aws:sim:sv1",)",
                           R"("program":{"format":"qasm3","data":)",
                           json::ToJson(json::Str(kBell3)), R"(},"tags":{"jobfacade-request-id":")",
                           request_id, R"("})"));
}

class QbraidSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*demo_jobs=*/false); }

  void Start(bool demo_jobs) {
    client_.reset();
    emulator_.reset();
    VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = demo_jobs;
    options.vendors[kQbraid].api_key = kKey;
    options.threads = 8;
    absl::StatusOr<std::unique_ptr<VendorEmulator>> started = VendorEmulator::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
    client_->set_url_encode(false);
    client_->set_read_timeout(20, 0);
  }

  std::string Prefix() const {
    return emulator_->base_url(kQbraid).substr(emulator_->root_url().size());
  }

  Answer Send(const std::string& method, const std::string& path, const std::string& body = "",
              const httplib::Headers& headers = {{"X-API-KEY", kKey}}) {
    httplib::Result r = method == "POST"
                            ? client_->Post(Prefix() + path, headers, body, "application/json")
                            : client_->Get(Prefix() + path, headers);
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no answer";
      return {};
    }
    return {r->status, r->body};
  }

  Answer Submit(const std::string& body) { return Send("POST", "/jobs", body); }
  Answer GetJob(const std::string& qrn) {
    return Send("GET", "/jobs/" + PercentEncodePathSegment(qrn));
  }
  Answer GetResult(const std::string& qrn) {
    return Send("GET", "/jobs/" + PercentEncodePathSegment(qrn) + "/result");
  }

  // Submits and returns the new job's QRN.
  std::string MustSubmit(const std::string& body) {
    Answer a = Submit(body);
    EXPECT_EQ(a.status, 201) << a.body;
    return Str(Obj(a.Json(), "data"), "jobQrn");
  }

  ManualClock clock_;
  std::unique_ptr<VendorEmulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(QbraidSandboxTest, SubmissionAnswers201WithTheJobAsGetShowsIt) {
  const std::string body = Body(absl::StrCat(
      R"("shots":101,"deviceQrn":"aws:aws:sim:sv1","name":"Bell",)",
      R"("program":{"format":"qasm3","data":)", json::ToJson(json::Str(kBell3)), "},",
      R"("tags":{"jobfacade-request-id":")", kRequestId, R"(","round":2,"final":true},)",
      R"("runtimeOptions":{"noiseModel":"depolarizing","levels":[1,2]})"));
  Answer created = Submit(body);
  ASSERT_EQ(created.status, 201) << created.body;
  const Struct answer = created.Json();
  EXPECT_EQ(json::GetBool(answer, "success"), true);
  const Struct& data = Obj(answer, "data");
  const std::string qrn = Str(data, "jobQrn");
  EXPECT_THAT(qrn, MatchesRegex("aws:aws:sim:sv1-[0-9a-f]{4}-qjob-[0-9a-f]{24}"));
  EXPECT_EQ(Str(data, "status"), "INITIALIZING");
  EXPECT_TRUE(json::IsNull(json::Find(data, "timeStamps")));
  EXPECT_EQ(Str(data, "name"), "Bell");
  EXPECT_EQ(json::GetInt(data, "shots"), 101);
  EXPECT_EQ(Str(data, "deviceQrn"), "aws:aws:sim:sv1");
  EXPECT_EQ(json::ToJson(Obj(data, "tags")),
            json::ToJson(MustParse(absl::StrCat(R"({"jobfacade-request-id":")", kRequestId,
                                                R"(","round":"2","final":"true"})"))));
  EXPECT_EQ(json::ToJson(Obj(data, "runtimeOptions")),
            json::ToJson(MustParse(R"({"noiseModel":"depolarizing","levels":[1,2]})")));
  EXPECT_EQ(emulator_->JobIds(kQbraid), std::vector<std::string>{qrn});

  Answer got = GetJob(qrn);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json::ToJson(Obj(got.Json(), "data")), json::ToJson(data));

  // What the adapter makes of the answer.
  absl::StatusOr<v1::Job> job = ReadQbraidCreatedJob(testing::HttpResponse(201, created.body));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->vendor_job_id(), qrn);
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  EXPECT_EQ(job->tags().at("jobfacade-request-id"), kRequestId);
}

TEST_F(QbraidSandboxTest, ResultIs409UntilCompletedThenHalfZerosHalfOnes) {
  const std::string qrn = MustSubmit(Qasm3Body(101, kRequestId));
  const Struct not_ready =
      MustParse(ReadExample("qbraid", "spec_get_job_result_409_not_ready.json"));
  for (absl::Duration step : {absl::ZeroDuration(), absl::Seconds(2), absl::Seconds(8)}) {
    clock_.Advance(step);
    Answer early = GetResult(qrn);
    EXPECT_EQ(early.status, 409) << Str(Obj(GetJob(qrn).Json(), "data"), "status");
    EXPECT_EQ(json::ToJson(early.Json()), json::ToJson(not_ready));
  }
  clock_.Advance(kUntilCompleted);
  EXPECT_EQ(Str(Obj(GetJob(qrn).Json(), "data"), "status"), "COMPLETED");

  Answer done = GetResult(qrn);
  ASSERT_EQ(done.status, 200) << done.body;
  const Struct result = done.Json();
  EXPECT_EQ(json::GetBool(result, "success"), true);
  const Struct& data = Obj(result, "data");
  EXPECT_EQ(Str(data, "status"), "COMPLETED");
  EXPECT_EQ(Str(data, "cost"), "0.375");
  const Struct& stamps = Obj(data, "timeStamps");
  EXPECT_EQ(json::ToJson(stamps), json::ToJson(Obj(Obj(GetJob(qrn).Json(), "data"), "timeStamps")));
  EXPECT_NE(json::Find(stamps, "endedAt"), nullptr);
  EXPECT_EQ(json::ToJson(Obj(Obj(data, "resultData"), "measurementCounts")),
            json::ToJson(MustParse(R"({"000":51,"111":50})")));

  // The adapter's reader takes it.
  v1::Job job;
  job.set_name(absl::StrCat("vendors/qbraid/jobs/", qrn));
  job.set_state(v1::Job::COMPLETED);
  absl::StatusOr<v1::JobResult> read =
      ReadQbraidResult(testing::HttpResponse(200, done.body), job, v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_THAT(read->quantum().counts(), UnorderedElementsAre(Pair("000", 51), Pair("111", 50)));
  EXPECT_EQ(read->quantum().shots(), 101);
  EXPECT_DOUBLE_EQ(read->cost().amount(), 0.375);
}

TEST_F(QbraidSandboxTest, Qasm2RegistersSetTheWidthAndOneShotReadsZerosOnly) {
  const std::string program =
      "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nqreg anc[3];\ncreg c[5];\n";
  const std::string qrn = MustSubmit(Body(absl::StrCat(
      R"("shots":1,"deviceQrn":"qbraid:qbraid:sim:qir-sv","program":{"format":"qasm2","data":)",
      json::ToJson(json::Str(program)), "}")));
  clock_.Advance(kUntilCompleted);
  Answer done = GetResult(qrn);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(json::ToJson(Obj(Obj(Obj(done.Json(), "data"), "resultData"), "measurementCounts")),
            json::ToJson(MustParse(R"({"00000":1})")));
}

TEST_F(QbraidSandboxTest, NoResultForUnknownFailedOrCancelledJobs) {
  const std::string missing = "aws:aws:sim:sv1-0000-qjob-000000000000000000000000";
  Answer get = GetJob(missing);
  Answer result = GetResult(missing);
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(result.body, get.body);

  JobSpec failed;
  failed.vendor = kQbraid;
  failed.created_at = clock_.Now() - absl::Hours(1);
  failed.outcome = JobOutcome::kFailed;
  const std::string failed_qrn = emulator_->AddJob(failed);
  ASSERT_EQ(Str(Obj(GetJob(failed_qrn).Json(), "data"), "status"), "FAILED");
  EXPECT_EQ(GetResult(failed_qrn).status, 409);

  const std::string cancelled = MustSubmit(Qasm3Body(10, kRequestId));
  clock_.Advance(absl::Seconds(2));
  ASSERT_EQ(Send("POST", "/jobs/" + PercentEncodePathSegment(cancelled) + "/cancel").status, 202);
  clock_.Advance(kUntilCompleted);
  ASSERT_EQ(Str(Obj(GetJob(cancelled).Json(), "data"), "status"), "CANCELLED");
  EXPECT_EQ(GetResult(cancelled).status, 409);
}

TEST_F(QbraidSandboxTest, ASubmissionIsFoundByItsRequestIdTag) {
  const std::string other_id = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
  const std::string first = MustSubmit(Qasm3Body(10, kRequestId));
  const std::string second = MustSubmit(Qasm3Body(10, other_id));
  ASSERT_NE(first, second);

  auto listed = [&](const std::string& request_id) {
    const std::string tags = absl::StrCat(R"({"jobfacade-request-id":")", request_id, R"("})");
    Answer a = Send("GET", "/jobs?tags=" + PercentEncodeQueryValue(tags));
    EXPECT_EQ(a.status, 200) << a.body;
    std::set<std::string> qrns;
    const Struct page = a.Json();
    const json::ListValue* data = json::GetList(page, "data");
    if (data == nullptr) return qrns;
    for (const Value& job : data->values()) qrns.insert(Str(job.struct_value(), "jobQrn"));
    return qrns;
  };
  EXPECT_EQ(listed(kRequestId), std::set<std::string>{first});
  EXPECT_EQ(listed(other_id), std::set<std::string>{second});
  EXPECT_EQ(listed("00000000-0000-4000-8000-000000000000"), std::set<std::string>{});
}

TEST_F(QbraidSandboxTest, BadBodiesAre422InFastApisFormAndCreateNothing) {
  const std::string program = R"("program":{"format":"qasm3","data":"qubit q;"})";
  const std::string device = R"("deviceQrn":"aws:aws:sim:sv1")";
  struct Case {
    std::string body;
    // Each issue as "type@loc.path".
    std::set<std::string> issues;
  };
  const std::vector<Case> cases = {
      {"not json", {"json_invalid@body"}},
      {"[1]", {"model_attributes_type@body"}},
      {"{}", {"missing@body.shots", "missing@body.deviceQrn", "missing@body.program"}},
      {Body(absl::StrCat(R"("shots":0,)", device, ",", program)), {"greater_than@body.shots"}},
      {Body(absl::StrCat(R"("shots":-5,)", device, ",", program)), {"greater_than@body.shots"}},
      {Body(absl::StrCat(R"("shots":1.5,)", device, ",", program)), {"int_from_float@body.shots"}},
      {Body(absl::StrCat(R"("shots":"10",)", device, ",", program)), {"int_type@body.shots"}},
      {Body(absl::StrCat(R"("shots":10,"deviceQrn":"",)", program)),
       {"string_too_short@body.deviceQrn"}},
      {Body(absl::StrCat(R"("shots":10,"deviceQrn":7,)", program)), {"string_type@body.deviceQrn"}},
      {Body(absl::StrCat(R"("shots":10,)", device, R"(,"program":"OPENQASM 3;")")),
       {"model_attributes_type@body.program"}},
      {Body(absl::StrCat(R"("shots":10,)", device, R"(,"program":{})")),
       {"missing@body.program.format", "missing@body.program.data"}},
      {Body(absl::StrCat(R"("shots":10,)", device, R"(,"program":{"format":3,"data":"x"})")),
       {"string_type@body.program.format"}},
      {Body(absl::StrCat(R"("shots":10,)", device, ",", program, R"(,"name":5)")),
       {"string_type@body.name"}},
      {Body(absl::StrCat(R"("shots":10,)", device, ",", program, R"(,"tags":["a"])")),
       {"dict_type@body.tags"}},
      {Body(absl::StrCat(R"("shots":10,)", device, ",", program, R"(,"tags":{"a":{"b":1}})")),
       {"string_type@body.tags.a"}},
      {Body(absl::StrCat(R"("shots":10,)", device, ",", program, R"(,"runtimeOptions":"fast")")),
       {"dict_type@body.runtimeOptions"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    Answer a = Submit(c.body);
    EXPECT_EQ(a.status, 422) << a.body;
    std::set<std::string> issues;
    const Struct answer = a.Json();
    const json::ListValue* detail = json::GetList(answer, "detail");
    ASSERT_NE(detail, nullptr) << a.body;
    for (const Value& item : detail->values()) {
      const Struct& issue = item.struct_value();
      EXPECT_FALSE(Str(issue, "msg").empty());
      std::string loc;
      for (const Value& part : json::GetList(issue, "loc")->values()) {
        absl::StrAppend(&loc, loc.empty() ? "" : ".", part.string_value());
      }
      issues.insert(absl::StrCat(Str(issue, "type"), "@", loc));
    }
    EXPECT_EQ(issues, c.issues);
  }
  EXPECT_TRUE(emulator_->JobIds(kQbraid).empty());
  // The same body, made right, is taken.
  EXPECT_EQ(Submit(Body(absl::StrCat(R"("shots":10,)", device, ",", program))).status, 201);
}

TEST_F(QbraidSandboxTest, SubmissionsAndResultsNeedTheKey) {
  const std::string qrn = MustSubmit(Qasm3Body(10, kRequestId));
  clock_.Advance(kUntilCompleted);
  for (const httplib::Headers& headers :
       {httplib::Headers{}, httplib::Headers{{"X-API-KEY", "wrong"}}}) {
    EXPECT_EQ(Send("POST", "/jobs", Qasm3Body(10, kRequestId), headers).status, 401);
    EXPECT_EQ(Send("GET", "/jobs/" + PercentEncodePathSegment(qrn) + "/result", "", headers).status,
              401);
  }
  EXPECT_EQ(emulator_->JobIds(kQbraid).size(), 1u);
  EXPECT_EQ(GetResult(qrn).status, 200);
}

TEST_F(QbraidSandboxTest, CompletedDemoJobsServeAResult) {
  Start(/*demo_jobs=*/true);
  Answer done = GetResult(kDemoQbraidCompletedJob);
  ASSERT_EQ(done.status, 200) << done.body;
  const Struct answer = done.Json();
  const Struct& data = Obj(answer, "data");
  EXPECT_EQ(Str(data, "cost"), "0.375");
  EXPECT_EQ(json::ToJson(Obj(Obj(data, "resultData"), "measurementCounts")),
            json::ToJson(MustParse(R"({"00":50,"11":50})")));
  EXPECT_EQ(GetResult(kDemoQbraidRunningJob).status, 409);
}

// The adapter's CreateJob and GetJobResult (adapters/core/rest_vendor.cc) against the sandbox.
TEST_F(QbraidSandboxTest, TheAdapterSubmitsAndReadsTheResult) {
  http::HttpEngine engine;
  std::unique_ptr<VendorAdapter> adapter =
      MakeVendorAdapter(kQbraid, &engine, VendorConfig{emulator_->base_url(kQbraid), kKey});
  ASSERT_NE(adapter, nullptr);
  CallContext ctx;
  ctx.deadline = absl::Now() + absl::Seconds(20);

  CreateRequest request;
  request.request_id = kRequestId;
  request.spec.set_device("ionq:ionq:qpu:aria-1");
  request.spec.set_shots(7);
  request.spec.set_display_name("through the adapter");
  (*request.spec.mutable_tags())["owner"] = "ana";
  request.spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM2);
  request.spec.mutable_quantum_program()->set_source("OPENQASM 2.0;\nqreg q[4];\n");
  Awaiter<v1::Job> created;
  adapter->CreateJob(ctx, request, created.Callback());
  absl::StatusOr<v1::Job> job = created.Wait();
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::Job::INITIALIZING);
  EXPECT_EQ(job->device(), "ionq:ionq:qpu:aria-1");
  EXPECT_EQ(job->display_name(), "through the adapter");
  EXPECT_EQ(job->shots(), 7);
  EXPECT_THAT(job->tags(),
              UnorderedElementsAre(Pair("owner", "ana"), Pair("jobfacade-request-id", kRequestId)));

  Awaiter<v1::JobResult> early;
  adapter->GetJobResult(ctx, *job, v1::JOB_VIEW_BASIC, early.Callback());
  EXPECT_THAT(early.Wait(), IsError(absl::StatusCode::kFailedPrecondition, "RESULT_NOT_AVAILABLE"));

  clock_.Advance(kUntilCompleted);
  Awaiter<v1::Job> read;
  adapter->GetJob(ctx, job->vendor_job_id(), v1::JOB_VIEW_FULL, read.Callback());
  absl::StatusOr<v1::Job> completed = read.Wait();
  ASSERT_TRUE(completed.ok()) << completed.status();
  ASSERT_EQ(completed->state(), v1::Job::COMPLETED);
  Awaiter<v1::JobResult> result;
  adapter->GetJobResult(ctx, *completed, v1::JOB_VIEW_FULL, result.Callback());
  absl::StatusOr<v1::JobResult> got = result.Wait();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name(), job->name());
  EXPECT_EQ(got->state(), v1::Job::COMPLETED);
  EXPECT_THAT(got->quantum().counts(), UnorderedElementsAre(Pair("0000", 4), Pair("1111", 3)));
  EXPECT_EQ(got->quantum().shots(), 7);
  ASSERT_TRUE(got->has_cost());
  EXPECT_EQ(got->cost().unit(), "credits");
  EXPECT_TRUE(got->has_vendor_payload());
}

}  // namespace
}  // namespace jobfacade::sandbox
