// A value that can be replaced while others read it: a key or token list re-read from its file
// (API.md, "Every _FILE setting ... is re-read within 10 s").
#ifndef JOBFACADE_ADAPTERS_CORE_RELOADABLE_H_
#define JOBFACADE_ADAPTERS_CORE_RELOADABLE_H_

#include <memory>
#include <type_traits>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace jobfacade {

// Copies share one value: whoever holds a copy may Set() it, and every copy's next Get() sees
// the new value. A reader keeps the value it got for as long as it holds the pointer, so a call
// in flight finishes with the value it started with.
template <typename T>
class Reloadable {
 public:
  Reloadable() : Reloadable(T{}) {}
  // Implicit, so that a plain value (a key, a list) stands wherever a Reloadable is wanted.
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Reloadable>>>
  Reloadable(U&& value)  // NOLINT(google-explicit-constructor)
      : state_(std::make_shared<State>(std::make_shared<const T>(std::forward<U>(value)))) {}

  std::shared_ptr<const T> Get() const {
    absl::MutexLock lock(&state_->mu);
    return state_->value;
  }

  void Set(T value) const {
    auto next = std::make_shared<const T>(std::move(value));
    absl::MutexLock lock(&state_->mu);
    state_->value.swap(next);
    // The old value is released outside the lock, by `next` going out of scope.
  }

 private:
  struct State {
    explicit State(std::shared_ptr<const T> v) : value(std::move(v)) {}
    absl::Mutex mu;
    std::shared_ptr<const T> value ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<State> state_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_RELOADABLE_H_
