// PraisonAI async runs API bodies to canonical jobs: pure functions.
#ifndef JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_NORMALIZER_H_
#define JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_NORMALIZER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/json.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

inline constexpr absl::string_view kPraisonaiVendor = "praisonai";

// Every PraisonAI job is an agent run.
inline constexpr absl::string_view kPraisonaiJobType = "agent_run";

// One page of GET /api/v1/runs.
struct PraisonaiJobList {
  std::vector<v1::Job> jobs;         // in the vendor's order (newest first)
  int skipped = 0;                   // listed items without a readable id (not an object, no id)
  std::optional<int64_t> total;      // jobs matching the query, over all pages
  std::optional<int64_t> page;       // this page's number, from 1
  std::optional<int64_t> page_size;  // the page size the server applied
};

// The canonical state of a PraisonAI status text (case-insensitive);
// STATE_UNSPECIFIED for anything unrecognised.
v1::Job::State PraisonaiState(absl::string_view status);

// GET /api/v1/runs/{id}: the status object. Fails with VENDOR_BAD_RESPONSE when
// the body is not a JSON object or `job_id` is missing.
absl::StatusOr<v1::Job> NormalizePraisonaiJob(absl::string_view body, v1::JobView view);

// One status object; vendor_payload is `job` itself with JOB_VIEW_FULL.
absl::StatusOr<v1::Job> NormalizePraisonaiJobObject(const json::Struct& job, v1::JobView view);

// GET /api/v1/runs: {"jobs":[...],"total","page","page_size"}.
absl::StatusOr<PraisonaiJobList> NormalizePraisonaiJobList(absl::string_view body,
                                                           v1::JobView view);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_PRAISONAI_PRAISONAI_NORMALIZER_H_
