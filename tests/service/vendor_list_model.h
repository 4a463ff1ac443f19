// A model of which jobs each vendor's list endpoint returns for the filters the adapters send
// (NOTES.md, the OpenAPI documents, the emulator): the oracle for the push-down superset rule.
#ifndef JOBFACADE_TESTS_SERVICE_VENDOR_LIST_MODEL_H_
#define JOBFACADE_TESTS_SERVICE_VENDOR_LIST_MODEL_H_

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "adapters/core/json.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade::testing {

// Job.tags holds every vendor tag value as text. Text that reads as a JSON number, boolean,
// object or list, and "" (a null), came from a value that is not a string at the vendor, and a
// string sent as a tag filter never equals it there.
inline bool TagIsStringAtVendor(absl::string_view text) {
  if (text.empty()) return false;
  absl::StatusOr<json::Value> parsed = json::Parse(text);
  return !parsed.ok() || parsed->kind_case() == json::Value::kStringValue;
}

// Whether `vendor`'s list endpoint, sent `filter` the way its adapter sends it, returns `job`.
// Members an adapter does not send for that vendor are ignored.
inline bool VendorListAccepts(absl::string_view vendor, const VendorListFilter& filter,
                              const v1::Job& job) {
  // Every vendor compares its status parameter with the job's own status text.
  if (filter.vendor_status.has_value() && job.vendor_state() != *filter.vendor_status) {
    return false;
  }
  if (vendor == "qbraid") {
    if (filter.provider.has_value() &&
        absl::AsciiStrToLower(job.provider()) != absl::AsciiStrToLower(*filter.provider)) {
      return false;
    }
    // A case-insensitive keyword search over the job's name and QRN.
    if (filter.search.has_value()) {
      const std::string needle = absl::AsciiStrToLower(*filter.search);
      if (!absl::StrContains(absl::AsciiStrToLower(job.display_name()), needle) &&
          !absl::StrContains(absl::AsciiStrToLower(job.vendor_job_id()), needle)) {
        return false;
      }
    }
    for (const auto& [key, value] : filter.tags) {
      auto it = job.tags().find(key);
      if (it == job.tags().end() || !TagIsStringAtVendor(it->second) || it->second != value) {
        return false;
      }
    }
  }
  if (vendor == "ionq" && filter.target.has_value()) {
    // A comma-separated list of backends, items trimmed; an empty list filters nothing.
    std::set<std::string> targets;
    for (absl::string_view t : absl::StrSplit(*filter.target, ',')) {
      t = absl::StripAsciiWhitespace(t);
      if (!t.empty()) targets.insert(std::string(t));
    }
    if (!targets.empty() && targets.count(job.device()) == 0) return false;
  }
  return true;
}

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_SERVICE_VENDOR_LIST_MODEL_H_
