// CreateJob and GetJobResult through the real server binary and real gRPC, against the
// emulated vendors over real HTTP: the exact body each vendor receives, one submission per
// request_id (a repeat, 20 concurrent duplicates, a lost answer found again), a reused id, a
// 5xx or a timeout sent once, the result shapes, and the results a job does not have yet.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultKind;
using sandbox::FaultSpec;
using sandbox::JobOutcome;
using sandbox::JobSpec;

constexpr char kBell3[] =
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\n"
    "c = measure q;\n";
constexpr char kRequestId[] = "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b";

google::protobuf::Struct ParseStruct(const std::string& json) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok()) << json;
  return s;
}

// The submissions the emulator saw for `vendor`, oldest first.
std::vector<sandbox::RequestRecord> Submissions(ServerHarness& harness, const char* vendor) {
  std::vector<sandbox::RequestRecord> out;
  for (const auto& r : harness.emulator().stats(vendor).recent) {
    if (r.route == "create") out.push_back(r);
  }
  return out;
}

v1::JobSpec QuantumSpec(const char* device) {
  v1::JobSpec spec;
  spec.set_device(device);
  spec.set_display_name("bell");
  spec.set_shots(100);
  (*spec.mutable_tags())["team"] = "research";
  spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
  spec.mutable_quantum_program()->set_source(kBell3);
  (*spec.mutable_vendor_options()->mutable_fields())["note"].set_string_value("x");
  return spec;
}

v1::JobSpec AgentSpec() {
  v1::JobSpec spec;
  spec.mutable_agent_run()->set_prompt("Summarise the quarterly report");
  spec.mutable_agent_run()->set_session_id("sess-1");
  spec.mutable_agent_run()->mutable_timeout()->set_seconds(120);
  (*spec.mutable_vendor_options()->mutable_fields())["framework"].set_string_value("praisonai");
  return spec;
}

struct VendorCase {
  const char* vendor;
  v1::JobSpec spec;
  // The body the vendor must receive for `spec` with kRequestId.
  std::string body;
};

std::vector<VendorCase> Cases() {
  return {
      {sandbox::kQbraid, QuantumSpec("aws:aws:sim:sv1"),
       absl::StrCat(R"({"shots":100,"deviceQrn":"aws:aws:sim:sv1","name":"bell",)",
                    R"("program":{"format":"qasm3","data":)", "\"", absl::CEscape(kBell3), "\"},",
                    R"("tags":{"team":"research",)", R"("jobfacade-request-id":")", kRequestId,
                    R"("},)", R"("runtimeOptions":{"note":"x"}})")},
      {sandbox::kIonq, QuantumSpec("simulator"),
       absl::StrCat(R"({"type":"ionq.qasm3.v1","backend":"simulator","shots":100,"name":"bell",)",
                    R"("input":{"data":")", absl::CEscape(kBell3), R"("},)",
                    R"("metadata":{"team":"research","jobfacade-request-id":")", kRequestId,
                    R"("},"settings":{"note":"x"}})")},
      {sandbox::kPraisonai, AgentSpec(),
       R"({"prompt":"Summarise the quarterly report","session_id":"sess-1","timeout":120,)"
       R"("framework":"praisonai"})"},
  };
}

class CreateJobTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  const VendorCase& vendor_case() {
    static const std::vector<VendorCase>* cases = new std::vector<VendorCase>(Cases());
    return (*cases)[GetParam()];
  }
  const char* vendor() { return vendor_case().vendor; }

  v1::CreateJobRequest Request(const std::string& request_id = kRequestId) {
    v1::CreateJobRequest request;
    request.set_parent(absl::StrCat("vendors/", vendor()));
    *request.mutable_job() = vendor_case().spec;
    request.set_request_id(request_id);
    return request;
  }

  grpc::Status Create(const v1::CreateJobRequest& request, v1::Job* job,
                      absl::Duration timeout = absl::Seconds(10)) {
    return harness_.stub().CreateJob(Context(timeout).get(), request, job);
  }

  ServerHarness harness_;
};

TEST_P(CreateJobTest, TheVendorReceivesExactlyTheDocumentedBody) {
  v1::Job job;
  const grpc::Status status = Create(Request(), &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(job.vendor(), vendor());
  EXPECT_THAT(job.name(), ::testing::StartsWith(absl::StrCat("vendors/", vendor(), "/jobs/")));
  EXPECT_FALSE(job.vendor_job_id().empty());
  const auto sent = Submissions(harness_, vendor());
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_THAT(sent[0].content_type, ::testing::StartsWith("application/json"));
  EXPECT_TRUE(sent[0].has_auth);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ParseStruct(sent[0].body),
                                                                 ParseStruct(vendor_case().body)))
      << "sent:     " << sent[0].body << "\nexpected: " << vendor_case().body;
  if (std::string(vendor()) == sandbox::kPraisonai) {
    EXPECT_EQ(sent[0].idempotency_key, kRequestId);
  }
  // The job is there, as GetJob reads it.
  v1::GetJobRequest get;
  get.set_name(job.name());
  v1::Job read;
  ASSERT_TRUE(harness_.stub().GetJob(Context().get(), get, &read).ok());
  EXPECT_EQ(read.vendor_job_id(), job.vendor_job_id());
}

TEST_P(CreateJobTest, ASecondCreateWithTheSameRequestIdSendsNothing) {
  v1::Job first, second;
  ASSERT_TRUE(Create(Request(), &first).ok());
  ASSERT_TRUE(Create(Request(), &second).ok());
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
  // The same id in upper case is the same UUID.
  v1::Job third;
  ASSERT_TRUE(Create(Request(absl::AsciiStrToUpper(kRequestId)), &third).ok());
  EXPECT_EQ(third.name(), first.name());
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
}

TEST_P(CreateJobTest, TwentyConcurrentDuplicatesSendOneRequest) {
  // The first submission is slow, so the others arrive while it is in flight.
  harness_.emulator().SetLatency(vendor(), absl::Milliseconds(400));
  constexpr int kCalls = 20;
  std::vector<v1::Job> jobs(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] { statuses[i] = Create(Request(), &jobs[i], absl::Seconds(20)); });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    EXPECT_EQ(jobs[i].name(), jobs[0].name());
  }
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
}

TEST_P(CreateJobTest, TheSameRequestIdWithAnotherRequestIsAlreadyExists) {
  v1::Job job;
  ASSERT_TRUE(Create(Request(), &job).ok());
  v1::CreateJobRequest other = Request();
  other.mutable_job()->set_display_name("another");
  if (other.job().has_agent_run()) other.mutable_job()->mutable_agent_run()->set_prompt("other");
  const grpc::Status status = Create(other, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "REQUEST_ID_REUSED");
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
}

TEST_P(CreateJobTest, AFiveHundredIsSentOnceAndTheRetryLooksFirst) {
  FaultSpec fault;
  fault.vendor = vendor();
  fault.route = "create";
  fault.kind = FaultKind::kHttpStatus;
  fault.status = 503;
  fault.count = 1;
  harness_.emulator().InjectFault(fault);
  v1::Job job;
  const grpc::Status status = Create(Request(), &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "SUBMISSION_UNCONFIRMED");
  EXPECT_TRUE(RetryInfoOf(status).has_value());
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
  // The 503 made no job: the retry finds none at the vendor and submits once more.
  const grpc::Status retry = Create(Request(), &job);
  ASSERT_TRUE(retry.ok()) << retry.error_message();
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 2u);
  EXPECT_EQ(harness_.emulator().JobIds(vendor()).size(), 1u);
}

TEST_P(CreateJobTest, ATimeoutIsSentOnceAndTheRetryFindsTheJob) {
  // The vendor makes the job but its answer never arrives in time.
  FaultSpec fault;
  fault.vendor = vendor();
  fault.route = "create";
  fault.kind = FaultKind::kStallAfterAnswer;
  fault.stall = absl::Seconds(5);
  fault.count = 1;
  harness_.emulator().InjectFault(fault);
  v1::Job job;
  const grpc::Status status = Create(Request(), &job, absl::Seconds(2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(ErrorInfoOf(status).reason(), "SUBMISSION_UNCONFIRMED");
  EXPECT_EQ(Submissions(harness_, vendor()).size(), 1u);
  harness_.emulator().ReleaseStalls();
  ASSERT_EQ(harness_.emulator().JobIds(vendor()).size(), 1u);
  const std::string made = harness_.emulator().JobIds(vendor())[0];
  // The retry looks the id up and answers the job the lost submission made.
  const grpc::Status retry = Create(Request(), &job);
  ASSERT_TRUE(retry.ok()) << retry.error_message();
  EXPECT_EQ(job.vendor_job_id(), made);
  EXPECT_EQ(harness_.emulator().JobIds(vendor()).size(), 1u);
  // PraisonAI keeps the key itself: its lookup is the same submission again, which makes
  // nothing new. The others were looked up in their listings.
  const size_t expected = std::string(vendor()) == sandbox::kPraisonai ? 2u : 1u;
  EXPECT_EQ(Submissions(harness_, vendor()).size(), expected);
}

TEST_P(CreateJobTest, ResultsComeOnceTheJobIsCompleted) {
  v1::Job job;
  ASSERT_TRUE(Create(Request(), &job).ok());
  v1::GetJobResultRequest request;
  request.set_name(job.name());
  v1::JobResult result;
  grpc::Status status = harness_.stub().GetJobResult(Context().get(), request, &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "JOB_NOT_TERMINAL");
  harness_.clock().Advance(absl::Minutes(5));
  status = harness_.stub().GetJobResult(Context().get(), request, &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.name(), job.name());
  EXPECT_EQ(result.state(), v1::Job::COMPLETED);
  if (job.vendor() == sandbox::kPraisonai) {
    EXPECT_THAT(result.agent().text(), ::testing::HasSubstr("Summarise the quarterly report"));
    EXPECT_FALSE(result.has_cost());
  } else {
    // No simulator: the shots split between the all-zeros and all-ones outcomes of 2 qubits.
    EXPECT_EQ(result.quantum().shots(), 100);
    EXPECT_EQ(result.quantum().counts().at("00") + result.quantum().counts().at("11"), 100);
    EXPECT_EQ(result.quantum().counts().size(), 2u);
  }
  EXPECT_FALSE(result.has_vendor_payload());
  // A second read is served from the cache: no vendor request.
  const int64_t before = harness_.emulator().stats(vendor()).total;
  request.set_view(v1::JOB_VIEW_FULL);
  ASSERT_TRUE(harness_.stub().GetJobResult(Context().get(), request, &result).ok());
  EXPECT_TRUE(result.has_vendor_payload());
  EXPECT_EQ(harness_.emulator().stats(vendor()).total, before);
}

TEST_P(CreateJobTest, AFailedOrCancelledJobHasNoResult) {
  for (JobOutcome outcome : {JobOutcome::kFailed, JobOutcome::kCancelled}) {
    JobSpec spec;
    spec.vendor = vendor();
    spec.created_at = harness_.clock().Now() - absl::Hours(1);
    spec.outcome = outcome;
    spec.failure_message = "device calibration failed";
    const std::string id = harness_.emulator().AddJob(spec);
    v1::GetJobResultRequest request;
    request.set_name(absl::StrCat("vendors/", vendor(), "/jobs/", id));
    v1::JobResult result;
    const grpc::Status status = harness_.stub().GetJobResult(Context().get(), request, &result);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ErrorInfoOf(status).reason(), "RESULT_NOT_AVAILABLE");
    if (outcome == JobOutcome::kFailed) {
      EXPECT_THAT(status.error_message(), ::testing::HasSubstr("device calibration failed"));
    }
    EXPECT_EQ(harness_.emulator().stats(vendor()).Count("GET", "result"), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Vendors, CreateJobTest, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(Cases()[info.param].vendor);
                         });

class ResultShapeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  // A COMPLETED job of `vendor` whose result route answers `body`.
  std::string CompletedJobAnswering(const char* vendor, const std::string& body, int qubits,
                                    int64_t shots) {
    JobSpec spec;
    spec.vendor = vendor;
    spec.created_at = harness_.clock().Now() - absl::Hours(1);
    spec.qubits = qubits;
    spec.shots = shots;
    spec.submitted = true;
    const std::string id = harness_.emulator().AddJob(spec);
    FaultSpec fault;
    fault.vendor = vendor;
    fault.job_id = id;
    fault.route = "result";
    fault.kind = FaultKind::kBody;
    fault.status = 200;
    fault.body = body;
    harness_.emulator().InjectFault(fault);
    return absl::StrCat("vendors/", vendor, "/jobs/", id);
  }

  v1::JobResult Result(const std::string& name) {
    v1::GetJobResultRequest request;
    request.set_name(name);
    v1::JobResult result;
    const grpc::Status status = harness_.stub().GetJobResult(Context().get(), request, &result);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return result;
  }

  ServerHarness harness_;
};

// IonQ's decimal keys: qubit 0 is the key's least significant bit, the rightmost character.
TEST_F(ResultShapeTest, IonqProbabilitiesBecomeBitstringsWithQubitZeroRightmost) {
  const std::string name =
      CompletedJobAnswering(sandbox::kIonq, R"({"1":0.25,"2":0.7,"6":0.05})", 3, 1000);
  const v1::JobResult result = Result(name);
  EXPECT_THAT(
      result.quantum().probabilities(),
      ::testing::UnorderedElementsAre(::testing::Pair("001", 0.25), ::testing::Pair("010", 0.7),
                                      ::testing::Pair("110", 0.05)));
  EXPECT_THAT(
      result.quantum().counts(),
      ::testing::UnorderedElementsAre(::testing::Pair("001", 250), ::testing::Pair("010", 700),
                                      ::testing::Pair("110", 50)));
  EXPECT_TRUE(result.quantum().counts_estimated());
  EXPECT_EQ(result.quantum().shots(), 1000);
  // The sandbox's cost route answers the job's cost.
  EXPECT_TRUE(result.has_cost());
}

// qBraid's result cost is a decimal string live ("0.375", "0E-33"); its keys pass as written.
TEST_F(ResultShapeTest, QbraidCostsAsDecimalStringsAndCountsAsWritten) {
  for (const auto& [cost, amount] : std::vector<std::pair<std::string, double>>{
           {"\"0E-33\"", 0.0}, {"\"0.375\"", 0.375}, {"1.5", 1.5}}) {
    SCOPED_TRACE(cost);
    const std::string name = CompletedJobAnswering(
        sandbox::kQbraid,
        absl::StrCat(R"({"success":true,"data":{"status":"COMPLETED","cost":)", cost,
                     R"(,"timeStamps":null,"resultData":{"measurementCounts":{"011":7,"100":3},)",
                     R"("measurements":[[0,1,1]]}}})"),
        3, 10);
    const v1::JobResult result = Result(name);
    ASSERT_TRUE(result.has_cost());
    EXPECT_DOUBLE_EQ(result.cost().amount(), amount);
    EXPECT_EQ(result.cost().unit(), "credits");
    EXPECT_THAT(
        result.quantum().counts(),
        ::testing::UnorderedElementsAre(::testing::Pair("011", 7), ::testing::Pair("100", 3)));
    EXPECT_FALSE(result.quantum().counts_estimated());
    EXPECT_EQ(result.quantum().shots(), 10);
  }
}

// PraisonAI's result need not be a string: anything else is its JSON text.
TEST_F(ResultShapeTest, PraisonaiResultThatIsNotAStringIsItsJsonText) {
  const std::string name = CompletedJobAnswering(
      sandbox::kPraisonai,
      R"({"job_id":"x","status":"succeeded","result":{"answer":42},"error":null})", 0, 0);
  EXPECT_EQ(Result(name).agent().text(), R"({"answer":42})");
}

class CreateJobErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }
  ServerHarness harness_;
};

// What the service can tell is wrong is refused before anything is sent.
TEST_F(CreateJobErrorsTest, BadSpecsAreRefusedAndNothingIsSent) {
  struct Bad {
    const char* parent;
    v1::JobSpec spec;
    std::string request_id;
    grpc::StatusCode code;
    const char* reason;
    const char* field;
  };
  auto quantum = [](auto change) {
    v1::JobSpec spec = QuantumSpec("simulator");
    spec.clear_vendor_options();
    change(spec);
    return spec;
  };
  const std::vector<Bad> cases = {
      {"vendors/ionq", quantum([](v1::JobSpec& s) { s.set_shots(0); }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.shots"},
      {"vendors/ionq", quantum([](v1::JobSpec& s) { s.set_shots(1000001); }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.shots"},
      {"vendors/qbraid", quantum([](v1::JobSpec& s) { s.clear_device(); }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.device"},
      {"vendors/qbraid", quantum([](v1::JobSpec& s) { s.clear_quantum_program(); }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.program"},
      {"vendors/qbraid",
       quantum([](v1::JobSpec& s) { s.mutable_quantum_program()->set_source("  \n"); }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.quantum_program.source"},
      {"vendors/qbraid",
       quantum([](v1::JobSpec& s) { (*s.mutable_tags())["jobfacade-request-id"] = "x"; }), "",
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.tags"},
      {"vendors/praisonai",
       [] {
         v1::JobSpec s = AgentSpec();
         (*s.mutable_tags())["team"] = "a";
         return s;
       }(),
       "", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC", "job.tags"},
      {"vendors/praisonai", QuantumSpec("simulator"), "", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_JOB_SPEC", "job.quantum_program"},
      {"vendors/ionq", AgentSpec(), "", grpc::StatusCode::INVALID_ARGUMENT, "INVALID_JOB_SPEC",
       "job.agent_run"},
      {"vendors/ionq", quantum([](v1::JobSpec& s) {
         s.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM2);
       }),
       "", grpc::StatusCode::UNIMPLEMENTED, "UNSUPPORTED_BY_VENDOR", nullptr},
      {"vendors/ionq", QuantumSpec("simulator"), "not-a-uuid", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_REQUEST_ID", "request_id"},
      {"vendors/-", QuantumSpec("simulator"), "", grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_NAME", "parent"},
  };
  for (const Bad& bad : cases) {
    SCOPED_TRACE(absl::StrCat(bad.parent, " ", bad.reason, " ", bad.field ? bad.field : ""));
    v1::CreateJobRequest request;
    request.set_parent(bad.parent);
    *request.mutable_job() = bad.spec;
    request.set_request_id(bad.request_id);
    v1::Job job;
    const grpc::Status status = harness_.stub().CreateJob(Context().get(), request, &job);
    EXPECT_EQ(status.error_code(), bad.code) << status.error_message();
    EXPECT_EQ(ErrorInfoOf(status).reason(), bad.reason);
    if (bad.field != nullptr) {
      std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
      ASSERT_TRUE(bad_request.has_value());
      ASSERT_EQ(bad_request->field_violations_size(), 1);
      EXPECT_EQ(bad_request->field_violations(0).field(), bad.field);
    }
  }
  for (const char* vendor : {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai}) {
    EXPECT_EQ(harness_.emulator().stats(vendor).total, 0) << vendor;
  }
}

// A read-only caller may read results but not submit.
TEST(CreateJobAuthTest, AReadTokenMayNotSubmit) {
  const std::string path = TestTempDir() + "/create_tokens";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("reader-token-0123456789 read\n", f);
    std::fclose(f);
  }
  HarnessOptions options;
  options.env["JOBFACADE_AUTH_TOKENS_FILE"] = path;
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  v1::CreateJobRequest request;
  request.set_parent("vendors/ionq");
  *request.mutable_job() = QuantumSpec("simulator");
  auto ctx = Context();
  ctx->AddMetadata("authorization", "Bearer reader-token-0123456789");
  v1::Job job;
  const grpc::Status status = harness.stub().CreateJob(ctx.get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(harness.emulator().stats(sandbox::kIonq).total, 0);
}

}  // namespace
}  // namespace jobfacade::testing
