// IonQ request glue: GET/DELETE /jobs/{id}, GET /jobs?limit&next&status&target, PUT
// /jobs/{id}/status/cancel.
#include "adapters/ionq/ionq_adapter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/vendor_request.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/ionq/ionq_vendor.h"

namespace jobfacade {

IonqAdapter::IonqAdapter(http::HttpClient* engine, VendorConfig config)
    : engine_(engine), config_(std::move(config)) {}

absl::string_view IonqAdapter::vendor() const { return kIonqVendor; }

http::Request IonqAdapter::NewRequest(const CallContext& ctx, absl::string_view method,
                                      std::string url) const {
  http::Request request = NewVendorRequest(ctx, method, std::move(url));
  AddAuthHeader(IonqVendor().spec().auth, EffectiveKey(ctx, config_), &request);
  return request;
}

std::string IonqAdapter::JobUrl(absl::string_view job_id) const {
  return absl::StrCat(config_.base_url, "/jobs/", PercentEncodePathSegment(job_id));
}

void IonqAdapter::GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
                         Callback<v1::Job> done) {
  if (absl::Status bad = CheckJobId(kIonqVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(
      NewRequest(ctx, "GET", JobUrl(job_id)),
      [call = MakeVendorCall(kIonqVendor, VendorOperation::kGet, ctx, config_), view,
       done = std::move(done)](http::Response response) mutable {
        if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
          return std::move(done)(error);
        }
        std::move(done)(WithHttpStatus(NormalizeIonqJob(response.body, view), response.status));
      });
}

void IonqAdapter::ListJobs(const CallContext& ctx, const ListRequest& request,
                           Callback<ListResult> done) {
  std::string url = absl::StrCat(config_.base_url,
                                 "/jobs?limit=", VendorPageSize(request.page_size, kMaxPageSize));
  if (!request.cursor.empty()) {
    absl::StrAppend(&url, "&next=", PercentEncodeQueryValue(request.cursor));
  }
  AppendQueryParams(request.filter, &url);
  engine_->Send(NewRequest(ctx, "GET", std::move(url)),
                [call = MakeVendorCall(kIonqVendor, VendorOperation::kList, ctx, config_),
                 cursor = request.cursor, view = request.view,
                 done = std::move(done)](http::Response response) mutable {
                  if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
                    return std::move(done)(error);
                  }
                  absl::StatusOr<IonqJobList> list =
                      WithHttpStatus(NormalizeIonqJobList(response.body, view), response.status);
                  if (!list.ok()) return std::move(done)(list.status());
                  ListResult result;
                  // A cursor that points back at the page just read would repeat it
                  // forever.
                  if (list->next != cursor) result.next_cursor = std::move(list->next);
                  result.jobs = std::move(list->jobs);
                  result.skipped = list->skipped;
                  std::move(done)(std::move(result));
                });
}

void IonqAdapter::CancelJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) {
  if (absl::Status bad = CheckJobId(kIonqVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "PUT", absl::StrCat(JobUrl(job_id), "/status/cancel")),
                [call = MakeVendorCall(kIonqVendor, VendorOperation::kCancel, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  std::move(done)(CheckVendorResponse(call, response));
                });
}

void IonqAdapter::DeleteJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) {
  if (absl::Status bad = CheckJobId(kIonqVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "DELETE", JobUrl(job_id)),
                [call = MakeVendorCall(kIonqVendor, VendorOperation::kDelete, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  std::move(done)(CheckVendorResponse(call, response));
                });
}

}  // namespace jobfacade
