// Where CreateJob remembers its request ids (AIP-155): a record per (request_id, parent,
// credential identity) that goes from pending (a submission under way, owned by one call) to
// created (the job it made). `memory` keeps them in this replica; a Redis store shares them
// between replicas.
#ifndef JOBFACADE_SERVICE_IDEMPOTENCY_STORE_H_
#define JOBFACADE_SERVICE_IDEMPOTENCY_STORE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"

namespace jobfacade {

struct SubmissionRecord {
  // What the request was (a digest of parent and spec): the same id with another request is
  // REQUEST_ID_REUSED.
  std::string fingerprint;
  // Pending: who is submitting, and until when that claim holds. A claim that ran out (its
  // owner died or gave up) may be taken over by the next call with the same id.
  std::string owner;
  absl::Time lease_until = absl::InfinitePast();
  // When a submission was first sent for this id (InfinitePast: never). A call that takes the
  // record over looks the id up at the vendor before it submits again.
  absl::Time first_attempt = absl::InfinitePast();
  // Created: the job, serialised (v1::Job); empty while pending.
  std::string job;

  bool created() const { return !job.empty(); }
};

// Text form of a record, for stores that keep bytes (Redis). Parse refuses what Serialize did
// not make.
std::string SerializeRecord(const SubmissionRecord& record);
std::optional<SubmissionRecord> ParseRecord(absl::string_view text);

// Every method runs `done` exactly once, possibly inline, possibly on a thread of the store's
// own, never blocking the caller's thread. A store that cannot be reached answers UNAVAILABLE /
// IDEMPOTENCY_STORE_UNAVAILABLE.
class IdempotencyStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;

  struct ClaimResult {
    bool claimed = false;     // `record` was stored: the caller owns the submission
    SubmissionRecord record;  // what the key holds now
  };

  virtual ~IdempotencyStore() = default;

  // Stores `record` under `key` for `ttl` unless the key holds one; answers what it holds.
  virtual void Claim(const std::string& key, const SubmissionRecord& record, absl::Duration ttl,
                     Callback<ClaimResult> done) = 0;
  // Replaces the record under `key` (keeping `ttl` from now) when its owner is still
  // `expected_owner`; answers whether it did.
  virtual void Replace(const std::string& key, const std::string& expected_owner,
                       const SubmissionRecord& record, absl::Duration ttl, Callback<bool> done) = 0;
  // The record under `key`, or nullopt.
  virtual void Get(const std::string& key, Callback<std::optional<SubmissionRecord>> done) = 0;
  // Removes the record under `key` when its owner is still `expected_owner` (a submission that
  // made nothing, so that the id may be used again).
  virtual void Release(const std::string& key, const std::string& expected_owner,
                       Callback<bool> done) = 0;
};

// The `memory` store: this replica only, at most `max_records` records, each for its ttl. At the
// bound the oldest created (or expired) record goes; a store full of pending ones refuses new
// claims (IDEMPOTENCY_STORE_UNAVAILABLE). Answers inline.
class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  static constexpr int64_t kDefaultMaxRecords = 100000;

  explicit MemoryIdempotencyStore(const Clock& clock, int64_t max_records = kDefaultMaxRecords)
      : clock_(clock), max_records_(max_records) {}

  void Claim(const std::string& key, const SubmissionRecord& record, absl::Duration ttl,
             Callback<ClaimResult> done) override;
  void Replace(const std::string& key, const std::string& expected_owner,
               const SubmissionRecord& record, absl::Duration ttl, Callback<bool> done) override;
  void Get(const std::string& key, Callback<std::optional<SubmissionRecord>> done) override;
  void Release(const std::string& key, const std::string& expected_owner,
               Callback<bool> done) override;

  int64_t size() const;

 private:
  struct Entry {
    std::string key;
    SubmissionRecord record;
    absl::Time expires;
  };
  using Order = std::list<Entry>;  // oldest first

  // The live entry under `key`, dropping it when it expired.
  Order::iterator FindLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(Order::iterator entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops one record to make room; false when none of the oldest kEvictionScan may go.
  bool MakeRoomLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static constexpr int kEvictionScan = 256;

  const Clock& clock_;
  const int64_t max_records_;
  mutable absl::Mutex mu_;
  Order order_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Order::iterator> by_key_ ABSL_GUARDED_BY(mu_);
};

// A store that can be replaced while the server runs (JOBFACADE_IDEMPOTENCY_STORE_FILE
// changed): each call goes to the store in use when it is made. A replaced store is kept, so
// that what it still has in hand is answered; only the oldest of more than kMaxRetired go.
class SwitchableIdempotencyStore final : public IdempotencyStore {
 public:
  static constexpr size_t kMaxRetired = 4;

  explicit SwitchableIdempotencyStore(std::unique_ptr<IdempotencyStore> first)
      : current_(std::move(first)) {}

  void Set(std::unique_ptr<IdempotencyStore> next);

  void Claim(const std::string& key, const SubmissionRecord& record, absl::Duration ttl,
             Callback<ClaimResult> done) override {
    Current()->Claim(key, record, ttl, std::move(done));
  }
  void Replace(const std::string& key, const std::string& expected_owner,
               const SubmissionRecord& record, absl::Duration ttl, Callback<bool> done) override {
    Current()->Replace(key, expected_owner, record, ttl, std::move(done));
  }
  void Get(const std::string& key, Callback<std::optional<SubmissionRecord>> done) override {
    Current()->Get(key, std::move(done));
  }
  void Release(const std::string& key, const std::string& expected_owner,
               Callback<bool> done) override {
    Current()->Release(key, expected_owner, std::move(done));
  }

 private:
  std::shared_ptr<IdempotencyStore> Current() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  mutable absl::Mutex mu_;
  std::shared_ptr<IdempotencyStore> current_ ABSL_GUARDED_BY(mu_);
  std::list<std::shared_ptr<IdempotencyStore>> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_IDEMPOTENCY_STORE_H_
