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
#include "adapters/core/list_filter.h"
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

// Whether `vendor`'s list endpoint, sent the query parameters `filter` (as Vendor::PushDown
// made them), returns `job`. A parameter the vendor does not read fails the model: the vendor
// would refuse it (IonQ answers 400) or the adapter sent something its vendor cannot filter on.
inline bool VendorListAccepts(absl::string_view vendor, const QueryParams& filter,
                              const v1::Job& job) {
  for (const auto& [name, value] : filter) {
    // Every vendor compares its status parameter with the job's own status text.
    if (name == "status") {
      if (job.vendor_state() != value) return false;
    } else if (vendor == "qbraid" && name == "provider") {
      if (absl::AsciiStrToLower(job.provider()) != absl::AsciiStrToLower(value)) return false;
    } else if (vendor == "qbraid" && name == "search") {
      // A case-insensitive keyword search over the job's name and QRN.
      const std::string needle = absl::AsciiStrToLower(value);
      if (!absl::StrContains(absl::AsciiStrToLower(job.display_name()), needle) &&
          !absl::StrContains(absl::AsciiStrToLower(job.vendor_job_id()), needle)) {
        return false;
      }
    } else if (vendor == "qbraid" && name == "tags") {
      absl::StatusOr<json::Struct> tags = json::ParseObject(value);
      if (!tags.ok()) return false;
      for (const auto& [key, want] : tags->fields()) {
        auto it = job.tags().find(key);
        if (want.kind_case() != json::Value::kStringValue || it == job.tags().end() ||
            !TagIsStringAtVendor(it->second) || it->second != want.string_value()) {
          return false;
        }
      }
    } else if (vendor == "ionq" && name == "target") {
      // A comma-separated list of backends, items trimmed; an empty list filters nothing.
      std::set<std::string> targets;
      for (absl::string_view t : absl::StrSplit(value, ',')) {
        t = absl::StripAsciiWhitespace(t);
        if (!t.empty()) targets.insert(std::string(t));
      }
      if (!targets.empty() && targets.count(job.device()) == 0) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_SERVICE_VENDOR_LIST_MODEL_H_
