// The terminal-job cache and the shared vendor reads of one job.
#include "service/job_cache.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/job_fields.h"
#include "service/job_operations.h"

namespace jobfacade {
namespace {

// What an entry costs besides its messages: the list node, the index slot and the strings.
constexpr int64_t kEntryOverheadBytes = 160;

ErrorDetails VendorOnly(absl::string_view vendor) {
  ErrorDetails details;
  details.vendor = std::string(vendor);
  return details;
}

}  // namespace

std::string CredentialIdentity(const std::optional<std::string>& caller_key) {
  if (!caller_key.has_value()) return "";
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(caller_key->data()), caller_key->size(), digest);
  return absl::StrCat("key:", absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(digest), sizeof(digest))));
}

TerminalJobCache::TerminalJobCache(JobCacheOptions options, const Clock& clock)
    : options_(options), clock_(clock) {}

TerminalJobCache::Lru::iterator TerminalJobCache::FindLocked(absl::string_view name,
                                                             absl::string_view identity) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return lru_.end();
  for (Lru::iterator entry : it->second) {
    if (entry->identity != identity) continue;
    if (clock_.Now() >= entry->expires) {
      RemoveLocked(entry);
      return lru_.end();
    }
    return entry;
  }
  return lru_.end();
}

std::optional<v1::Job> TerminalJobCache::Find(absl::string_view name, absl::string_view identity,
                                              v1::JobView view) {
  if (!enabled()) return std::nullopt;
  absl::MutexLock lock(&mu_);
  Lru::iterator entry = FindLocked(name, identity);
  if (entry == lru_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, entry);
  v1::Job job = entry->job;
  if (view == v1::JOB_VIEW_FULL && entry->payload != nullptr) {
    *job.mutable_vendor_payload() = *entry->payload;
  }
  return job;
}

std::optional<v1::JobResult> TerminalJobCache::FindResult(absl::string_view name,
                                                          absl::string_view identity,
                                                          v1::JobView view) {
  if (!enabled()) return std::nullopt;
  std::shared_ptr<const v1::JobResult> result;
  {
    absl::MutexLock lock(&mu_);
    Lru::iterator entry = FindLocked(name, identity);
    if (entry == lru_.end() || entry->result == nullptr) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, entry);
    result = entry->result;
  }
  v1::JobResult copy = *result;
  if (view != v1::JOB_VIEW_FULL) copy.clear_vendor_payload();
  return copy;
}

void TerminalJobCache::AttachResult(absl::string_view name, absl::string_view identity,
                                    v1::JobResult result) {
  if (!enabled()) return;
  const int64_t bytes = static_cast<int64_t>(result.SpaceUsedLong());
  auto shared = std::make_shared<const v1::JobResult>(std::move(result));
  absl::MutexLock lock(&mu_);
  Lru::iterator entry = FindLocked(name, identity);
  if (entry == lru_.end() || entry->bytes + bytes > options_.max_bytes) return;
  if (entry->result != nullptr) {
    const int64_t old = static_cast<int64_t>(entry->result->SpaceUsedLong());
    entry->bytes -= old;
    bytes_ -= old;
  }
  entry->result = std::move(shared);
  entry->bytes += bytes;
  bytes_ += bytes;
  while (bytes_ > options_.max_bytes && std::prev(lru_.end()) != entry) {
    RemoveLocked(std::prev(lru_.end()));
  }
}

void TerminalJobCache::Insert(absl::string_view name, absl::string_view identity, v1::Job job) {
  if (!enabled()) return;
  std::shared_ptr<const google::protobuf::Struct> payload;
  if (job.has_vendor_payload()) {
    auto owned = std::make_shared<google::protobuf::Struct>();
    owned->Swap(job.mutable_vendor_payload());
    job.clear_vendor_payload();
    payload = std::move(owned);
  }
  const int64_t bytes = static_cast<int64_t>(job.SpaceUsedLong()) +
                        (payload != nullptr ? static_cast<int64_t>(payload->SpaceUsedLong()) : 0) +
                        static_cast<int64_t>(2 * name.size() + identity.size()) +
                        kEntryOverheadBytes;
  if (bytes > options_.max_bytes) return;
  absl::MutexLock lock(&mu_);
  if (auto it = by_name_.find(name); it != by_name_.end()) {
    for (Lru::iterator entry : it->second) {
      if (entry->identity == identity) {
        RemoveLocked(entry);
        break;
      }
    }
  }
  lru_.push_front(Entry{std::string(name), std::string(identity), std::move(job),
                        std::move(payload), nullptr, bytes, clock_.Now() + options_.ttl});
  by_name_[name].push_back(lru_.begin());
  bytes_ += bytes;
  while (static_cast<int64_t>(lru_.size()) > options_.max_jobs || bytes_ > options_.max_bytes) {
    RemoveLocked(std::prev(lru_.end()));
  }
}

void TerminalJobCache::Erase(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;
  for (Lru::iterator entry : it->second) {
    bytes_ -= entry->bytes;
    lru_.erase(entry);
  }
  by_name_.erase(it);
}

void TerminalJobCache::RemoveLocked(Lru::iterator entry) {
  auto it = by_name_.find(entry->name);
  if (it != by_name_.end()) {
    auto& entries = it->second;
    entries.erase(std::remove(entries.begin(), entries.end(), entry), entries.end());
    if (entries.empty()) by_name_.erase(it);
  }
  bytes_ -= entry->bytes;
  lru_.erase(entry);
}

TerminalJobCache::Stats TerminalJobCache::stats() const {
  absl::MutexLock lock(&mu_);
  return Stats{hits_, misses_, static_cast<int64_t>(lru_.size()), bytes_};
}

JobReader::JobReader(TerminalJobCache* cache, Scheduler* scheduler, const Clock& clock)
    : cache_(cache), scheduler_(scheduler), clock_(clock) {}

void JobReader::Read(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id,
                     v1::JobView view, Callback done) {
  FlightKey key{JobName(adapter->vendor(), id), CredentialIdentity(ctx.caller_key)};
  if (std::optional<v1::Job> job = cache_->Find(key.first, key.second, view); job.has_value()) {
    return std::move(done)(*std::move(job));
  }
  Join(adapter, ctx, id, key, Waiter{view, ctx.deadline, ctx.cancellation, 0, 0, std::move(done)},
       /*fresh=*/false, /*count=*/true);
}

void JobReader::ReadFresh(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id,
                          v1::JobView view, Callback done) {
  FlightKey key{JobName(adapter->vendor(), id), CredentialIdentity(ctx.caller_key)};
  Join(adapter, ctx, id, key, Waiter{view, ctx.deadline, ctx.cancellation, 0, 0, std::move(done)},
       /*fresh=*/true, /*count=*/false);
}

void JobReader::Forget(absl::string_view vendor, absl::string_view id) {
  const std::string name = JobName(vendor, id);
  absl::MutexLock lock(&mu_);
  auto [first, last] = open_.equal_range(name);
  for (auto it = first; it != last; ++it) it->second->cacheable = false;
  // Reads made from now on are made after the delete: none joins a request sent before it.
  for (auto it = flights_.lower_bound(FlightKey{name, ""});
       it != flights_.end() && it->first.first == name;) {
    it = flights_.erase(it);
  }
  // Under mu_, so that no read of it in flight can store the job after this.
  cache_->Erase(name);
}

int64_t JobReader::coalesced() const {
  absl::MutexLock lock(&mu_);
  return coalesced_;
}

void JobReader::EndLocked(const std::shared_ptr<Flight>& flight) {
  flight->ended = true;
  if (auto it = flights_.find(flight->key); it != flights_.end() && it->second == flight) {
    flights_.erase(it);
  }
  auto [first, last] = open_.equal_range(flight->key.first);
  for (auto it = first; it != last; ++it) {
    if (it->second == flight.get()) {
      open_.erase(it);
      break;
    }
  }
}

void JobReader::Join(VendorAdapter* adapter, const CallContext& ctx, absl::string_view id,
                     const FlightKey& key, Waiter waiter, bool fresh, bool count) {
  std::shared_ptr<Flight> flight;
  uint64_t waiter_id;
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(key);
    if (!fresh && it != flights_.end()) {
      flight = it->second;
      if (count) ++coalesced_;
    } else {
      flight = std::make_shared<Flight>();
      flight->key = key;
      flight->adapter = adapter;
      flight->id = std::string(id);
      flight->caller_key = ctx.caller_key;
      flight->request_id = ctx.request_id;
      flight->traceparent = ctx.traceparent;
      flight->trace = ctx.trace;
      flight->deadline = waiter.deadline;
      // Later reads join the newest request; an older one still answers its own callers.
      flights_[key] = flight;
      open_.emplace(key.first, flight.get());
      start = true;
    }
    waiter_id = next_waiter_++;
    flight->waiters.emplace(waiter_id, std::move(waiter));
  }
  Watch(flight, waiter_id);
  if (start) Send(flight);
}

void JobReader::Watch(const std::shared_ptr<Flight>& flight, uint64_t waiter_id) {
  std::shared_ptr<Cancellation> cancellation;
  std::optional<absl::Time> leave_at;
  {
    absl::MutexLock lock(&mu_);
    auto it = flight->waiters.find(waiter_id);
    if (it == flight->waiters.end()) return;
    cancellation = it->second.cancellation;
    if (it->second.deadline < flight->deadline) leave_at = it->second.deadline;
  }
  std::weak_ptr<Flight> weak = flight;
  Cancellation::CallbackId on_cancel = 0;
  if (cancellation != nullptr) {
    // Runs at once (and removes the waiter) when the call is already cancelled.
    on_cancel = cancellation->Add(
        [this, weak, waiter_id] { Leave(weak.lock(), waiter_id, /*deadline=*/false); });
  }
  Scheduler::TaskId timer = 0;
  if (leave_at.has_value()) {
    timer = scheduler_->RunAt(
        *leave_at, [this, weak, waiter_id] { Leave(weak.lock(), waiter_id, /*deadline=*/true); });
  }
  {
    absl::MutexLock lock(&mu_);
    auto it = flight->waiters.find(waiter_id);
    if (it != flight->waiters.end()) {
      it->second.on_cancel = on_cancel;
      it->second.timer = timer;
      return;
    }
  }
  // The waiter was answered meanwhile.
  if (on_cancel != 0) cancellation->Remove(on_cancel);
  if (timer != 0) scheduler_->Cancel(timer);
}

void JobReader::Send(const std::shared_ptr<Flight>& flight) {
  CallContext call;
  VendorAdapter* adapter;
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (flight->ended) return;  // its only caller left before the request went out
    call.deadline = flight->deadline;
    call.cancellation = flight->cancellation;
    call.caller_key = flight->caller_key;
    call.request_id = flight->request_id;
    call.traceparent = flight->traceparent;
    call.trace = flight->trace;
    adapter = flight->adapter;
    id = flight->id;
  }
  // The whole job is read whatever the callers' views: the cache keeps it as read.
  adapter->GetJob(call, id, v1::JOB_VIEW_FULL, [this, flight](absl::StatusOr<v1::Job> result) {
    OnAnswer(flight, std::move(result));
  });
}

void JobReader::OnAnswer(const std::shared_ptr<Flight>& flight, absl::StatusOr<v1::Job> result) {
  std::vector<Waiter> answered;
  std::vector<Waiter> go_on;  // out of time on this request, not on their own
  {
    absl::MutexLock lock(&mu_);
    if (flight->ended) return;
    EndLocked(flight);
    const bool out_of_time =
        !result.ok() && result.status().code() == absl::StatusCode::kDeadlineExceeded;
    const absl::Time now = clock_.Now();
    for (auto& [id, waiter] : flight->waiters) {
      if (out_of_time && waiter.deadline > flight->deadline && waiter.deadline > now) {
        go_on.push_back(std::move(waiter));
      } else {
        answered.push_back(std::move(waiter));
      }
    }
    flight->waiters.clear();
    if (result.ok() && flight->cacheable && IsTerminal(result->state())) {
      cache_->Insert(flight->key.first, flight->key.second, *result);
    }
  }
  for (Waiter& waiter : go_on) Unwatch(waiter);
  // The latest deadline first: it makes the new request, the others join it.
  std::sort(go_on.begin(), go_on.end(),
            [](const Waiter& a, const Waiter& b) { return a.deadline > b.deadline; });
  for (Waiter& waiter : go_on) {
    CallContext ctx;
    ctx.deadline = waiter.deadline;
    ctx.cancellation = waiter.cancellation;
    ctx.caller_key = flight->caller_key;
    ctx.request_id = flight->request_id;
    ctx.traceparent = flight->traceparent;
    ctx.trace = flight->trace;
    Join(flight->adapter, ctx, flight->id, flight->key, std::move(waiter), /*fresh=*/false,
         /*count=*/false);
  }

  google::protobuf::Struct payload;
  if (result.ok()) {
    payload.Swap(result->mutable_vendor_payload());
    result->clear_vendor_payload();
  }
  for (size_t i = 0; i < answered.size(); ++i) {
    Waiter& waiter = answered[i];
    Unwatch(waiter);
    absl::StatusOr<v1::Job> copy = result;
    if (copy.ok() && waiter.view == v1::JOB_VIEW_FULL) {
      if (i + 1 == answered.size()) {
        copy->mutable_vendor_payload()->Swap(&payload);
      } else {
        *copy->mutable_vendor_payload() = payload;
      }
    }
    std::move(waiter.done)(std::move(copy));
  }
}

void JobReader::Leave(const std::shared_ptr<Flight>& flight, uint64_t waiter_id, bool deadline) {
  if (flight == nullptr) return;
  Waiter waiter;
  bool abandon = false;
  std::string vendor;
  {
    absl::MutexLock lock(&mu_);
    auto it = flight->waiters.find(waiter_id);
    if (it == flight->waiters.end()) return;
    waiter = std::move(it->second);
    flight->waiters.erase(it);
    vendor = std::string(flight->adapter->vendor());
    if (flight->waiters.empty() && !flight->ended) {
      // Nobody waits for the answer any more: the request is abandoned, and a later read makes
      // its own.
      EndLocked(flight);
      abandon = true;
    }
  }
  Unwatch(waiter);
  if (abandon) flight->cancellation->Cancel();
  // The same errors as the caller's own vendor request would have ended with.
  std::move(waiter.done)(
      deadline ? MakeError(absl::StatusCode::kDeadlineExceeded, reason::kDeadlineExceeded,
                           absl::StrCat(vendor, ": deadline exceeded waiting for the vendor"),
                           VendorOnly(vendor))
               : MakeError(absl::StatusCode::kCancelled, reason::kCancelled,
                           absl::StrCat(vendor, ": request to the vendor was cancelled"),
                           VendorOnly(vendor)));
}

void JobReader::Unwatch(Waiter& waiter) {
  if (waiter.on_cancel != 0 && waiter.cancellation != nullptr) {
    waiter.cancellation->Remove(waiter.on_cancel);
  }
  if (waiter.timer != 0) scheduler_->Cancel(waiter.timer);
  waiter.on_cancel = 0;
  waiter.timer = 0;
}

}  // namespace jobfacade
