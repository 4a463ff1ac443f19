// The parts of a vendor declaration every vendor shares.
#include "adapters/core/vendor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/sandbox/personality.h"

namespace jobfacade {

void VendorAdapter::FollowEvents(const CallContext&, absl::string_view, EventCallback,
                                 StatusCallback done) {
  std::move(done)(MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                            absl::StrCat(vendor(), " has no event stream")));
}

void VendorAdapter::CreateJob(const CallContext&, const CreateRequest&, Callback<v1::Job> done) {
  std::move(done)(MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                            absl::StrCat(vendor(), " does not take submissions")));
}

void VendorAdapter::GetJobResult(const CallContext&, const v1::Job&, v1::JobView,
                                 Callback<v1::JobResult> done) {
  std::move(done)(MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                            absl::StrCat(vendor(), " has no results")));
}

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
