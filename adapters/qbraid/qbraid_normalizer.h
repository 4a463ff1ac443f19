// qBraid Runtime API v2 bodies to canonical jobs and results: pure functions from bytes to
// v1::Job and v1::JobResult.
#ifndef JOBFACADE_ADAPTERS_QBRAID_QBRAID_NORMALIZER_H_
#define JOBFACADE_ADAPTERS_QBRAID_QBRAID_NORMALIZER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/json.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

inline constexpr absl::string_view kQbraidVendor = "qbraid";

// One page of GET /jobs.
struct QbraidJobList {
  std::vector<v1::Job> jobs;  // in the vendor's order
  int skipped = 0;            // listed items without a readable id (not an object, no id)
  bool has_next = false;      // pagination.hasNext, or page < totalPages when it is absent
};

// The canonical state of a qBraid status text (case-insensitive);
// STATE_UNSPECIFIED for UNKNOWN and anything unrecognised.
v1::Job::State QbraidState(absl::string_view status);

// GET /jobs/{qrn}: {"success":true,"data":RuntimeJob}. Fails with
// VENDOR_BAD_RESPONSE when the body is not JSON, `success` is not true, `data`
// is not an object, or jobQrn is missing.
absl::StatusOr<v1::Job> NormalizeQbraidJob(absl::string_view body, v1::JobView view);

// One RuntimeJob object; vendor_payload is `job` itself with JOB_VIEW_FULL.
absl::StatusOr<v1::Job> NormalizeQbraidJobObject(const json::Struct& job, v1::JobView view);

// GET /jobs: {"success":true,"data":[RuntimeJob...],"pagination":{...}}.
absl::StatusOr<QbraidJobList> NormalizeQbraidJobList(absl::string_view body, v1::JobView view);

// GET /jobs/{qrn}/result of `job`: {"success":true,"data":{status, cost, timeStamps,
// resultData:{measurementCounts:{bitstring: count}}}}. The counts keep qBraid's keys (their
// bit order is the provider's), shots is their sum, the cost is `cost` (a number or a decimal
// string; unset when neither) and vendor_payload is `data` with JOB_VIEW_FULL. A batch result
// (`data.results`) is UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR; no counts, or a count that is not
// a whole number >= 0, is VENDOR_BAD_RESPONSE.
absl::StatusOr<v1::JobResult> NormalizeQbraidResult(absl::string_view body, const v1::Job& job,
                                                    v1::JobView view);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_QBRAID_QBRAID_NORMALIZER_H_
