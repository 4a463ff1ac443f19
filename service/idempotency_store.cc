// The record's text form and the in-process store.
#include "service/idempotency_store.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "adapters/core/errors.h"
#include "adapters/core/json.h"

namespace jobfacade {
namespace {

// Times as whole milliseconds since the epoch; InfinitePast is left out.
void PutTime(json::Struct& s, const char* key, absl::Time t) {
  if (t == absl::InfinitePast()) return;
  (*s.mutable_fields())[key] = json::Num(static_cast<double>(absl::ToUnixMillis(t)));
}

absl::Time GetTime(const json::Struct& s, const char* key) {
  std::optional<int64_t> millis = json::GetInt(s, key);
  return millis.has_value() ? absl::FromUnixMillis(*millis) : absl::InfinitePast();
}

}  // namespace

std::string SerializeRecord(const SubmissionRecord& record) {
  json::Struct s;
  auto& fields = *s.mutable_fields();
  fields["fingerprint"] = json::Str(record.fingerprint);
  if (!record.owner.empty()) fields["owner"] = json::Str(record.owner);
  PutTime(s, "lease_until_ms", record.lease_until);
  PutTime(s, "first_attempt_ms", record.first_attempt);
  if (record.created()) fields["job"] = json::Str(absl::Base64Escape(record.job));
  return json::ToJson(s);
}

std::optional<SubmissionRecord> ParseRecord(absl::string_view text) {
  absl::StatusOr<json::Struct> s = json::ParseObject(text);
  if (!s.ok()) return std::nullopt;
  std::optional<std::string> fingerprint = json::GetString(*s, "fingerprint");
  if (!fingerprint.has_value() || fingerprint->empty()) return std::nullopt;
  SubmissionRecord record;
  record.fingerprint = *std::move(fingerprint);
  record.owner = json::GetString(*s, "owner").value_or("");
  record.lease_until = GetTime(*s, "lease_until_ms");
  record.first_attempt = GetTime(*s, "first_attempt_ms");
  if (std::optional<std::string> job = json::GetString(*s, "job")) {
    if (!absl::Base64Unescape(*job, &record.job) || record.job.empty()) return std::nullopt;
  }
  return record;
}

MemoryIdempotencyStore::Order::iterator MemoryIdempotencyStore::FindLocked(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return order_.end();
  if (clock_.Now() >= it->second->expires) {
    EraseLocked(it->second);
    return order_.end();
  }
  return it->second;
}

bool MemoryIdempotencyStore::MakeRoomLocked() {
  // The oldest record that no longer stands for a submission in flight: created, or expired.
  // A pending one is kept: forgetting it could let its id submit again.
  const absl::Time now = clock_.Now();
  int looked = 0;
  for (auto it = order_.begin(); it != order_.end() && looked < kEvictionScan; ++it, ++looked) {
    if (it->record.created() || now >= it->expires) {
      EraseLocked(it);
      return true;
    }
  }
  return false;
}

void MemoryIdempotencyStore::EraseLocked(Order::iterator entry) {
  by_key_.erase(entry->key);
  order_.erase(entry);
}

void MemoryIdempotencyStore::Claim(const std::string& key, const SubmissionRecord& record,
                                   absl::Duration ttl, Callback<ClaimResult> done) {
  ClaimResult claim;
  {
    absl::MutexLock lock(&mu_);
    if (auto entry = FindLocked(key); entry != order_.end()) {
      claim.record = entry->record;
    } else {
      if (static_cast<int64_t>(order_.size()) >= max_records_ && !MakeRoomLocked()) {
        return std::move(done)(
            MakeError(absl::StatusCode::kUnavailable, reason::kIdempotencyStoreUnavailable,
                      "the idempotency store (memory) is full of submissions in flight; nothing "
                      "was submitted"));
      }
      order_.push_back(Entry{key, record, clock_.Now() + ttl});
      by_key_[key] = std::prev(order_.end());
      claim.claimed = true;
      claim.record = record;
    }
  }
  std::move(done)(std::move(claim));
}

void MemoryIdempotencyStore::Replace(const std::string& key, const std::string& expected_owner,
                                     const SubmissionRecord& record, absl::Duration ttl,
                                     Callback<bool> done) {
  bool replaced = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto entry = FindLocked(key);
        entry != order_.end() && entry->record.owner == expected_owner) {
      entry->record = record;
      entry->expires = clock_.Now() + ttl;
      order_.splice(order_.end(), order_, entry);
      replaced = true;
    }
  }
  std::move(done)(replaced);
}

void MemoryIdempotencyStore::Get(const std::string& key,
                                 Callback<std::optional<SubmissionRecord>> done) {
  std::optional<SubmissionRecord> record;
  {
    absl::MutexLock lock(&mu_);
    if (auto entry = FindLocked(key); entry != order_.end()) record = entry->record;
  }
  std::move(done)(std::move(record));
}

void MemoryIdempotencyStore::Release(const std::string& key, const std::string& expected_owner,
                                     Callback<bool> done) {
  bool released = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto entry = FindLocked(key);
        entry != order_.end() && entry->record.owner == expected_owner) {
      EraseLocked(entry);
      released = true;
    }
  }
  std::move(done)(released);
}

void SwitchableIdempotencyStore::Set(std::unique_ptr<IdempotencyStore> next) {
  std::shared_ptr<IdempotencyStore> dropped;
  {
    absl::MutexLock lock(&mu_);
    retired_.push_back(std::move(current_));
    current_ = std::move(next);
    if (retired_.size() > kMaxRetired) {
      dropped = std::move(retired_.front());
      retired_.pop_front();
    }
  }
  // `dropped` goes here, outside the lock (a Redis store joins its thread).
}

int64_t MemoryIdempotencyStore::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(order_.size());
}

}  // namespace jobfacade
