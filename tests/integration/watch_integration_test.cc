// WatchJob through the real server binary and real gRPC, against the emulated vendors over
// real HTTP: every state of a job's life in order on every vendor, one upstream poll however
// many watch, PraisonAI's event stream and its fallback to polling, watchers that leave,
// the bound on open watches, and shutdown.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultKind;
using sandbox::FaultSpec;
using sandbox::JobOutcome;
using sandbox::JobSpec;

constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};

std::string Name(absl::string_view vendor, absl::string_view id) {
  return absl::StrCat("vendors/", vendor, "/jobs/", id);
}

// One open WatchJob, read on its own thread; the test takes its messages with a bound.
class Watch {
 public:
  Watch(v1::JobService::Stub& stub, const std::string& name,
        absl::Duration timeout = absl::Seconds(60)) {
    ctx_.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    v1::WatchJobRequest request;
    request.set_name(name);
    reader_ = stub.WatchJob(&ctx_, request);
    thread_ = std::thread([this] {
      v1::Job job;
      while (reader_->Read(&job)) {
        std::lock_guard<std::mutex> lock(mu_);
        jobs_.push_back(job);
        cv_.notify_all();
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard<std::mutex> lock(mu_);
      status_ = status;
      cv_.notify_all();
    });
  }
  ~Watch() {
    ctx_.TryCancel();
    thread_.join();
  }

  // The next message, or nullopt when the stream ended or nothing came within `wait`.
  std::optional<v1::Job> Next(absl::Duration wait = absl::Seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(wait),
                 [this] { return !jobs_.empty() || status_.has_value(); });
    if (jobs_.empty()) return std::nullopt;
    v1::Job job = jobs_.front();
    jobs_.pop_front();
    return job;
  }
  // The final status, once the stream ended within `wait`.
  std::optional<grpc::Status> End(absl::Duration wait = absl::Seconds(20)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(wait), [this] { return status_.has_value(); });
    return status_;
  }
  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return jobs_.size();
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::Job>> reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::Job> jobs_;
  std::optional<grpc::Status> status_;
  std::thread thread_;
};

// A metric's value in the server's exposition (the first sample whose line starts with
// `series`), or -1.
double MetricValue(const std::string& metrics_address, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(FetchMetrics(metrics_address), '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return -1;
}

// Polls `condition` every 10 ms for up to `bound`: the server works on real time.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration bound = absl::Seconds(20)) {
  const absl::Time until = absl::Now() + bound;
  while (absl::Now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

HarnessOptions FastPolls(std::map<std::string, std::string> extra = {}) {
  HarnessOptions options;
  options.env = {{"JOBFACADE_WATCH_POLL_MIN", "20ms"},
                 {"JOBFACADE_WATCH_POLL_MAX", "40ms"},
                 {"JOBFACADE_CACHE_SIZE", "0"}};
  for (auto& [k, v] : extra) options.env[k] = v;
  return options;
}

class WatchTest : public ::testing::Test {
 protected:
  explicit WatchTest(HarnessOptions options = FastPolls()) : harness_(std::move(options)) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  // A job created now: `initializing` 1 s, queued 5 s, running 10 s, then `outcome`.
  std::string AddJob(absl::string_view vendor, JobOutcome outcome = JobOutcome::kCompleted) {
    JobSpec spec;
    spec.vendor = std::string(vendor);
    spec.created_at = harness_.clock().Now();
    spec.initializing = absl::Seconds(1);
    spec.queued = absl::Seconds(5);
    spec.running = absl::Seconds(10);
    spec.outcome = outcome;
    spec.failure_message = "the device went away";
    return harness_.emulator().AddJob(spec);
  }

  v1::Job Get(const std::string& name) {
    v1::GetJobRequest request;
    request.set_name(name);
    v1::Job job;
    grpc::Status status = harness_.stub().GetJob(Context().get(), request, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return job;
  }

  // Moves the emulator's clock through the job's life in 500 ms steps. After each step the
  // job is read with GetJob; whenever its state, message or queue position moved, the watch
  // must send exactly that next. Returns the states the watch sent.
  std::vector<v1::Job::State> FollowLife(Watch& watch, const std::string& name) {
    std::vector<v1::Job::State> seen;
    std::optional<v1::Job> first = watch.Next();
    EXPECT_TRUE(first.has_value()) << "the job at once";
    if (!first.has_value()) return seen;
    EXPECT_EQ(first->name(), name);
    seen.push_back(first->state());
    v1::Job last = *first;
    for (int step = 0; step < 40; ++step) {
      harness_.clock().Advance(absl::Milliseconds(500));
      const v1::Job now = Get(name);
      if (now.state() == last.state() && now.state_message() == last.state_message() &&
          now.queue_position() == last.queue_position()) {
        continue;
      }
      std::optional<v1::Job> sent = watch.Next();
      EXPECT_TRUE(sent.has_value()) << "no message for " << v1::Job::State_Name(now.state());
      if (!sent.has_value()) return seen;
      EXPECT_EQ(sent->state(), now.state());
      EXPECT_EQ(sent->state_message(), now.state_message());
      EXPECT_EQ(sent->queue_position(), now.queue_position());
      seen.push_back(sent->state());
      last = *sent;
      if (now.state() == v1::Job::COMPLETED || now.state() == v1::Job::FAILED ||
          now.state() == v1::Job::CANCELLED) {
        break;
      }
    }
    return seen;
  }

  // Whether, within a bound, the server reports `watches` open watches following `upstreams`
  // jobs (jobfacade_watches_open, jobfacade_watch_upstreams).
  bool WatchesBecome(double watches, double upstreams) {
    return Eventually([&] {
      return MetricValue(harness_.metrics_address(), "jobfacade_watches_open") == watches &&
             MetricValue(harness_.metrics_address(), "jobfacade_watch_upstreams") == upstreams;
    });
  }

  ServerHarness harness_;
};

TEST_F(WatchTest, AWatchSeesEveryStateOfAJobsLifeInOrderOnEveryVendor) {
  for (const char* vendor : kVendors) {
    SCOPED_TRACE(vendor);
    const std::string name = Name(vendor, AddJob(vendor));
    Watch watch(harness_.stub(), name);
    std::vector<v1::Job::State> seen = FollowLife(watch, name);
    ASSERT_GE(seen.size(), 3u);
    EXPECT_EQ(seen.back(), v1::Job::COMPLETED);
    EXPECT_THAT(seen, ::testing::Contains(v1::Job::RUNNING));
    EXPECT_THAT(seen, ::testing::Contains(v1::Job::QUEUED));
    std::optional<grpc::Status> end = watch.End();
    ASSERT_TRUE(end.has_value());
    EXPECT_TRUE(end->ok()) << end->error_message();
    EXPECT_EQ(watch.pending(), 0u) << "nothing after the terminal state";
  }
}

TEST_F(WatchTest, AFailedJobEndsTheWatchOkWithItsMessage) {
  for (const char* vendor : kVendors) {
    SCOPED_TRACE(vendor);
    const std::string name = Name(vendor, AddJob(vendor, JobOutcome::kFailed));
    Watch watch(harness_.stub(), name);
    std::vector<v1::Job::State> seen = FollowLife(watch, name);
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back(), v1::Job::FAILED);
    std::optional<grpc::Status> end = watch.End();
    ASSERT_TRUE(end.has_value());
    EXPECT_TRUE(end->ok());
  }
}

TEST_F(WatchTest, AMissingJobEndsTheStreamNotFoundAsGetJobWould) {
  for (const char* vendor : kVendors) {
    SCOPED_TRACE(vendor);
    const std::string id = std::string(vendor) == sandbox::kIonq
                               ? "0b7c3a51-0000-4000-8000-000000000000"
                               : (std::string(vendor) == sandbox::kQbraid
                                      ? "qbraid_qir_simulator-jovyan-qjob-missing0000000"
                                      : "run_000000000000");
    Watch watch(harness_.stub(), Name(vendor, id));
    EXPECT_FALSE(watch.Next().has_value());
    std::optional<grpc::Status> end = watch.End();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(ErrorInfoOf(*end).reason(), "JOB_NOT_FOUND");
  }
}

TEST_F(WatchTest, BadNamesAndUnknownVendorsAreRefusedLikeGetJob) {
  {
    Watch watch(harness_.stub(), "jobs/x");
    std::optional<grpc::Status> end = watch.End();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(end->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ErrorInfoOf(*end).reason(), "INVALID_NAME");
  }
  {
    Watch watch(harness_.stub(), Name("nosuchvendor", "x"));
    std::optional<grpc::Status> end = watch.End();
    ASSERT_TRUE(end.has_value());
    EXPECT_EQ(ErrorInfoOf(*end).reason(), "UNKNOWN_VENDOR");
  }
}

TEST_F(WatchTest, TransientVendorFailuresKeepTheWatchAlive) {
  const std::string id = AddJob(sandbox::kIonq);
  const std::string name = Name(sandbox::kIonq, id);
  Watch watch(harness_.stub(), name);
  ASSERT_TRUE(watch.Next().has_value());
  FaultSpec fault;
  fault.vendor = sandbox::kIonq;
  fault.route = "get";
  fault.kind = FaultKind::kHttpStatus;
  fault.status = 503;
  // One read's three attempts fail (UNAVAILABLE), fewer than would open the circuit breaker.
  fault.count = 3;
  harness_.emulator().InjectFault(fault);
  harness_.clock().Advance(absl::Seconds(7));  // RUNNING at the vendor
  std::optional<v1::Job> job = watch.Next(absl::Seconds(30));
  ASSERT_TRUE(job.has_value()) << "the watch outlived the 503s";
  EXPECT_EQ(job->state(), v1::Job::RUNNING);
  EXPECT_FALSE(watch.End(absl::ZeroDuration()).has_value());
}

// The watches' upstream reads, counted by the emulator.
int64_t Reads(ServerHarness& harness, absl::string_view vendor) {
  return harness.emulator().stats(vendor).Count("GET", "get");
}

class SharedPollTest : public WatchTest {
 protected:
  SharedPollTest()
      : WatchTest(FastPolls(
            {{"JOBFACADE_WATCH_POLL_MIN", "200ms"}, {"JOBFACADE_WATCH_POLL_MAX", "200ms"}})) {}
};

TEST_F(SharedPollTest, AThousandWatchersOfOneJobCauseOneUpstreamPollPerInterval) {
  const std::string name = Name(sandbox::kQbraid, AddJob(sandbox::kQbraid));
  constexpr int kWatchers = 1000;
  // Every watcher a callback reactor, all on one channel.
  class Reader final : public grpc::ClientReadReactor<v1::Job> {
   public:
    Reader(v1::JobService::Stub& stub, const v1::WatchJobRequest& request) {
      ctx_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
      stub.async()->WatchJob(&ctx_, &request, this);
      StartRead(&job_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++messages_;
      }
      StartRead(&job_);
    }
    void OnDone(const grpc::Status&) override {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    int messages() {
      std::lock_guard<std::mutex> lock(mu_);
      return messages_;
    }
    bool done() {
      std::lock_guard<std::mutex> lock(mu_);
      return done_;
    }
    void Cancel() { ctx_.TryCancel(); }

   private:
    grpc::ClientContext ctx_;
    v1::Job job_;
    std::mutex mu_;
    int messages_ = 0;
    bool done_ = false;
  };
  v1::WatchJobRequest request;
  request.set_name(name);
  std::vector<std::unique_ptr<Reader>> readers;
  for (int i = 0; i < kWatchers; ++i) {
    readers.push_back(std::make_unique<Reader>(harness_.stub(), request));
  }
  ASSERT_TRUE(Eventually([&] {
    for (auto& r : readers) {
      if (r->messages() < 1) return false;
    }
    return true;
  })) << "every watcher gets the job at once";
  EXPECT_TRUE(WatchesBecome(kWatchers, 1)) << FetchMetrics(harness_.metrics_address());
  // Two seconds of real time at a fixed 200 ms interval: at most 10 polls (and a margin for
  // the one in flight), however many watch.
  const int64_t before = Reads(harness_, sandbox::kQbraid);
  const Stopwatch start;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t polls = Reads(harness_, sandbox::kQbraid) - before;
  const int64_t intervals = (start.Elapsed()) / absl::Milliseconds(200);
  EXPECT_GE(polls, 1);
  EXPECT_LE(polls, intervals + 1) << polls << " upstream reads in " << intervals << " intervals";
  RecordProperty("upstream_polls", static_cast<int>(polls));
  for (auto& r : readers) r->Cancel();
  ASSERT_TRUE(Eventually([&] {
    for (auto& r : readers) {
      if (!r->done()) return false;
    }
    return true;
  }));
  // Every watcher left: the upstream stops, and so do its polls.
  EXPECT_TRUE(WatchesBecome(0, 0)) << FetchMetrics(harness_.metrics_address());
  const int64_t after_leave = Reads(harness_, sandbox::kQbraid);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_LE(Reads(harness_, sandbox::kQbraid) - after_leave, 1)
      << "polling stops with the last watcher (one read may have been in flight)";
}

TEST_F(SharedPollTest, AWatcherThatDisconnectsFreesItsWatchAndTheUpstreamStops) {
  const std::string name = Name(sandbox::kIonq, AddJob(sandbox::kIonq));
  {
    Watch a(harness_.stub(), name);
    Watch b(harness_.stub(), name);
    ASSERT_TRUE(a.Next().has_value());
    ASSERT_TRUE(b.Next().has_value());
    EXPECT_TRUE(WatchesBecome(2, 1));
    a.Cancel();
    EXPECT_TRUE(WatchesBecome(1, 1));
  }  // b's channel side goes away
  EXPECT_TRUE(WatchesBecome(0, 0)) << FetchMetrics(harness_.metrics_address());
  const int64_t reads = Reads(harness_, sandbox::kIonq);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_LE(Reads(harness_, sandbox::kIonq) - reads, 1);
}

// PraisonAI with polls so slow that only the event stream can deliver a change in time.
class EventStreamTest : public WatchTest {
 protected:
  EventStreamTest()
      : WatchTest(
            FastPolls({{"JOBFACADE_WATCH_POLL_MIN", "1h"}, {"JOBFACADE_WATCH_POLL_MAX", "1h"}})) {}
};

TEST_F(EventStreamTest, PraisonaiChangesArriveThroughTheEventStreamNotByPolling) {
  const std::string name = Name(sandbox::kPraisonai, AddJob(sandbox::kPraisonai));
  Watch watch(harness_.stub(), name);
  std::optional<v1::Job> first = watch.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->state(), v1::Job::QUEUED);
  EXPECT_TRUE(Eventually(
      [&] { return harness_.emulator().stats(sandbox::kPraisonai).Count("GET", "stream") == 1; }));
  harness_.clock().Advance(absl::Seconds(7));  // running
  std::optional<v1::Job> running = watch.Next();
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->state(), v1::Job::RUNNING);
  harness_.clock().Advance(absl::Seconds(10));  // succeeded: `result`, then the server closes
  std::optional<v1::Job> done = watch.Next();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->state(), v1::Job::COMPLETED);
  std::optional<grpc::Status> end = watch.End();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok());
  EXPECT_EQ(harness_.emulator().stats(sandbox::kPraisonai).Count("GET", "stream"), 1);
  // One read at the start and one per status change the stream reported; no polls.
  EXPECT_LE(Reads(harness_, sandbox::kPraisonai), 4);
}

TEST_F(WatchTest, ARefusedPraisonaiStreamFallsBackToPolling) {
  FaultSpec fault;
  fault.vendor = sandbox::kPraisonai;
  fault.route = "stream";
  fault.kind = FaultKind::kHttpStatus;
  fault.status = 500;
  harness_.emulator().InjectFault(fault);
  const std::string name = Name(sandbox::kPraisonai, AddJob(sandbox::kPraisonai));
  Watch watch(harness_.stub(), name);
  std::vector<v1::Job::State> seen = FollowLife(watch, name);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), v1::Job::COMPLETED);
  EXPECT_GE(harness_.emulator().stats(sandbox::kPraisonai).Count("GET", "stream"), 1);
}

TEST_F(WatchTest, AStreamBrokenMidwayFallsBackToPolling) {
  FaultSpec fault;
  fault.vendor = sandbox::kPraisonai;
  fault.route = "stream";
  fault.kind = FaultKind::kResetMidBody;
  harness_.emulator().InjectFault(fault);
  const std::string name = Name(sandbox::kPraisonai, AddJob(sandbox::kPraisonai));
  Watch watch(harness_.stub(), name);
  std::vector<v1::Job::State> seen = FollowLife(watch, name);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), v1::Job::COMPLETED);
}

class WatchLimitTest : public WatchTest {
 protected:
  WatchLimitTest() : WatchTest(FastPolls({{"JOBFACADE_WATCH_MAX", "2"}})) {}
};

TEST_F(WatchLimitTest, MoreThanTheMaximumOfOpenWatchesIsTooManyWatches) {
  const std::string name = Name(sandbox::kQbraid, AddJob(sandbox::kQbraid));
  Watch a(harness_.stub(), name);
  Watch b(harness_.stub(), name);
  ASSERT_TRUE(a.Next().has_value());
  ASSERT_TRUE(b.Next().has_value());
  Watch c(harness_.stub(), name);
  std::optional<grpc::Status> end = c.End();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoOf(*end).reason(), "TOO_MANY_WATCHES");
}

class ConnectionAgeTest : public WatchTest {
 protected:
  ConnectionAgeTest()
      : WatchTest(FastPolls({{"JOBFACADE_MAX_CONNECTION_AGE", "2s"},
                             {"JOBFACADE_MAX_CONNECTION_AGE_GRACE", "5s"}})) {}
};

TEST_F(ConnectionAgeTest, AWatchEndsShuttingDownBeforeItsConnectionReachesItsMaximumAge) {
  const std::string name = Name(sandbox::kQbraid, AddJob(sandbox::kQbraid));
  const Stopwatch opened;
  Watch watch(harness_.stub(), name);
  ASSERT_TRUE(watch.Next().has_value());
  std::optional<grpc::Status> end = watch.End(absl::Seconds(10));
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE) << end->error_message();
  EXPECT_EQ(ErrorInfoOf(*end).reason(), "SHUTTING_DOWN");
  // 90% of the 2 s age from the connection's first call; the connection itself lives on for
  // up to 10% more and the grace, so the watch ended first, with the contract's reason.
  EXPECT_LT(opened.Elapsed(), absl::Seconds(2) + absl::Seconds(5));
  // Re-opened on the same channel, the watch is served again.
  Watch again(harness_.stub(), name);
  EXPECT_TRUE(again.Next().has_value());
}

TEST_F(WatchTest, ShutdownEndsOpenWatchesUnavailableShuttingDown) {
  const std::string name = Name(sandbox::kIonq, AddJob(sandbox::kIonq));
  Watch watch(harness_.stub(), name);
  ASSERT_TRUE(watch.Next().has_value());
  harness_.Signal(SIGTERM);
  std::optional<grpc::Status> end = watch.End();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ErrorInfoOf(*end).reason(), "SHUTTING_DOWN");
  std::optional<int> exit = harness_.WaitForExit(absl::Seconds(15));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0);
}

}  // namespace
}  // namespace jobfacade::testing
