// IonQ job object to v1::Job, following API.md's Job table and the traps in
// NOTES.md.
#include "adapters/ionq/ionq_normalizer.h"

#include <optional>
#include <utility>

#include "adapters/core/job_fields.h"
#include "adapters/core/status_macros.h"
#include "adapters/core/time_util.h"
#include "adapters/ionq/ionq_vendor.h"

namespace jobfacade {
namespace {

// An ISO-8601 member (v0.4) or, when that yields nothing, the v0.3
// epoch-seconds member.
std::optional<absl::Time> TimeOf(const json::Struct& job, absl::string_view iso_key,
                                 absl::string_view epoch_key) {
  std::optional<absl::Time> t = GetTimestamp(job, iso_key);
  if (!t.has_value()) t = GetEpochSeconds(job, epoch_key);
  return t;
}

}  // namespace

v1::Job::State IonqState(absl::string_view status) { return IonqVendor().StateOf(status); }

absl::StatusOr<v1::Job> NormalizeIonqJobObject(const json::Struct& job, v1::JobView view) {
  std::optional<std::string> id = json::GetString(job, "id");
  if (!id.has_value() || id->empty()) return BadVendorResponse(kIonqVendor, "job has no id");
  v1::Job out;
  out.set_name(JobName(kIonqVendor, *id));
  out.set_vendor(std::string(kIonqVendor));
  out.set_vendor_job_id(*id);
  out.set_provider(std::string(kIonqVendor));
  // v0.3 called the backend `target`.
  std::optional<std::string> backend = json::GetString(job, "backend");
  if (!backend.has_value()) backend = json::GetString(job, "target");
  out.set_device(backend.value_or(""));
  out.set_display_name(StringOr(job, "name"));
  const std::string status = StringOr(job, "status");
  out.set_state(IonqState(status));
  out.set_vendor_state(status);
  if (const json::Struct* failure = json::GetObject(job, "failure")) {
    // Older payloads carry the text in `error` instead of `message`.
    std::optional<std::string> message = json::GetString(*failure, "message");
    if (!message.has_value()) message = json::GetString(*failure, "error");
    out.set_state_message(message.value_or(""));
    out.set_failure_code(StringOr(*failure, "code"));
  }
  out.set_job_type(StringOr(job, "type"));
  out.set_shots(json::GetInt(job, "shots").value_or(0));
  if (auto t = TimeOf(job, "submitted_at", "request")) {
    *out.mutable_create_time() = ToProtoTimestamp(*t);
  }
  if (auto t = TimeOf(job, "started_at", "start")) {
    *out.mutable_start_time() = ToProtoTimestamp(*t);
  }
  if (auto t = TimeOf(job, "completed_at", "response")) {
    *out.mutable_end_time() = ToProtoTimestamp(*t);
  }
  if (auto duration = GetMilliseconds(job, "execution_duration_ms")) {
    *out.mutable_execution_duration() = ToProtoDuration(*duration);
  }
  CopyTags(json::GetObject(job, "metadata"), out.mutable_tags());
  out.set_batch_id(StringOr(job, "parent_job_id"));
  // `results` has two shapes and is never read here: its content cannot fail a
  // job.
  if (view == v1::JOB_VIEW_FULL) *out.mutable_vendor_payload() = job;
  return out;
}

absl::StatusOr<v1::Job> NormalizeIonqJob(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct job, ParseVendorObject(kIonqVendor, body));
  // The whole document becomes vendor_payload: moved, not copied.
  absl::StatusOr<v1::Job> out = NormalizeIonqJobObject(job, v1::JOB_VIEW_BASIC);
  if (out.ok() && view == v1::JOB_VIEW_FULL) *out->mutable_vendor_payload() = std::move(job);
  return out;
}

absl::StatusOr<IonqJobList> NormalizeIonqJobList(absl::string_view body, v1::JobView view) {
  JF_ASSIGN_OR_RETURN(json::Struct root, ParseVendorObject(kIonqVendor, body));
  const json::ListValue* jobs = json::GetList(root, "jobs");
  if (jobs == nullptr) return BadVendorResponse(kIonqVendor, "jobs is not a list");
  IonqJobList list;
  ListedJobs listed = NormalizeListedJobs(*jobs, view, &NormalizeIonqJobObject);
  list.jobs = std::move(listed.jobs);
  list.skipped = listed.skipped;
  list.next = StringOr(root, "next");  // null, absent and "" all mean the last page
  return list;
}

}  // namespace jobfacade
