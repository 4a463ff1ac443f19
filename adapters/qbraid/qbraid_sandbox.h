// qBraid's sandbox personality (adapters/sandbox/personality.h) and the demo jobs it seeds.
#ifndef JOBFACADE_ADAPTERS_QBRAID_QBRAID_SANDBOX_H_
#define JOBFACADE_ADAPTERS_QBRAID_QBRAID_SANDBOX_H_

#include <memory>

#include "absl/strings/string_view.h"
#include "adapters/sandbox/personality.h"

namespace jobfacade::sandbox {

inline constexpr char kQbraid[] = "qbraid";
// The key the sandbox expects unless PersonalityOptions::api_key says otherwise.
inline constexpr char kQbraidSandboxApiKey[] = "sandbox-qbraid-key";

// Demo jobs, with ids a newcomer can type; their creation times are relative to the clock when
// the emulator starts. A long-running job (RUNNING for hours, so it can be cancelled), a
// COMPLETED one (deletable) and a job that stays INITIALIZING for two minutes (cancel answers
// 409).
inline constexpr char kDemoQbraidRunningJob[] =
    "azure:pasqal:sim:emu-tn-37f5-qjob-696aafc96a18e4f726abf2ba";
inline constexpr char kDemoQbraidCompletedJob[] =
    "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6";
inline constexpr char kDemoQbraidInitializingJob[] =
    "qbraid:qbraid:sim:qir-sv-8ce1-qjob-6a01c3f2b7e94d0c5a1e2f30";

std::unique_ptr<Personality> NewQbraidPersonality(const PersonalityOptions& options);

// The width of a submitted program's sandbox result: the qubits it declares (OpenQASM 3
// `qubit[N] x;` and `qubit x;`, OpenQASM 2 `qreg x[N];`), summed, at most 1024; 1 when it
// declares none that can be read (a size given by a constant, say).
int CountDeclaredQubits(absl::string_view program);

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_QBRAID_QBRAID_SANDBOX_H_
