// PraisonAI request glue: GET/DELETE /api/v1/runs/{id}, GET
// /api/v1/runs?page&page_size, POST /api/v1/runs/{id}/cancel. Never a trailing
// slash: the server redirects those.
#include "adapters/praisonai/praisonai_adapter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/http_errors.h"
#include "adapters/core/vendor_request.h"
#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/praisonai/praisonai_vendor.h"

namespace jobfacade {
namespace {

constexpr absl::string_view kRunsPath = "/api/v1/runs";

}  // namespace

PraisonaiAdapter::PraisonaiAdapter(http::HttpClient* engine, VendorConfig config)
    : engine_(engine), config_(std::move(config)) {}

absl::string_view PraisonaiAdapter::vendor() const { return kPraisonaiVendor; }

http::Request PraisonaiAdapter::NewRequest(const CallContext& ctx, absl::string_view method,
                                           std::string url) const {
  http::Request request = NewVendorRequest(ctx, method, std::move(url));
  // A loopback server without a key wants no Authorization header at all.
  AddAuthHeader(PraisonaiVendor().spec().auth, EffectiveKey(ctx, config_), &request);
  return request;
}

std::string PraisonaiAdapter::JobUrl(absl::string_view job_id) const {
  return absl::StrCat(config_.base_url, kRunsPath, "/", PercentEncodePathSegment(job_id));
}

void PraisonaiAdapter::GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
                              Callback<v1::Job> done) {
  if (absl::Status bad = CheckJobId(kPraisonaiVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "GET", JobUrl(job_id)),
                [call = MakeVendorCall(kPraisonaiVendor, VendorOperation::kGet, ctx, config_), view,
                 done = std::move(done)](http::Response response) mutable {
                  if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
                    return std::move(done)(error);
                  }
                  std::move(done)(
                      WithHttpStatus(NormalizePraisonaiJob(response.body, view), response.status));
                });
}

void PraisonaiAdapter::ListJobs(const CallContext& ctx, const ListRequest& request,
                                Callback<ListResult> done) {
  absl::StatusOr<int64_t> page = ParsePageCursor(request.cursor);
  if (!page.ok()) return std::move(done)(page.status());
  const int page_size = VendorPageSize(request.page_size, kMaxPageSize);
  std::string url =
      absl::StrCat(config_.base_url, kRunsPath, "?page=", *page, "&page_size=", page_size);
  AppendQueryParams(request.filter, &url);
  engine_->Send(NewRequest(ctx, "GET", std::move(url)),
                [call = MakeVendorCall(kPraisonaiVendor, VendorOperation::kList, ctx, config_),
                 page_number = *page, page_size, view = request.view,
                 done = std::move(done)](http::Response response) mutable {
                  if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
                    return std::move(done)(error);
                  }
                  absl::StatusOr<PraisonaiJobList> list = WithHttpStatus(
                      NormalizePraisonaiJobList(response.body, view), response.status);
                  if (!list.ok()) return std::move(done)(list.status());
                  ListResult result;
                  const int listed = static_cast<int>(list->jobs.size()) + list->skipped;
                  // Pages are counted in the size we asked for; the next
                  // request asks for the same. Without a total, only a full
                  // page can have a successor.
                  const bool more = list->total.has_value() ? page_number * page_size < *list->total
                                                            : listed >= page_size;
                  if (more && listed > 0) result.next_cursor = absl::StrCat(page_number + 1);
                  result.jobs = std::move(list->jobs);
                  result.skipped = list->skipped;
                  std::move(done)(std::move(result));
                });
}

void PraisonaiAdapter::CancelJob(const CallContext& ctx, absl::string_view job_id,
                                 StatusCallback done) {
  if (absl::Status bad = CheckJobId(kPraisonaiVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "POST", absl::StrCat(JobUrl(job_id), "/cancel")),
                [call = MakeVendorCall(kPraisonaiVendor, VendorOperation::kCancel, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  std::move(done)(CheckVendorResponse(call, response));
                });
}

void PraisonaiAdapter::DeleteJob(const CallContext& ctx, absl::string_view job_id,
                                 StatusCallback done) {
  if (absl::Status bad = CheckJobId(kPraisonaiVendor, job_id); !bad.ok()) {
    return std::move(done)(bad);
  }
  engine_->Send(NewRequest(ctx, "DELETE", JobUrl(job_id)),
                [call = MakeVendorCall(kPraisonaiVendor, VendorOperation::kDelete, ctx, config_),
                 done = std::move(done)](http::Response response) mutable {
                  std::move(done)(CheckVendorResponse(call, response));
                });
}

}  // namespace jobfacade
