// Acme: a fourth vendor that exists only in tests, to prove the vendor boundary. It is
// declared, normalised and registered exactly as a real vendor would be (docs/adding-a-vendor.md),
// and nothing under service/ knows it. Its API (served by AcmeServer, acme_server.h):
//   GET    {base}/jobs/{id}                 -> {"job": JOB}
//   GET    {base}/jobs?limit&cursor&state&machine -> {"jobs": [JOB...], "cursor": "..." | null}
//   POST   {base}/jobs/{id}/stop            -> 202 {}; 409 {"error": ...} once finished
//   DELETE {base}/jobs/{id}                 -> 204 (it deletes running jobs too)
//   Authorization: Token KEY; errors are {"error": "..."}
//   JOB = {"id", "state": pending|active|done|error|stopped, "machine", "title", "created",
//          "finished", "labels": {...}, "message"}
#ifndef JOBFACADE_TESTS_FAKES_ACME_ACME_VENDOR_H_
#define JOBFACADE_TESTS_FAKES_ACME_ACME_VENDOR_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/core/json.h"
#include "adapters/core/rest_vendor.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade::acme {

inline constexpr absl::string_view kAcmeVendor = "acme";
inline constexpr int kAcmeMaxPageSize = 30;

const RestVendor& AcmeVendor();

absl::StatusOr<v1::Job> NormalizeAcmeJob(absl::string_view body, v1::JobView view);
absl::StatusOr<v1::Job> NormalizeAcmeJobObject(const json::Struct& job, v1::JobView view);

}  // namespace jobfacade::acme

#endif  // JOBFACADE_TESTS_FAKES_ACME_ACME_VENDOR_H_
