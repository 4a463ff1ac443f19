// Graceful shutdown of the real binary: SIGTERM while vendor calls are in flight turns health
// NOT_SERVING, refuses new calls, lets the calls in flight finish and exits 0 within the grace;
// a call that outlives the grace is cut off and the process still exits at once.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};

// A grpc.health.v1.Health/Watch stream read on its own thread: every status it reports, and
// how it ended.
class HealthWatch {
 public:
  HealthWatch(std::shared_ptr<grpc::Channel> channel, const std::string& service)
      : generic_(std::move(channel)) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    // HealthCheckRequest{service = 1}; names here are shorter than 128 bytes.
    std::string request = std::string("\x0a", 1) + static_cast<char>(service.size()) + service;
    thread_ = std::thread([this, request] { Run(request); });
  }
  ~HealthWatch() {
    ctx_.TryCancel();
    thread_.join();
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // The first status reported, or nullopt when none came within `timeout`.
  std::optional<int> WaitFirst(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                 [&] { return !statuses_.empty() || ended_.has_value(); });
    if (statuses_.empty()) return std::nullopt;
    return statuses_.front();
  }

  // True when, within `timeout`, the stream reported something other than SERVING or ended.
  bool WaitUntilNotServing(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
      return ended_.has_value() || std::any_of(statuses_.begin(), statuses_.end(),
                                               [](int s) { return s != kHealthServing; });
    });
  }

  // True when the stream ended within `timeout`.
  bool WaitUntilEnded(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [&] { return ended_.has_value(); });
  }

  std::vector<int> statuses() {
    std::lock_guard<std::mutex> lock(mu_);
    return statuses_;
  }
  std::optional<grpc::Status> ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }

 private:
  bool Step(intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    return cq_.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == want;
  }

  void Run(const std::string& request) {
    auto call = generic_.PrepareCall(&ctx_, "/grpc.health.v1.Health/Watch", &cq_);
    call->StartCall(reinterpret_cast<void*>(1));
    bool open = Step(1);
    if (open) {
      grpc::Slice slice(request);
      grpc::ByteBuffer buffer(&slice, 1);
      call->Write(buffer, reinterpret_cast<void*>(2));
      open = Step(2);
    }
    if (open) {
      call->WritesDone(reinterpret_cast<void*>(3));
      open = Step(3);
    }
    while (open) {
      grpc::ByteBuffer response;
      call->Read(&response, reinterpret_cast<void*>(4));
      if (!Step(4)) break;
      std::vector<grpc::Slice> slices;
      response.Dump(&slices);
      std::string bytes;
      for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      const int status = bytes.size() == 2 && bytes[0] == '\x08' ? bytes[1] : kHealthUnknown;
      std::lock_guard<std::mutex> lock(mu_);
      statuses_.push_back(status);
      cv_.notify_all();
    }
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(5));
    void* tag;
    bool ok;
    cq_.Next(&tag, &ok);
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = status;
    cv_.notify_all();
  }

  grpc::GenericStub generic_;
  grpc::ClientContext ctx_;
  grpc::CompletionQueue cq_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> statuses_;
  std::optional<grpc::Status> ended_;
};

// One unary call started with the callback API; its outcome and when it came.
struct PendingCall {
  grpc::ClientContext ctx;
  v1::GetJobRequest get;
  v1::ListJobsRequest list;
  v1::Job job;
  v1::ListJobsResponse listed;
  grpc::Status status;
  absl::Time done_at;
  bool done = false;
};

// Calls and their completion count, owned by the test and destroyed on its thread, before the
// harness: gRPC's client must not see a call's context destroyed on its callback thread after
// the channel went (which is what a callback holding the last reference would do).
class CallSet {
 public:
  explicit CallSet(ServerHarness& harness) : harness_(harness) {}
  // A test that stopped early (a failed ASSERT) ends the calls still running first.
  ~CallSet() {
    if (WaitAll(absl::ZeroDuration())) return;
    harness_.Signal(SIGKILL);
    WaitAll(absl::Seconds(30));
  }

  PendingCall* Add() {
    calls_.push_back(std::make_unique<PendingCall>());
    return calls_.back().get();
  }
  const std::vector<std::unique_ptr<PendingCall>>& calls() const { return calls_; }

  // The completion callback of `call`.
  std::function<void(grpc::Status)> Finisher(PendingCall* call) {
    return [this, call](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu_);
      call->status = std::move(s);
      call->done_at = absl::Now();
      call->done = true;
      ++done_;
      cv_.notify_all();
    };
  }
  // True when all calls ended within `timeout`.
  bool WaitAll(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                        [&] { return done_ == static_cast<int>(calls_.size()); });
  }
  int Done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  // The status of the first call that ended, if any.
  std::optional<grpc::Status> FirstDone() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : calls_) {
      if (c->done) return c->status;
    }
    return std::nullopt;
  }

 private:
  ServerHarness& harness_;
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
  std::vector<std::unique_ptr<PendingCall>> calls_;
};

// Waits until the emulator has `n` requests in flight at once (they are held by its latency),
// at most `timeout`; returns the last count seen.
int WaitForVendorInFlight(ServerHarness& harness, int n, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  int seen = harness.emulator().stats("*").in_flight;
  while (seen < n && absl::Now() < give_up) {
    // The emulator has no event for this; a short real-time poll.
    absl::SleepFor(absl::Milliseconds(5));
    seen = harness.emulator().stats("*").in_flight;
  }
  return seen;
}

// The server's jobfacade_vendor_queued gauge for `vendor` (requests waiting for a slot under
// the vendor's concurrency limit), or -1 when it is missing.
int VendorQueued(ServerHarness& harness, const std::string& vendor) {
  const std::string metrics = FetchMetrics(harness.metrics_address());
  const std::string prefix = absl::StrCat("jobfacade_vendor_queued{vendor=\"", vendor, "\"} ");
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, prefix) && absl::SimpleAtod(line, &value)) {
      return static_cast<int>(value);
    }
  }
  return -1;
}

// A channel with a connection of its own: gRPC otherwise shares subchannels (and their
// reconnect backoff) between channels to the same address, and a probe would measure the
// client's backoff instead of the server.
std::shared_ptr<grpc::Channel> FreshChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::string StatusText(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message());
}

TEST(ShutdownTest, SigtermDrainsCallsInFlightRefusesNewOnesAndExitsZero) {
  constexpr int kCalls = 72;
  constexpr int kMaxInFlight = 16;  // per vendor; half of each vendor's requests wait for a slot
  // Long enough that every call is provably at the vendor or queued for it when the signal is
  // sent; the queued half needs a second round, so the drain takes two latencies.
  constexpr absl::Duration kVendorLatency = absl::Seconds(2);
  constexpr absl::Duration kGrace = absl::Seconds(10);  // --shutdown_grace_seconds default
  constexpr absl::Duration kExitMargin = absl::Seconds(5);
  HarnessOptions options;
  options.env["JOBFACADE_VENDOR_MAX_IN_FLIGHT"] = absl::StrCat(kMaxInFlight);
  options.emulator_threads = kCalls * 3 + 32;  // each waiting vendor request holds a thread
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  // A job per GetJob: concurrent reads of one job would share one vendor request.
  std::vector<std::vector<std::string>> names(3);
  for (int v = 0; v < 3; ++v) {
    for (int i = 0; i < kCalls; ++i) {
      sandbox::JobSpec spec;
      spec.vendor = kVendors[v];
      spec.running = absl::Hours(24);
      names[v].push_back(
          absl::StrCat("vendors/", kVendors[v], "/jobs/", harness.emulator().AddJob(spec)));
    }
  }

  auto watch = std::make_unique<HealthWatch>(harness.channel(), "");
  ASSERT_EQ(watch->WaitFirst(absl::Seconds(10)), kHealthServing);
  ASSERT_EQ(CheckHealth(harness.channel(), "").serving_status, kHealthServing);

  harness.emulator().SetLatency("*", kVendorLatency);
  harness.emulator().ResetStats();
  CallSet set(harness);
  // What the calls below send to each vendor, one request per vendor each.
  int vendor_requests[3] = {0, 0, 0};
  for (int i = 0; i < kCalls; ++i) set.Add();
  for (int i = 0; i < kCalls; ++i) {
    PendingCall* raw = set.calls()[i].get();
    raw->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto finish = set.Finisher(raw);
    // Half GetJob, a third ListJobs of one vendor, a sixth ListJobs of vendors/-; every vendor
    // gets the same share.
    const int vendor = i % 6 < 3 ? i % 3 : (i / 6) % 3;
    switch (i % 6) {
      case 0:
      case 1:
      case 2:
        raw->get.set_name(names[vendor][vendor_requests[vendor]]);
        harness.stub().async()->GetJob(&raw->ctx, &raw->get, &raw->job, finish);
        ++vendor_requests[vendor];
        break;
      case 3:
      case 4:
        raw->list.set_parent(absl::StrCat("vendors/", kVendors[vendor]));
        raw->list.set_page_size(10);
        harness.stub().async()->ListJobs(&raw->ctx, &raw->list, &raw->listed, finish);
        ++vendor_requests[vendor];
        break;
      default:
        raw->list.set_parent("vendors/-");
        raw->list.set_page_size(10);
        harness.stub().async()->ListJobs(&raw->ctx, &raw->list, &raw->listed, finish);
        for (int& n : vendor_requests) ++n;
        break;
    }
  }
  int at_vendors = 0;
  for (int n : vendor_requests) at_vendors += std::min(n, kMaxInFlight);
  ASSERT_EQ(WaitForVendorInFlight(harness, at_vendors, kVendorLatency / 2), at_vendors)
      << "the calls did not reach the vendors in time";
  int queued = 0;
  for (int v = 0; v < 3; ++v) {
    const int expected = std::max(0, vendor_requests[v] - kMaxInFlight);
    const absl::Time give_up = absl::Now() + kVendorLatency / 4;
    int seen = VendorQueued(harness, kVendors[v]);
    while (seen != expected && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));  // a gauge has no event either
      seen = VendorQueued(harness, kVendors[v]);
    }
    ASSERT_EQ(seen, expected) << "requests queued for " << kVendors[v];
    queued += seen;
  }
  if (auto early = set.FirstDone(); early.has_value()) {
    FAIL() << "a call ended before the signal: " << StatusText(*early);
  }

  const absl::Time signalled = absl::Now();
  harness.Signal(SIGTERM);

  // Health turns first: the watcher sees NOT_SERVING or its stream ends.
  ASSERT_TRUE(watch->WaitUntilNotServing(absl::Seconds(5)))
      << "health still SERVING 5 s after SIGTERM; stderr:\n"
      << harness.process().Stderr();
  const absl::Duration health_turned = absl::Now() - signalled;
  for (int status : watch->statuses()) {
    if (status != kHealthServing) EXPECT_EQ(status, kHealthNotServing);
  }
  if (auto ended = watch->ended(); ended.has_value()) {
    // A watch ended by the shutdown, never a clean end that could read as "still fine".
    EXPECT_FALSE(ended->ok());
  }
  // The watcher has what it needs and goes away (HealthWatcherDoesNotHoldTheShutdown covers
  // one that stays).
  watch.reset();
  // The caller's connection learns that the server is going away (GOAWAY) and leaves READY;
  // from then on a new call on it cannot reach the server.
  const absl::Time goaway_limit = absl::Now() + absl::Seconds(5);
  while (harness.channel()->GetState(false) == GRPC_CHANNEL_READY && absl::Now() < goaway_limit) {
    harness.channel()->WaitForStateChange(GRPC_CHANNEL_READY, absl::ToChronoTime(goaway_limit));
  }
  ASSERT_NE(harness.channel()->GetState(false), GRPC_CHANNEL_READY)
      << "the open connection was not told that the server is shutting down";

  // While the calls drain: health never reads SERVING and new calls are refused, on the
  // caller's existing connection and on a new one.
  int probes = 0;
  int probes_during_drain = 0;
  while (true) {
    {
      const int done = set.Done();
      if (done == kCalls && probes >= 3) break;
      if (done < kCalls) ++probes_during_drain;
    }
    if (absl::Now() - signalled > kGrace) break;
    ++probes;
    // Health reads NOT_SERVING, or cannot be asked at all.
    for (bool on_fresh : {false, true}) {
      const HealthAnswer health = CheckHealth(
          on_fresh ? FreshChannel(harness.address()) : harness.channel(), "", absl::Seconds(2));
      EXPECT_TRUE(health.status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                  (health.status.ok() && health.serving_status == kHealthNotServing))
          << "health during the drain" << (on_fresh ? " on a new connection: " : ": ")
          << StatusText(health.status) << ", serving status " << health.serving_status;
    }
    v1::GetJobRequest request;
    request.set_name(names[probes % 3].back());
    v1::Job job;
    const grpc::Status existing =
        harness.stub().GetJob(Context(absl::Seconds(2)).get(), request, &job);
    EXPECT_EQ(existing.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "a new call on the open connection after SIGTERM: " << StatusText(existing);
    const grpc::Status fresh = v1::JobService::NewStub(FreshChannel(harness.address()))
                                   ->GetJob(Context(absl::Seconds(2)).get(), request, &job);
    EXPECT_EQ(fresh.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "a new call on a new connection after SIGTERM: " << StatusText(fresh);
    // Probing is the point here: a few per second while the vendors hold the calls.
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_GE(probes_during_drain, 1) << "the calls ended before any probe ran";

  ASSERT_TRUE(set.WaitAll(kGrace)) << set.Done() << " of " << kCalls << " calls ended";
  int ok = 0;
  absl::Time last_done = signalled;
  for (const auto& call : set.calls()) {
    ok += call->status.ok();
    EXPECT_TRUE(call->status.ok()) << "a call in flight at SIGTERM: " << StatusText(call->status);
    last_done = std::max(last_done, call->done_at);
  }

  const auto exit_status = harness.WaitForExit(kGrace + kExitMargin);
  const absl::Duration exited = absl::Now() - signalled;
  ASSERT_TRUE(exit_status.has_value())
      << "still running " << kGrace + kExitMargin << " after SIGTERM; stderr:\n"
      << harness.process().Stderr();
  EXPECT_TRUE(WIFEXITED(*exit_status)) << "status " << *exit_status;
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << harness.process().Stderr();
  // Once nothing is in flight the process does not sit out the rest of the grace.
  EXPECT_LT(exited - (last_done - signalled), absl::Seconds(3));
  std::printf(
      "shutdown: %d calls in flight at SIGTERM (%d vendor requests at the vendors, %d queued "
      "for a slot), %d ended OK; health turned after %.3f s; %d probes of new calls (%d during "
      "the drain) all refused; last call ended %.3f s and the process exited %.3f s after the "
      "signal\n",
      kCalls, at_vendors, queued, ok, absl::ToDoubleSeconds(health_turned), probes,
      probes_during_drain, absl::ToDoubleSeconds(last_done - signalled),
      absl::ToDoubleSeconds(exited));
}

TEST(ShutdownTest, CallOutlivingTheGraceIsCutOffAndTheProcessStillExitsZero) {
  constexpr absl::Duration kGrace = absl::Seconds(1);
  constexpr absl::Duration kExitMargin = absl::Seconds(4);
  HarnessOptions options;
  options.args = {"--shutdown_grace_seconds=1"};
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  sandbox::JobSpec spec;
  spec.vendor = sandbox::kIonq;
  spec.running = absl::Hours(24);
  const std::string id = harness.emulator().AddJob(spec);
  sandbox::FaultSpec stall;
  stall.vendor = sandbox::kIonq;
  stall.job_id = id;
  stall.kind = sandbox::FaultKind::kStall;
  stall.stall = absl::Seconds(30);
  harness.emulator().InjectFault(stall);

  CallSet set(harness);
  PendingCall& call = *set.Add();
  call.ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  call.get.set_name(absl::StrCat("vendors/ionq/jobs/", id));
  harness.stub().async()->GetJob(&call.ctx, &call.get, &call.job, set.Finisher(&call));
  ASSERT_EQ(WaitForVendorInFlight(harness, 1, absl::Seconds(10)), 1);

  const absl::Time signalled = absl::Now();
  harness.Signal(SIGTERM);
  ASSERT_TRUE(set.WaitAll(kGrace + kExitMargin))
      << "the stalled call still runs " << kGrace + kExitMargin << " after SIGTERM";
  EXPECT_TRUE(call.status.error_code() == grpc::StatusCode::CANCELLED ||
              call.status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << StatusText(call.status);
  const auto exit_status = harness.WaitForExit(kGrace + kExitMargin);
  const absl::Duration exited = absl::Now() - signalled;
  ASSERT_TRUE(exit_status.has_value())
      << "still running " << kGrace + kExitMargin << " after SIGTERM; stderr:\n"
      << harness.process().Stderr();
  EXPECT_TRUE(WIFEXITED(*exit_status)) << "status " << *exit_status;
  EXPECT_EQ(WEXITSTATUS(*exit_status), 0) << harness.process().Stderr();
  // The call had its grace: it was not cut off at the signal.
  EXPECT_GE(call.done_at - signalled, kGrace - absl::Milliseconds(100));
  std::printf(
      "shutdown with a 1 s grace: the stalled call ended %.3f s after SIGTERM (%s), the "
      "process exited after %.3f s\n",
      absl::ToDoubleSeconds(call.done_at - signalled), StatusText(call.status).c_str(),
      absl::ToDoubleSeconds(exited));
}

// A load balancer's health Watch stays open for as long as the server lets it; it must not keep
// the process alive through the whole grace once the calls are done.
TEST(ShutdownTest, HealthWatcherDoesNotHoldTheShutdown) {
  constexpr absl::Duration kGrace = absl::Seconds(10);  // --shutdown_grace_seconds default
  ServerHarness harness;
  ASSERT_TRUE(harness.ok()) << harness.error();
  HealthWatch watch(FreshChannel(harness.address()), "");
  ASSERT_EQ(watch.WaitFirst(absl::Seconds(10)), kHealthServing);

  const Stopwatch signalled;
  harness.Signal(SIGTERM);
  ASSERT_TRUE(watch.WaitUntilNotServing(absl::Seconds(5)));
  const auto exit_status = harness.WaitForExit(kGrace + absl::Seconds(5));
  const absl::Duration exited = signalled.Elapsed();
  ASSERT_TRUE(exit_status.has_value()) << harness.process().Stderr();
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
      << "status " << *exit_status << "; stderr:\n"
      << harness.process().Stderr();
  std::printf("shutdown with a health watcher connected: exited %.3f s after SIGTERM\n",
              absl::ToDoubleSeconds(exited));
  EXPECT_LT(exited, absl::Seconds(3)) << "the open health Watch held the shutdown";
  // The watcher learns it: NOT_SERVING, then its stream ends.
  for (int status : watch.statuses()) {
    if (status != kHealthServing) EXPECT_EQ(status, kHealthNotServing);
  }
  EXPECT_TRUE(watch.WaitUntilEnded(absl::Seconds(5)));
}

}  // namespace
}  // namespace jobfacade::testing
