// Reading one job: the terminal-job cache, and shared vendor reads of the same job
// (coalescing). GetJob, CancelJob's and DeleteJob's state checks read through here.
#ifndef JOBFACADE_SERVICE_JOB_CACHE_H_
#define JOBFACADE_SERVICE_JOB_CACHE_H_

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/scheduler.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

struct JobCacheOptions {
  int64_t max_jobs = 10000;                // JOBFACADE_CACHE_SIZE; 0 disables the cache
  int64_t max_bytes = 64 << 20;            // JOBFACADE_CACHE_BYTES; 0 disables the cache
  absl::Duration ttl = absl::Minutes(10);  // JOBFACADE_CACHE_TTL
};

// Who a read was made as: "" for the server's configured vendor key, else a SHA-256 digest of
// the key the caller supplied. The key itself is never kept.
std::string CredentialIdentity(const std::optional<std::string>& caller_key);

// Jobs read in a terminal state, which never change: an LRU bounded in entries and bytes, each
// entry served for `ttl` after it was stored. Keyed by job name and credential identity, so a
// caller's own key never reads what another key read. Thread-safe.
class TerminalJobCache {
 public:
  TerminalJobCache(JobCacheOptions options, const Clock& clock);

  bool enabled() const { return options_.max_jobs > 0 && options_.max_bytes > 0; }

  // The kept job in `view` (counted as a hit), or nullopt (a miss; an expired entry is dropped).
  std::optional<v1::Job> Find(absl::string_view name, absl::string_view identity, v1::JobView view);
  // Keeps `job` (terminal, with or without its vendor_payload) under `name` and `identity`; the
  // least recently used entries go when a bound is passed. A job larger than the byte bound on
  // its own is not kept.
  void Insert(absl::string_view name, absl::string_view identity, v1::Job job);
  // Drops the job under every identity.
  void Erase(absl::string_view name);

  // The results of a COMPLETED job live with the job's entry (and go with it): kept only while
  // the job is, served in `view` (JOB_VIEW_FULL adds the vendor's result object).
  std::optional<v1::JobResult> FindResult(absl::string_view name, absl::string_view identity,
                                          v1::JobView view);
  void AttachResult(absl::string_view name, absl::string_view identity, v1::JobResult result);

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t entries = 0;
    int64_t bytes = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string name;
    std::string identity;
    v1::Job job;  // without vendor_payload
    std::shared_ptr<const google::protobuf::Struct> payload;
    std::shared_ptr<const v1::JobResult> result;  // with its vendor_payload
    int64_t bytes = 0;
    absl::Time expires;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void RemoveLocked(Lru::iterator entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The live entry of `name` and `identity`, dropping it when it expired; lru_.end() if none.
  Lru::iterator FindLocked(absl::string_view name, absl::string_view identity)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const JobCacheOptions options_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  Lru lru_ ABSL_GUARDED_BY(mu_);
  // Job name -> its entries, one per credential identity (almost always one).
  absl::flat_hash_map<std::string, std::vector<Lru::iterator>> by_name_ ABSL_GUARDED_BY(mu_);
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reads jobs through the cache and shares one vendor request among concurrent reads of the same
// job with the same credentials. A shared request is made as its first caller (deadline and
// key) and lasts until its last caller has left; a caller whose deadline comes first leaves at
// its deadline (DEADLINE_EXCEEDED), one who cancels leaves at once (CANCELLED), and callers whose
// deadline is later than the request's go on with a new request when it runs out of time. Only
// requests still in flight are joined, so no caller gets an answer older than its call.
class JobReader {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<v1::Job>) &&>;

  // `cache` and `scheduler` (the timers of callers leaving at their deadlines) must outlive
  // every read.
  JobReader(TerminalJobCache* cache, Scheduler* scheduler, const Clock& clock);

  // The job `id` of `adapter`'s vendor in `view`: from the cache when a terminal copy is kept,
  // else from a vendor request, shared with the reads of it in flight. `done` runs exactly
  // once, inline or on another thread.
  void Read(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id, v1::JobView view,
            Callback done);
  // The same, but from a new vendor request that later reads share (for example the read after
  // a cancel, which must not be answered by a read sent before it).
  void ReadFresh(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id,
                 v1::JobView view, Callback done);
  // Drops the job's cached copies under every identity, keeps every read of it in flight from
  // caching its answer, and lets no later read join one of them (DeleteJob, before and after the
  // vendor's delete).
  void Forget(absl::string_view vendor, absl::string_view id);

  // Reads that joined a vendor request another call had started.
  int64_t coalesced() const;

 private:
  struct Waiter {
    v1::JobView view = v1::JOB_VIEW_BASIC;
    absl::Time deadline;
    std::shared_ptr<Cancellation> cancellation;  // the caller's; may be null
    Cancellation::CallbackId on_cancel = 0;
    Scheduler::TaskId timer = 0;
    Callback done;
  };
  struct Flight {
    std::pair<std::string, std::string> key;  // job name, credential identity
    VendorAdapter* adapter = nullptr;
    std::string id;
    std::optional<std::string> caller_key;
    // The first caller's request id, traceparent and attempt counter: the request is its.
    std::string request_id;
    std::string traceparent;
    std::shared_ptr<http::RequestTrace> trace;
    absl::Time deadline;  // of the vendor request in flight
    std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();
    std::map<uint64_t, Waiter> waiters;
    bool cacheable = true;  // false once Forget ran while the request was out
    bool ended = false;     // answered, or abandoned by its last caller
  };
  using FlightKey = std::pair<std::string, std::string>;

  void Join(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id,
            const FlightKey& key, Waiter waiter, bool fresh, bool count);
  void Watch(const std::shared_ptr<Flight>& flight, uint64_t waiter_id);
  void Send(const std::shared_ptr<Flight>& flight);
  void OnAnswer(const std::shared_ptr<Flight>& flight, absl::StatusOr<v1::Job> result);
  // Answers one caller before the shared request: at its deadline (DEADLINE_EXCEEDED) or on its
  // cancellation (CANCELLED). The last caller to leave abandons the request.
  void Leave(const std::shared_ptr<Flight>& flight, uint64_t waiter_id, bool deadline);
  // Removes a waiter's cancellation callback and timer (without the lock).
  void Unwatch(Waiter& waiter);

  TerminalJobCache* const cache_;
  Scheduler* const scheduler_;
  const Clock& clock_;
  // Ends a flight (answered or abandoned): it can no longer be joined or forgotten.
  void EndLocked(const std::shared_ptr<Flight>& flight) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // The flight each key's new reads join (the newest one not yet forgotten).
  std::map<FlightKey, std::shared_ptr<Flight>> flights_ ABSL_GUARDED_BY(mu_);
  // Every flight not yet ended, by job name: also those a fresh read or Forget took out of
  // `flights_`, which must not cache a job deleted meanwhile.
  std::multimap<std::string, Flight*> open_ ABSL_GUARDED_BY(mu_);
  uint64_t next_waiter_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t coalesced_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_JOB_CACHE_H_
