// IonQ's sandbox personality (adapters/sandbox/personality.h) and the demo jobs it seeds.
#ifndef JOBFACADE_ADAPTERS_IONQ_IONQ_SANDBOX_H_
#define JOBFACADE_ADAPTERS_IONQ_IONQ_SANDBOX_H_

#include <memory>

#include "adapters/sandbox/personality.h"

namespace jobfacade::sandbox {

inline constexpr char kIonq[] = "ionq";
// The key the sandbox expects unless PersonalityOptions::api_key says otherwise.
inline constexpr char kIonqSandboxApiKey[] = "sandbox-ionq-key";

// Demo jobs: running ("started") for hours, and a completed one.
inline constexpr char kDemoIonqRunningJob[] = "0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41";
inline constexpr char kDemoIonqCompletedJob[] = "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524";

std::unique_ptr<Personality> NewIonqPersonality(const PersonalityOptions& options);

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_IONQ_IONQ_SANDBOX_H_
