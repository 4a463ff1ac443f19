// Routing, list paging and the cancel/delete safety rules, shared by every vendor.
#include "service/job_operations.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "service/names.h"

namespace jobfacade {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

std::string StateName(v1::Job::State state) { return v1::Job::State_Name(state); }

ErrorDetails VendorDetails(absl::string_view vendor) {
  ErrorDetails d;
  d.vendor = std::string(vendor);
  return d;
}

}  // namespace

CallContext RpcContext::ForVendor(absl::string_view vendor) const {
  CallContext ctx;
  ctx.deadline = deadline;
  ctx.cancellation = cancellation;
  if (auto it = caller_keys.find(vendor); it != caller_keys.end()) ctx.caller_key = it->second;
  return ctx;
}

absl::StatusOr<int> EffectivePageSize(int requested) {
  if (requested < 0) {
    return InvalidArgument(reason::kInvalidPageSize, "page_size",
                           "page_size must not be negative");
  }
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

bool IsTerminal(v1::Job::State state) {
  return state == v1::Job::CANCELLED || state == v1::Job::COMPLETED ||
         state == v1::Job::FAILED;
}

JobOperations::JobOperations(AdapterMap adapters, std::string page_token_key)
    : adapters_(std::move(adapters)), page_tokens_(std::move(page_token_key)) {}

std::vector<std::string> JobOperations::ConfiguredVendors() const {
  std::vector<std::string> out;
  for (const auto& [vendor, adapter] : adapters_) out.push_back(vendor);
  return out;
}

absl::StatusOr<VendorAdapter*> JobOperations::AdapterFor(absl::string_view vendor) const {
  auto it = adapters_.find(vendor);
  if (it == adapters_.end()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kVendorNotConfigured,
                     absl::StrCat("vendor ", vendor, " is not configured on this server"),
                     VendorDetails(vendor));
  }
  return it->second.get();
}

void JobOperations::GetJob(const RpcContext& ctx, const v1::GetJobRequest& request,
                           Callback<v1::Job> done) {
  auto name = ParseJobName(request.name());
  if (!name.ok()) return std::move(done)(name.status());
  auto adapter = AdapterFor(name->vendor);
  if (!adapter.ok()) return std::move(done)(adapter.status());
  const v1::JobView view =
      request.view() == v1::JOB_VIEW_FULL ? v1::JOB_VIEW_FULL : v1::JOB_VIEW_BASIC;
  (*adapter)->GetJob(ctx.ForVendor(name->vendor), name->job_id, view, std::move(done));
}

void JobOperations::CancelJob(const RpcContext& ctx, const v1::CancelJobRequest& request,
                              Callback<v1::Job> done) {
  auto name = ParseJobName(request.name());
  if (!name.ok()) return std::move(done)(name.status());
  auto adapter_or = AdapterFor(name->vendor);
  if (!adapter_or.ok()) return std::move(done)(adapter_or.status());
  VendorAdapter* adapter = *adapter_or;
  CallContext call = ctx.ForVendor(name->vendor);
  // Read the state first: a finished job is never sent a cancel, whatever the vendor would do.
  adapter->GetJob(
      call, name->job_id, v1::JOB_VIEW_BASIC,
      [adapter, call, id = name->job_id, vendor = name->vendor,
       done = std::move(done)](absl::StatusOr<v1::Job> job) mutable {
        if (!job.ok()) return std::move(done)(job.status());
        switch (job->state()) {
          case v1::Job::CANCELLING:
          case v1::Job::CANCELLED:
            return std::move(done)(*std::move(job));
          case v1::Job::COMPLETED:
          case v1::Job::FAILED:
            return std::move(done)(MakeError(
                absl::StatusCode::kFailedPrecondition, reason::kJobAlreadyTerminal,
                absl::StrCat("job is already ", StateName(job->state()),
                             "; a finished job cannot be cancelled"),
                VendorDetails(vendor)));
          default:
            break;
        }
        adapter->CancelJob(
            call, id,
            [adapter, call, id, done = std::move(done)](absl::Status cancelled) mutable {
              if (!cancelled.ok()) return std::move(done)(cancelled);
              adapter->GetJob(call, id, v1::JOB_VIEW_BASIC, std::move(done));
            });
      });
}

void JobOperations::DeleteJob(const RpcContext& ctx, const v1::DeleteJobRequest& request,
                              StatusCallback done) {
  auto name = ParseJobName(request.name());
  if (!name.ok()) return std::move(done)(name.status());
  auto adapter_or = AdapterFor(name->vendor);
  if (!adapter_or.ok()) return std::move(done)(adapter_or.status());
  VendorAdapter* adapter = *adapter_or;
  CallContext call = ctx.ForVendor(name->vendor);
  // Only a finished job may be deleted; delete never cancels.
  adapter->GetJob(call, name->job_id, v1::JOB_VIEW_BASIC,
                  [adapter, call, id = name->job_id, vendor = name->vendor,
                   done = std::move(done)](absl::StatusOr<v1::Job> job) mutable {
                    if (!job.ok()) return std::move(done)(job.status());
                    if (!IsTerminal(job->state())) {
                      return std::move(done)(MakeError(
                          absl::StatusCode::kFailedPrecondition, reason::kJobNotTerminal,
                          absl::StrCat("job is ", StateName(job->state()),
                                       "; only a finished job can be deleted: cancel it first"),
                          VendorDetails(vendor)));
                    }
                    adapter->DeleteJob(call, id, std::move(done));
                  });
}

void JobOperations::ListJobs(const RpcContext& ctx, const v1::ListJobsRequest& request,
                             Callback<v1::ListJobsResponse> done) {
  auto vendor = ParseParent(request.parent());
  if (!vendor.ok()) return std::move(done)(vendor.status());
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return std::move(done)(page_size.status());
  if (!request.filter().empty()) {
    return std::move(done)(InvalidArgument(reason::kInvalidFilter, "filter",
                                           "filter is not supported by this server version"));
  }
  if (*vendor == kAllVendors) {
    return std::move(done)(MakeError(absl::StatusCode::kUnimplemented, reason::kNotImplemented,
                                     "listing vendors/- is not supported by this server "
                                     "version; list one vendor at a time"));
  }
  auto adapter_or = AdapterFor(*vendor);
  if (!adapter_or.ok()) return std::move(done)(adapter_or.status());
  const v1::JobView view =
      request.view() == v1::JOB_VIEW_FULL ? v1::JOB_VIEW_FULL : v1::JOB_VIEW_BASIC;
  ListBinding binding{request.parent(), request.filter(), static_cast<int>(view)};

  VendorPosition position{*vendor, "", 0, false};
  if (!request.page_token().empty()) {
    auto state = page_tokens_.Decode(request.page_token(), binding);
    if (!state.ok()) return std::move(done)(state.status());
    if (state->positions.size() != 1 || state->positions[0].vendor != *vendor) {
      return std::move(done)(InvalidArgument(reason::kInvalidPageToken, "page_token",
                                             "invalid page_token: malformed"));
    }
    position = state->positions[0];
  }

  // One page of ours is a slice of one vendor page. Vendor pages are always read with the
  // size the listing started with (kept in the token), since page-numbered vendors would
  // skip or repeat jobs if it changed; `skip` counts what earlier pages already served of
  // the current vendor page, so a caller may change page_size mid-listing.
  ListRequest list;
  list.page_size = *page_size;
  list.cursor = position.cursor;
  list.view = view;
  if (position.vendor_page_size > 0) list.page_size = position.vendor_page_size;
  const int vendor_page_size = list.page_size;
  (*adapter_or)
      ->ListJobs(ctx.ForVendor(*vendor), list,
                 [this, binding = std::move(binding), position, vendor_page_size,
                  want = *page_size,
                  done = std::move(done)](absl::StatusOr<ListResult> result) mutable {
                   if (!result.ok()) return std::move(done)(result.status());
                   v1::ListJobsResponse response;
                   const int64_t available = static_cast<int64_t>(result->jobs.size());
                   int64_t index = position.skip;
                   for (; index < available && response.jobs_size() < want; ++index) {
                     *response.add_jobs() = std::move(result->jobs[index]);
                   }
                   PageTokenState next{binding, {}};
                   if (index < available) {
                     next.positions.push_back(
                         {position.vendor, position.cursor, index, false, vendor_page_size});
                   } else if (!result->next_cursor.empty()) {
                     next.positions.push_back(
                         {position.vendor, result->next_cursor, 0, false, vendor_page_size});
                   }
                   if (!next.positions.empty()) {
                     response.set_next_page_token(page_tokens_.Encode(next));
                   }
                   std::move(done)(std::move(response));
                 });
}

}  // namespace jobfacade
