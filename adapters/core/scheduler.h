// Timers for the resilience layer and the service (retry backoff, queue deadlines, the circuit
// breaker's open period, waiters of shared reads): the interface, and a real one on its own
// thread. The server runs its timers on the HTTP engine's loop instead (HttpEngine is a
// Scheduler too). Tests move a manual one by hand (tests/testing/manual_scheduler.h).
#ifndef JOBFACADE_ADAPTERS_CORE_SCHEDULER_H_
#define JOBFACADE_ADAPTERS_CORE_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jobfacade {

class Scheduler {
 public:
  using TaskId = uint64_t;
  using Task = absl::AnyInvocable<void() &&>;

  virtual ~Scheduler() = default;

  // The time deadlines and delays are measured on.
  virtual absl::Time Now() const = 0;

  // Runs `task` once, at or soon after `when`, on the scheduler's own thread (never inline).
  // Returns a non-zero id for Cancel.
  virtual TaskId RunAt(absl::Time when, Task task) = 0;

  // True when the task was removed before it started; false when it ran, is running, or the id
  // is unknown.
  virtual bool Cancel(TaskId id) = 0;
};

namespace scheduler_internal {

// The pending tasks of a scheduler, in due order; the owner guards it with its own mutex.
// Shared by TimerThread and the tests' ManualScheduler.
class TaskSet {
 public:
  Scheduler::TaskId Add(absl::Time when, Scheduler::Task task);
  // The task, removed; empty when `id` is not pending.
  Scheduler::Task Remove(Scheduler::TaskId id);
  // Removes and returns the earliest task due at or before `limit`, with its due time.
  bool PopDue(absl::Time limit, absl::Time* due, Scheduler::Task* task);
  absl::Time next_due() const;
  size_t size() const { return tasks_.size(); }
  // Hands every pending task to the caller (to be destroyed outside the owner's lock).
  std::map<std::pair<absl::Time, Scheduler::TaskId>, Scheduler::Task> TakeAll();

 private:
  Scheduler::TaskId next_id_ = 1;
  // Ordered by due time, then by id (the order they were scheduled in).
  std::map<std::pair<absl::Time, Scheduler::TaskId>, Scheduler::Task> tasks_;
  std::map<Scheduler::TaskId, absl::Time> due_;
};

}  // namespace scheduler_internal

// Real time: one thread sleeping until the earliest task is due. Destroying it drops the tasks
// that have not run.
class TimerThread final : public Scheduler {
 public:
  TimerThread();
  ~TimerThread() override;
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  absl::Time Now() const override;
  TaskId RunAt(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by RunAt to wake the loop
  scheduler_internal::TaskSet tasks_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_SCHEDULER_H_
