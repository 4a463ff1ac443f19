// One vendor's guard between its adapter and the HTTP engine: a concurrency limit with a
// bounded wait queue, a circuit breaker, and retries with full-jitter backoff, all within the
// caller's deadline. A slow, failing or rate-limiting vendor costs the service a bounded number
// of connections and never the other vendors.
#ifndef JOBFACADE_ADAPTERS_RESILIENCE_RESILIENT_CLIENT_H_
#define JOBFACADE_ADAPTERS_RESILIENCE_RESILIENT_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/scheduler.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

struct ResilienceOptions {
  // Requests in flight at the vendor at once; more wait in a FIFO queue.
  int max_in_flight = 16;
  // Requests that may wait for a slot; beyond that a request fails at once (kOverloaded).
  int max_queued = 256;
  // Attempts of one request, the first included (1 disables retries).
  int max_attempts = 3;
  // Backoff before retry n (n = 1, 2, ...) is uniform in [0, min(max_backoff,
  // initial_backoff * 2^(n-1))] ("full jitter"), and at least the vendor's Retry-After.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // A Retry-After longer than this is not waited for: the 429 or 503 goes back to the caller at
  // once with the vendor's delay in its RetryInfo.
  absl::Duration max_retry_after = absl::Seconds(10);
  // Consecutive failed attempts (5xx, connection failures, TLS, stalls, timeouts) that open the
  // circuit; 0 disables the breaker.
  int circuit_failure_threshold = 5;
  // How long an open circuit refuses requests before letting one probe through.
  absl::Duration circuit_open_duration = absl::Seconds(30);
  // A timeout counts as a vendor failure only when the attempt had at least this long: a caller
  // with a 50 ms deadline says nothing about the vendor's health.
  absl::Duration min_timeout_counted = absl::Seconds(1);
  // Cap on one response body.
  size_t max_response_bytes = http::kDefaultMaxResponseBytes;
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
absl::string_view CircuitStateName(CircuitState state);

// Counters and gauges of one vendor, for metrics and tests.
struct ResilienceStats {
  int in_flight = 0;
  int queued = 0;
  int backing_off = 0;  // requests waiting for their next attempt
  CircuitState circuit = CircuitState::kClosed;
  int64_t attempts = 0;       // requests sent to the vendor
  int64_t retries = 0;        // attempts after the first
  int64_t rejected_full = 0;  // failed at once: the wait queue was full
  int64_t rejected_open = 0;  // failed at once: the circuit was open
  int64_t circuit_opened = 0;
};

// One answered attempt of a request (a retry is an attempt of its own).
struct AttemptRecord {
  absl::string_view operation;  // http::Request::operation
  int http_status = 0;          // 0 when no HTTP answer came
  http::TransportError error = http::TransportError::kNone;
  absl::Duration took;  // from sending the attempt to its answer
  int attempt = 1;      // 1 for the first
};
using AttemptListener = std::function<void(const AttemptRecord&)>;

class ResilientClient final : public http::HttpClient {
 public:
  // `inner` and `scheduler` must outlive the client. `uniform` returns numbers in [0, 1) for the
  // jitter; null means a random generator.
  ResilientClient(std::string vendor, http::HttpClient* inner, Scheduler* scheduler,
                  ResilienceOptions options, std::function<double()> uniform = nullptr);
  // Requests still queued or waiting to retry complete with kCancelled; requests in flight
  // complete when `inner` answers them, without retries.
  ~ResilientClient() override;
  ResilientClient(const ResilientClient&) = delete;
  ResilientClient& operator=(const ResilientClient&) = delete;

  // GET requests are retried on 429, 500, 502, 503, 504 and on lost or refused connections;
  // other methods change state at the vendor and are retried only when the connection was
  // refused (the request provably never arrived). A request's deadline bounds its queueing,
  // backoff and attempts; an infinite one becomes now + request.default_timeout. Cancelling
  // the request's cancellation frees it at once wherever it is.
  void Send(http::Request request, http::ResponseCallback done) override;

  // Stops the client: requests queued or waiting to retry complete with kCancelled, later ones
  // are refused, and requests in flight complete when `inner` answers them, without retries,
  // and touch neither the scheduler nor the breaker. The destructor does the same. After it,
  // `scheduler` may be destroyed; `inner` must still answer what is in flight.
  void Shutdown();

  // Runs `listener(serving)` whenever the circuit opens (false) or lets requests through again
  // (true), without any lock held and in order. Set it before the first Send.
  void SetCircuitListener(std::function<void(bool serving)> listener);
  // Runs `listener` for every answered attempt (not for event streams), without any lock
  // held. Set it before the first Send.
  void SetAttemptListener(AttemptListener listener);

  ResilienceStats stats() const;
  absl::string_view vendor() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_RESILIENCE_RESILIENT_CLIENT_H_
