// Every RPC and every reachable error row of API.md, through the real server binary and real
// gRPC, against the emulated vendors over real HTTP.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/core/time_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultKind;
using sandbox::FaultSpec;
using sandbox::JobOutcome;
using sandbox::JobSpec;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};

std::string Name(absl::string_view vendor, absl::string_view id) {
  return absl::StrCat("vendors/", vendor, "/jobs/", id);
}

class JobServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  grpc::Status Get(const std::string& name, v1::Job* job, v1::JobView view = v1::JOB_VIEW_BASIC) {
    v1::GetJobRequest request;
    request.set_name(name);
    request.set_view(view);
    return harness_.stub().GetJob(Context().get(), request, job);
  }
  grpc::Status Cancel(const std::string& name, v1::Job* job) {
    v1::CancelJobRequest request;
    request.set_name(name);
    return harness_.stub().CancelJob(Context().get(), request, job);
  }
  grpc::Status Delete(const std::string& name) {
    v1::DeleteJobRequest request;
    request.set_name(name);
    google::protobuf::Empty empty;
    return harness_.stub().DeleteJob(Context().get(), request, &empty);
  }
  grpc::Status List(const v1::ListJobsRequest& request, v1::ListJobsResponse* response) {
    return harness_.stub().ListJobs(Context().get(), request, response);
  }

  // A job that stays RUNNING for a day of emulator time.
  std::string AddRunning(absl::string_view vendor) {
    JobSpec spec;
    spec.vendor = std::string(vendor);
    spec.created_at = harness_.clock().Now() - absl::Minutes(1);
    spec.initializing = absl::Seconds(1);
    spec.queued = absl::Seconds(1);
    spec.running = absl::Hours(24);
    return harness_.emulator().AddJob(spec);
  }
  // A job that finished an hour ago.
  std::string AddFinished(absl::string_view vendor, JobOutcome outcome = JobOutcome::kCompleted) {
    JobSpec spec;
    spec.vendor = std::string(vendor);
    spec.created_at = harness_.clock().Now() - absl::Hours(2);
    spec.outcome = outcome;
    spec.failure_message = "out of qubits";
    return harness_.emulator().AddJob(spec);
  }

  void ExpectError(const grpc::Status& status, grpc::StatusCode code, const std::string& reason) {
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_EQ(ErrorInfoOf(status).reason(), reason) << status.error_message();
  }

  // These tests inject one vendor failure after another; the circuit breaker has its own tests
  // (fault_integration_test).
  static HarnessOptions Options() {
    HarnessOptions options;
    options.args = {"--circuit_failure_threshold=0"};
    return options;
  }
  ServerHarness harness_{Options()};
};

TEST_F(JobServiceTest, GetJobMapsQbraidFields) {
  JobSpec spec;
  spec.vendor = sandbox::kQbraid;
  spec.device = "aws:quera:qpu:aquila";
  spec.name = "Analog job";
  spec.created_at = absl::FromUnixSeconds(1767225000);
  spec.tags = {{"experiment", "bell"}};
  spec.batch_id = "aws:quera:qpu:aquila-37f5-qjob-000000000000000000000001";
  spec.shots = 250;
  spec.job_type = "analog";
  spec.provider_as_object = true;
  const std::string id = harness_.emulator().AddJob(spec);
  harness_.clock().Set(absl::FromUnixSeconds(1767225000) + absl::Hours(1));
  v1::Job job;
  ASSERT_TRUE(Get(Name("qbraid", id), &job).ok());
  EXPECT_EQ(job.name(), Name("qbraid", id));
  EXPECT_EQ(job.vendor(), "qbraid");
  EXPECT_EQ(job.vendor_job_id(), id);
  EXPECT_EQ(job.provider(), "quera");
  EXPECT_EQ(job.device(), "aws:quera:qpu:aquila");
  EXPECT_EQ(job.display_name(), "Analog job");
  EXPECT_EQ(job.state(), v1::Job::COMPLETED);
  EXPECT_EQ(job.vendor_state(), "COMPLETED");
  EXPECT_EQ(job.job_type(), "analog");
  EXPECT_EQ(job.shots(), 250);
  EXPECT_EQ(job.create_time().seconds(), 1767225000);
  EXPECT_EQ(job.tags().at("experiment"), "bell");
  EXPECT_EQ(job.batch_id(), spec.batch_id);
  EXPECT_TRUE(job.has_cost());
  EXPECT_EQ(job.cost().unit(), "credits");
  EXPECT_FALSE(job.has_vendor_payload());
}

TEST_F(JobServiceTest, GetJobMapsIonqAndPraisonaiFields) {
  JobSpec ionq;
  ionq.vendor = sandbox::kIonq;
  ionq.device = "qpu.forte-1";
  ionq.name = "Bell state";
  ionq.tags = {{"team", "research"}};
  ionq.outcome = JobOutcome::kFailed;
  ionq.failure_code = "QuantumComputerError";
  ionq.failure_message = "calibration drift";
  ionq.created_at = harness_.clock().Now() - absl::Hours(1);
  const std::string ionq_id = harness_.emulator().AddJob(ionq);
  v1::Job job;
  ASSERT_TRUE(Get(Name("ionq", ionq_id), &job).ok());
  EXPECT_EQ(job.provider(), "ionq");
  EXPECT_EQ(job.device(), "qpu.forte-1");
  EXPECT_EQ(job.state(), v1::Job::FAILED);
  EXPECT_EQ(job.vendor_state(), "failed");
  EXPECT_EQ(job.failure_code(), "QuantumComputerError");
  EXPECT_EQ(job.state_message(), "calibration drift");
  EXPECT_EQ(job.tags().at("team"), "research");

  JobSpec praison;
  praison.vendor = sandbox::kPraisonai;
  praison.device = "agent-7";
  praison.created_at = harness_.clock().Now() - absl::Minutes(2);
  praison.running = absl::Hours(1);
  praison.zone_suffix = "";  // timestamps without a zone are UTC
  const std::string run_id = harness_.emulator().AddJob(praison);
  ASSERT_TRUE(Get(Name("praisonai", run_id), &job).ok());
  EXPECT_EQ(job.provider(), "praisonai");
  EXPECT_EQ(job.device(), "agent-7");
  EXPECT_EQ(job.job_type(), "agent_run");
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.vendor_state(), "running");
  EXPECT_EQ(job.create_time().seconds(),
            absl::ToUnixSeconds(harness_.clock().Now() - absl::Minutes(2)));
}

TEST_F(JobServiceTest, StatesFollowTheVendorOverTime) {
  for (const char* vendor : kVendors) {
    JobSpec spec;
    spec.vendor = vendor;
    spec.created_at = harness_.clock().Now();
    spec.initializing = absl::Seconds(10);
    spec.queued = absl::Seconds(10);
    spec.running = absl::Seconds(10);
    const std::string id = harness_.emulator().AddJob(spec);
    std::vector<v1::Job::State> seen;
    harness_.clock().Advance(absl::Seconds(5));  // sample mid-phase, away from boundaries
    for (int step = 0; step < 4; ++step) {
      v1::Job job;
      ASSERT_TRUE(Get(Name(vendor, id), &job).ok()) << vendor;
      seen.push_back(job.state());
      harness_.clock().Advance(absl::Seconds(10));
    }
    harness_.clock().Advance(-absl::Seconds(45));
    if (std::string(vendor) == sandbox::kPraisonai) {
      // PraisonAI has no initializing state: it reports queued.
      EXPECT_EQ(seen[0], v1::Job::QUEUED) << vendor;
    } else {
      EXPECT_EQ(seen[0], v1::Job::INITIALIZING) << vendor;
    }
    EXPECT_EQ(seen[1], v1::Job::QUEUED) << vendor;
    EXPECT_EQ(seen[2], v1::Job::RUNNING) << vendor;
    EXPECT_EQ(seen[3], v1::Job::COMPLETED) << vendor;
  }
}

TEST_F(JobServiceTest, FullViewCarriesTheVendorPayload) {
  for (const char* vendor : kVendors) {
    const std::string id = AddFinished(vendor);
    v1::Job job;
    ASSERT_TRUE(Get(Name(vendor, id), &job, v1::JOB_VIEW_FULL).ok()) << vendor;
    ASSERT_TRUE(job.has_vendor_payload()) << vendor;
    const auto& fields = job.vendor_payload().fields();
    const char* id_key = std::string(vendor) == sandbox::kQbraid ? "jobQrn"
                         : std::string(vendor) == sandbox::kIonq ? "id"
                                                                 : "job_id";
    ASSERT_TRUE(fields.count(id_key)) << vendor;
    EXPECT_EQ(fields.at(id_key).string_value(), id);
  }
}

TEST_F(JobServiceTest, ListWalksEveryVendorsPagesOnceNewestFirst) {
  for (const char* vendor : kVendors) {
    std::set<std::string> expected;
    for (int i = 0; i < 57; ++i) {
      JobSpec spec;
      spec.vendor = vendor;
      spec.created_at = harness_.clock().Now() - absl::Minutes(i);
      expected.insert(harness_.emulator().AddJob(spec));
    }
    v1::ListJobsRequest request;
    request.set_parent(absl::StrCat("vendors/", vendor));
    request.set_page_size(10);
    std::vector<v1::Job> seen;
    for (int page = 0; page < 20; ++page) {
      v1::ListJobsResponse response;
      grpc::Status status = List(request, &response);
      ASSERT_TRUE(status.ok()) << vendor << ": " << status.error_message();
      EXPECT_LE(response.jobs_size(), 10);
      for (const auto& job : response.jobs()) seen.push_back(job);
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    ASSERT_EQ(seen.size(), expected.size()) << vendor;
    std::set<std::string> ids;
    for (size_t i = 0; i < seen.size(); ++i) {
      ids.insert(seen[i].vendor_job_id());
      EXPECT_EQ(seen[i].vendor(), vendor);
      if (i > 0) {
        EXPECT_GE(seen[i - 1].create_time().seconds(), seen[i].create_time().seconds()) << vendor;
      }
    }
    EXPECT_EQ(ids, expected) << vendor;
  }
}

TEST_F(JobServiceTest, CancelRunningJobOnEveryVendor) {
  for (const char* vendor : kVendors) {
    const std::string id = AddRunning(vendor);
    v1::Job job;
    grpc::Status status = Cancel(Name(vendor, id), &job);
    ASSERT_TRUE(status.ok()) << vendor << ": " << status.error_message();
    EXPECT_THAT(job.state(), ::testing::AnyOf(v1::Job::CANCELLING, v1::Job::CANCELLED)) << vendor;
    EXPECT_EQ(harness_.emulator().stats(vendor).by_route.size() > 0, true);
    // Cancelling again is OK and asks the vendor nothing new: only the state read, and not even
    // that once the job was read CANCELLED (terminal, so kept in the cache).
    const bool cached = job.state() == v1::Job::CANCELLED;
    const auto before = harness_.emulator().stats(vendor);
    ASSERT_TRUE(Cancel(Name(vendor, id), &job).ok()) << vendor;
    const auto after = harness_.emulator().stats(vendor);
    EXPECT_EQ(after.total - before.total, cached ? 0 : 1) << vendor;
  }
}

TEST_F(JobServiceTest, CancelOfAFinishedJobIsRefusedWithoutAskingTheVendor) {
  for (const char* vendor : kVendors) {
    for (JobOutcome outcome : {JobOutcome::kCompleted, JobOutcome::kFailed}) {
      const std::string id = AddFinished(vendor, outcome);
      harness_.emulator().ResetStats();
      v1::Job job;
      grpc::Status status = Cancel(Name(vendor, id), &job);
      ExpectError(status, grpc::StatusCode::FAILED_PRECONDITION, "JOB_ALREADY_TERMINAL");
      auto stats = harness_.emulator().stats(vendor);
      for (const auto& r : stats.recent) EXPECT_NE(r.route, "cancel") << vendor;
      // IonQ would have accepted it: the job must still be finished.
      ASSERT_TRUE(Get(Name(vendor, id), &job).ok());
      EXPECT_EQ(job.state(),
                outcome == JobOutcome::kCompleted ? v1::Job::COMPLETED : v1::Job::FAILED);
    }
  }
}

TEST_F(JobServiceTest, QbraidCancelWhileInitializingIsAStateConflict) {
  JobSpec spec;
  spec.vendor = sandbox::kQbraid;
  spec.created_at = harness_.clock().Now();
  spec.initializing = absl::Minutes(5);
  const std::string id = harness_.emulator().AddJob(spec);
  v1::Job job;
  grpc::Status status = Cancel(Name("qbraid", id), &job);
  ExpectError(status, grpc::StatusCode::FAILED_PRECONDITION, "JOB_STATE_CONFLICT");
  EXPECT_EQ(ErrorInfoOf(status).metadata().at("http_status"), "409");
}

TEST_F(JobServiceTest, VendorStateRefusalsOnCancelAndDeleteAreConflicts) {
  // The vendor can still refuse for the job's state after the service's own check (the job
  // finished in between): 409 anywhere, or 400 on cancel/delete, is JOB_STATE_CONFLICT.
  for (const char* vendor : kVendors) {
    for (int http_status : {409, 400}) {
      const std::string running = AddRunning(vendor);
      FaultSpec cancel_fault;
      cancel_fault.vendor = vendor;
      cancel_fault.route = "cancel";
      cancel_fault.status = http_status;
      cancel_fault.count = 1;
      harness_.emulator().InjectFault(cancel_fault);
      v1::Job job;
      grpc::Status status = Cancel(Name(vendor, running), &job);
      ExpectError(status, grpc::StatusCode::FAILED_PRECONDITION, "JOB_STATE_CONFLICT");
      EXPECT_EQ(ErrorInfoOf(status).metadata().at("http_status"), absl::StrCat(http_status));

      const std::string done = AddFinished(vendor);
      FaultSpec delete_fault = cancel_fault;
      delete_fault.route = "delete";
      harness_.emulator().InjectFault(delete_fault);
      ExpectError(Delete(Name(vendor, done)), grpc::StatusCode::FAILED_PRECONDITION,
                  "JOB_STATE_CONFLICT");
      harness_.emulator().ClearFaults();
    }
  }
}

TEST_F(JobServiceTest, DeleteOnlyFinishedJobsOnEveryVendor) {
  for (const char* vendor : kVendors) {
    const std::string running = AddRunning(vendor);
    harness_.emulator().ResetStats();
    ExpectError(Delete(Name(vendor, running)), grpc::StatusCode::FAILED_PRECONDITION,
                "JOB_NOT_TERMINAL");
    for (const auto& r : harness_.emulator().stats(vendor).recent) {
      EXPECT_NE(r.route, "delete") << vendor;
      EXPECT_NE(r.route, "cancel") << vendor << ": delete never cancels";
    }
    v1::Job job;
    ASSERT_TRUE(Get(Name(vendor, running), &job).ok());
    EXPECT_EQ(job.state(), v1::Job::RUNNING) << vendor;

    const std::string done = AddFinished(vendor);
    grpc::Status status = Delete(Name(vendor, done));
    ASSERT_TRUE(status.ok()) << vendor << ": " << status.error_message();
    ExpectError(Get(Name(vendor, done), &job), grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND");
    ExpectError(Delete(Name(vendor, done)), grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND");
  }
}

TEST_F(JobServiceTest, CancelThenDeleteARunningJob) {
  for (const char* vendor : kVendors) {
    const std::string id = AddRunning(vendor);
    v1::Job job;
    ASSERT_TRUE(Cancel(Name(vendor, id), &job).ok()) << vendor;
    harness_.clock().Advance(absl::Seconds(30));  // qBraid: CANCELLING -> CANCELLED
    ASSERT_TRUE(Get(Name(vendor, id), &job).ok());
    EXPECT_EQ(job.state(), v1::Job::CANCELLED) << vendor;
    grpc::Status status = Delete(Name(vendor, id));
    EXPECT_TRUE(status.ok()) << vendor << ": " << status.error_message();
  }
}

TEST_F(JobServiceTest, MalformedNamesAndArguments) {
  v1::Job job;
  for (const char* bad :
       {"", "jobs/1", "vendors/ionq/jobs/", "vendors/ionq/jobs/a/b", "vendors/ionq/jobs/a b"}) {
    grpc::Status status = Get(bad, &job);
    ExpectError(status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NAME");
    auto bad_request = BadRequestOf(status);
    ASSERT_TRUE(bad_request.has_value()) << bad;
    EXPECT_EQ(bad_request->field_violations(0).field(), "name");
  }
  ExpectError(Get("vendors/dwave/jobs/1", &job), grpc::StatusCode::INVALID_ARGUMENT,
              "UNKNOWN_VENDOR");
  ExpectError(Cancel("vendors/ionq", &job), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NAME");
  ExpectError(Delete("nope"), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NAME");

  v1::ListJobsRequest request;
  v1::ListJobsResponse response;
  request.set_parent("vendors");
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_NAME");
  request.set_parent("vendors/ionq");
  request.set_page_size(-5);
  grpc::Status status = List(request, &response);
  ExpectError(status, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_SIZE");
  EXPECT_EQ(BadRequestOf(status)->field_violations(0).field(), "page_size");
  request.set_page_size(10);
  request.set_page_token("bm90LWEtdG9rZW4");
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
  request.clear_page_token();
  request.set_filter("state = = RUNNING");
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FILTER");
}

TEST_F(JobServiceTest, PageTokensAreBoundToTheirArguments) {
  for (int i = 0; i < 5; ++i) AddFinished(sandbox::kIonq);
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  request.set_page_size(2);
  v1::ListJobsResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  v1::ListJobsResponse response;
  request.set_page_token(first.next_page_token());
  request.set_parent("vendors/qbraid");
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
  request.set_parent("vendors/ionq");
  request.set_view(v1::JOB_VIEW_FULL);
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
  std::string altered = first.next_page_token();
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'x' ? 'y' : 'x';
  request.set_view(v1::JOB_VIEW_BASIC);
  request.set_page_token(altered);
  ExpectError(List(request, &response), grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN");
}

TEST_F(JobServiceTest, MissingJobIsNotFoundOnEveryVendor) {
  const char* ids[] = {"aws:aws:sim:sv1-37f5-qjob-000000000000000000000000",
                       "00000000-0000-0000-0000-000000000000", "run_000000000000"};
  for (int i = 0; i < 3; ++i) {
    v1::Job job;
    grpc::Status status = Get(Name(kVendors[i], ids[i]), &job);
    ExpectError(status, grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND");
    auto info = ErrorInfoOf(status);
    EXPECT_EQ(info.metadata().at("vendor"), kVendors[i]);
    EXPECT_EQ(info.metadata().at("http_status"), "404");
  }
}

TEST_F(JobServiceTest, VendorHttpFailuresMapToTheContract) {
  struct Row {
    int http_status;
    grpc::StatusCode code;
    const char* reason;
  };
  const Row rows[] = {
      {403, grpc::StatusCode::PERMISSION_DENIED, "VENDOR_PERMISSION_DENIED"},
      {422, grpc::StatusCode::INVALID_ARGUMENT, "VENDOR_REJECTED_REQUEST"},
      {400, grpc::StatusCode::INVALID_ARGUMENT, "VENDOR_REJECTED_REQUEST"},
      {405, grpc::StatusCode::UNIMPLEMENTED, "UNSUPPORTED_BY_VENDOR"},
      {500, grpc::StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE"},
      {502, grpc::StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE"},
      {503, grpc::StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE"},
  };
  for (const char* vendor : kVendors) {
    const std::string id = AddRunning(vendor);
    for (const Row& row : rows) {
      FaultSpec fault;
      fault.vendor = vendor;
      fault.kind = FaultKind::kHttpStatus;
      fault.status = row.http_status;
      // Reads are retried on 5xx; every attempt fails.
      harness_.emulator().InjectFault(fault);
      harness_.emulator().ResetStats();
      v1::Job job;
      grpc::Status status = Get(Name(vendor, id), &job);
      ExpectError(status, row.code, row.reason);
      EXPECT_EQ(harness_.emulator().stats(vendor).Count("GET", "get"),
                row.http_status >= 500 ? 3 : 1)
          << vendor << " " << row.http_status;
      auto info = ErrorInfoOf(status);
      EXPECT_EQ(info.metadata().at("vendor"), vendor);
      EXPECT_EQ(info.metadata().at("http_status"), absl::StrCat(row.http_status));
      harness_.emulator().ClearFaults();
    }
  }
}

TEST_F(JobServiceTest, RateLimitCarriesRetryInfo) {
  const std::string id = AddRunning(sandbox::kIonq);
  FaultSpec fault;
  fault.vendor = sandbox::kIonq;
  fault.status = 429;
  fault.headers = {{"Retry-After", "7"}};
  harness_.emulator().InjectFault(fault);
  v1::Job job;
  grpc::Status status = Get(Name("ionq", id), &job);
  ExpectError(status, grpc::StatusCode::RESOURCE_EXHAUSTED, "VENDOR_RATE_LIMITED");
  auto retry = RetryInfoOf(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 7);
}

TEST_F(JobServiceTest, ConnectionFailuresAndGarbageBodies) {
  const std::string id = AddRunning(sandbox::kQbraid);
  v1::Job job;
  FaultSpec reset;
  reset.vendor = sandbox::kQbraid;
  reset.kind = FaultKind::kReset;
  harness_.emulator().InjectFault(reset);
  ExpectError(Get(Name("qbraid", id), &job), grpc::StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE");
  harness_.emulator().ClearFaults();

  FaultSpec truncated;
  truncated.vendor = sandbox::kQbraid;
  truncated.kind = FaultKind::kTruncate;
  harness_.emulator().InjectFault(truncated);
  v1::Job ignored;
  grpc::Status status = Get(Name("qbraid", id), &ignored);
  EXPECT_THAT(status.error_code(),
              ::testing::AnyOf(grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::INTERNAL));
  harness_.emulator().ClearFaults();

  FaultSpec html;
  html.vendor = sandbox::kQbraid;
  html.kind = FaultKind::kBody;
  html.status = 200;
  html.content_type = "text/html";
  html.body = "<html><body>Bad gateway</body></html>";
  harness_.emulator().InjectFault(html);
  ExpectError(Get(Name("qbraid", id), &job), grpc::StatusCode::INTERNAL, "VENDOR_BAD_RESPONSE");
  harness_.emulator().ClearFaults();

  harness_.emulator().PutRawJob(sandbox::kIonq, "11111111-2222-3333-4444-555555555555",
                                R"({"status":"completed"})");
  ExpectError(Get(Name("ionq", "11111111-2222-3333-4444-555555555555"), &job),
              grpc::StatusCode::INTERNAL, "VENDOR_BAD_RESPONSE");
  // The server is still serving.
  ASSERT_TRUE(Get(Name("qbraid", id), &job).ok());
}

TEST_F(JobServiceTest, CallerDeadlineBoundsTheVendorCall) {
  const std::string id = AddRunning(sandbox::kPraisonai);
  FaultSpec stall;
  stall.vendor = sandbox::kPraisonai;
  stall.kind = FaultKind::kStall;
  stall.stall = absl::Seconds(20);
  harness_.emulator().InjectFault(stall);
  v1::GetJobRequest request;
  request.set_name(Name("praisonai", id));
  v1::Job job;
  const Stopwatch start;
  grpc::Status status =
      harness_.stub().GetJob(Context(absl::Milliseconds(500)).get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(start.Elapsed(), absl::Seconds(5));
  harness_.emulator().ReleaseStalls();
}

TEST_F(JobServiceTest, ClientCancellationAbortsTheVendorRequest) {
  const std::string id = AddRunning(sandbox::kIonq);
  FaultSpec stall;
  stall.vendor = sandbox::kIonq;
  stall.kind = FaultKind::kStall;
  harness_.emulator().InjectFault(stall);
  v1::GetJobRequest request;
  request.set_name(Name("ionq", id));
  v1::Job job;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  std::thread canceller([&] {
    // Wait until the vendor request is in flight at the emulator, then cancel the RPC.
    for (int i = 0; i < 500 && harness_.emulator().stats(sandbox::kIonq).in_flight == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ctx.TryCancel();
  });
  grpc::Status status = harness_.stub().GetJob(&ctx, request, &job);
  canceller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  // The server dropped its vendor request: its in-flight gauge returns to zero while the
  // emulator is still holding the (now abandoned) request.
  bool drained = false;
  for (int i = 0; i < 200 && !drained; ++i) {
    drained = absl::StrContains(FetchMetrics(harness_.metrics_address()),
                                "jobfacade_vendor_requests_in_flight 0\n");
    if (!drained) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(drained) << FetchMetrics(harness_.metrics_address());
  EXPECT_GE(harness_.emulator().stats(sandbox::kIonq).in_flight, 1);
  harness_.emulator().ReleaseStalls();
}

// Bytes that are no valid request reach the service's own parsing on every method: the answer
// is INVALID_ARGUMENT / INVALID_REQUEST with its ErrorInfo (gRPC's typed handlers answered an
// empty UNIMPLEMENTED), and nothing is sent to a vendor.
TEST_F(JobServiceTest, UnparseableRequestsAreInvalidRequestOnEveryMethod) {
  grpc::GenericStub generic(harness_.channel());
  auto unary = [&](const std::string& method, const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&ctx, method, grpc::StubOptions(), &buffer, &response, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      status = s;
      done = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(15), [&] { return done; });
    return status;
  };
  auto streaming = [&](const std::string& method, const std::string& bytes) {
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto call = generic.PrepareCall(&ctx, method, &cq);
    auto next = [&] {
      void* tag = nullptr;
      bool ok = false;
      return cq.Next(&tag, &ok);
    };
    call->StartCall(reinterpret_cast<void*>(1));
    next();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->WriteLast(buffer, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    next();
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(3));
    next();
    cq.Shutdown();
    while (next()) {
    }
    return status;
  };
  // Field 1 (name / parent) holding bytes that are not UTF-8; a truncated varint; a length
  // running past the end of the message.
  const std::vector<std::string> bad = {std::string("\x0a\x02\xc3\x28", 4),
                                        std::string("\x10\xff", 2), std::string("\x0a\x7f\x61", 3)};
  harness_.emulator().ResetStats();
  for (const char* method : {"GetJob", "ListJobs", "CancelJob", "DeleteJob", "WatchJob"}) {
    for (const std::string& bytes : bad) {
      SCOPED_TRACE(absl::StrCat(method, " ", absl::CEscape(bytes)));
      const std::string path = absl::StrCat("/jobfacade.v1.JobService/", method);
      const grpc::Status status =
          std::string(method) == "WatchJob" ? streaming(path, bytes) : unary(path, bytes);
      ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
      EXPECT_EQ(ErrorInfoOf(status).reason(), "INVALID_REQUEST");
      auto field = BadRequestOf(status);
      ASSERT_TRUE(field.has_value());
      EXPECT_EQ(field->field_violations(0).field(), "request");
    }
  }
  EXPECT_EQ(harness_.emulator().stats("*").total, 0);
  // A well-formed request still works on the same connection.
  v1::Job job;
  EXPECT_EQ(Get("vendors/ionq/jobs/missing", &job).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(JobServiceTest, HealthAndMetrics) {
  grpc::GenericStub generic(harness_.channel());
  // grpc.health.v1.HealthCheckRequest{service}: field 1, a string.
  auto check = [&](const std::string& service) {
    std::string request = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
    grpc::ByteBuffer response;
    grpc::Slice slice(request);
    grpc::ByteBuffer buffer(&slice, 1);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &buffer, &response,
                      [&](grpc::Status s) {
                        std::lock_guard<std::mutex> lock(mu);
                        status = s;
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; });
    std::vector<grpc::Slice> slices;
    response.Dump(&slices);
    std::string bytes;
    for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    // HealthCheckResponse{status = SERVING (1)} is "\x08\x01".
    return status.ok() && bytes == std::string("\x08\x01", 2);
  };
  EXPECT_TRUE(check(""));
  EXPECT_TRUE(check("jobfacade.v1.JobService"));
  for (const char* vendor : kVendors) EXPECT_TRUE(check(absl::StrCat("vendors/", vendor)));

  v1::Job job;
  Get("vendors/ionq/jobs/missing", &job);
  const std::string metrics = FetchMetrics(harness_.metrics_address());
  EXPECT_THAT(metrics, HasSubstr("jobfacade_rpcs_total{code=\"NOT_FOUND\",method=\"GetJob\"}"));
}

TEST_F(JobServiceTest, ServerReflectionListsTheService) {
  // grpc.reflection.v1alpha.ServerReflectionRequest{list_services: ""} is field 7, empty.
  grpc::GenericStub generic(harness_.channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = generic.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto next = [&](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == want;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(next(1));
  grpc::Slice request(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request_buffer(&request, 1);
  call->Write(request_buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(next(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(next(3));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(4));
  ASSERT_TRUE(next(4));
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_THAT(bytes, HasSubstr("jobfacade.v1.JobService"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(next(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(JobServiceTest, SecretsNeverLeaveTheServer) {
  const std::string id = AddRunning(sandbox::kQbraid);
  FaultSpec echo;
  echo.vendor = sandbox::kQbraid;
  echo.status = 401;
  echo.body = absl::StrCat(R"({"success":false,"message":"bad key )", kQbraidKey,
                           R"(","error":{"code":"INVALID_API_KEY","message":"key )", kQbraidKey,
                           R"( rejected"}})");
  harness_.emulator().InjectFault(echo);
  v1::Job job;
  grpc::Status status = Get(Name("qbraid", id), &job);
  ExpectError(status, grpc::StatusCode::INTERNAL, "VENDOR_AUTH_FAILED");
  EXPECT_THAT(status.error_message(), Not(HasSubstr(kQbraidKey)));
  EXPECT_THAT(status.error_details(), Not(HasSubstr(kQbraidKey)));
  EXPECT_THAT(harness_.process().Stderr(), Not(HasSubstr(kQbraidKey)));
  EXPECT_THAT(harness_.process().Stderr(), Not(HasSubstr(kIonqKey)));
}

// A request over the server's 1 MiB bound is refused by gRPC before any handler runs; the
// server is unharmed and the vendor is never called.
TEST_F(JobServiceTest, OversizedRequestIsRefusedAndTheServerStillServes) {
  const std::string id = AddRunning(sandbox::kQbraid);
  harness_.emulator().ResetStats();
  v1::ListJobsRequest request;
  request.set_parent("vendors/qbraid");
  request.set_filter(std::string(2 << 20, 'x'));
  v1::ListJobsResponse response;
  grpc::Status status = List(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(harness_.emulator().stats("*").total, 0);
  v1::Job job;
  EXPECT_TRUE(Get(Name("qbraid", id), &job).ok());
}

TEST_F(JobServiceTest, SigtermExitsCleanly) {
  auto status = harness_.process().SignalAndWait(SIGTERM, absl::Seconds(20));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

// A server with only IonQ configured.
TEST(PartialConfigTest, UnconfiguredVendorIsFailedPrecondition) {
  HarnessOptions options;
  options.qbraid = false;
  options.praisonai = false;
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  v1::GetJobRequest request;
  request.set_name("vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-000000000000000000000000");
  v1::Job job;
  grpc::Status status = harness.stub().GetJob(Context().get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "VENDOR_NOT_CONFIGURED");
  v1::ListJobsRequest list;
  list.set_parent("vendors/praisonai");
  v1::ListJobsResponse response;
  status = harness.stub().ListJobs(Context().get(), list, &response);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "VENDOR_NOT_CONFIGURED");
}

TEST(AuthConfigTest, WrongServiceKeyIsInternalAndCallerKeyIsUnauthenticated) {
  HarnessOptions options;
  options.env["IONQ_API_KEY"] = "not-the-right-key";
  options.env["JOBFACADE_ALLOW_CALLER_KEYS"] = "true";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  sandbox::JobSpec spec;
  spec.vendor = sandbox::kIonq;
  const std::string id = harness.emulator().AddJob(spec);
  v1::GetJobRequest request;
  request.set_name(Name("ionq", id));
  v1::Job job;
  grpc::Status status = harness.stub().GetJob(Context().get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "VENDOR_AUTH_FAILED");
  EXPECT_THAT(status.error_message(), Not(HasSubstr("not-the-right-key")));

  // The caller's own key is used for that call only.
  auto good = Context();
  good->AddMetadata("x-ionq-api-key", kIonqKey);
  EXPECT_TRUE(harness.stub().GetJob(good.get(), request, &job).ok());
  auto bad = Context();
  bad->AddMetadata("x-ionq-api-key", "callers-wrong-key");
  status = harness.stub().GetJob(bad.get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "VENDOR_AUTH_FAILED");
}

TEST(AuthConfigTest, CallersMustPresentABearerTokenWhenConfigured) {
  const std::string path = TestTempDir() + "/jobfacade_tokens.txt";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("# callers\ncaller-token-1\n", f);
  fclose(f);
  HarnessOptions options;
  options.env["JOBFACADE_AUTH_TOKENS_FILE"] = path;
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  v1::ListJobsResponse response;
  grpc::Status status = harness.stub().ListJobs(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  auto wrong = Context();
  wrong->AddMetadata("authorization", "Bearer caller-token-2");
  EXPECT_EQ(harness.stub().ListJobs(wrong.get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto right = Context();
  right->AddMetadata("authorization", "Bearer caller-token-1");
  EXPECT_TRUE(harness.stub().ListJobs(right.get(), request, &response).ok());
}

}  // namespace
}  // namespace jobfacade::testing

namespace jobfacade::testing {
namespace {

// The binary with `env` (plus a loopback listener and PATH): its exit status and stderr once it
// stops by itself, within 20 s.
struct StartResult {
  std::optional<int> status;
  std::string stderr_text;
};
StartResult StartAndWaitForExit(std::map<std::string, std::string> env,
                                std::vector<std::string> args = {}) {
  env.emplace("JOBFACADE_LISTEN", "127.0.0.1:0");
  env.emplace("JOBFACADE_METRICS_LISTEN", "off");
  env.emplace("PATH", "/usr/bin:/bin");
  Subprocess process;
  StartResult result;
  std::vector<std::string> argv = {JOBFACADE_BINARY_DIR "/service/jobfacade"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!process.Start(argv, env)) return result;
  result.status = process.SignalAndWait(0, absl::Seconds(20));
  result.stderr_text = process.Stderr();
  return result;
}

// README: "An invalid configuration stops the server at start with a message naming the
// setting (never its secret value) and exit code 2", also for what only binding or loading
// shows.
TEST(StartupTest, SettingsTheServerCannotUseExitTwoNamingTheSetting) {
  const std::string missing = "/nonexistent/jobfacade-test/cert.pem";
  const std::string garbage = TestTempDir() + "/jobfacade-garbage.pem";
  {
    std::ofstream out(garbage);
    out << "not a certificate\n";
  }
  struct Case {
    std::map<std::string, std::string> env;
    std::string setting;
  };
  const std::vector<Case> cases = {
      {{{"JOBFACADE_TLS_CERT_FILE", missing}, {"JOBFACADE_TLS_KEY_FILE", missing}},
       "JOBFACADE_TLS_CERT_FILE"},
      {{{"JOBFACADE_TLS_CERT_FILE", garbage}, {"JOBFACADE_TLS_KEY_FILE", garbage}},
       "JOBFACADE_TLS_CERT_FILE"},
      {{{"JOBFACADE_LISTEN", "999.1.2.3:1"}}, "JOBFACADE_LISTEN"},
      {{{"JOBFACADE_LISTEN", "127.0.0.1:99999"}}, "JOBFACADE_LISTEN"},
      {{{"JOBFACADE_METRICS_LISTEN", "999.1.2.3:1"}}, "JOBFACADE_METRICS_LISTEN"},
      {{{"JOBFACADE_SHUTDOWN_GRACE_SECONDS", "soon"}}, "JOBFACADE_SHUTDOWN_GRACE_SECONDS"},
      {{{"JOBFACADE_SHUTDOWN_GRACE_SECONDS", "-1"}}, "JOBFACADE_SHUTDOWN_GRACE_SECONDS"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.setting);
    const StartResult result = StartAndWaitForExit(c.env);
    ASSERT_TRUE(result.status.has_value()) << "still running; stderr:\n" << result.stderr_text;
    ASSERT_TRUE(WIFEXITED(*result.status)) << result.stderr_text;
    EXPECT_EQ(WEXITSTATUS(*result.status), 2) << result.stderr_text;
    EXPECT_THAT(result.stderr_text, HasSubstr(c.setting));
  }
}

// JOBFACADE_SANDBOX=false with no vendor configured: exit 2 at start, before anything listens,
// so that a pod whose vendor settings went missing never serves demo jobs. With a vendor
// configured the same setting starts the server.
TEST(StartupTest, SandboxFalseWithNoVendorExitsTwo) {
  const StartResult refused = StartAndWaitForExit({{"JOBFACADE_SANDBOX", "false"}});
  ASSERT_TRUE(refused.status.has_value()) << "still running; stderr:\n" << refused.stderr_text;
  ASSERT_TRUE(WIFEXITED(*refused.status)) << refused.stderr_text;
  EXPECT_EQ(WEXITSTATUS(*refused.status), 2) << refused.stderr_text;
  EXPECT_THAT(refused.stderr_text, HasSubstr("JOBFACADE_SANDBOX=false"));
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr("sandbox mode:")));
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr("serving jobfacade.v1.JobService")));

  HarnessOptions options;
  options.env["JOBFACADE_SANDBOX"] = "false";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  EXPECT_THAT(harness.process().Stderr(), Not(HasSubstr("sandbox mode")));
}

// Vendor settings are flags named after their variables, taken from argv by the names the
// vendors declare: `--x=v` and `--x v` both reach the configuration, a missing value is a
// usage error, and all of them exit 2 naming what is wrong.
TEST(StartupTest, VendorFlagsReachTheConfiguration) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--ionq_api_key_file=/nonexistent/jobfacade-test/key"},
        std::vector<std::string>{"--ionq_api_key_file", "/nonexistent/jobfacade-test/key"}}) {
    const StartResult result = StartAndWaitForExit({}, args);
    ASSERT_TRUE(result.status.has_value()) << result.stderr_text;
    ASSERT_TRUE(WIFEXITED(*result.status));
    EXPECT_EQ(WEXITSTATUS(*result.status), 2);
    EXPECT_THAT(result.stderr_text, HasSubstr("IONQ_API_KEY_FILE: cannot read file"));
  }
  const StartResult missing = StartAndWaitForExit({}, {"--qbraid_base_url"});
  ASSERT_TRUE(missing.status.has_value());
  EXPECT_EQ(WEXITSTATUS(*missing.status), 2);
  EXPECT_THAT(missing.stderr_text, HasSubstr("--qbraid_base_url needs a value"));
  // A flag wins over the environment.
  const StartResult plain =
      StartAndWaitForExit({{"QBRAID_API_KEY", "k"}, {"QBRAID_BASE_URL", "https://api.example"}},
                          {"--qbraid_base_url=http://example.com"});
  ASSERT_TRUE(plain.status.has_value());
  EXPECT_EQ(WEXITSTATUS(*plain.status), 2);
  EXPECT_THAT(plain.stderr_text, HasSubstr("QBRAID_BASE_URL: plain http:// is only allowed"));
}

// JOBFACADE_SHUTDOWN_GRACE_SECONDS is the grace: with 0 a SIGTERM ends the server at once even
// with a call held at the vendor.
TEST(StartupTest, ShutdownGraceComesFromTheEnvironment) {
  HarnessOptions options;
  options.env["JOBFACADE_SHUTDOWN_GRACE_SECONDS"] = "0";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  FaultSpec stall;
  stall.kind = FaultKind::kStall;
  stall.stall = absl::Seconds(30);
  harness.emulator().InjectFault(stall);
  std::thread caller([&] {
    v1::GetJobRequest request;
    request.set_name("vendors/ionq/jobs/held");
    v1::Job job;
    harness.stub().GetJob(Context(absl::Seconds(20)).get(), request, &job);
  });
  for (int i = 0; i < 200 && harness.emulator().stats("*").in_flight == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(harness.emulator().stats("*").in_flight, 1);
  const Stopwatch start;
  harness.Signal(SIGTERM);
  const std::optional<int> status = harness.WaitForExit(absl::Seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_LT(start.Elapsed(), absl::Seconds(5));
  harness.emulator().ReleaseStalls();
  caller.join();
}

}  // namespace
}  // namespace jobfacade::testing
