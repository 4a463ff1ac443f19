// The shared idempotency store: two real server processes and a real redis-server (started
// here on a loopback port) in front of one emulated vendor. One request_id submits once across
// the replicas; a replica killed between the vendor's answer and its write to the store is
// resolved by looking the id up at the vendor; a store that went away refuses to submit.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultKind;
using sandbox::FaultSpec;

constexpr char kBell[] = "OPENQASM 3.0;\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n";

// A port free on 127.0.0.1 just now.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// redis-server on 127.0.0.1, in memory only, stopped with the object.
class Redis {
 public:
  explicit Redis(int port) : port_(port) {}
  bool Start() {
    if (!process_.Start({JOBFACADE_REDIS_SERVER, "--port", absl::StrCat(port_), "--bind",
                         "127.0.0.1", "--save", "", "--appendonly", "no"},
                        {{"PATH", "/usr/bin:/bin"}})) {
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      if (Accepts(port_)) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }
  void Stop() { process_.SignalAndWait(SIGKILL, absl::Seconds(5)); }
  std::string url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

 private:
  const int port_;
  Subprocess process_;
};

class RedisStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start()) << "redis-server did not start";
    sandbox::VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = false;
    options.vendors[sandbox::kQbraid].api_key = kQbraidKey;
    options.vendors[sandbox::kIonq].api_key = kIonqKey;
    options.vendors[sandbox::kPraisonai].api_key = kPraisonaiKey;
    auto emulator = sandbox::VendorEmulator::Start(options);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    for (auto* replica : {&a_, &b_}) {
      HarnessOptions harness;
      harness.emulator = emulator_.get();
      harness.env["JOBFACADE_IDEMPOTENCY_STORE"] = redis_.url();
      *replica = std::make_unique<ServerHarness>(harness);
      ASSERT_TRUE((*replica)->ok()) << (*replica)->error();
    }
  }

  const char* vendor() const { return GetParam(); }

  v1::CreateJobRequest Request(const std::string& request_id) const {
    v1::CreateJobRequest request;
    request.set_parent(absl::StrCat("vendors/", vendor()));
    request.set_request_id(request_id);
    v1::JobSpec& spec = *request.mutable_job();
    if (std::string(vendor()) == sandbox::kPraisonai) {
      spec.mutable_agent_run()->set_prompt("plan the week");
    } else {
      spec.set_device(std::string(vendor()) == sandbox::kIonq ? "simulator" : "aws:aws:sim:sv1");
      spec.set_shots(10);
      spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
      spec.mutable_quantum_program()->set_source(kBell);
    }
    return request;
  }

  int64_t Posts() { return emulator_->stats(vendor()).Count("POST", "create"); }

  ManualClock clock_;
  Redis redis_{FreePort()};
  std::unique_ptr<sandbox::VendorEmulator> emulator_;
  std::unique_ptr<ServerHarness> a_, b_;
};

TEST_P(RedisStoreTest, TwoReplicasSubmitOncePerRequestId) {
  emulator_->SetLatency(vendor(), absl::Milliseconds(300));
  const std::string id = "8a4f1e2d-3c5b-4a69-9e7f-112233445566";
  constexpr int kPerReplica = 10;
  std::vector<v1::Job> jobs(2 * kPerReplica);
  std::vector<grpc::Status> statuses(2 * kPerReplica);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kPerReplica; ++i) {
    ServerHarness& replica = i % 2 == 0 ? *a_ : *b_;
    threads.emplace_back([&, i] {
      statuses[i] =
          replica.stub().CreateJob(Context(absl::Seconds(20)).get(), Request(id), &jobs[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << statuses[i].error_message();
    EXPECT_EQ(jobs[i].name(), jobs[0].name());
  }
  EXPECT_EQ(Posts(), 1);
  EXPECT_EQ(emulator_->JobIds(vendor()).size(), 1u);
}

TEST_P(RedisStoreTest, AReplicaKilledAfterTheVendorAnsweredIsResolvedByTheLookup) {
  const std::string id = "5b6c7d8e-9f01-4234-8567-89abcdef0123";
  // The vendor makes the job; its answer is held until the replica that asked is dead.
  FaultSpec fault;
  fault.vendor = vendor();
  fault.route = "create";
  fault.kind = FaultKind::kStallAfterAnswer;
  fault.stall = absl::Seconds(30);
  fault.count = 1;
  emulator_->InjectFault(fault);
  std::thread doomed([&] {
    v1::Job job;
    a_->stub().CreateJob(Context(absl::Seconds(4)).get(), Request(id), &job);
  });
  for (int i = 0; i < 200 && emulator_->JobIds(vendor()).empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(emulator_->JobIds(vendor()).size(), 1u);
  const std::string made = emulator_->JobIds(vendor())[0];
  a_->Signal(SIGKILL);
  ASSERT_TRUE(a_->WaitForExit(absl::Seconds(10)).has_value());
  emulator_->ReleaseStalls();
  doomed.join();
  // The other replica waits out the dead one's claim, then finds the job at the vendor.
  v1::Job job;
  const grpc::Status status =
      b_->stub().CreateJob(Context(absl::Seconds(30)).get(), Request(id), &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(job.vendor_job_id(), made);
  EXPECT_EQ(emulator_->JobIds(vendor()).size(), 1u);
  // PraisonAI keeps the key: asking again with it is its lookup, and makes nothing new.
  EXPECT_EQ(Posts(), std::string(vendor()) == sandbox::kPraisonai ? 2 : 1);
  // Recorded now: one more call sends nothing.
  ASSERT_TRUE(b_->stub().CreateJob(Context().get(), Request(id), &job).ok());
  EXPECT_EQ(Posts(), std::string(vendor()) == sandbox::kPraisonai ? 2 : 1);
}

TEST_P(RedisStoreTest, AStoreThatWentAwaySubmitsNothing) {
  v1::Job job;
  ASSERT_TRUE(a_->stub()
                  .CreateJob(Context().get(), Request("0e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"), &job)
                  .ok());
  ASSERT_EQ(Posts(), 1);
  redis_.Stop();
  for (auto* replica : {a_.get(), b_.get()}) {
    const grpc::Status status = replica->stub().CreateJob(
        Context().get(), Request("7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918"), &job);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(ErrorInfoOf(status).reason(), "IDEMPOTENCY_STORE_UNAVAILABLE");
  }
  EXPECT_EQ(Posts(), 1);
  // Without a request_id nothing is de-duplicated, and the store is not needed.
  v1::CreateJobRequest plain = Request("");
  ASSERT_TRUE(a_->stub().CreateJob(Context().get(), plain, &job).ok());
  EXPECT_EQ(Posts(), 2);
}

// JOBFACADE_IDEMPOTENCY_STORE_FILE is re-read while the server runs: a new URL (another Redis,
// a rotated password) takes the next calls, with no restart.
TEST(RedisStoreFileTest, ANewUrlInTheFileIsUsedWithoutARestart) {
  Redis first(FreePort());
  Redis second(FreePort());
  ASSERT_TRUE(first.Start());
  ASSERT_TRUE(second.Start());
  const std::string path = TestTempDir() + "/idempotency_store_url";
  auto write = [&](const std::string& url) {
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs((url + "\n").c_str(), f);
    std::fclose(f);
    ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
  };
  write(first.url());
  HarnessOptions options;
  options.env["JOBFACADE_IDEMPOTENCY_STORE_FILE"] = path;
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  v1::CreateJobRequest request;
  request.set_parent("vendors/ionq");
  request.mutable_job()->set_device("simulator");
  request.mutable_job()->set_shots(10);
  request.mutable_job()->mutable_quantum_program()->set_format(
      v1::QuantumProgram::FORMAT_OPENQASM3);
  request.mutable_job()->mutable_quantum_program()->set_source(kBell);
  request.set_request_id("a1b2c3d4-e5f6-4789-8abc-def012345678");
  v1::Job job;
  ASSERT_TRUE(harness.stub().CreateJob(Context().get(), request, &job).ok());

  write(second.url());
  first.Stop();
  // Within the reload interval the calls go to the second Redis, which has no record yet:
  // a new id is submitted, and the same id is submitted once there.
  request.set_request_id("0badc0de-1234-4abc-9def-0123456789ab");
  grpc::Status status;
  for (int i = 0; i < 100; ++i) {
    status = harness.stub().CreateJob(Context().get(), request, &job);
    if (status.ok()) break;
    EXPECT_EQ(ErrorInfoOf(status).reason(), "IDEMPOTENCY_STORE_UNAVAILABLE");
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::Job again;
  ASSERT_TRUE(harness.stub().CreateJob(Context().get(), request, &again).ok());
  EXPECT_EQ(again.name(), job.name());
  EXPECT_EQ(harness.emulator().stats(sandbox::kIonq).Count("POST", "create"), 2);
  second.Stop();
}

INSTANTIATE_TEST_SUITE_P(Vendors, RedisStoreTest,
                         ::testing::Values(sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace jobfacade::testing
