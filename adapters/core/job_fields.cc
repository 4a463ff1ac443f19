// Tolerant field readers for the vendor normalisers: wrong types and bad values
// read as unset.
#include "adapters/core/job_fields.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"

namespace jobfacade {
namespace {

// The range a google.protobuf.Timestamp can hold: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// The range of a google.protobuf.Duration, in milliseconds (10,000 years).
constexpr double kMaxDurationMillis = 315576000000000.0;

}  // namespace

absl::Status BadVendorResponse(absl::string_view vendor, absl::string_view what) {
  ErrorDetails details;
  details.vendor = std::string(vendor);
  return MakeError(absl::StatusCode::kInternal, reason::kVendorBadResponse,
                   absl::StrCat(vendor, ": unexpected response from the vendor: ", what), details);
}

absl::StatusOr<json::Struct> ParseVendorObject(absl::string_view vendor, absl::string_view body) {
  absl::StatusOr<json::Value> value = json::Parse(ToValidUtf8(body));
  if (!value.ok()) return BadVendorResponse(vendor, value.status().message());
  if (value->kind_case() != json::Value::kStructValue) {
    return BadVendorResponse(vendor, "body is not a JSON object");
  }
  return std::move(*value->mutable_struct_value());
}

std::string JobName(absl::string_view vendor, absl::string_view id) {
  return absl::StrCat("vendors/", vendor, "/jobs/", id);
}

std::string LowerAscii(absl::string_view text) { return absl::AsciiStrToLower(text); }

bool EqualsIgnoreCase(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b);
}

std::string StringOr(const json::Struct& object, absl::string_view key) {
  return json::GetString(object, key).value_or("");
}

std::optional<std::string> NameOf(const json::Value* value,
                                  std::initializer_list<absl::string_view> members) {
  if (value == nullptr) return std::nullopt;
  if (value->kind_case() == json::Value::kStringValue) {
    return LowerAscii(value->string_value());
  }
  if (value->kind_case() == json::Value::kStructValue) {
    for (absl::string_view member : members) {
      std::optional<std::string> name = json::GetString(value->struct_value(), member);
      if (name.has_value()) return LowerAscii(*name);
    }
  }
  return std::nullopt;
}

std::optional<absl::Time> GetTimestamp(const json::Struct& object, absl::string_view key) {
  std::optional<std::string> text = json::GetString(object, key);
  if (!text.has_value()) return std::nullopt;
  return ParseVendorTimestamp(*text);
}

std::optional<absl::Time> GetEpochSeconds(const json::Struct& object, absl::string_view key) {
  std::optional<double> seconds = json::GetNumber(object, key);
  if (!seconds.has_value() || *seconds < kMinTimestampSeconds || *seconds > kMaxTimestampSeconds) {
    return std::nullopt;
  }
  return absl::FromUnixSeconds(0) + absl::Seconds(*seconds);
}

std::optional<absl::Duration> GetMilliseconds(const json::Struct& object, absl::string_view key) {
  std::optional<double> millis = json::GetNumber(object, key);
  if (!millis.has_value() || *millis < 0 || *millis > kMaxDurationMillis) return std::nullopt;
  return absl::Milliseconds(*millis);
}

std::optional<int32_t> GetInt32(const json::Struct& object, absl::string_view key) {
  std::optional<int64_t> value = json::GetInt(object, key);
  if (!value.has_value() || *value < INT32_MIN || *value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*value);
}

std::optional<v1::Cost> GetCost(const json::Struct& object, absl::string_view key,
                                absl::string_view unit) {
  std::optional<double> amount = json::GetNumber(object, key);
  if (!amount.has_value()) return std::nullopt;
  v1::Cost cost;
  cost.set_amount(*amount);
  cost.set_unit(std::string(unit));
  return cost;
}

std::string TagText(const json::Value& value) {
  if (json::IsNull(&value)) return "";
  std::optional<std::string> scalar = json::ScalarToString(value);
  if (scalar.has_value()) return *scalar;
  return json::ToJson(value);
}

void CopyTags(const json::Struct* map, google::protobuf::Map<std::string, std::string>* tags) {
  if (map == nullptr) return;
  for (const auto& [key, value] : map->fields()) (*tags)[key] = TagText(value);
}

ListedJobs NormalizeListedJobs(const json::ListValue& items, v1::JobView view,
                               absl::StatusOr<v1::Job> (*normalize)(const json::Struct& job,
                                                                    v1::JobView view)) {
  ListedJobs out;
  out.jobs.reserve(items.values_size());
  for (const json::Value& item : items.values()) {
    if (item.kind_case() != json::Value::kStructValue) {
      ++out.skipped;
      continue;
    }
    absl::StatusOr<v1::Job> job = normalize(item.struct_value(), view);
    if (!job.ok()) {
      ++out.skipped;
      continue;
    }
    out.jobs.push_back(*std::move(job));
  }
  return out;
}

}  // namespace jobfacade
