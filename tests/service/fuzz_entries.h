// Entry points shared by the corpus replay test and libFuzzer targets: each feeds one input to a
// parser and checks that it behaved (no crash, a clean result, invariants of what it returned).
#ifndef JOBFACADE_TESTS_SERVICE_FUZZ_ENTRIES_H_
#define JOBFACADE_TESTS_SERVICE_FUZZ_ENTRIES_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jobfacade {

// The key, parent, filter and view CheckPageTokenInput decodes with; corpus tokens are made
// for them.
inline constexpr absl::string_view kFuzzPageTokenKey = "corpus-page-token-key-0123456789";
inline constexpr absl::string_view kFuzzPageTokenParent = "vendors/-";
inline constexpr absl::string_view kFuzzPageTokenFilter = "state = RUNNING";
inline constexpr int kFuzzPageTokenView = 1;
// An input starting with this is the token's signed body rather than a token: the rest is
// signed with kFuzzPageTokenKey and encoded, so that fuzzing reaches the decoder past the MAC.
inline constexpr absl::string_view kFuzzPageTokenBodyPrefix = "body:";

// Parses `input` as a ListJobs filter. OK when ParseFilter either accepted it (and Matches,
// MayMatchVendor and PushDown then kept their promises on sample jobs of every vendor), or
// rejected it with INVALID_ARGUMENT / INVALID_FILTER, a BadRequest on "filter" and a message
// "position N: ..." with N inside the input. Otherwise an INTERNAL error saying what broke.
// `accepted`, when given, says whether the input was accepted.
absl::Status CheckFilterInput(absl::string_view input, bool* accepted = nullptr);

// Decodes `input` as a page token (see kFuzzPageTokenBodyPrefix). OK when Decode either
// accepted it (and the state re-encodes to a token that decodes to the same state), or
// rejected it with INVALID_ARGUMENT / INVALID_PAGE_TOKEN and a BadRequest on "page_token".
// `accepted` as above.
absl::Status CheckPageTokenInput(absl::string_view input, bool* accepted = nullptr);

// libFuzzer-style entries: run the check and abort when it fails; always return 0.
int FilterFuzzEntry(const uint8_t* data, size_t size);
int PageTokenFuzzEntry(const uint8_t* data, size_t size);

}  // namespace jobfacade

#endif  // JOBFACADE_TESTS_SERVICE_FUZZ_ENTRIES_H_
