// The built-in vendors' sandbox names and demo job ids, for tests that drive the emulator
// (adapters/sandbox/emulator.h) by vendor.
#ifndef JOBFACADE_TESTS_TESTING_SANDBOX_VENDORS_H_
#define JOBFACADE_TESTS_TESTING_SANDBOX_VENDORS_H_

#include "adapters/ionq/ionq_sandbox.h"
#include "adapters/praisonai/praisonai_sandbox.h"
#include "adapters/qbraid/qbraid_sandbox.h"
#include "adapters/sandbox/emulator.h"

#endif  // JOBFACADE_TESTS_TESTING_SANDBOX_VENDORS_H_
