// The Scheduler double shared by the tests: time that only moves when told to.
#ifndef JOBFACADE_TESTS_TESTING_MANUAL_SCHEDULER_H_
#define JOBFACADE_TESTS_TESTING_MANUAL_SCHEDULER_H_

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/scheduler.h"

namespace jobfacade {

// Test time: nothing runs until Advance (or RunDue) is called; due tasks then run on the
// caller's thread, in due order. Thread-safe.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(absl::Time start = absl::FromUnixSeconds(1767225600)) : now_(start) {}

  absl::Time Now() const override;
  TaskId RunAt(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;

  // Moves time forward by `d`, running every task that falls due on the way, each at its own
  // due time (so tasks a task schedules within the step run too).
  void Advance(absl::Duration d);
  // Runs the tasks already due.
  void RunDue() { Advance(absl::ZeroDuration()); }
  // Tasks scheduled and not yet run or cancelled.
  size_t pending() const;
  // The due time of the earliest pending task, if any.
  absl::Time next_due() const;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  scheduler_internal::TaskSet tasks_ ABSL_GUARDED_BY(mu_);
};

// The scheduler's time as a Clock, so that deadlines, timers and expiry move together.
class SchedulerClock final : public Clock {
 public:
  explicit SchedulerClock(const ManualScheduler& scheduler) : scheduler_(scheduler) {}
  absl::Time Now() const override { return scheduler_.Now(); }

 private:
  const ManualScheduler& scheduler_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_TESTS_TESTING_MANUAL_SCHEDULER_H_
