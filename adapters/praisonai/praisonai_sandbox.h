// PraisonAI's sandbox personality (adapters/sandbox/personality.h) and the demo runs it seeds.
#ifndef JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_SANDBOX_H_
#define JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_SANDBOX_H_

#include <memory>

#include "adapters/sandbox/personality.h"

namespace jobfacade::sandbox {

inline constexpr char kPraisonai[] = "praisonai";

// Demo runs: running for hours, and a succeeded one.
inline constexpr char kDemoPraisonaiRunningJob[] = "run_4f1c9a2e7b30";
inline constexpr char kDemoPraisonaiSucceededJob[] = "run_9b2d61f0ac58";

// PersonalityOptions::api_key empty or unset: no auth, the service's loopback default.
std::unique_ptr<Personality> NewPraisonaiPersonality(const PersonalityOptions& options);

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_SANDBOX_H_
