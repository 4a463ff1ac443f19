// Soak: a steady mix of every RPC over all three vendors for minutes while the emulator rotates
// faults (429, 503, resets, truncated bodies, stalls, slow answers); after a warm-up the server's
// memory, threads and file descriptors stay flat, and every call ends with a contract code.
// JOBFACADE_SOAK_SECONDS sets the load time (default 120; run the binary directly for soaks
// longer than the ctest TIMEOUT allows).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultKind;
using sandbox::FaultSpec;

constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};
constexpr int kRate = 150;  // calls per second, all pacers together
constexpr int kPacers = 3;
// Beyond this many calls in flight a pacer skips its turn (counted) rather than piling up.
constexpr int kMaxOutstanding = 1000;
constexpr absl::Duration kDeadline = absl::Seconds(5);
constexpr absl::Duration kSampleEvery = absl::Seconds(5);
constexpr absl::Duration kRotateEvery = absl::Seconds(2);
constexpr int kJobsPerVendor = 16;
// The first kFaultyJobs jobs of each vendor carry faults; the others are answered normally
// (unless their vendor is the slow one of the moment).
constexpr int kFaultyJobs = 5;

absl::Duration SoakDuration() {
  const char* env = std::getenv("JOBFACADE_SOAK_SECONDS");
  int seconds = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &seconds) && seconds > 0) {
    return absl::Seconds(seconds);
  }
  return absl::Seconds(120);
}

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("code ", i);
}

// The contract's codes for what this test does (API.md, Errors): the fault mix produces the
// vendor rows, cancel and delete of jobs in every state the state rows, a delete racing a get
// JOB_NOT_FOUND. INTERNAL only for bad vendor bodies; nothing UNKNOWN; no open circuit (the
// threshold is out of reach).
bool IsContractOutcome(const grpc::Status& status, const ErrorSummary& e) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return true;
    case grpc::StatusCode::NOT_FOUND:
      return e.reason == "JOB_NOT_FOUND";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return e.reason == "JOB_ALREADY_TERMINAL" || e.reason == "JOB_NOT_TERMINAL" ||
             e.reason == "JOB_STATE_CONFLICT";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return e.reason == "VENDOR_RATE_LIMITED" && e.retry_delay.has_value();
    case grpc::StatusCode::UNAVAILABLE:
      return e.reason == "VENDOR_UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      // The server's own, or the client library's at the deadline (no details).
      return e.reason == "DEADLINE_EXCEEDED" || !e.has_details;
    case grpc::StatusCode::INTERNAL:
      return e.reason == "VENDOR_BAD_RESPONSE";
    default:
      return false;
  }
}

struct Sample {
  absl::Duration at;
  int64_t rss_kb;
  int threads;
  int fds;         // all of the server's file descriptors
  int vendor_fds;  // its own outgoing sockets: vendor connections, idle or in use
  int64_t completed;
  int outstanding;
  // Listeners, callers' connections, files, pipes, epoll and event fds: what does not depend
  // on how many vendor requests are open at the instant of the sample.
  int other_fds() const { return fds - vendor_fds; }
};

class SoakTest : public ::testing::Test {
 protected:
  // What the calls and their callbacks share; owned jointly so that nothing dangles if the test
  // stops early.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, int64_t> outcomes;  // "GetJob OK", "CancelJob FAILED_PRECONDITION ..."
    std::vector<std::string> unexpected;      // the first few calls outside the contract
    int64_t unexpected_count = 0;
    int64_t completed = 0;
    int64_t ok = 0;
    int outstanding = 0;
    int64_t skipped = 0;  // pacer turns skipped at kMaxOutstanding
  };

  void SetUp() override {
    HarnessOptions options;
    // Stalls and latency hold emulator threads, and each kept-alive connection holds one too.
    options.emulator_threads = 256;
    options.env["JOBFACADE_CIRCUIT_FAILURE_THRESHOLD"] = "1000000";
    harness_ = std::make_unique<ServerHarness>(options);
    ASSERT_TRUE(harness_->ok()) << harness_->error();
    for (const std::string& address : {harness_->address(), harness_->metrics_address()}) {
      int port = 0;
      ASSERT_TRUE(absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) << address;
      server_ports_.push_back(port);
    }
    for (int v = 0; v < 3; ++v) {
      for (int j = 0; j < kJobsPerVendor; ++j) {
        ids_[v].push_back(AddJob(kVendors[v], "", j % 2 == 0));
      }
    }
  }

  // Calls left running by a test that stopped early must end before the fixture goes: the
  // delete callback re-seeds jobs through it.
  void TearDown() override {
    if (harness_ == nullptr) return;
    std::unique_lock<std::mutex> lock(shared_->mu);
    if (shared_->outstanding == 0) return;
    harness_->Signal(SIGKILL);
    shared_->cv.wait_for(lock, std::chrono::seconds(30), [&] { return shared_->outstanding == 0; });
  }

  // Seeds (or, after a delete, re-seeds) a job: RUNNING for years, or COMPLETED an hour ago.
  std::string AddJob(const std::string& vendor, const std::string& id, bool running) {
    sandbox::JobSpec spec;
    spec.vendor = vendor;
    spec.id = id;
    if (running) {
      spec.created_at = harness_->clock().Now() - absl::Minutes(1);
      spec.initializing = absl::Seconds(1);
      spec.queued = absl::Seconds(1);
      spec.running = absl::Hours(24 * 3650);
    } else {
      spec.created_at = harness_->clock().Now() - absl::Hours(1);
    }
    return harness_->emulator().AddJob(spec);
  }

  std::string Name(int vendor, int job) const {
    return absl::StrCat("vendors/", kVendors[vendor], "/jobs/", ids_[vendor][job]);
  }

  // The faults of rotation `phase`: each faulty job of each vendor gets one kind, shifted every
  // phase; one vendor's listings fail twice; one vendor answers slowly.
  void Rotate(int phase) {
    sandbox::VendorEmulator& emulator = harness_->emulator();
    emulator.ClearFaults();  // also lets stalled requests answer
    for (int v = 0; v < 3; ++v) {
      for (int j = 0; j < kFaultyJobs; ++j) {
        FaultSpec fault;
        fault.vendor = kVendors[v];
        fault.job_id = ids_[v][j];
        switch ((phase + v + j) % 9) {
          case 0:
            fault.status = 429;
            fault.headers = {{"Retry-After", "0"}};
            break;
          case 1:
            fault.status = 429;
            fault.headers = {{"Retry-After", "1"}};
            break;
          case 2:
            fault.status = 503;
            break;
          case 3:
            fault.kind = FaultKind::kReset;
            break;
          case 4:
            fault.kind = FaultKind::kTruncatedJson;
            break;
          case 5:
            // Shorter than the deadline: the call still succeeds, late.
            fault.kind = FaultKind::kStall;
            fault.stall = absl::Milliseconds(1500);
            break;
          case 6:
            fault.kind = FaultKind::kTruncate;
            break;
          case 7:
            fault.kind = FaultKind::kResetMidBody;
            break;
          default:
            continue;  // healthy for this phase
        }
        emulator.InjectFault(fault);
      }
    }
    FaultSpec list_fault;
    list_fault.vendor = kVendors[phase % 3];
    list_fault.route = "list";
    list_fault.status = 503;
    list_fault.count = 2;
    emulator.InjectFault(list_fault);
    for (int v = 0; v < 3; ++v) {
      emulator.SetLatency(kVendors[v],
                          v == (phase + 1) % 3 ? absl::Milliseconds(150) : absl::ZeroDuration());
    }
    // Emulator time moves too, so that cancelled jobs leave CANCELLING and can be deleted.
    harness_->clock().Advance(kRotateEvery);
  }

  // Starts one call of the mix; its callback records the outcome.
  void StartCall(std::mt19937& rng) {
    const int vendor = static_cast<int>(rng() % 3);
    const int job = static_cast<int>(rng() % kJobsPerVendor);
    const int pick = static_cast<int>(rng() % 100);
    struct Call {
      grpc::ClientContext ctx;
      v1::GetJobRequest get;
      v1::ListJobsRequest list;
      v1::CancelJobRequest cancel;
      v1::DeleteJobRequest del;
      v1::Job job;
      v1::ListJobsResponse listed;
      google::protobuf::Empty empty;
    };
    auto* call = new Call;
    call->ctx.set_deadline(std::chrono::system_clock::now() +
                           absl::ToChronoMilliseconds(kDeadline));
    {
      std::lock_guard<std::mutex> lock(shared_->mu);
      ++shared_->outstanding;
    }
    auto record = [shared = shared_, call](const char* op, grpc::Status status) {
      delete call;
      const ErrorSummary summary = SummarizeError(status);
      std::string key = absl::StrCat(op, " ", CodeName(status.error_code()));
      if (!summary.reason.empty()) absl::StrAppend(&key, " ", summary.reason);
      const bool expected = IsContractOutcome(status, summary);
      std::lock_guard<std::mutex> lock(shared->mu);
      ++shared->outcomes[key];
      ++shared->completed;
      shared->ok += status.ok();
      --shared->outstanding;
      if (!expected) {
        ++shared->unexpected_count;
        if (shared->unexpected.size() < 10) {
          shared->unexpected.push_back(absl::StrCat(key, ": ", status.error_message()));
        }
      }
      shared->cv.notify_all();
    };
    v1::JobService::Stub& stub = harness_->stub();
    if (pick < 50) {
      call->get.set_name(Name(vendor, job));
      call->get.set_view(pick % 2 == 0 ? v1::JOB_VIEW_BASIC : v1::JOB_VIEW_FULL);
      stub.async()->GetJob(&call->ctx, &call->get, &call->job,
                           [record](grpc::Status s) { record("GetJob", std::move(s)); });
    } else if (pick < 75) {
      call->list.set_parent(pick < 65 ? absl::StrCat("vendors/", kVendors[vendor])
                                      : std::string("vendors/-"));
      call->list.set_page_size(10);
      stub.async()->ListJobs(&call->ctx, &call->list, &call->listed,
                             [record](grpc::Status s) { record("ListJobs", std::move(s)); });
    } else if (pick < 88) {
      call->cancel.set_name(Name(vendor, job));
      stub.async()->CancelJob(&call->ctx, &call->cancel, &call->job,
                              [record](grpc::Status s) { record("CancelJob", std::move(s)); });
    } else {
      call->del.set_name(Name(vendor, job));
      // A deleted job comes back (RUNNING or COMPLETED by turns), so the population stays.
      stub.async()->DeleteJob(
          &call->ctx, &call->del, &call->empty, [record, this, vendor, job](grpc::Status s) {
            if (s.ok()) {
              AddJob(kVendors[vendor], ids_[vendor][job], readded_.fetch_add(1) % 2 == 0);
            }
            record("DeleteJob", std::move(s));
          });
    }
  }

  Sample TakeSample(absl::Time start) {
    const pid_t pid = harness_->process().pid();
    const FdCount fds = CountFdsByPort(pid, server_ports_);
    Sample s{absl::Now() - start,
             ResidentKb(pid),
             CountThreads(pid),
             fds.total,
             fds.sockets - fds.on_local_ports,
             0,
             0};
    std::lock_guard<std::mutex> lock(shared_->mu);
    s.completed = shared_->completed;
    s.outstanding = shared_->outstanding;
    return s;
  }

  static void Print(const char* label, const Sample& s) {
    std::printf(
        "soak %-9s t=%6.1fs rss=%7lld KiB threads=%3d fds=%4d (vendor connections %3d, other "
        "%3d) calls=%7lld in_flight=%d\n",
        label, absl::ToDoubleSeconds(s.at), static_cast<long long>(s.rss_kb), s.threads, s.fds,
        s.vendor_fds, s.other_fds(), static_cast<long long>(s.completed), s.outstanding);
    std::fflush(stdout);
  }

  std::unique_ptr<ServerHarness> harness_;
  std::vector<int> server_ports_;  // gRPC and metrics
  std::vector<std::string> ids_[3];
  std::atomic<int> readded_{0};
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

TEST_F(SoakTest, SteadyMixedLoadWithRotatingFaultsKeepsResourcesFlat) {
  const absl::Duration duration = SoakDuration();
  const absl::Duration warm_up = duration / 5;
  std::printf("soak: %s of load at %d calls/s, warm-up %s, samples every %s\n",
              absl::FormatDuration(duration).c_str(), kRate, absl::FormatDuration(warm_up).c_str(),
              absl::FormatDuration(kSampleEvery).c_str());
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  std::atomic<bool> stop{false};

  std::thread chaos([&] {
    for (int phase = 0; !stop.load(); ++phase) {
      Rotate(phase);
      // Faults change on real time: that is what the server lives on.
      const absl::Time next = start + kRotateEvery * (phase + 1);
      while (!stop.load() && absl::Now() < next) absl::SleepFor(absl::Milliseconds(50));
    }
  });
  std::vector<std::thread> pacers;
  for (int p = 0; p < kPacers; ++p) {
    pacers.emplace_back([&, p] {
      std::mt19937 rng(1234 + p);
      const absl::Duration interval = absl::Seconds(1) * kPacers / kRate;
      absl::Time next = start + interval * p / kPacers;
      while (next < end) {
        absl::SleepFor(next - absl::Now());
        next += interval;
        {
          std::lock_guard<std::mutex> lock(shared_->mu);
          if (shared_->outstanding >= kMaxOutstanding) {
            ++shared_->skipped;
            continue;
          }
        }
        StartCall(rng);
      }
    });
  }

  std::vector<Sample> samples;
  int warm_index = -1;  // the first sample after the warm-up
  for (absl::Time next = start + kSampleEvery; next <= end; next += kSampleEvery) {
    absl::SleepFor(next - absl::Now());
    samples.push_back(TakeSample(start));
    if (warm_index < 0 && samples.back().at >= warm_up) warm_index = samples.size() - 1;
    Print(warm_index < 0 ? "warm-up" : "", samples.back());
  }
  for (auto& t : pacers) t.join();
  stop = true;
  chaos.join();
  {
    std::unique_lock<std::mutex> lock(shared_->mu);
    ASSERT_TRUE(shared_->cv.wait_for(lock, std::chrono::seconds(30),
                                     [&] { return shared_->outstanding == 0; }))
        << shared_->outstanding << " calls still in flight 30 s after the load stopped";
  }
  harness_->emulator().ClearFaults();
  harness_->emulator().SetLatency("*", absl::ZeroDuration());
  const Sample drained = TakeSample(start);
  Print("drained", drained);

  // Every call ended, and with a code of the contract.
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    std::printf("soak outcomes (%lld calls, %lld OK, %lld pacer turns skipped):\n",
                static_cast<long long>(shared_->completed), static_cast<long long>(shared_->ok),
                static_cast<long long>(shared_->skipped));
    for (const auto& [key, n] : shared_->outcomes) {
      std::printf("  %-60s %lld\n", key.c_str(), static_cast<long long>(n));
    }
    EXPECT_EQ(shared_->unexpected_count, 0) << [&] {
      std::string text;
      for (const auto& u : shared_->unexpected) absl::StrAppend(&text, "\n  ", u);
      return text;
    }();
    // The load really ran: at least 90% of the planned calls, most of them answered OK (the
    // faults hit a third of the jobs, and only some of the time).
    EXPECT_GE(shared_->completed,
              static_cast<int64_t>(0.9 * kRate * absl::ToDoubleSeconds(duration)));
    EXPECT_EQ(shared_->skipped, 0);
    EXPECT_GT(shared_->ok, shared_->completed / 2);
    EXPECT_LT(shared_->ok, shared_->completed) << "no fault reached a caller";
  }

  ASSERT_GE(warm_index, 0);
  ASSERT_GE(samples.size() - warm_index, 3u) << "too few samples after the warm-up";
  const Sample& base = samples[warm_index];
  const Sample& last = samples.back();
  int threads_min = base.threads, threads_max = base.threads;
  int other_min = base.other_fds(), other_max = base.other_fds();
  int vendor_max = 0;
  for (size_t i = warm_index; i < samples.size(); ++i) {
    threads_min = std::min(threads_min, samples[i].threads);
    threads_max = std::max(threads_max, samples[i].threads);
    other_min = std::min(other_min, samples[i].other_fds());
    other_max = std::max(other_max, samples[i].other_fds());
    vendor_max = std::max(vendor_max, samples[i].vendor_fds);
  }
  // The end is the smallest of the last three samples: a leak shows in all of them, while a
  // burst of calls (the machine stalled the client, then it caught up) lifts one sample for a
  // moment. glibc keeps part of what a burst allocated (per-thread arenas), which is retention,
  // not a leak; a heap profile of a 200 s soak (heaptrack) peaked at 5.4 MB of heap with 0.5 MB
  // live at the end.
  int64_t end_rss = last.rss_kb;
  for (size_t i = std::max<size_t>(warm_index, samples.size() - 3); i < samples.size(); ++i) {
    end_rss = std::min(end_rss, samples[i].rss_kb);
  }
  // Under ASan, freed memory is held in its quarantine (256 MB by default) before it is reused,
  // so resident memory rises by up to that much in any run that frees a lot; a leak still shows
  // beyond it, and LeakSanitizer checks every process at exit.
#if defined(__SANITIZE_ADDRESS__)
  constexpr int64_t kQuarantineKb = 256 * 1024;
#else
  constexpr int64_t kQuarantineKb = 0;
#endif
  const double rss_growth =
      static_cast<double>(std::max<int64_t>(0, end_rss - base.rss_kb - kQuarantineKb)) /
      base.rss_kb;
  std::printf(
      "soak after warm-up: rss %lld -> %lld KiB (%+.2f%%); threads %d..%d; fds other than "
      "vendor connections %d..%d; vendor connections at most %d; drained: %d fds (%d vendor), "
      "%d threads\n",
      static_cast<long long>(base.rss_kb), static_cast<long long>(end_rss), 100 * rss_growth,
      threads_min, threads_max, other_min, other_max, vendor_max, drained.fds, drained.vendor_fds,
      drained.threads);
  EXPECT_LT(rss_growth, 0.05) << "resident memory grew after the warm-up";
  EXPECT_EQ(threads_min, threads_max) << "the server's thread count moved after the warm-up";
  EXPECT_EQ(drained.threads, base.threads);
  // Vendor connections come and go with the requests in flight, so they are bounded rather than
  // constant: at most 16 in use per vendor (--vendor_max_in_flight), idle ones never more than
  // were once in use together (the engine opens one only when none is free), plus a few the
  // emulator closed after its 10 s keep-alive that the engine has not reaped yet (a 420 s soak
  // on a loaded machine saw 50). A leaked socket per failed request would pass this in seconds.
  constexpr int kVendorConnectionBound = 3 * 16 + 16;
  EXPECT_LE(vendor_max, kVendorConnectionBound) << "vendor connections leak";
  EXPECT_LE(drained.vendor_fds, kVendorConnectionBound);
  // Everything else (listeners, the caller's connection, epoll and wake-up fds, the log file) is
  // fixed. One of slack: a sample reads /proc/PID/fd and then the TCP tables, so a socket that
  // opens or closes in between can be counted on the wrong side once.
  EXPECT_LE(other_max - other_min, 1) << "the server's other file descriptors moved";
  EXPECT_LE(drained.other_fds(), base.other_fds() + 1);

  // Still serving, and promptly.
  v1::GetJobRequest request;
  request.set_name(Name(1, kJobsPerVendor - 1));
  v1::Job job;
  const grpc::Status status =
      harness_->stub().GetJob(Context(absl::Seconds(5)).get(), request, &job);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
}

}  // namespace
}  // namespace jobfacade::testing
