// TimerThread, and the set of pending tasks it shares with the tests' manual scheduler.
#include "adapters/core/scheduler.h"

#include "absl/time/clock.h"

namespace jobfacade {
namespace scheduler_internal {

Scheduler::TaskId TaskSet::Add(absl::Time when, Scheduler::Task task) {
  const Scheduler::TaskId id = next_id_++;
  tasks_.emplace(std::make_pair(when, id), std::move(task));
  due_.emplace(id, when);
  return id;
}

Scheduler::Task TaskSet::Remove(Scheduler::TaskId id) {
  auto it = due_.find(id);
  if (it == due_.end()) return nullptr;
  auto task = tasks_.find(std::make_pair(it->second, id));
  Scheduler::Task removed = std::move(task->second);
  tasks_.erase(task);
  due_.erase(it);
  return removed;
}

bool TaskSet::PopDue(absl::Time limit, absl::Time* due, Scheduler::Task* task) {
  if (tasks_.empty() || tasks_.begin()->first.first > limit) return false;
  auto first = tasks_.begin();
  *due = first->first.first;
  *task = std::move(first->second);
  due_.erase(first->first.second);
  tasks_.erase(first);
  return true;
}

absl::Time TaskSet::next_due() const {
  return tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first.first;
}

std::map<std::pair<absl::Time, Scheduler::TaskId>, Scheduler::Task> TaskSet::TakeAll() {
  due_.clear();
  return std::move(tasks_);
}

}  // namespace scheduler_internal

TimerThread::TimerThread() : thread_([this] { Loop(); }) {}

TimerThread::~TimerThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  std::map<std::pair<absl::Time, TaskId>, Task> dropped;
  {
    absl::MutexLock lock(&mu_);
    dropped = tasks_.TakeAll();
  }
  // `dropped` is destroyed here without the lock: a task's captures may own objects whose
  // destructors schedule or cancel.
}

absl::Time TimerThread::Now() const { return absl::Now(); }

Scheduler::TaskId TimerThread::RunAt(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  ++generation_;
  return tasks_.Add(when, std::move(task));
}

bool TimerThread::Cancel(TaskId id) {
  // Declared before the lock so the task's captures are released unlocked.
  Task removed;
  absl::MutexLock lock(&mu_);
  removed = tasks_.Remove(id);
  return removed != nullptr;
}

void TimerThread::Loop() {
  mu_.Lock();
  while (!stopping_) {
    absl::Time due;
    Task task;
    if (tasks_.PopDue(absl::Now(), &due, &task)) {
      mu_.Unlock();
      std::move(task)();
      task = nullptr;
      mu_.Lock();
      continue;
    }
    // Wakes early when a task is added (it may be due sooner) or on shutdown.
    const uint64_t generation = generation_;
    auto changed = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || generation_ != generation;
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), tasks_.next_due());
  }
  mu_.Unlock();
}

}  // namespace jobfacade
