// Vendor timestamp and duration parsing into absl and protobuf time types.
#ifndef JOBFACADE_ADAPTERS_CORE_TIME_UTIL_H_
#define JOBFACADE_ADAPTERS_CORE_TIME_UTIL_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace jobfacade {

// Parses an ISO-8601 / RFC 3339 timestamp as vendors send it: "T" or a space between date and
// time, 0 to 9 (more are truncated) fraction digits, and "Z", "+hh:mm", "+hhmm" or no zone at
// all (taken as UTC). Returns nullopt for anything else, including out-of-range dates.
std::optional<absl::Time> ParseVendorTimestamp(absl::string_view text);

google::protobuf::Timestamp ToProtoTimestamp(absl::Time t);
absl::Time FromProtoTimestamp(const google::protobuf::Timestamp& t);
google::protobuf::Duration ToProtoDuration(absl::Duration d);

// RFC 3339 in UTC with "Z", for emulator payloads and logs.
std::string FormatRfc3339(absl::Time t);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_TIME_UTIL_H_
