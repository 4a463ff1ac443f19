// IonQ Cloud API (v0.4, and v0.3 shapes) bodies to canonical jobs: pure
// functions.
#ifndef JOBFACADE_ADAPTERS_IONQ_IONQ_NORMALIZER_H_
#define JOBFACADE_ADAPTERS_IONQ_IONQ_NORMALIZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/json.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

inline constexpr absl::string_view kIonqVendor = "ionq";

// One page of GET /jobs.
struct IonqJobList {
  std::vector<v1::Job> jobs;  // in the vendor's order
  int skipped = 0;            // listed items without a readable id (not an object, no id)
  std::string next;           // the cursor of the next page; empty when there is none
};

// The canonical state of an IonQ status text (case-insensitive): `started` and
// v0.3's `running` are RUNNING; anything unrecognised is STATE_UNSPECIFIED.
v1::Job::State IonqState(absl::string_view status);

// GET /jobs/{id}: the job object itself. Fails with VENDOR_BAD_RESPONSE when
// the body is not a JSON object or `id` is missing.
absl::StatusOr<v1::Job> NormalizeIonqJob(absl::string_view body, v1::JobView view);

// One job object; vendor_payload is `job` itself with JOB_VIEW_FULL.
absl::StatusOr<v1::Job> NormalizeIonqJobObject(const json::Struct& job, v1::JobView view);

// GET /jobs: {"jobs":[...],"next":"<cursor>"|null}.
absl::StatusOr<IonqJobList> NormalizeIonqJobList(absl::string_view body, v1::JobView view);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_IONQ_IONQ_NORMALIZER_H_
