// Entry points shared by the corpus replay test and the libFuzzer targets (tests/fuzz): each feeds
// one input to a parser and checks that it behaved (no crash, a clean result, invariants of what
// it returned).
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

// Parses `input` as a job name and as a parent. OK when each parse either accepted it (and the
// parts format back to exactly `input`, the vendor is known and the id keeps API.md's rules), or
// rejected it with INVALID_ARGUMENT / INVALID_NAME or UNKNOWN_VENDOR and a BadRequest on its
// field; and when `input` used as a job id makes a name that parses back to it exactly when it
// keeps those rules. `accepted`, when given, says whether ParseJobName accepted it.
absl::Status CheckNameInput(absl::string_view input, bool* accepted = nullptr);

// What a vendor body was accepted as.
struct NormalizerOutcome {
  bool job = false;   // the single-job normaliser returned a job
  bool list = false;  // the list normaliser returned a page
};

// Feeds `input` to `vendor`'s normalisers ("qbraid", "ionq" or "praisonai") as the body of a
// job and of a list page, in every view. OK when each call either failed with INTERNAL /
// VENDOR_BAD_RESPONSE naming the vendor without quoting the body, or returned jobs that keep
// the contract: the vendor's name, a name that formats from the id (and parses back when the id
// keeps API.md's rules), a known state that is the vendor's mapping of vendor_state, a lower-case
// provider, timestamps and durations a protobuf can hold, valid UTF-8 everywhere, a
// vendor_payload exactly with JOB_VIEW_FULL and the same job in every view, and the same job
// again from its own vendor_payload. The same input also goes to the vendor's readers of a
// submission's answer (a job that keeps those rules, or a clean refusal) and of a COMPLETED
// job's result and cost (a result of that job with no negative count, counts that add up to
// the shots unless estimated, finite probabilities and costs).
absl::Status CheckNormalizerInput(absl::string_view vendor, absl::string_view input,
                                  NormalizerOutcome* outcome = nullptr);

// libFuzzer-style entries: run the check and abort when it fails; always return 0.
// Parses `input` as a vendor's Server-Sent Events stream, whole and cut into pieces at points
// derived from its bytes. OK when every cutting gives the same events (or breaks the stream's
// bound at the same point), and every event keeps the parser's bound. `events`, when given, is
// how many events the whole input held.
absl::Status CheckSseInput(absl::string_view input, size_t* events = nullptr);

int SseFuzzEntry(const uint8_t* data, size_t size);
int FilterFuzzEntry(const uint8_t* data, size_t size);
int PageTokenFuzzEntry(const uint8_t* data, size_t size);
int NameFuzzEntry(const uint8_t* data, size_t size);
int QbraidNormalizerFuzzEntry(const uint8_t* data, size_t size);
int IonqNormalizerFuzzEntry(const uint8_t* data, size_t size);
int PraisonaiNormalizerFuzzEntry(const uint8_t* data, size_t size);

}  // namespace jobfacade

#endif  // JOBFACADE_TESTS_SERVICE_FUZZ_ENTRIES_H_
