// Resource-name rules of API.md, "Names".
#include "service/names.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/registry.h"

namespace jobfacade {
namespace {

constexpr absl::string_view kVendorsPrefix = "vendors/";
constexpr absl::string_view kJobsSegment = "/jobs/";

// A vendor segment: lower-case letters, digits and '-', 1 to 63 bytes.
bool IsWellFormedVendorSegment(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::Status BadName(absl::string_view field, absl::string_view why) {
  return InvalidArgument(reason::kInvalidName, field, absl::StrCat("invalid ", field, ": ", why));
}

}  // namespace

absl::StatusOr<JobName> ParseJobName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return BadName(field, "must not be empty");
  if (!absl::StartsWith(name, kVendorsPrefix)) {
    return BadName(field, "must look like vendors/{vendor}/jobs/{job}");
  }
  absl::string_view rest = name.substr(kVendorsPrefix.size());
  const size_t jobs_at = rest.find(kJobsSegment);
  if (jobs_at == absl::string_view::npos) {
    return BadName(field, "must look like vendors/{vendor}/jobs/{job}");
  }
  absl::string_view vendor = rest.substr(0, jobs_at);
  absl::string_view job_id = rest.substr(jobs_at + kJobsSegment.size());
  if (!IsWellFormedVendorSegment(vendor) || vendor == kAllVendors) {
    return BadName(field, absl::StrCat("the vendor segment must be a vendor: ", VendorNameList()));
  }
  if (job_id.empty()) return BadName(field, "the job id must not be empty");
  if (job_id.size() > kMaxJobIdBytes) {
    return BadName(field, absl::StrCat("the job id must be at most ", kMaxJobIdBytes, " bytes"));
  }
  for (char c : job_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) {
      return BadName(field, "the job id must be printable ASCII without whitespace");
    }
    if (c == '/') return BadName(field, "the job id must not contain '/'");
  }
  if (!IsKnownVendor(vendor)) {
    return InvalidArgument(
        reason::kUnknownVendor, field,
        absl::StrCat("unknown vendor \"", vendor, "\"; known vendors are ", VendorNameList()));
  }
  return JobName{std::string(vendor), std::string(job_id)};
}

absl::StatusOr<std::string> ParseParent(absl::string_view parent) {
  if (!absl::StartsWith(parent, kVendorsPrefix)) {
    return BadName("parent", "must be vendors/{vendor} or vendors/-");
  }
  absl::string_view vendor = parent.substr(kVendorsPrefix.size());
  if (vendor == kAllVendors) return std::string(kAllVendors);
  if (!IsWellFormedVendorSegment(vendor)) {
    return BadName("parent", "must be vendors/{vendor} or vendors/-");
  }
  if (!IsKnownVendor(vendor)) {
    return InvalidArgument(
        reason::kUnknownVendor, "parent",
        absl::StrCat("unknown vendor \"", vendor, "\"; known vendors are ", VendorNameList()));
  }
  return std::string(vendor);
}

std::string FormatJobName(absl::string_view vendor, absl::string_view job_id) {
  return absl::StrCat(kVendorsPrefix, vendor, kJobsSegment, job_id);
}

std::string FormatParent(absl::string_view vendor) { return absl::StrCat(kVendorsPrefix, vendor); }

}  // namespace jobfacade
