// Cancellation: callbacks registered by in-flight vendor requests, fired once by the RPC.
#include "adapters/core/cancellation.h"

#include <utility>
#include <vector>

namespace jobfacade {

Cancellation::CallbackId Cancellation::Add(std::function<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      CallbackId id = next_id_++;
      callbacks_.emplace(id, std::move(fn));
      return id;
    }
  }
  fn();
  return 0;
}

void Cancellation::Remove(CallbackId id) {
  absl::MutexLock lock(&mu_);
  callbacks_.erase(id);
}

void Cancellation::Cancel() {
  std::map<CallbackId, std::function<void()>> to_run;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    to_run.swap(callbacks_);
  }
  for (auto& [id, fn] : to_run) fn();
}

bool Cancellation::IsCancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

}  // namespace jobfacade
