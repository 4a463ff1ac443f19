#ifndef JOBFACADE_TESTS_TESTING_STOPWATCH_H_
#define JOBFACADE_TESTS_TESTING_STOPWATCH_H_

#include <chrono>

#include "absl/time/time.h"

namespace jobfacade::testing {

// How long something took, on the monotonic clock. A test that bounds a duration measures it
// here rather than as a difference of absl::Now(): the machines' wall clock is stepped (by
// seconds) when a virtual machine is resumed, which would fail such a bound or pass it wrongly.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}

  absl::Duration Elapsed() const {
    return absl::FromChrono(std::chrono::steady_clock::now() - start_);
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_STOPWATCH_H_
