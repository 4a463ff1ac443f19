// The idempotency store shared by a fleet of replicas: a real Redis server, reached through
// hiredis' synchronous API on one thread of its own, so that no gRPC or HTTP-engine thread
// ever waits on Redis. Records are Redis strings with a TTL; the compare-and-set steps are Lua
// scripts, atomic in Redis.
#ifndef JOBFACADE_SERVICE_REDIS_STORE_H_
#define JOBFACADE_SERVICE_REDIS_STORE_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "service/idempotency_store.h"

namespace jobfacade {

struct RedisStoreOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
  // Connecting and each command give up after this; then the store answers UNAVAILABLE /
  // IDEMPOTENCY_STORE_UNAVAILABLE at once for `retry_after` before it tries again.
  absl::Duration timeout = absl::Milliseconds(500);
  absl::Duration retry_after = absl::Seconds(1);
  // Commands waiting for the thread at most, and how long one may wait; beyond either it is
  // answered UNAVAILABLE at once, so a slow Redis never holds calls past their deadlines.
  size_t max_queued = 1000;
  absl::Duration max_queue_wait = absl::Seconds(2);
};

// Starts the store's thread; it connects on first use (and again after a failure).
std::unique_ptr<IdempotencyStore> NewRedisIdempotencyStore(RedisStoreOptions options);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_REDIS_STORE_H_
