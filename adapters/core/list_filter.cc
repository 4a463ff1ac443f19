// Push-down helpers shared by the vendors' filter translations.
#include "adapters/core/list_filter.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "adapters/core/json.h"

namespace jobfacade {

std::optional<std::string> FindParam(const QueryParams& params, absl::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool IsUniformTerm(const FilterTerm& term) {
  if (term.any_of.empty()) return false;
  const FilterComparison& first = term.any_of.front();
  return std::all_of(term.any_of.begin(), term.any_of.end(), [&](const FilterComparison& c) {
    return c.field == first.field && c.tag_key == first.tag_key;
  });
}

std::optional<std::string> SharedValue(const FilterTerm& term, bool lower) {
  std::optional<std::string> shared;
  for (const FilterComparison& c : term.any_of) {
    std::string value = lower ? absl::AsciiStrToLower(c.value) : c.value;
    if (shared.has_value() && *shared != value) return std::nullopt;
    shared = std::move(value);
  }
  return shared;
}

std::optional<std::string> SingleVendorStatus(const std::vector<StatusText>& statuses,
                                              const FilterTerm& term) {
  std::set<v1::Job::State> states;
  for (const FilterComparison& c : term.any_of) {
    if (c.state == v1::Job::STATE_UNSPECIFIED) return std::nullopt;
    states.insert(c.state);
  }
  const StatusText* only = nullptr;
  for (const StatusText& status : statuses) {
    if (states.count(status.state) == 0) continue;
    if (only != nullptr) return std::nullopt;
    only = &status;
  }
  if (only == nullptr || !only->filterable) return std::nullopt;
  return only->text;
}

bool IsPlainStringTag(absl::string_view value) {
  if (value.empty()) return false;
  absl::StatusOr<json::Value> parsed = json::Parse(value);
  return !parsed.ok() || parsed->kind_case() == json::Value::kStringValue;
}

}  // namespace jobfacade
