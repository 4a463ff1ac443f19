// WatchJob's hub on injected time: one upstream poll per job however many watchers it has,
// backoff while nothing changes, Retry-After as a floor, the terminal-job cache, the bound on
// open watches, shutdown, and the vendor event stream with its fallback to polling.
#include "service/watch_hub.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/core/errors.h"
#include "gtest/gtest.h"
#include "service/job_cache.h"
#include "tests/testing/fake_vendor_adapter.h"
#include "tests/testing/manual_scheduler.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::FakeAdapter;
using ::jobfacade::testing::IsError;

// What one watcher was sent.
class RecordingSink final : public WatchSink {
 public:
  void OnJob(const std::shared_ptr<const v1::Job>& job) override {
    EXPECT_FALSE(end.has_value()) << "a job after the end";
    states.push_back(job->state());
  }
  void OnEnd(const absl::Status& status) override {
    EXPECT_FALSE(end.has_value()) << "a second end";
    end = status;
  }
  std::vector<v1::Job::State> states;
  std::optional<absl::Status> end;
};

class WatchHubTest : public ::testing::Test {
 protected:
  WatchHubTest() { Make(WatchOptions{}); }

  void Make(WatchOptions options) {
    hub_.reset();
    hub_ = std::make_unique<WatchHub>(&reader_, &scheduler_, options);
  }

  WatchTarget Target(const std::string& id, bool event_stream = false) {
    WatchTarget target;
    target.adapter = &adapter_;
    target.name = "vendors/praisonai/jobs/" + id;
    target.id = id;
    target.event_stream = event_stream;
    return target;
  }

  // Adds a watcher of `id` and returns its sink.
  std::shared_ptr<RecordingSink> Watch(const std::string& id, bool event_stream = false,
                                       WatchHub::WatchId* out_id = nullptr) {
    auto sink = std::make_shared<RecordingSink>();
    absl::StatusOr<WatchHub::WatchId> added = hub_->Add(Target(id, event_stream), sink);
    EXPECT_TRUE(added.ok()) << added.status();
    if (out_id != nullptr && added.ok()) *out_id = *added;
    return sink;
  }

  // When each upstream read was made (its deadline less the read timeout).
  std::vector<absl::Duration> ReadTimes() const {
    std::vector<absl::Duration> times;
    for (const CallContext& ctx : adapter_.get_contexts) {
      times.push_back(ctx.deadline - absl::Seconds(30) - start_);
    }
    return times;
  }

  ManualScheduler scheduler_;
  SchedulerClock clock_{scheduler_};
  const absl::Time start_ = scheduler_.Now();
  FakeAdapter adapter_{"praisonai"};
  TerminalJobCache cache_{JobCacheOptions{}, clock_};
  JobReader reader_{&cache_, &scheduler_, clock_};
  std::unique_ptr<WatchHub> hub_;
};

TEST_F(WatchHubTest, SendsTheJobAtOnceThenEachChangeAndEndsOkAfterATerminalState) {
  adapter_.Add("run_1", v1::Job::QUEUED);
  auto sink = Watch("run_1");
  scheduler_.RunDue();
  EXPECT_EQ(sink->states, (std::vector<v1::Job::State>{v1::Job::QUEUED}));
  scheduler_.Advance(absl::Seconds(1));  // nothing changed: nothing sent
  EXPECT_EQ(sink->states.size(), 1u);
  adapter_.SetState("run_1", v1::Job::RUNNING);
  scheduler_.Advance(absl::Seconds(2));
  adapter_.SetState("run_1", v1::Job::COMPLETED);
  scheduler_.Advance(absl::Seconds(1));
  EXPECT_EQ(sink->states,
            (std::vector<v1::Job::State>{v1::Job::QUEUED, v1::Job::RUNNING, v1::Job::COMPLETED}));
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_TRUE(sink->end->ok()) << *sink->end;
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_EQ(hub_->stats().open, 0);
  EXPECT_EQ(hub_->stats().upstreams, 0);
}

TEST_F(WatchHubTest, AChangeOfStateMessageOrQueuePositionIsSentAndOtherFieldsAreNot) {
  adapter_.Add("run_1", v1::Job::QUEUED);
  auto sink = Watch("run_1");
  scheduler_.RunDue();
  // Jobs are read as the fake holds them: change them there.
  auto& job = const_cast<v1::Job&>(adapter_.jobs().front());
  job.set_queue_position(3);
  scheduler_.Advance(absl::Seconds(1));
  job.mutable_start_time()->set_seconds(99);  // not a field a watch follows
  scheduler_.Advance(absl::Seconds(2));
  job.set_state_message("waiting for the device");
  scheduler_.Advance(absl::Seconds(4));
  EXPECT_EQ(sink->states.size(), 3u);
}

TEST_F(WatchHubTest, PollingDoublesWhileNothingChangesUpToTheMaximumAndDropsBackAfterAChange) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto sink = Watch("run_1");
  scheduler_.Advance(absl::Seconds(1 + 2 + 4 + 8 + 16 + 30 + 30));
  EXPECT_EQ(ReadTimes(),
            (std::vector<absl::Duration>{absl::ZeroDuration(), absl::Seconds(1), absl::Seconds(3),
                                         absl::Seconds(7), absl::Seconds(15), absl::Seconds(31),
                                         absl::Seconds(61), absl::Seconds(91)}));
  adapter_.SetState("run_1", v1::Job::CANCELLING);
  scheduler_.Advance(absl::Seconds(30));  // the next poll, which sees the change
  const size_t before = adapter_.get_contexts.size();
  scheduler_.Advance(absl::Seconds(1));  // back to the minimum
  EXPECT_EQ(adapter_.get_contexts.size(), before + 1);
  EXPECT_EQ(sink->states.back(), v1::Job::CANCELLING);
}

TEST_F(WatchHubTest, AThousandWatchersOfOneJobCauseOnePollPerInterval) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto first = Watch("run_1");
  scheduler_.Advance(absl::Seconds(1 + 2 + 4));
  const std::vector<absl::Duration> alone = ReadTimes();
  adapter_.get_contexts.clear();
  adapter_.Add("run_2", v1::Job::RUNNING);
  std::vector<std::shared_ptr<RecordingSink>> sinks;
  for (int i = 0; i < 1000; ++i) sinks.push_back(Watch("run_2"));
  EXPECT_EQ(hub_->stats().open, 1001);
  EXPECT_EQ(hub_->stats().upstreams, 2);
  // run_1's polls go on at 15 s and 31 s; run_2's follow the same doubling from its start.
  scheduler_.Advance(absl::Seconds(1 + 2 + 4));
  std::vector<absl::Duration> shared;
  for (const CallContext& ctx : adapter_.get_contexts) {
    shared.push_back(ctx.deadline - absl::Seconds(30) - start_ - absl::Seconds(7));
  }
  EXPECT_EQ(shared, alone) << "1,000 watchers must poll like one";
  for (const auto& sink : sinks) EXPECT_EQ(sink->states, (std::vector{v1::Job::RUNNING}));
}

TEST_F(WatchHubTest, AWatcherJoiningLateGetsTheLatestJobAtOnceWithoutAVendorRead) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto first = Watch("run_1");
  scheduler_.RunDue();
  const int reads = adapter_.gets;
  auto late = Watch("run_1");
  EXPECT_EQ(late->states, (std::vector{v1::Job::RUNNING}));
  EXPECT_EQ(adapter_.gets, reads);
}

TEST_F(WatchHubTest, TheLastWatcherLeavingStopsPollingAndFreesTheUpstream) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  WatchHub::WatchId a = 0, b = 0;
  auto sa = Watch("run_1", false, &a);
  auto sb = Watch("run_1", false, &b);
  scheduler_.Advance(absl::Seconds(1));
  hub_->Remove(a);
  EXPECT_EQ(hub_->stats().upstreams, 1);
  scheduler_.Advance(absl::Seconds(2));
  const int reads = adapter_.gets;
  EXPECT_GT(reads, 2);
  hub_->Remove(b);
  EXPECT_EQ(scheduler_.pending(), 0u) << "no poll timer is left";
  EXPECT_EQ(hub_->stats().upstreams, 0);
  EXPECT_EQ(hub_->stats().open, 0);
  scheduler_.Advance(absl::Hours(1));
  EXPECT_EQ(adapter_.gets, reads);
  EXPECT_FALSE(sa->end.has_value()) << "a watcher that left is not called again";
  hub_->Remove(b);  // twice is harmless
}

TEST_F(WatchHubTest, AWatcherLeavingWhileAReadIsOutAbortsTheRead) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  adapter_.defer_gets = true;
  WatchHub::WatchId id = 0;
  auto sink = Watch("run_1", false, &id);
  scheduler_.RunDue();
  ASSERT_EQ(adapter_.get_contexts.size(), 1u);
  const auto cancellation = adapter_.get_contexts[0].cancellation;
  ASSERT_NE(cancellation, nullptr);
  hub_->Remove(id);
  EXPECT_TRUE(cancellation->IsCancelled());
  adapter_.AnswerOne();  // the late answer goes nowhere
  EXPECT_TRUE(sink->states.empty());
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(WatchHubTest, TransientFailuresKeepTheWatchAliveWithRetryAfterAsAFloor) {
  adapter_.Add("run_1", v1::Job::QUEUED);
  ErrorDetails limited;
  limited.retry_delay = absl::Seconds(7);
  adapter_.get_errors = {
      MakeError(absl::StatusCode::kResourceExhausted, reason::kVendorRateLimited, "429", limited),
      MakeError(absl::StatusCode::kUnavailable, reason::kVendorUnavailable, "503")};
  auto sink = Watch("run_1");
  scheduler_.RunDue();
  EXPECT_TRUE(sink->states.empty());
  EXPECT_FALSE(sink->end.has_value());
  scheduler_.Advance(absl::Seconds(6));
  EXPECT_EQ(adapter_.gets, 1) << "Retry-After 7 s is a floor under the 1 s poll";
  scheduler_.Advance(absl::Seconds(1));
  EXPECT_EQ(adapter_.gets, 2);
  scheduler_.Advance(absl::Seconds(2));  // after the 503, backoff doubled to 2 s
  EXPECT_EQ(adapter_.gets, 3);
  EXPECT_EQ(sink->states, (std::vector{v1::Job::QUEUED}));
  EXPECT_FALSE(sink->end.has_value());
}

TEST_F(WatchHubTest, AMissingJobEndsTheWatchAsGetJobWould) {
  auto sink = Watch("run_missing");
  scheduler_.RunDue();
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_THAT(*sink->end, IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(hub_->stats().open, 0);
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(WatchHubTest, AJobDeletedMidWatchEndsItNotFound) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto sink = Watch("run_1");
  scheduler_.RunDue();
  adapter_.DeleteJob(CallContext{}, "run_1", [](absl::Status) {});
  scheduler_.Advance(absl::Seconds(1));
  EXPECT_EQ(sink->states, (std::vector{v1::Job::RUNNING}));
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_EQ(sink->end->code(), absl::StatusCode::kNotFound);
}

TEST_F(WatchHubTest, ATerminalJobInTheCacheEndsANewWatchAtOnceWithoutAVendorRead) {
  adapter_.Add("run_1", v1::Job::COMPLETED);
  CallContext ctx;
  ctx.deadline = scheduler_.Now() + absl::Seconds(30);
  bool read = false;
  reader_.Read(&adapter_, ctx, "run_1", v1::JOB_VIEW_BASIC,
               [&](absl::StatusOr<v1::Job> job) { read = job.ok(); });
  ASSERT_TRUE(read);
  const int reads = adapter_.gets;
  auto sink = Watch("run_1");
  scheduler_.RunDue();
  EXPECT_EQ(adapter_.gets, reads);
  EXPECT_EQ(sink->states, (std::vector{v1::Job::COMPLETED}));
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_TRUE(sink->end->ok());
}

TEST_F(WatchHubTest, MoreThanTheMaximumOfOpenWatchesIsTooManyWatches) {
  WatchOptions options;
  options.max_watches = 2;
  Make(options);
  adapter_.Add("run_1", v1::Job::RUNNING);
  adapter_.Add("run_2", v1::Job::RUNNING);
  WatchHub::WatchId a = 0;
  Watch("run_1", false, &a);
  Watch("run_2");
  auto sink = std::make_shared<RecordingSink>();
  EXPECT_THAT(hub_->Add(Target("run_1"), sink).status(),
              IsError(absl::StatusCode::kResourceExhausted, "TOO_MANY_WATCHES"));
  hub_->Remove(a);  // a free place is taken again
  EXPECT_TRUE(hub_->Add(Target("run_1"), sink).ok());
}

TEST_F(WatchHubTest, ShutdownEndsEveryWatchShuttingDownAndRefusesNewOnes) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  adapter_.Add("run_2", v1::Job::QUEUED);
  auto a = Watch("run_1");
  auto b = Watch("run_2");
  scheduler_.RunDue();
  const absl::Status stopping =
      MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown, "stopping");
  hub_->Shutdown(stopping);
  for (const auto& sink : {a, b}) {
    ASSERT_TRUE(sink->end.has_value());
    EXPECT_THAT(*sink->end, IsError(absl::StatusCode::kUnavailable, "SHUTTING_DOWN"));
  }
  EXPECT_EQ(scheduler_.pending(), 0u);
  EXPECT_THAT(hub_->Add(Target("run_1"), std::make_shared<RecordingSink>()).status(),
              IsError(absl::StatusCode::kUnavailable, "SHUTTING_DOWN"));
}

TEST_F(WatchHubTest, AWatchEndsShuttingDownWhenItsConnectionReachesItsMaximumAge) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto old = std::make_shared<RecordingSink>();
  ASSERT_TRUE(hub_->Add(Target("run_1"), old, scheduler_.Now() + absl::Seconds(90)).ok());
  auto young = std::make_shared<RecordingSink>();
  ASSERT_TRUE(hub_->Add(Target("run_1"), young, scheduler_.Now() + absl::Minutes(10)).ok());
  scheduler_.Advance(absl::Seconds(89));
  EXPECT_FALSE(old->end.has_value());
  scheduler_.Advance(absl::Seconds(1));
  ASSERT_TRUE(old->end.has_value());
  EXPECT_THAT(*old->end, IsError(absl::StatusCode::kUnavailable, "SHUTTING_DOWN"));
  EXPECT_FALSE(young->end.has_value()) << "the other watcher of the job goes on";
  EXPECT_EQ(hub_->stats().upstreams, 1);
  scheduler_.Advance(absl::Minutes(9));
  ASSERT_TRUE(young->end.has_value());
  EXPECT_EQ(hub_->stats().upstreams, 0) << "the last watcher's expiry stops the upstream";
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(WatchHubTest, AWatcherThatLeftHasNoExpiryTimerLeft) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto sink = std::make_shared<RecordingSink>();
  absl::StatusOr<WatchHub::WatchId> id =
      hub_->Add(Target("run_1"), sink, scheduler_.Now() + absl::Hours(1));
  ASSERT_TRUE(id.ok());
  scheduler_.RunDue();
  hub_->Remove(*id);
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(WatchHubTest, AnEventStreamReplacesPollingAndItsEventsTriggerReads) {
  adapter_.Add("run_1", v1::Job::QUEUED);
  auto sink = Watch("run_1", /*event_stream=*/true);
  scheduler_.RunDue();
  ASSERT_EQ(adapter_.streams.size(), 1u);
  EXPECT_EQ(hub_->stats().streams, 1);
  scheduler_.Advance(absl::Minutes(5));
  EXPECT_EQ(adapter_.gets, 1) << "no polling while the stream is open";
  auto stream = adapter_.streams[0];
  stream->Send("heartbeat");
  stream->Send("progress");
  scheduler_.RunDue();
  EXPECT_EQ(adapter_.gets, 1) << "heartbeats and progress change nothing a Job carries";
  adapter_.SetState("run_1", v1::Job::RUNNING);
  stream->Send("status");
  scheduler_.RunDue();
  EXPECT_EQ(adapter_.gets, 2);
  adapter_.SetState("run_1", v1::Job::COMPLETED);
  stream->Send("result");
  scheduler_.RunDue();
  EXPECT_EQ(sink->states,
            (std::vector<v1::Job::State>{v1::Job::QUEUED, v1::Job::RUNNING, v1::Job::COMPLETED}));
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_TRUE(sink->end->ok());
  EXPECT_TRUE(stream->ended) << "the stream is closed with the watch";
  EXPECT_EQ(hub_->stats().streams, 0);
}

TEST_F(WatchHubTest, ARefusedEventStreamFallsBackToPolling) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  adapter_.stream_error =
      MakeError(absl::StatusCode::kUnavailable, reason::kVendorUnavailable, "503");
  auto sink = Watch("run_1", true);
  scheduler_.Advance(absl::Seconds(1 + 2 + 4));
  EXPECT_EQ(adapter_.gets, 1 + 1 + 3) << "one read after the refusal, then polls at 1, 3, 7 s";
  adapter_.SetState("run_1", v1::Job::FAILED);
  scheduler_.Advance(absl::Seconds(8));
  EXPECT_EQ(sink->states.back(), v1::Job::FAILED);
  ASSERT_TRUE(sink->end.has_value());
  EXPECT_EQ(hub_->stats().streams, 0);
}

TEST_F(WatchHubTest, AStreamTheVendorClosesEarlyIsReopenedAFewTimesThenPolled) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  auto sink = Watch("run_1", true);
  scheduler_.RunDue();
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(adapter_.streams.size(), static_cast<size_t>(i + 1));
    adapter_.streams.back()->End(absl::OkStatus());
    scheduler_.RunDue();  // the job is read at once: it may have ended
  }
  EXPECT_EQ(adapter_.streams.size(), 4u) << "after 3 re-opens the job is polled";
  EXPECT_EQ(adapter_.gets, 5);
  scheduler_.Advance(absl::Seconds(1));
  EXPECT_EQ(adapter_.gets, 6);
  EXPECT_FALSE(sink->end.has_value());
}

TEST_F(WatchHubTest, TheLastWatcherLeavingClosesTheEventStream) {
  adapter_.Add("run_1", v1::Job::RUNNING);
  WatchHub::WatchId id = 0;
  Watch("run_1", true, &id);
  scheduler_.RunDue();
  ASSERT_EQ(adapter_.streams.size(), 1u);
  hub_->Remove(id);
  EXPECT_TRUE(adapter_.streams[0]->ended);
  EXPECT_EQ(hub_->stats().streams, 0);
  EXPECT_EQ(scheduler_.pending(), 0u);
}

}  // namespace
}  // namespace jobfacade
