// The canonical ListJobs filter as the service parsed it (an AIP-160 subset), and the tools a
// vendor uses to translate it into its own list query parameters (push-down).
#ifndef JOBFACADE_ADAPTERS_CORE_LIST_FILTER_H_
#define JOBFACADE_ADAPTERS_CORE_LIST_FILTER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

enum class FilterField {
  kState,        // state = RUNNING               (enum name, `=` only)
  kVendor,       // vendor = "..."               (`=` only)
  kProvider,     // provider = "aws"             (`=` only, compared lower-case)
  kDevice,       // device = "qpu.aria-1"        (`=` only)
  kJobType,      // job_type = "..."             (`=` only)
  kTag,          // tags.KEY = "value"           (`=` only)
  kDisplayName,  // display_name : "text"        (`:` contains, `=` exact)
  kCreateTime,   // create_time >= "RFC 3339"    (`=`, `>`, `>=`, `<`, `<=`)
};

enum class FilterOp { kEq, kHas, kGt, kGe, kLt, kLe };

struct FilterComparison {
  FilterField field;
  std::string tag_key;  // for kTag
  FilterOp op;
  std::string value;                                  // unquoted text
  v1::Job::State state = v1::Job::STATE_UNSPECIFIED;  // for kState
  absl::Time time;                                    // for kCreateTime
};

// Comparisons joined by OR; all of them name the same field (and tag key).
struct FilterTerm {
  std::vector<FilterComparison> any_of;
};

// A vendor's list query parameters (name, raw value), in the order they are sent; the adapter
// percent-encodes the values.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// The value of parameter `name`, if it is set.
std::optional<std::string> FindParam(const QueryParams& params, absl::string_view name);

// Whether `term` keeps the parser's promise: at least one comparison, all of one field and key.
bool IsUniformTerm(const FilterTerm& term);

// The value every comparison of an OR group shares, if they all share one (`lower`: compared
// and returned in ASCII lower case).
std::optional<std::string> SharedValue(const FilterTerm& term, bool lower = false);

// A vendor's status texts and the canonical state of each (API.md, "Job.State").
struct StatusText {
  std::string text;
  v1::Job::State state;
  bool filterable = true;  // the list endpoint accepts it as a status filter
};

// The one filterable status whose jobs are exactly those in the states `term` names, if there
// is one. STATE_UNSPECIFIED stands for every unrecognised text, so it never pushes down.
// `statuses` must list every text the vendor's normaliser recognises.
std::optional<std::string> SingleVendorStatus(const std::vector<StatusText>& statuses,
                                              const FilterTerm& term);

// Job.tags holds non-string vendor values as text ("5", "true", "" for null, JSON for objects);
// only a tag that was a string at the vendor can be matched there by a string filter.
bool IsPlainStringTag(absl::string_view value);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_LIST_FILTER_H_
