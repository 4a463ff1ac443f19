// The service's core: routes calls to vendor adapters and enforces the contract's rules
// (page sizes, page tokens, never cancel a finished job, never delete an unfinished one).
#ifndef JOBFACADE_SERVICE_JOB_OPERATIONS_H_
#define JOBFACADE_SERVICE_JOB_OPERATIONS_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "adapters/core/clock.h"
#include "adapters/core/scheduler.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"
#include "service/idempotency_store.h"
#include "service/job_cache.h"
#include "service/page_token.h"
#include "service/submissions.h"
#include "service/watch_hub.h"

namespace jobfacade {

// Per-RPC facts that every vendor call of that RPC shares.
struct RpcContext {
  absl::Time deadline = absl::InfiniteFuture();
  std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();
  // Vendor keys the caller supplied for this call, by vendor (already permitted by config).
  std::map<std::string, std::string, std::less<>> caller_keys;
  // The call's x-request-id (the caller's, or one made for it) and W3C traceparent (empty when
  // the caller sent none or a malformed one), passed on to the vendor.
  std::string request_id;
  std::string traceparent;
  // Counts the vendor requests made for this call.
  std::shared_ptr<http::RequestTrace> trace = std::make_shared<http::RequestTrace>();

  CallContext ForVendor(absl::string_view vendor) const;
};

struct JobOperationsOptions {
  JobCacheOptions cache;
  // JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS: still accepted for page tokens; empty: none.
  std::string previous_page_token_key;
  // The timers of shared reads (a caller leaving at its deadline); null: a TimerThread of its
  // own. Must outlive the JobOperations.
  Scheduler* scheduler = nullptr;
  // Where CreateJob's request ids are kept (JOBFACADE_IDEMPOTENCY_STORE); null: a memory store
  // of its own. Must outlive the JobOperations.
  IdempotencyStore* idempotency_store = nullptr;
  SubmissionOptions submissions;
};

class JobOperations {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;
  using StatusCallback = absl::AnyInvocable<void(absl::Status) &&>;
  using AdapterMap = std::map<std::string, std::unique_ptr<VendorAdapter>, std::less<>>;

  // `adapters` holds the enabled vendors only. `clock` tells how much of a caller's deadline is
  // left (see ListJobs) and when cached jobs expire.
  JobOperations(AdapterMap adapters, std::string page_token_key, const Clock& clock = Clock::Real(),
                JobOperationsOptions options = {});
  ~JobOperations();

  // Each runs `done` exactly once, possibly inline, possibly on an HTTP engine thread. Vendor
  // requests end by ctx.deadline (already trimmed by VendorDeadline), so that under vendors/-
  // a silent vendor is reported in `unreachable` while the others' jobs still reach the caller.
  void GetJob(const RpcContext& ctx, const v1::GetJobRequest& request, Callback<v1::Job> done);
  void ListJobs(const RpcContext& ctx, const v1::ListJobsRequest& request,
                Callback<v1::ListJobsResponse> done);
  void CancelJob(const RpcContext& ctx, const v1::CancelJobRequest& request,
                 Callback<v1::Job> done);
  void DeleteJob(const RpcContext& ctx, const v1::DeleteJobRequest& request, StatusCallback done);
  void CreateJob(const RpcContext& ctx, const v1::CreateJobRequest& request,
                 Callback<v1::Job> done);
  void GetJobResult(const RpcContext& ctx, const v1::GetJobResultRequest& request,
                    Callback<v1::JobResult> done);

  // What WatchJob follows for `job_name` with the call's credentials: INVALID_NAME,
  // UNKNOWN_VENDOR or VENDOR_NOT_CONFIGURED as GetJob would answer.
  absl::StatusOr<WatchTarget> ResolveWatch(const RpcContext& ctx, absl::string_view job_name) const;
  // Reads of one job through the terminal-job cache, shared with GetJob (the watches' reads).
  JobReader* reader() { return reader_.get(); }

  // Replaces the page-token keys at once (a rotation read from their files); list calls in
  // flight finish with the keys they started with.
  void SetPageTokenKeys(std::string key, std::string previous) {
    page_tokens_.SetKeys(std::move(key), std::move(previous));
  }

  bool IsConfigured(absl::string_view vendor) const { return adapters_.count(vendor) > 0; }
  std::vector<std::string> ConfiguredVendors() const;
  // Listed items skipped because no id could be read from them, per configured vendor
  // (jobfacade_list_items_skipped_total).
  std::map<std::string, int64_t> ListItemsSkipped() const;
  // Cache hits and misses, and reads that shared another call's vendor request.
  TerminalJobCache::Stats CacheStats() const { return cache_.stats(); }
  int64_t CoalescedReads() const { return reader_->coalesced(); }

 private:
  // What the state read of CancelJob and DeleteJob found out besides the job.
  struct StateCheck {
    VendorAdapter* adapter = nullptr;
    CallContext call;
    std::string vendor;
    std::string id;
  };
  using StateCallback = absl::AnyInvocable<void(const StateCheck&, absl::StatusOr<v1::Job>) &&>;
  // Parses `job_name` and reads the job's state (a cached terminal copy will do); a bad name or
  // an unconfigured vendor reaches `then` as the failed read.
  void ReadState(const RpcContext& ctx, absl::string_view job_name, StateCallback then);

  // The adapter of a configured vendor, or VENDOR_NOT_CONFIGURED.
  absl::StatusOr<VendorAdapter*> AdapterFor(absl::string_view vendor) const;

  AdapterMap adapters_;
  PageTokenCodec page_tokens_;
  const Clock& clock_;
  // Fixed at construction (one per adapter), so readers need no lock.
  std::map<std::string, std::unique_ptr<std::atomic<int64_t>>, std::less<>> skipped_;
  TerminalJobCache cache_;
  std::unique_ptr<Scheduler> own_scheduler_;  // when the options gave none
  std::unique_ptr<JobReader> reader_;
  std::unique_ptr<IdempotencyStore> own_store_;  // when the options gave none
  std::unique_ptr<Submissions> submissions_;
};

// Vendor requests one ListJobs call may make per vendor. A filter that matches few jobs could
// otherwise read a vendor's whole listing in one call; at the bound the call returns a short
// (possibly empty) page whose token resumes where the reading stopped.
inline constexpr int kMaxVendorRequestsPerListCall = 20;

// The one place a caller's deadline is trimmed: vendor work of a call ends a tenth of the time
// left (20 to 500 ms) before the caller's deadline, so that the caller gets the contract's
// DEADLINE_EXCEEDED with its ErrorInfo (and a vendors/- listing reports a silent vendor in
// `unreachable`) rather than gRPC's bare one. A call without a deadline gets
// `default_deadline`.
absl::Time VendorDeadline(absl::Time caller_deadline, absl::Time now,
                          absl::Duration default_deadline);

// Page size rules of ListJobs: 0 -> 50, above 200 -> 200, negative -> INVALID_PAGE_SIZE.
absl::StatusOr<int> EffectivePageSize(int requested);

bool IsTerminal(v1::Job::State state);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_JOB_OPERATIONS_H_
