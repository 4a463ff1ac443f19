// UTF-8 validation shared by error messages and vendor body parsing.
#ifndef JOBFACADE_ADAPTERS_CORE_UTF8_H_
#define JOBFACADE_ADAPTERS_CORE_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace jobfacade {

// Length of the valid UTF-8 sequence starting at text[i] (1 to 4), or 0 when the bytes there
// are not valid UTF-8 (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view text, size_t i);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD; `text` itself when valid.
std::string ToValidUtf8(absl::string_view text);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_UTF8_H_
