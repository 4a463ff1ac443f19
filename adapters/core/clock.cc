// The real clock behind Clock::Real().
#include "adapters/core/clock.h"

namespace jobfacade {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock& Clock::Real() {
  static const RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace jobfacade
