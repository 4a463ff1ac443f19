// The ListJobs filter language (an AIP-160 subset): parsing with precise error positions,
// evaluation against a Job, and the part each vendor can apply itself (push-down).
#ifndef JOBFACADE_SERVICE_FILTER_H_
#define JOBFACADE_SERVICE_FILTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/list_filter.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

// Longest filter accepted, in bytes.
inline constexpr size_t kMaxFilterBytes = 4096;

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

  // What `vendor` can apply itself, as its list query parameters (Vendor::PushDown): only
  // conditions whose vendor-side result is a superset of the jobs the filter matches, so that
  // Matches() applied afterwards gives the same jobs whichever side did the work. None for a
  // vendor the registry does not know.
  QueryParams PushDown(absl::string_view vendor) const;

 private:
  std::vector<FilterTerm> terms_;
};

// Parses `text`. A malformed filter is INVALID_ARGUMENT / INVALID_FILTER with a BadRequest on
// "filter" whose description names the 1-based character position of the fault, e.g.
// "position 9: expected a value after '='".
//
// The language in detail: comparisons `FIELD OP VALUE`; OR joins comparisons of one field (and
// one tag key) only, AND joins those groups, and an OR group may sit in parentheses (nested at
// most 8 deep). AND and OR are upper case, field names lower case, state names are the
// Job.State names exactly (STATE_UNSPECIFIED included). Values are double-quoted strings with
// the escapes \" and \\ only, or bare words; create_time takes a quoted RFC 3339 timestamp
// that must carry a zone ("Z" or "+hh:mm"), since a zone-less time typed by a person is
// ambiguous. A tag key is a bare word after `tags.` or a quoted string right after the dot
// (`tags."cost center"`). Comparisons: provider ignores ASCII case on both sides; vendor,
// device, job_type, tag values and display_name are exact and case-sensitive, `:` being a
// byte-wise substring test without wildcards; a job without create_time matches no time
// comparison and a job without the tag matches no comparison of it. Rejected: filters over
// kMaxFilterBytes, invalid UTF-8, control characters (tab, CR and LF are whitespace outside
// strings, and rejected inside them).
absl::StatusOr<Filter> ParseFilter(absl::string_view text);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_FILTER_H_
