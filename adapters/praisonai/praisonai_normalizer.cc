// PraisonAI status object to v1::Job, following API.md's Job table and the
// traps in NOTES.md.
#include "adapters/praisonai/praisonai_normalizer.h"

#include <string>
#include <utility>

#include "adapters/core/job_fields.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/time_util.h"
#include "adapters/praisonai/praisonai_vendor.h"

namespace jobfacade {

v1::Job::State PraisonaiState(absl::string_view status) {
  return PraisonaiVendor().StateOf(status);
}

absl::StatusOr<v1::Job> NormalizePraisonaiJobObject(const json::Struct& job, v1::JobView view) {
  std::optional<std::string> id = json::GetString(job, "job_id");
  if (!id.has_value() || id->empty()) {
    return BadVendorResponse(kPraisonaiVendor, "job has no job_id");
  }
  v1::Job out;
  out.set_name(JobName(kPraisonaiVendor, *id));
  out.set_vendor(std::string(kPraisonaiVendor));
  out.set_vendor_job_id(*id);
  out.set_provider(std::string(kPraisonaiVendor));
  out.set_device(StringOr(job, "agent_id"));
  const std::string status = StringOr(job, "status");
  out.set_state(PraisonaiState(status));
  out.set_vendor_state(status);
  out.set_state_message(StringOr(job, "error"));
  out.set_job_type(std::string(kPraisonaiJobType));
  if (auto t = GetTimestamp(job, "created_at")) {
    *out.mutable_create_time() = ToProtoTimestamp(*t);
  }
  if (auto t = GetTimestamp(job, "started_at")) *out.mutable_start_time() = ToProtoTimestamp(*t);
  if (auto t = GetTimestamp(job, "completed_at")) *out.mutable_end_time() = ToProtoTimestamp(*t);
  if (view == v1::JOB_VIEW_FULL) *out.mutable_vendor_payload() = job;
  return out;
}

absl::StatusOr<v1::Job> NormalizePraisonaiJob(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct job, ParseVendorObject(kPraisonaiVendor, body));
  // The whole document becomes vendor_payload: moved, not copied.
  absl::StatusOr<v1::Job> out = NormalizePraisonaiJobObject(job, v1::JOB_VIEW_BASIC);
  if (out.ok() && view == v1::JOB_VIEW_FULL) *out->mutable_vendor_payload() = std::move(job);
  return out;
}

absl::StatusOr<PraisonaiJobList> NormalizePraisonaiJobList(absl::string_view body,
                                                           v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kPraisonaiVendor, body));
  const json::ListValue* jobs = json::GetList(root, "jobs");
  if (jobs == nullptr) return BadVendorResponse(kPraisonaiVendor, "jobs is not a list");
  PraisonaiJobList list;
  ListedJobs listed = NormalizeListedJobs(*jobs, view, &NormalizePraisonaiJobObject);
  list.jobs = std::move(listed.jobs);
  list.skipped = listed.skipped;
  list.total = json::GetInt(root, "total");
  list.page = json::GetInt(root, "page");
  list.page_size = json::GetInt(root, "page_size");
  return list;
}

}  // namespace jobfacade
