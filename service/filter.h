// The ListJobs filter language (an AIP-160 subset): parsing with precise error positions,
// evaluation against a Job, and the part each vendor can apply itself (push-down).
#ifndef JOBFACADE_SERVICE_FILTER_H_
#define JOBFACADE_SERVICE_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

// Longest filter accepted, in bytes.
inline constexpr size_t kMaxFilterBytes = 4096;

enum class FilterField {
  kState,        // state = RUNNING               (enum name, `=` only)
  kVendor,       // vendor = "ionq"              (`=` only)
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
  std::string value;                                       // unquoted text
  v1::Job::State state = v1::Job::STATE_UNSPECIFIED;       // for kState
  absl::Time time;                                         // for kCreateTime
};

// Comparisons joined by OR; all of them name the same field (and tag key).
struct FilterTerm {
  std::vector<FilterComparison> any_of;
};

// Terms joined by AND. An empty filter matches every job.
class Filter {
 public:
  Filter() = default;
  explicit Filter(std::vector<FilterTerm> terms) : terms_(std::move(terms)) {}

  const std::vector<FilterTerm>& terms() const { return terms_; }
  bool empty() const { return terms_.empty(); }

  // Whether `job` satisfies every term.
  bool Matches(const v1::Job& job) const;

  // False when a `vendor = ...` term rules `vendor` out entirely (no need to ask it).
  bool MayMatchVendor(absl::string_view vendor) const;

  // What `vendor` can apply itself: only conditions whose vendor-side result is a superset of
  // the jobs the filter matches, so that Matches() applied afterwards gives the same jobs
  // whichever side did the work.
  VendorListFilter PushDown(absl::string_view vendor) const;

 private:
  std::vector<FilterTerm> terms_;
};

// Parses `text`. A malformed filter is INVALID_ARGUMENT / INVALID_FILTER with a BadRequest on
// "filter" whose description names the 1-based character position of the fault, e.g.
// "position 9: expected a value after '='".
absl::StatusOr<Filter> ParseFilter(absl::string_view text);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_FILTER_H_
