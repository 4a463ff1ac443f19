// qBraid RuntimeJob to v1::Job, following API.md's Job table and the traps in
// NOTES.md, and a job's result to v1::JobResult.
#include "adapters/qbraid/qbraid_normalizer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/time_util.h"
#include "adapters/qbraid/qbraid_vendor.h"

namespace jobfacade {
namespace {

// Cost and estimated cost are in qBraid credits (100 credits = 1 USD).
constexpr absl::string_view kCreditsUnit = "credits";

// Checks the {"success":true,...} envelope and returns the whole document.
absl::StatusOr<json::Struct> ParseEnvelope(absl::string_view body) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kQbraidVendor, body));
  std::optional<bool> success = json::GetBool(root, "success");
  if (!success.has_value()) return BadVendorResponse(kQbraidVendor, "no success flag");
  if (!*success) return BadVendorResponse(kQbraidVendor, "success is false");
  return root;
}

// A measurement count: a whole JSON number >= 0 that fits an int64. A count qBraid wrote as
// 12.5 or -1 is no count at all, and guessing one would make the shots add up wrong.
std::optional<int64_t> ShotCount(const json::Value& value) {
  if (value.kind_case() != json::Value::kNumberValue) return std::nullopt;
  const double d = value.number_value();
  // 2^63 is exactly representable; anything at or beyond it does not fit.
  if (!std::isfinite(d) || d < 0 || std::trunc(d) != d || d >= 9223372036854775808.0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(d);
}

}  // namespace

v1::Job::State QbraidState(absl::string_view status) { return QbraidVendor().StateOf(status); }

absl::StatusOr<v1::Job> NormalizeQbraidJobObject(const json::Struct& job, v1::JobView view) {
  std::optional<std::string> qrn = json::GetString(job, "jobQrn");
  if (!qrn.has_value() || qrn->empty()) {
    return BadVendorResponse(kQbraidVendor, "job has no jobQrn");
  }
  v1::Job out;
  out.set_name(JobName(kQbraidVendor, *qrn));
  out.set_vendor(std::string(kQbraidVendor));
  out.set_vendor_job_id(*qrn);
  out.set_provider(NameOf(json::Find(job, "provider"), {"provider", "name"}).value_or(""));
  out.set_device(StringOr(job, "deviceQrn"));
  out.set_display_name(StringOr(job, "name"));
  const std::string status = StringOr(job, "status");
  out.set_state(QbraidState(status));
  out.set_vendor_state(status);
  out.set_state_message(StringOr(job, "statusMsg"));
  out.set_job_type(StringOr(job, "experimentType"));
  out.set_shots(json::GetInt(job, "shots").value_or(0));

  std::optional<absl::Time> created;
  if (const json::Struct* stamps = json::GetObject(job, "timeStamps")) {
    created = GetTimestamp(*stamps, "createdAt");
    if (auto ended = GetTimestamp(*stamps, "endedAt")) {
      *out.mutable_end_time() = ToProtoTimestamp(*ended);
    }
    if (auto duration = GetMilliseconds(*stamps, "executionDuration")) {
      *out.mutable_execution_duration() = ToProtoDuration(*duration);
    }
  }
  // A job still initializing has timeStamps null, but its record's own
  // createdAt exists; without a create_time the job could not be placed in a
  // merged listing.
  if (!created.has_value()) created = GetTimestamp(job, "createdAt");
  if (created.has_value()) *out.mutable_create_time() = ToProtoTimestamp(*created);

  if (auto position = GetInt32(job, "queuePosition")) out.set_queue_position(*position);
  if (auto cost = GetCost(job, "cost", kCreditsUnit)) *out.mutable_cost() = *cost;
  if (auto estimate = GetCost(job, "estimatedCost", kCreditsUnit)) {
    *out.mutable_estimated_cost() = *estimate;
  }
  CopyTags(json::GetObject(job, "tags"), out.mutable_tags());
  // The batch field was renamed batchJobQrn -> groupJobQrn; the new name wins.
  std::optional<std::string> batch = json::GetString(job, "groupJobQrn");
  if (!batch.has_value() || batch->empty()) batch = json::GetString(job, "batchJobQrn");
  out.set_batch_id(batch.value_or(""));
  if (view == v1::JOB_VIEW_FULL) *out.mutable_vendor_payload() = job;
  return out;
}

absl::StatusOr<v1::Job> NormalizeQbraidJob(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseEnvelope(body));
  const json::Struct* data = json::GetObject(root, "data");
  if (data == nullptr) return BadVendorResponse(kQbraidVendor, "data is not an object");
  // The job object becomes vendor_payload: moved, not copied.
  absl::StatusOr<v1::Job> out = NormalizeQbraidJobObject(*data, v1::JOB_VIEW_BASIC);
  if (out.ok() && view == v1::JOB_VIEW_FULL) {
    *out->mutable_vendor_payload() =
        std::move(*(*root.mutable_fields())["data"].mutable_struct_value());
  }
  return out;
}

absl::StatusOr<QbraidJobList> NormalizeQbraidJobList(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseEnvelope(body));
  const json::ListValue* data = json::GetList(root, "data");
  if (data == nullptr) return BadVendorResponse(kQbraidVendor, "data is not a list");
  QbraidJobList list;
  ListedJobs listed = NormalizeListedJobs(*data, view, &NormalizeQbraidJobObject);
  list.jobs = std::move(listed.jobs);
  list.skipped = listed.skipped;
  if (const json::Struct* pagination = json::GetObject(root, "pagination")) {
    std::optional<bool> has_next = json::GetBool(*pagination, "hasNext");
    if (has_next.has_value()) {
      list.has_next = *has_next;
    } else {
      std::optional<int64_t> page = json::GetInt(*pagination, "page");
      std::optional<int64_t> total_pages = json::GetInt(*pagination, "totalPages");
      list.has_next = page.has_value() && total_pages.has_value() && *page < *total_pages;
    }
  }
  return list;
}

absl::StatusOr<v1::JobResult> NormalizeQbraidResult(absl::string_view body, const v1::Job& job,
                                                    v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseEnvelope(body));
  const json::Struct* data = json::GetObject(root, "data");
  if (data == nullptr) return BadVendorResponse(kQbraidVendor, "data is not an object");
  if (const json::ListValue* results = json::GetList(*data, "results")) {
    ErrorDetails details;
    details.vendor = std::string(kQbraidVendor);
    return MakeError(absl::StatusCode::kUnimplemented, reason::kUnsupportedByVendor,
                     absl::StrCat(kQbraidVendor, ": results of batch jobs (",
                                  results->values_size(), " circuits) are not supported yet"),
                     details);
  }
  const json::Struct* result_data = json::GetObject(*data, "resultData");
  if (result_data == nullptr) return BadVendorResponse(kQbraidVendor, "no resultData object");
  const json::Struct* counts = json::GetObject(*result_data, "measurementCounts");
  if (counts == nullptr) return BadVendorResponse(kQbraidVendor, "no measurementCounts object");

  v1::JobResult out;
  out.set_name(job.name());
  out.set_state(job.state());
  v1::QuantumResult* quantum = out.mutable_quantum();
  int64_t shots = 0;
  for (const auto& [bits, value] : counts->fields()) {
    std::optional<int64_t> count = ShotCount(value);
    if (!count.has_value()) {
      return BadVendorResponse(kQbraidVendor, "a measurement count is not a whole number >= 0");
    }
    if (*count > std::numeric_limits<int64_t>::max() - shots) {
      return BadVendorResponse(kQbraidVendor, "the measurement counts overflow");
    }
    shots += *count;
    (*quantum->mutable_counts())[bits] = *count;
  }
  quantum->set_shots(shots);
  if (auto cost = GetCost(*data, "cost", kCreditsUnit)) *out.mutable_cost() = *cost;
  if (view == v1::JOB_VIEW_FULL) {
    *out.mutable_vendor_payload() =
        std::move(*(*root.mutable_fields())["data"].mutable_struct_value());
  }
  return out;
}

}  // namespace jobfacade
