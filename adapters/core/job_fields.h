// Helpers the vendor normalisers share: tolerant reads of optional job fields
// from vendor JSON, and the one error a malformed vendor body produces.
#ifndef JOBFACADE_ADAPTERS_CORE_JOB_FIELDS_H_
#define JOBFACADE_ADAPTERS_CORE_JOB_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/json.h"
#include "adapters/core/utf8.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

// INTERNAL with reason VENDOR_BAD_RESPONSE and metadata vendor. `what` says
// what was wrong in a few words; it must never be (part of) the body.
absl::Status BadVendorResponse(absl::string_view vendor, absl::string_view what);

// Parses a vendor body that must be a JSON object, or fails with
// BadVendorResponse. Invalid UTF-8 is replaced by U+FFFD first: one stray byte
// in a job name should not make the job (or a whole page of jobs) unreadable.
absl::StatusOr<json::Struct> ParseVendorObject(absl::string_view vendor, absl::string_view body);

// "vendors/{vendor}/jobs/{id}", the id verbatim.
std::string JobName(absl::string_view vendor, absl::string_view id);

// ASCII lower case.
std::string LowerAscii(absl::string_view text);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(absl::string_view a, absl::string_view b);

// The string member `key`, or "" when absent, null or not a string.
std::string StringOr(const json::Struct& object, absl::string_view key);

// A name given either as a string or as an object carrying it in one of
// `members` (for example {"provider":"AWS",...}), lower-cased; nullopt when
// neither.
std::optional<std::string> NameOf(const json::Value* value,
                                  std::initializer_list<absl::string_view> members);

// The timestamp string member `key` parsed with ParseVendorTimestamp; nullopt
// when absent, null, not a string or unparseable.
std::optional<absl::Time> GetTimestamp(const json::Struct& object, absl::string_view key);

// The number member `key` taken as seconds since the Unix epoch (IonQ v0.3);
// nullopt when absent, null, not a number or outside the range a protobuf
// Timestamp can hold.
std::optional<absl::Time> GetEpochSeconds(const json::Struct& object, absl::string_view key);

// The number member `key` taken as a non-negative count of milliseconds.
std::optional<absl::Duration> GetMilliseconds(const json::Struct& object, absl::string_view key);

// The integral member `key` when it fits in an int32.
std::optional<int32_t> GetInt32(const json::Struct& object, absl::string_view key);

// The member `key` (a number or a decimal string) as a Cost in `unit`.
std::optional<v1::Cost> GetCost(const json::Struct& object, absl::string_view key,
                                absl::string_view unit);

// A tag value as text: scalars as ScalarToString, null as "", objects and lists
// as compact JSON so that nothing the vendor sent is silently dropped.
std::string TagText(const json::Value& value);

// Copies every member of `map` into `tags` with TagText values; a null `map`
// copies nothing.
void CopyTags(const json::Struct* map, google::protobuf::Map<std::string, std::string>* tags);

// The jobs of a listed page, normalised one by one. One unreadable job must not cost the
// caller the whole page (API.md: unknown values never fail the call): an item that is not an
// object, or that `normalize` refuses (it has no readable id), is skipped and counted.
struct ListedJobs {
  std::vector<v1::Job> jobs;
  int skipped = 0;
};
ListedJobs NormalizeListedJobs(const json::ListValue& items, v1::JobView view,
                               absl::StatusOr<v1::Job> (*normalize)(const json::Struct& job,
                                                                    v1::JobView view));

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_JOB_FIELDS_H_
