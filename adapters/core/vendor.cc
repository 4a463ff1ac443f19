// The parts of a vendor declaration every vendor shares.
#include "adapters/core/vendor.h"

#include "absl/strings/match.h"
#include "adapters/sandbox/personality.h"

namespace jobfacade {

v1::Job::State Vendor::StateOf(absl::string_view status) const {
  const VendorSpec& s = spec();
  for (const StatusText& known : s.statuses) {
    if (s.statuses_ignore_case ? absl::EqualsIgnoreCase(status, known.text)
                               : status == known.text) {
      return known.state;
    }
  }
  return v1::Job::STATE_UNSPECIFIED;
}

std::unique_ptr<sandbox::Personality> Vendor::NewSandboxPersonality(
    const sandbox::PersonalityOptions&) const {
  return nullptr;
}

}  // namespace jobfacade
