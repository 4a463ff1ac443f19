// CreateJob: the checks before anything is sent, and a submission made at most once per
// request_id (AIP-155) through the idempotency store, with a lost answer found again at the
// vendor instead of submitted twice.
#ifndef JOBFACADE_SERVICE_SUBMISSIONS_H_
#define JOBFACADE_SERVICE_SUBMISSIONS_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/scheduler.h"
#include "adapters/core/vendor.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"
#include "service/idempotency_store.h"

namespace jobfacade {

// Shots a quantum job may ask for.
inline constexpr int64_t kMinShots = 1;
inline constexpr int64_t kMaxShots = 1000000;

// INVALID_ARGUMENT / INVALID_JOB_SPEC (with a BadRequest naming the field) for a spec the
// vendor's rules say is wrong, UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR for a program format it
// does not take; OK otherwise.
absl::Status CheckJobSpec(const v1::JobSpec& spec, const Vendor& vendor);

// A request_id as the records keep it: a UUID (8-4-4-4-12 hex digits) in lower case, else
// INVALID_ARGUMENT / INVALID_REQUEST_ID.
absl::StatusOr<std::string> NormalizeRequestId(absl::string_view request_id);

// A random (version 4) UUID, in lower case.
std::string NewUuid();

// CreateRequest::vendor_key for a caller `identity` (CredentialIdentity): the request id itself
// for the server's configured credentials (""), else a UUID-shaped digest of both, so that
// callers with their own keys never meet in a vendor's shared key space.
std::string VendorDedupKey(absl::string_view identity, absl::string_view request_id);

struct SubmissionOptions {
  absl::Duration ttl = absl::Hours(24);  // JOBFACADE_IDEMPOTENCY_TTL
  // A lost submission is looked for among the vendor's jobs created since this long before its
  // first attempt, reading at most `lookup_max_jobs` of them.
  absl::Duration lookup_margin = absl::Minutes(1);
  int lookup_max_jobs = 500;
  // A pending record's owner holds it until its call's deadline plus this (which also covers
  // replicas whose clocks disagree by less).
  absl::Duration lease_margin = absl::Seconds(5);
  // How often a duplicate looks at the pending record it waits for: from the first delay,
  // doubling up to the last.
  absl::Duration first_poll = absl::Milliseconds(10);
  absl::Duration max_poll = absl::Milliseconds(250);
};

class Submissions {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&>;

  // `store` and `scheduler` (the duplicates' polls) must outlive every call.
  Submissions(IdempotencyStore* store, Scheduler* scheduler, const Clock& clock,
              SubmissionOptions options = {});

  // Submits `request` (already checked: CheckJobSpec, NormalizeRequestId) to `adapter` as the
  // caller `identity` (CredentialIdentity) under `parent`. With `deduplicate`, at most once per
  // request id: the store's record says whether to submit, wait for another call, or answer
  // the job an earlier call made. Without it the request id is only passed on to the vendor.
  void Create(VendorAdapter* adapter, const Vendor& vendor, const CallContext& ctx,
              const std::string& parent, const std::string& identity, CreateRequest request,
              bool deduplicate, Callback done);

 private:
  class Flow;

  IdempotencyStore* const store_;
  Scheduler* const scheduler_;
  const Clock& clock_;
  const SubmissionOptions options_;
};

// The store's key for a request id: a digest of the id, the parent and the identity.
std::string SubmissionKey(absl::string_view request_id, absl::string_view parent,
                          absl::string_view identity);
// What the request was: a digest of the parent and the spec's deterministic encoding.
std::string SubmissionFingerprint(absl::string_view parent, const v1::JobSpec& spec);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_SUBMISSIONS_H_
