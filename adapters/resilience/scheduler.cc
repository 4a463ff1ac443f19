// TimerThread and ManualScheduler.
#include "adapters/resilience/scheduler.h"

#include <vector>

#include "absl/time/clock.h"

namespace jobfacade {

TimerThread::TimerThread() : thread_([this] { Loop(); }) {}

TimerThread::~TimerThread() {
  std::map<std::pair<absl::Time, TaskId>, Task> dropped;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  {
    absl::MutexLock lock(&mu_);
    dropped.swap(tasks_);
    due_.clear();
  }
  // `dropped` is destroyed here without the lock: a task's captures may own objects whose
  // destructors schedule or cancel.
}

absl::Time TimerThread::Now() const { return absl::Now(); }

Scheduler::TaskId TimerThread::RunAt(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  tasks_.emplace(std::make_pair(when, id), std::move(task));
  due_.emplace(id, when);
  ++generation_;
  return id;
}

bool TimerThread::Cancel(TaskId id) {
  // Declared before the lock so the task's captures are released unlocked.
  Task removed;
  absl::MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  auto task = tasks_.find(std::make_pair(it->second, id));
  removed = std::move(task->second);
  tasks_.erase(task);
  due_.erase(it);
  return true;
}

void TimerThread::Loop() {
  mu_.Lock();
  while (!stopping_) {
    const absl::Time now = absl::Now();
    if (!tasks_.empty() && tasks_.begin()->first.first <= now) {
      auto first = tasks_.begin();
      Task task = std::move(first->second);
      due_.erase(first->first.second);
      tasks_.erase(first);
      mu_.Unlock();
      std::move(task)();
      task = nullptr;
      mu_.Lock();
      continue;
    }
    const absl::Time wake = tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first.first;
    // Wakes early when a task is added (it may be due sooner) or on shutdown.
    const uint64_t generation = generation_;
    auto changed = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || generation_ != generation;
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), wake);
  }
  mu_.Unlock();
}

absl::Time ManualScheduler::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

Scheduler::TaskId ManualScheduler::RunAt(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  const TaskId id = next_id_++;
  tasks_.emplace(std::make_pair(when, id), std::move(task));
  due_.emplace(id, when);
  return id;
}

bool ManualScheduler::Cancel(TaskId id) {
  Task removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = due_.find(id);
    if (it == due_.end()) return false;
    auto task = tasks_.find(std::make_pair(it->second, id));
    removed = std::move(task->second);
    tasks_.erase(task);
    due_.erase(it);
  }
  return true;
}

void ManualScheduler::Advance(absl::Duration d) {
  absl::Time end;
  {
    absl::MutexLock lock(&mu_);
    end = now_ + d;
  }
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      if (tasks_.empty() || tasks_.begin()->first.first > end) {
        if (now_ < end) now_ = end;
        return;
      }
      auto first = tasks_.begin();
      if (first->first.first > now_) now_ = first->first.first;
      task = std::move(first->second);
      due_.erase(first->first.second);
      tasks_.erase(first);
    }
    std::move(task)();
  }
}

size_t ManualScheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return tasks_.size();
}

absl::Time ManualScheduler::next_due() const {
  absl::MutexLock lock(&mu_);
  return tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first.first;
}

}  // namespace jobfacade
