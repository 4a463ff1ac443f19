// Force-included first into every C++ file of a JOBFACADE_SANITIZE=thread build. Under TSan,
// protobuf's map_field.h gives MapFieldBase two extra members, so code compiled with TSan and
// Debian's libprotobuf (compiled without) disagree on the layout of every map field, and
// google::protobuf::Struct crashes. The header is therefore read once with TSan's macro hidden.
#ifndef JOBFACADE_TESTS_SANITIZERS_TSAN_PROTOBUF_ABI_H_
#define JOBFACADE_TESTS_SANITIZERS_TSAN_PROTOBUF_ABI_H_

// libstdc++'s and Abseil's own TSan switches are set first, while TSan's macro is visible.
#include <cstddef>

#include "absl/base/config.h"

#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")

#endif  // JOBFACADE_TESTS_SANITIZERS_TSAN_PROTOBUF_ABI_H_
