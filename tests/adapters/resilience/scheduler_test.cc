// ManualScheduler ordering and cancellation; TimerThread runs tasks in due order on its own
// thread and drops what is left when destroyed.
#include "adapters/core/scheduler.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/manual_scheduler.h"

namespace jobfacade {
namespace {

using ::testing::ElementsAre;

TEST(ManualSchedulerTest, RunsDueTasksInOrderAtTheirTimes) {
  ManualScheduler scheduler;
  const absl::Time start = scheduler.Now();
  std::vector<std::pair<int, absl::Duration>> ran;
  auto record = [&](int n) { return [&, n] { ran.push_back({n, scheduler.Now() - start}); }; };
  scheduler.RunAt(start + absl::Seconds(2), record(2));
  scheduler.RunAt(start + absl::Seconds(1), record(1));
  scheduler.RunAt(start + absl::Seconds(1), record(11));  // same time: scheduling order
  scheduler.RunAt(start + absl::Seconds(5), record(5));
  scheduler.Advance(absl::Milliseconds(999));
  EXPECT_TRUE(ran.empty());
  scheduler.Advance(absl::Seconds(2));
  EXPECT_THAT(ran,
              ElementsAre(std::make_pair(1, absl::Seconds(1)), std::make_pair(11, absl::Seconds(1)),
                          std::make_pair(2, absl::Seconds(2))));
  EXPECT_EQ(scheduler.Now() - start, absl::Milliseconds(2999));
  EXPECT_EQ(scheduler.pending(), 1u);
  EXPECT_EQ(scheduler.next_due(), start + absl::Seconds(5));
}

TEST(ManualSchedulerTest, TasksScheduledByTasksWithinTheStepRun) {
  ManualScheduler scheduler;
  int runs = 0;
  scheduler.RunAt(scheduler.Now() + absl::Seconds(1), [&] {
    ++runs;
    scheduler.RunAt(scheduler.Now() + absl::Seconds(1), [&] { ++runs; });
  });
  scheduler.Advance(absl::Seconds(2));
  EXPECT_EQ(runs, 2);
}

TEST(ManualSchedulerTest, CancelRemovesOnlyPendingTasks) {
  ManualScheduler scheduler;
  int runs = 0;
  const auto a = scheduler.RunAt(scheduler.Now() + absl::Seconds(1), [&] { ++runs; });
  const auto b = scheduler.RunAt(scheduler.Now() + absl::Seconds(1), [&] { runs += 10; });
  EXPECT_NE(a, 0u);
  EXPECT_TRUE(scheduler.Cancel(a));
  EXPECT_FALSE(scheduler.Cancel(a));
  scheduler.Advance(absl::Seconds(1));
  EXPECT_EQ(runs, 10);
  EXPECT_FALSE(scheduler.Cancel(b));
  EXPECT_FALSE(scheduler.Cancel(12345));
}

TEST(TimerThreadTest, RunsTasksInDueOrderOffTheCallingThread) {
  TimerThread timers;
  absl::Mutex mu;
  std::vector<int> ran;
  std::atomic<bool> other_thread{true};
  absl::Notification last;
  const std::thread::id caller = std::this_thread::get_id();
  const absl::Time now = timers.Now();
  auto record = [&](int n) {
    return [&, n] {
      if (std::this_thread::get_id() == caller) other_thread = false;
      absl::MutexLock lock(&mu);
      ran.push_back(n);
      if (ran.size() == 3) last.Notify();
    };
  };
  timers.RunAt(now + absl::Milliseconds(60), record(3));
  timers.RunAt(now + absl::Milliseconds(20), record(1));
  timers.RunAt(now + absl::Milliseconds(40), record(2));
  ASSERT_TRUE(last.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_GE(timers.Now() - now, absl::Milliseconds(60));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(ran, ElementsAre(1, 2, 3));
  EXPECT_TRUE(other_thread);
}

TEST(TimerThreadTest, AnEarlierTaskAddedWhileWaitingRunsFirst) {
  TimerThread timers;
  absl::Notification early;
  std::atomic<bool> late_ran{false};
  timers.RunAt(timers.Now() + absl::Hours(1), [&] { late_ran = true; });
  timers.RunAt(timers.Now() + absl::Milliseconds(10), [&] { early.Notify(); });
  EXPECT_TRUE(early.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(late_ran);
}

TEST(TimerThreadTest, CancelledAndLeftoverTasksNeverRunAndAreReleased) {
  auto token = std::make_shared<int>(0);
  std::atomic<int> runs{0};
  {
    TimerThread timers;
    const auto id =
        timers.RunAt(timers.Now() + absl::Milliseconds(30), [&runs, token] { runs.fetch_add(1); });
    EXPECT_TRUE(timers.Cancel(id));
    timers.RunAt(timers.Now() + absl::Hours(1), [&runs, token] { runs.fetch_add(1); });
    EXPECT_EQ(token.use_count(), 2);  // the cancelled task's capture is gone already
    absl::SleepFor(absl::Milliseconds(60));
  }
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace jobfacade
