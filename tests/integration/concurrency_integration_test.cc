// The async design under load: 500 concurrent GetJobs against vendors that answer after 1 s
// finish in about 1 s of wall time while the server keeps a small, fixed number of threads.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

constexpr int kCalls = 500;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizers slow the sending of 500 calls down to seconds: a longer vendor latency keeps them
// overlapping at the vendor, and the bound still tells concurrency from a thread pool (16
// threads would need 32 latencies).
constexpr absl::Duration kLatency = absl::Seconds(4);
constexpr absl::Duration kSlack = absl::Seconds(6);
#else
constexpr absl::Duration kLatency = absl::Seconds(1);
constexpr absl::Duration kSlack = absl::Milliseconds(1500);
#endif

TEST(ConcurrencyTest, FiveHundredSlowGetJobsInAboutOneSecondOnFewThreads) {
  HarnessOptions options;
  options.emulator_threads = kCalls + 50;  // the emulator, not the server, holds a thread each
  // The point is the server's own concurrency, so the per-vendor limit is lifted.
  options.args = {absl::StrCat("--vendor_max_in_flight=", kCalls)};
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  const char* vendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};
  // A job per call: reads of one job would share a vendor request (coalescing).
  std::vector<std::string> names;
  for (int i = 0; i < kCalls; ++i) {
    sandbox::JobSpec spec;
    spec.vendor = vendors[i % 3];
    spec.running = absl::Hours(1);
    names.push_back(
        absl::StrCat("vendors/", spec.vendor, "/jobs/", harness.emulator().AddJob(spec)));
  }

  struct Call {
    grpc::ClientContext ctx;
    v1::GetJobRequest request;
    v1::Job response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  std::atomic<int> max_threads{0};
  // Starts `n` GetJobs at once and waits for all of them (at most 40 s), sampling the server's
  // thread count meanwhile.
  auto burst = [&](int n) {
    calls.clear();
    std::mutex mu;
    std::condition_variable cv;
    int done = 0;
    for (int i = 0; i < n; ++i) {
      auto call = std::make_unique<Call>();
      call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      call->request.set_name(names[i % names.size()]);
      Call* raw = call.get();
      harness.stub().async()->GetJob(&raw->ctx, &raw->request, &raw->response,
                                     [&, raw](grpc::Status s) {
                                       std::lock_guard<std::mutex> lock(mu);
                                       raw->status = std::move(s);
                                       ++done;
                                       cv.notify_all();
                                     });
      calls.push_back(std::move(call));
    }
    const absl::Time give_up = absl::Now() + absl::Seconds(40);
    std::unique_lock<std::mutex> lock(mu);
    while (done < n && absl::Now() < give_up) {
      cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done >= n; });
      max_threads = std::max(max_threads.load(), CountThreads(harness.process().pid()));
    }
    return done;
  };

  // Warm up with a fast concurrent burst, so that connections and gRPC's own pools exist
  // before the baseline is taken.
  ASSERT_EQ(burst(200), 200);
  const int threads_before = CountThreads(harness.process().pid());
  max_threads = threads_before;
  harness.emulator().ResetStats();
  harness.emulator().SetLatency("*", kLatency);

  const Stopwatch start;
  const int done = burst(kCalls);
  const absl::Duration wall = start.Elapsed();
  ASSERT_EQ(done, kCalls);
  int ok = 0;
  for (const auto& call : calls) ok += call->status.ok();
  EXPECT_EQ(ok, kCalls) << "first failure: " << [&] {
    for (const auto& c : calls) {
      if (!c->status.ok()) return c->status.error_message();
    }
    return std::string();
  }();
  const int threads_after = CountThreads(harness.process().pid());
  const auto stats = harness.emulator().stats("*");
  std::printf(
      "%d GetJobs with %.0f s vendor latency: wall %.3f s; server threads before %d, "
      "peak %d, after %d; emulator max concurrent %d\n",
      kCalls, absl::ToDoubleSeconds(kLatency), absl::ToDoubleSeconds(wall), threads_before,
      max_threads.load(), threads_after, stats.max_in_flight);
  // Serialised, 500 calls would take 500 latencies; on a thread pool of 16, about 32.
  EXPECT_LT(wall, kLatency + kSlack);
  EXPECT_GE(stats.max_in_flight, kCalls * 9 / 10) << "the vendor requests did not overlap";
  // A small, fixed number of threads: no thread per request.
  EXPECT_LE(max_threads.load(), threads_before + 4);
  EXPECT_LE(threads_after, threads_before + 4);
  EXPECT_LT(threads_after, 64);
}

}  // namespace
}  // namespace jobfacade::testing
