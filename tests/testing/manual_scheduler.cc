// ManualScheduler: due tasks run on the caller's thread, each at its own due time.
#include "tests/testing/manual_scheduler.h"

#include <utility>

namespace jobfacade {

absl::Time ManualScheduler::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

Scheduler::TaskId ManualScheduler::RunAt(absl::Time when, Task task) {
  absl::MutexLock lock(&mu_);
  return tasks_.Add(when, std::move(task));
}

bool ManualScheduler::Cancel(TaskId id) {
  Task removed;
  absl::MutexLock lock(&mu_);
  removed = tasks_.Remove(id);
  return removed != nullptr;
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
      absl::Time due;
      if (!tasks_.PopDue(end, &due, &task)) {
        if (now_ < end) now_ = end;
        return;
      }
      if (due > now_) now_ = due;
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
  return tasks_.next_due();
}

}  // namespace jobfacade
