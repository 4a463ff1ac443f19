// qBraid request glue: GET/DELETE /jobs/{qrn}, GET /jobs?page&limit&status&provider&search&tags,
// POST /jobs/{qrn}/cancel.
#include "adapters/qbraid/qbraid_adapter.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/job_fields.h"
#include "adapters/core/json.h"
#include "adapters/core/vendor_request.h"
#include "adapters/qbraid/qbraid_normalizer.h"
#include "adapters/qbraid/qbraid_vendor.h"

namespace jobfacade {
namespace {

// A 2xx cancel or delete still fails when its JSON envelope says success:false.
// A body that is not JSON is accepted: the service reads the job again to see
// the effect.
absl::Status CheckSuccessEnvelope(absl::string_view body) {
  absl::StatusOr<json::Value> parsed = json::Parse(ToValidUtf8(body));
  if (!parsed.ok() || parsed->kind_case() != json::Value::kStructValue) {
    return absl::OkStatus();
  }
  std::optional<bool> success = json::GetBool(parsed->struct_value(), "success");
  if (success.has_value() && !*success) {
    return BadVendorResponse(kQbraidVendor, "success is false");
  }
  return absl::OkStatus();
}

}  // namespace

QbraidAdapter::QbraidAdapter(http::HttpClient* engine, VendorConfig config)
    : engine_(engine), config_(std::move(config)) {}

absl::string_view QbraidAdapter::vendor() const { return kQbraidVendor; }

http::Request QbraidAdapter::NewRequest(const CallContext& ctx, absl::string_view method,
                                        std::string url) const {
  http::Request request = NewVendorRequest(ctx, method, std::move(url));
  AddAuthHeader(QbraidVendor().spec().auth, EffectiveKey(ctx, config_), &request);
  return request;
}

std::string QbraidAdapter::JobUrl(absl::string_view job_id) const {
  return absl::StrCat(config_.base_url, "/jobs/", PercentEncodePathSegment(job_id));
}

void QbraidAdapter::GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
                           Callback<v1::Job> done) {
  if (absl::Status bad = CheckJobId(kQbraidVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(
      NewRequest(ctx, "GET", JobUrl(job_id)),
      [call = MakeVendorCall(kQbraidVendor, VendorOperation::kGet, ctx, config_), view,
       done = std::move(done)](http::Response response) mutable {
        if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
          return std::move(done)(error);
        }
        std::move(done)(WithHttpStatus(NormalizeQbraidJob(response.body, view), response.status));
      });
}

void QbraidAdapter::ListJobs(const CallContext& ctx, const ListRequest& request,
                             Callback<ListResult> done) {
  absl::StatusOr<int64_t> page = ParsePageCursor(request.cursor);
  if (!page.ok()) return std::move(done)(page.status());
  std::string url = absl::StrCat(config_.base_url, "/jobs?page=", *page,
                                 "&limit=", VendorPageSize(request.page_size, kMaxPageSize));
  AppendQueryParams(request.filter, &url);
  engine_->Send(NewRequest(ctx, "GET", std::move(url)),
                [call = MakeVendorCall(kQbraidVendor, VendorOperation::kList, ctx, config_),
                 page_number = *page, view = request.view,
                 done = std::move(done)](http::Response response) mutable {
                  if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
                    return std::move(done)(error);
                  }
                  absl::StatusOr<QbraidJobList> list =
                      WithHttpStatus(NormalizeQbraidJobList(response.body, view), response.status);
                  if (!list.ok()) return std::move(done)(list.status());
                  ListResult result;
                  // An empty page never has a successor, whatever hasNext says:
                  // that keeps a confused vendor from sending the listing round
                  // forever.
                  if (list->has_next && list->jobs.size() + list->skipped > 0) {
                    result.next_cursor = absl::StrCat(page_number + 1);
                  }
                  result.jobs = std::move(list->jobs);
                  result.skipped = list->skipped;
                  std::move(done)(std::move(result));
                });
}

void QbraidAdapter::CancelJob(const CallContext& ctx, absl::string_view job_id,
                              StatusCallback done) {
  if (absl::Status bad = CheckJobId(kQbraidVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "POST", absl::StrCat(JobUrl(job_id), "/cancel")),
                [call = MakeVendorCall(kQbraidVendor, VendorOperation::kCancel, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  absl::Status status = CheckVendorResponse(call, response);
                  if (status.ok())
                    status = WithHttpStatus(CheckSuccessEnvelope(response.body), response.status);
                  std::move(done)(status);
                });
}

void QbraidAdapter::DeleteJob(const CallContext& ctx, absl::string_view job_id,
                              StatusCallback done) {
  if (absl::Status bad = CheckJobId(kQbraidVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "DELETE", JobUrl(job_id)),
                [call = MakeVendorCall(kQbraidVendor, VendorOperation::kDelete, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  absl::Status status = CheckVendorResponse(call, response);
                  if (status.ok())
                    status = WithHttpStatus(CheckSuccessEnvelope(response.body), response.status);
                  std::move(done)(status);
                });
}

}  // namespace jobfacade
