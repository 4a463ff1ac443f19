// A thread-safe cancellation signal shared by one RPC and the vendor requests it starts.
#ifndef JOBFACADE_ADAPTERS_CORE_CANCELLATION_H_
#define JOBFACADE_ADAPTERS_CORE_CANCELLATION_H_

#include <cstdint>
#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace jobfacade {

class Cancellation {
 public:
  using CallbackId = uint64_t;

  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Registers `fn` to run once on Cancel(). If already cancelled, runs `fn` at once (on this
  // thread) and returns 0. Callbacks run without the lock held.
  CallbackId Add(std::function<void()> fn);

  // Unregisters a callback; a no-op if it already ran or was removed.
  void Remove(CallbackId id);

  // Marks the signal cancelled and runs every registered callback once.
  void Cancel();

  bool IsCancelled() const;

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  CallbackId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<CallbackId, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_CANCELLATION_H_
