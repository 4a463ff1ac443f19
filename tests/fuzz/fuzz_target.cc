// One libFuzzer target: JOBFACADE_FUZZ_ENTRY names the entry of tests/service/fuzz_entries.h it
// runs (tests/fuzz/CMakeLists.txt builds one binary per entry).
#include <cstddef>
#include <cstdint>

#include "tests/service/fuzz_entries.h"

#ifndef JOBFACADE_FUZZ_ENTRY
#error "JOBFACADE_FUZZ_ENTRY must name a fuzz entry"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return jobfacade::JOBFACADE_FUZZ_ENTRY(data, size);
}
