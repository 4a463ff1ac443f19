// Routing, list paging and the cancel/delete safety rules, shared by every vendor.
#include "service/job_operations.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"
#include "adapters/registry.h"
#include "service/filter.h"
#include "service/log.h"
#include "service/names.h"

namespace jobfacade {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
// Vendor page size of a filtered listing at least (qBraid and PraisonAI serve up to 100).
constexpr int kMinFilteredVendorPageSize = 50;
// What a call keeps for its answer before the caller's deadline: a tenth of the time left,
// within these bounds (VendorDeadline).
constexpr absl::Duration kMinAnswerMargin = absl::Milliseconds(20);
constexpr absl::Duration kMaxAnswerMargin = absl::Milliseconds(500);

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
  ctx.request_id = request_id;
  ctx.traceparent = traceparent;
  ctx.trace = trace;
  return ctx;
}

absl::Time VendorDeadline(absl::Time caller_deadline, absl::Time now,
                          absl::Duration default_deadline) {
  if (caller_deadline == absl::InfiniteFuture()) return now + default_deadline;
  return caller_deadline -
         std::clamp((caller_deadline - now) / 10, kMinAnswerMargin, kMaxAnswerMargin);
}

absl::StatusOr<int> EffectivePageSize(int requested) {
  if (requested < 0) {
    return InvalidArgument(reason::kInvalidPageSize, "page_size", "page_size must not be negative");
  }
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

bool IsTerminal(v1::Job::State state) {
  return state == v1::Job::CANCELLED || state == v1::Job::COMPLETED || state == v1::Job::FAILED;
}

JobOperations::JobOperations(AdapterMap adapters, std::string page_token_key, const Clock& clock,
                             JobOperationsOptions options)
    : adapters_(std::move(adapters)),
      page_tokens_(std::move(page_token_key), options.previous_page_token_key),
      clock_(clock),
      cache_(options.cache, clock) {
  for (const auto& [vendor, adapter] : adapters_) {
    skipped_.emplace(vendor, std::make_unique<std::atomic<int64_t>>(0));
  }
  Scheduler* scheduler = options.scheduler;
  if (scheduler == nullptr) {
    own_scheduler_ = std::make_unique<TimerThread>();
    scheduler = own_scheduler_.get();
  }
  reader_ = std::make_unique<JobReader>(&cache_, scheduler, clock);
  IdempotencyStore* store = options.idempotency_store;
  if (store == nullptr) {
    own_store_ = std::make_unique<MemoryIdempotencyStore>(clock);
    store = own_store_.get();
  }
  submissions_ = std::make_unique<Submissions>(store, scheduler, clock, options.submissions);
}

JobOperations::~JobOperations() {
  // The timers go first: a pending one points at the reader.
  own_scheduler_.reset();
}

std::map<std::string, int64_t> JobOperations::ListItemsSkipped() const {
  std::map<std::string, int64_t> out;
  for (const auto& [vendor, count] : skipped_) out[vendor] = count->load(std::memory_order_relaxed);
  return out;
}

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
  reader_->Read(*adapter, ctx.ForVendor(name->vendor), name->job_id, view, std::move(done));
}

void JobOperations::CreateJob(const RpcContext& ctx, const v1::CreateJobRequest& request,
                              Callback<v1::Job> done) {
  auto vendor_name = ParseParent(request.parent());
  if (!vendor_name.ok()) return std::move(done)(vendor_name.status());
  if (*vendor_name == kAllVendors) {
    return std::move(done)(InvalidArgument(
        reason::kInvalidName, "parent",
        "CreateJob needs one vendor as parent (\"vendors/{vendor}\"), not \"vendors/-\""));
  }
  auto adapter = AdapterFor(*vendor_name);
  if (!adapter.ok()) return std::move(done)(adapter.status());
  const Vendor* vendor = FindVendor(*vendor_name);
  if (vendor == nullptr) {
    return std::move(done)(MakeError(absl::StatusCode::kInternal, reason::kInternal,
                                     "a configured vendor is missing from the registry"));
  }
  const bool deduplicate = !request.request_id().empty();
  absl::StatusOr<std::string> request_id =
      deduplicate ? NormalizeRequestId(request.request_id()) : NewUuid();
  if (!request_id.ok()) return std::move(done)(request_id.status());
  if (absl::Status bad = CheckJobSpec(request.job(), *vendor); !bad.ok()) {
    return std::move(done)(bad);
  }
  const CallContext call = ctx.ForVendor(*vendor_name);
  std::string identity = CredentialIdentity(call.caller_key);
  CreateRequest create{request.job(), *request_id, VendorDedupKey(identity, *request_id)};
  submissions_->Create(*adapter, *vendor, call, FormatParent(*vendor_name), identity,
                       std::move(create), deduplicate, std::move(done));
}

void JobOperations::GetJobResult(const RpcContext& ctx, const v1::GetJobResultRequest& request,
                                 Callback<v1::JobResult> done) {
  auto name = ParseJobName(request.name());
  if (!name.ok()) return std::move(done)(name.status());
  auto adapter = AdapterFor(name->vendor);
  if (!adapter.ok()) return std::move(done)(adapter.status());
  const v1::JobView view =
      request.view() == v1::JOB_VIEW_FULL ? v1::JOB_VIEW_FULL : v1::JOB_VIEW_BASIC;
  CallContext call = ctx.ForVendor(name->vendor);
  std::string job_name = FormatJobName(name->vendor, name->job_id);
  std::string identity = CredentialIdentity(call.caller_key);
  if (std::optional<v1::JobResult> cached = cache_.FindResult(job_name, identity, view)) {
    return std::move(done)(*std::move(cached));
  }
  // The job first: only a COMPLETED job has results, and its vendor object says what they
  // look like (an IonQ circuit's width, say).
  reader_->Read(
      *adapter, call, name->job_id, v1::JOB_VIEW_FULL,
      [this, adapter = *adapter, call, view, job_name = std::move(job_name),
       identity = std::move(identity),
       done = std::move(done)](absl::StatusOr<v1::Job> job) mutable {
        if (!job.ok()) return std::move(done)(job.status());
        ErrorDetails details = VendorDetails(job->vendor());
        if (job->state() == v1::Job::FAILED || job->state() == v1::Job::CANCELLED) {
          details.vendor_message = SanitizeForMessage(job->state_message(), kMaxVendorMessageBytes);
          return std::move(done)(MakeError(
              absl::StatusCode::kFailedPrecondition, reason::kResultNotAvailable,
              absl::StrCat("the job ended ", StateName(job->state()), " and has no result",
                           job->state_message().empty() ? "" : ": ",
                           SanitizeForMessage(job->state_message(), kMaxVendorMessageBytes)),
              details));
        }
        if (job->state() != v1::Job::COMPLETED) {
          return std::move(done)(
              MakeError(absl::StatusCode::kFailedPrecondition, reason::kJobNotTerminal,
                        absl::StrCat("the job is ", StateName(job->state()),
                                     "; its result can be read once it is COMPLETED"),
                        details));
        }
        adapter->GetJobResult(
            call, *job, v1::JOB_VIEW_FULL,
            [this, view, job_name = std::move(job_name), identity = std::move(identity),
             done = std::move(done)](absl::StatusOr<v1::JobResult> result) mutable {
              if (!result.ok()) return std::move(done)(result.status());
              cache_.AttachResult(job_name, identity, *result);
              if (view != v1::JOB_VIEW_FULL) result->clear_vendor_payload();
              std::move(done)(std::move(result));
            });
      });
}

absl::StatusOr<WatchTarget> JobOperations::ResolveWatch(const RpcContext& ctx,
                                                        absl::string_view job_name) const {
  auto name = ParseJobName(job_name);
  if (!name.ok()) return name.status();
  auto adapter = AdapterFor(name->vendor);
  if (!adapter.ok()) return adapter.status();
  WatchTarget target;
  target.adapter = *adapter;
  target.name = FormatJobName(name->vendor, name->job_id);
  target.id = name->job_id;
  target.caller_key = ctx.ForVendor(name->vendor).caller_key;
  target.identity = CredentialIdentity(target.caller_key);
  const Vendor* vendor = FindVendor(name->vendor);
  target.event_stream = vendor != nullptr && vendor->spec().watch == WatchMode::kEventStream;
  return target;
}

void JobOperations::ReadState(const RpcContext& ctx, absl::string_view job_name,
                              StateCallback then) {
  auto name = ParseJobName(job_name);
  if (!name.ok()) return std::move(then)(StateCheck{}, name.status());
  auto adapter = AdapterFor(name->vendor);
  if (!adapter.ok()) return std::move(then)(StateCheck{}, adapter.status());
  StateCheck check{*adapter, ctx.ForVendor(name->vendor), name->vendor, name->job_id};
  CallContext call = check.call;
  reader_->Read(
      *adapter, call, name->job_id, v1::JOB_VIEW_BASIC,
      [check = std::move(check), then = std::move(then)](absl::StatusOr<v1::Job> job) mutable {
        std::move(then)(check, std::move(job));
      });
}

void JobOperations::CancelJob(const RpcContext& ctx, const v1::CancelJobRequest& request,
                              Callback<v1::Job> done) {
  // A finished job is never sent a cancel, whatever the vendor would do.
  ReadState(ctx, request.name(),
            [reader = reader_.get(), done = std::move(done)](const StateCheck& check,
                                                             absl::StatusOr<v1::Job> job) mutable {
              if (!job.ok()) return std::move(done)(job.status());
              switch (job->state()) {
                case v1::Job::CANCELLING:
                case v1::Job::CANCELLED:
                  return std::move(done)(*std::move(job));
                case v1::Job::COMPLETED:
                case v1::Job::FAILED:
                  return std::move(done)(
                      MakeError(absl::StatusCode::kFailedPrecondition, reason::kJobAlreadyTerminal,
                                absl::StrCat("job is already ", StateName(job->state()),
                                             "; a finished job cannot be cancelled"),
                                VendorDetails(check.vendor)));
                default:
                  break;
              }
              check.adapter->CancelJob(
                  check.call, check.id,
                  [reader, check, done = std::move(done)](absl::Status cancelled) mutable {
                    if (!cancelled.ok()) return std::move(done)(cancelled);
                    // Not from a read sent before the cancel.
                    reader->ReadFresh(check.adapter, check.call, check.id, v1::JOB_VIEW_BASIC,
                                      std::move(done));
                  });
            });
}

void JobOperations::DeleteJob(const RpcContext& ctx, const v1::DeleteJobRequest& request,
                              StatusCallback done) {
  // Only a finished job may be deleted; delete never cancels.
  ReadState(ctx, request.name(),
            [reader = reader_.get(), done = std::move(done)](const StateCheck& check,
                                                             absl::StatusOr<v1::Job> job) mutable {
              if (!job.ok()) return std::move(done)(job.status());
              if (!IsTerminal(job->state())) {
                return std::move(done)(
                    MakeError(absl::StatusCode::kFailedPrecondition, reason::kJobNotTerminal,
                              absl::StrCat("job is ", StateName(job->state()),
                                           "; only a finished job can be deleted: cancel it first"),
                              VendorDetails(check.vendor)));
              }
              // Forgotten before (so that no read in flight keeps it) and after (so that none
              // sent meanwhile does).
              reader->Forget(check.vendor, check.id);
              check.adapter->DeleteJob(
                  check.call, check.id,
                  [reader, check, done = std::move(done)](absl::Status deleted) mutable {
                    reader->Forget(check.vendor, check.id);
                    std::move(done)(std::move(deleted));
                  });
            });
}

namespace {

// Where a job stands in the merged order: newest create_time first, ties by name ascending. A
// job without create_time (qBraid sends none while a job is INITIALIZING) counts as the newest,
// which is where its vendor lists it.
absl::Time OrderTime(const v1::Job& job) {
  return job.has_create_time() ? FromProtoTimestamp(job.create_time()) : absl::InfiniteFuture();
}

bool Precedes(absl::Time a_time, absl::string_view a_name, absl::Time b_time,
              absl::string_view b_name) {
  if (a_time != b_time) return a_time > b_time;
  return a_name < b_name;
}

// One vendor's stream of jobs during one ListJobs call.
struct ListStream {
  VendorAdapter* adapter = nullptr;
  std::atomic<int64_t>* skipped_total = nullptr;  // the vendor's unreadable listed items
  QueryParams push_down;
  // The vendor page that holds the stream's next raw job (cursor) and that job's index in it
  // (skip): exactly what the next page token records.
  VendorPosition position;
  // Whether the stream still had jobs when the call started (an exhausted one is not asked).
  bool queried = false;
  std::vector<v1::Job> page;  // the vendor page at position.cursor, once read in this call
  std::string next_cursor;    // the cursor of the vendor page after it; empty after the last
  bool loaded = false;
  bool in_flight = false;
  int requests = 0;
  absl::Status error;  // the failure that stopped the stream in this call
  // The last raw job consumed: the stream's later jobs all come after it in the merged order,
  // so a job of another stream that precedes it can be served without reading further.
  bool has_frontier = false;
  absl::Time frontier_time;
  std::string frontier_name;

  bool failed() const { return !error.ok(); }
  bool HasHead() const { return loaded && position.skip < static_cast<int64_t>(page.size()); }
  const v1::Job& head() const { return page[position.skip]; }
  void SetFrontier(const v1::Job& job) {
    has_frontier = true;
    frontier_time = OrderTime(job);
    frontier_name = job.name();
  }
};

// The oldest create_time a job matching `filter` can have: the tightest lower bound that some
// AND term puts on create_time with every one of its comparisons (>=, > or =).
absl::Time OldestMatch(const Filter& filter) {
  absl::Time bound = absl::InfinitePast();
  for (const FilterTerm& term : filter.terms()) {
    if (term.any_of.empty()) continue;
    absl::Time term_bound = absl::InfiniteFuture();
    for (const FilterComparison& c : term.any_of) {
      if (c.field != FilterField::kCreateTime ||
          (c.op != FilterOp::kGe && c.op != FilterOp::kGt && c.op != FilterOp::kEq)) {
        term_bound = absl::InfinitePast();
        break;
      }
      term_bound = std::min(term_bound, c.time);
    }
    bound = std::max(bound, term_bound);
  }
  return bound;
}

// One ListJobs call: reads the streams' vendor pages (all first pages concurrently, then
// follow-up pages only when the merge cannot go on without them, never two of one vendor at
// once), merges them and cuts the page. Callbacks may arrive on any thread, or inline from an
// adapter; every decision is taken under mu_, every adapter call and `done` run outside it.
class ListMerge : public std::enable_shared_from_this<ListMerge> {
 public:
  ListMerge(const RpcContext& ctx, v1::JobView view, int page_size, std::vector<ListStream> streams,
            Filter filter, const PageTokenCodec* tokens, ListBinding binding,
            JobOperations::Callback<v1::ListJobsResponse> done)
      : ctx_(ctx),
        view_(view),
        page_size_(page_size),
        filter_(std::move(filter)),
        oldest_match_(OldestMatch(filter_)),
        tokens_(tokens),
        binding_(std::move(binding)),
        streams_(std::move(streams)),
        done_(std::move(done)) {}

  void Start() { Pump(); }

 private:
  enum class Step { kWait, kFinish };

  void Pump() {
    std::vector<size_t> to_fetch;
    std::optional<absl::StatusOr<v1::ListJobsResponse>> answer;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (AdvanceLocked(to_fetch) == Step::kFinish) {
        finished_ = true;
        answer = FinishLocked();
      }
    }
    if (answer.has_value()) return std::move(done_)(*std::move(answer));
    for (size_t i : to_fetch) Fetch(i);
  }

  // Serves jobs while the next one is certain; returns kWait after marking the vendor pages
  // it needs in `to_fetch`, or kFinish when the page is complete or cannot go further.
  Step AdvanceLocked(std::vector<size_t>& to_fetch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (jobs_.size() < page_size_) {
      ListStream* best = nullptr;
      absl::Time best_time;
      for (ListStream& s : streams_) {
        if (s.failed() || !s.HasHead()) continue;
        const absl::Time time = OrderTime(s.head());
        if (best == nullptr || Precedes(time, s.head().name(), best_time, best->head().name())) {
          best = &s;
          best_time = time;
        }
      }
      // Streams whose next job is unknown and might come before `best`.
      std::vector<size_t> blockers;
      for (size_t i = 0; i < streams_.size(); ++i) {
        const ListStream& s = streams_[i];
        if (s.position.done || s.failed() || s.HasHead()) continue;
        if (best != nullptr && s.has_frontier &&
            Precedes(best_time, best->head().name(), s.frontier_time, s.frontier_name)) {
          continue;
        }
        blockers.push_back(i);
      }
      if (!blockers.empty()) {
        bool waiting = false;
        for (size_t i : blockers) {
          ListStream& s = streams_[i];
          if (s.in_flight) {
            waiting = true;
            continue;
          }
          // A filter that matches little could make one call read a whole vendor listing: a
          // stream stops at the bound, the others may still read up to theirs, then the call
          // answers a short page whose token resumes right there.
          if (s.requests >= kMaxVendorRequestsPerListCall) continue;
          s.in_flight = true;
          ++s.requests;
          to_fetch.push_back(i);
          waiting = true;
        }
        return waiting ? Step::kWait : Step::kFinish;
      }
      if (best == nullptr) return Step::kFinish;  // every stream is exhausted or failed
      best->SetFrontier(best->head());
      jobs_.push_back(std::move(best->page[best->position.skip]));
      ++best->position.skip;
      SettleLocked(*best);
    }
    return Step::kFinish;
  }

  // Moves past jobs the filter rejects (they still count as consumed) and past an exhausted
  // vendor page, so that a loaded stream either has a matching head or needs its next page.
  void SettleLocked(ListStream& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t size = static_cast<int64_t>(s.page.size());
    bool past_oldest_match = false;
    while (s.position.skip < size) {
      const v1::Job& job = s.page[s.position.skip];
      // Streams are newest first: once one is older than the filter's create_time bound,
      // none of its later jobs can match either.
      if (OrderTime(job) < oldest_match_) {
        past_oldest_match = true;
        break;
      }
      if (filter_.Matches(job)) return;
      s.SetFrontier(job);
      ++s.position.skip;
    }
    s.loaded = false;
    s.page.clear();
    s.position.skip = 0;
    if (s.next_cursor.empty() || past_oldest_match) {
      s.position.done = true;
      s.position.cursor.clear();
    } else {
      s.position.cursor = std::move(s.next_cursor);
      s.next_cursor.clear();
    }
  }

  void Fetch(size_t i) {
    ListRequest request;
    VendorAdapter* adapter;
    std::string vendor;
    {
      absl::MutexLock lock(&mu_);
      ListStream& s = streams_[i];
      if (finished_) {
        s.in_flight = false;
        return;
      }
      request.page_size = s.position.vendor_page_size;
      request.cursor = s.position.cursor;
      request.view = view_;
      request.filter = s.push_down;
      adapter = s.adapter;
      vendor = s.position.vendor;
    }
    adapter->ListJobs(ctx_.ForVendor(vendor), request,
                      [self = shared_from_this(), i](absl::StatusOr<ListResult> result) {
                        self->OnPage(i, std::move(result));
                      });
  }

  void OnPage(size_t i, absl::StatusOr<ListResult> result) {
    {
      absl::MutexLock lock(&mu_);
      ListStream& s = streams_[i];
      s.in_flight = false;
      if (finished_) return;
      if (!result.ok()) {
        s.error = result.status();
      } else {
        if (result->skipped > 0) {
          s.skipped_total->fetch_add(result->skipped, std::memory_order_relaxed);
          Log(LogLevel::kWarn,
              absl::StrCat("vendor ", s.position.vendor, ": skipped ", result->skipped,
                           " listed job(s) without a readable id"));
        }
        s.page = std::move(result->jobs);
        s.next_cursor = std::move(result->next_cursor);
        s.loaded = true;
        // The jobs before `skip` were consumed by earlier pages of the listing.
        if (s.position.skip > 0 && s.position.skip <= static_cast<int64_t>(s.page.size())) {
          s.SetFrontier(s.page[s.position.skip - 1]);
        }
        SettleLocked(s);
      }
    }
    Pump();
  }

  absl::StatusOr<v1::ListJobsResponse> FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int queried = 0;
    int failed = 0;
    const absl::Status* first_error = nullptr;
    for (const ListStream& s : streams_) {
      if (!s.queried) continue;
      ++queried;
      if (!s.failed()) continue;
      ++failed;
      if (first_error == nullptr) first_error = &s.error;
    }
    if (queried > 0 && failed == queried) return *first_error;

    v1::ListJobsResponse response;
    for (v1::Job& job : jobs_) *response.add_jobs() = std::move(job);
    // A failed vendor keeps the position it had: the next page asks it again from there, so
    // none of its jobs is lost or repeated (they may come after newer jobs of the others).
    PageTokenState next{binding_, {}};
    bool more = false;
    for (const ListStream& s : streams_) {
      next.positions.push_back(s.position);
      if (!s.position.done) more = true;
      if (s.failed()) response.add_unreachable(FormatParent(s.position.vendor));
    }
    if (more) response.set_next_page_token(tokens_->Encode(next));
    return response;
  }

  const RpcContext ctx_;
  const v1::JobView view_;
  const size_t page_size_;
  const Filter filter_;
  const absl::Time oldest_match_;  // InfinitePast when the filter sets no lower bound
  const PageTokenCodec* const tokens_;
  const ListBinding binding_;
  absl::Mutex mu_;
  std::vector<ListStream> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Run once, outside mu_, by the caller of Pump that set finished_.
  JobOperations::Callback<v1::ListJobsResponse> done_;
};

absl::Status MalformedToken() {
  return InvalidArgument(reason::kInvalidPageToken, "page_token", "invalid page_token: malformed");
}

// A token's positions must name the parent's vendor (one position) or, for vendors/-, known
// vendors each at most once.
bool PositionsFit(const std::vector<VendorPosition>& positions, absl::string_view vendor) {
  if (positions.empty()) return false;
  if (vendor != kAllVendors) return positions.size() == 1 && positions[0].vendor == vendor;
  std::set<absl::string_view> seen;
  for (const VendorPosition& p : positions) {
    if (!IsKnownVendor(p.vendor) || !seen.insert(p.vendor).second) return false;
  }
  return true;
}

}  // namespace

void JobOperations::ListJobs(const RpcContext& ctx, const v1::ListJobsRequest& request,
                             Callback<v1::ListJobsResponse> done) {
  auto vendor = ParseParent(request.parent());
  if (!vendor.ok()) return std::move(done)(vendor.status());
  auto page_size = EffectivePageSize(request.page_size());
  if (!page_size.ok()) return std::move(done)(page_size.status());
  absl::StatusOr<Filter> filter = ParseFilter(request.filter());
  if (!filter.ok()) return std::move(done)(filter.status());
  const bool all_vendors = *vendor == kAllVendors;
  if (!all_vendors) {
    if (auto adapter = AdapterFor(*vendor); !adapter.ok()) return std::move(done)(adapter.status());
  }
  const v1::JobView view =
      request.view() == v1::JOB_VIEW_FULL ? v1::JOB_VIEW_FULL : v1::JOB_VIEW_BASIC;
  ListBinding binding{request.parent(), request.filter(), static_cast<int>(view)};

  std::vector<VendorPosition> positions;
  if (request.page_token().empty()) {
    // Vendor pages keep the size the listing starts with (page-numbered vendors would skip or
    // repeat jobs if it changed); `skip` lets a caller change page_size between pages. A filter
    // may reject much of what a vendor sends, so filtered listings read larger vendor pages.
    const int vendor_page_size =
        filter->empty() ? *page_size : std::max(*page_size, kMinFilteredVendorPageSize);
    std::vector<std::string> vendors =
        all_vendors ? ConfiguredVendors() : std::vector<std::string>{*vendor};
    for (std::string& v : vendors) {
      // A vendor the filter rules out is not part of the listing at all.
      if (!filter->MayMatchVendor(v)) continue;
      positions.push_back({std::move(v), "", 0, false, vendor_page_size});
    }
  } else {
    auto state = page_tokens_.Decode(request.page_token(), binding);
    if (!state.ok()) return std::move(done)(state.status());
    if (!PositionsFit(state->positions, *vendor)) return std::move(done)(MalformedToken());
    positions = std::move(state->positions);
  }
  if (positions.empty()) return std::move(done)(v1::ListJobsResponse());

  std::vector<ListStream> streams;
  for (VendorPosition& p : positions) {
    ListStream s;
    if (p.vendor_page_size == 0) p.vendor_page_size = *page_size;
    s.queried = !p.done;
    s.push_down = filter->PushDown(p.vendor);
    if (auto it = adapters_.find(p.vendor); it != adapters_.end()) {
      s.adapter = it->second.get();
      s.skipped_total = skipped_.at(p.vendor).get();
    } else if (s.queried) {
      // A replica configured without a vendor the listing started with.
      s.error = AdapterFor(p.vendor).status();
    }
    s.position = std::move(p);
    streams.push_back(std::move(s));
  }
  auto merge =
      std::make_shared<ListMerge>(ctx, view, *page_size, std::move(streams), *std::move(filter),
                                  &page_tokens_, std::move(binding), std::move(done));
  merge->Start();
}

}  // namespace jobfacade
