// Acme's sandbox personality (adapters/sandbox/personality.h), declared through AcmeVendor.
#ifndef JOBFACADE_TESTS_FAKES_ACME_ACME_SANDBOX_H_
#define JOBFACADE_TESTS_FAKES_ACME_ACME_SANDBOX_H_

#include <memory>

#include "adapters/sandbox/personality.h"

namespace jobfacade::acme {

inline constexpr char kAcmeSandboxApiKey[] = "sandbox-acme-key";
inline constexpr char kDemoAcmeRunningJob[] = "a-demo-running";
inline constexpr char kDemoAcmeDoneJob[] = "a-demo-done";

std::unique_ptr<sandbox::Personality> NewAcmePersonality(
    const sandbox::PersonalityOptions& options);

}  // namespace jobfacade::acme

#endif  // JOBFACADE_TESTS_FAKES_ACME_ACME_SANDBOX_H_
