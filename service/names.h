// Parsing and formatting of the contract's resource names: vendors/{vendor}/jobs/{job}.
#ifndef JOBFACADE_SERVICE_NAMES_H_
#define JOBFACADE_SERVICE_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobfacade {

// Longest vendor job id accepted, in bytes.
inline constexpr size_t kMaxJobIdBytes = 512;

// The parent that stands for every configured vendor.
inline constexpr absl::string_view kAllVendors = "-";

struct JobName {
  std::string vendor;  // a registered vendor name
  std::string job_id;  // the vendor's id, verbatim
};

// Parses "vendors/{vendor}/jobs/{job}". A malformed name is INVALID_ARGUMENT / INVALID_NAME;
// a well-formed name of a vendor jobfacade does not know is INVALID_ARGUMENT / UNKNOWN_VENDOR.
// Both carry a BadRequest naming `field`.
absl::StatusOr<JobName> ParseJobName(absl::string_view name, absl::string_view field = "name");

// Parses "vendors/{vendor}" or "vendors/-"; returns the vendor, or kAllVendors.
absl::StatusOr<std::string> ParseParent(absl::string_view parent);

std::string FormatJobName(absl::string_view vendor, absl::string_view job_id);
std::string FormatParent(absl::string_view vendor);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_NAMES_H_
