// ResilientClient: every request is a Call that moves between the wait queue, the vendor and
// the backoff timer under one mutex; callbacks and listeners run after it is released.
#include "adapters/resilience/resilient_client.h"

#include <algorithm>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "adapters/core/cancellation.h"
#include "adapters/core/http_errors.h"

namespace jobfacade {
namespace {

// How long a caller is told to wait while the half-open probe is in flight.
constexpr absl::Duration kProbeRetryDelay = absl::Seconds(1);

enum class Phase { kAdmitting, kQueued, kInFlight, kBackoff, kDone };
enum class Outcome { kSuccess, kFailure, kNeutral };

struct Call {
  uint64_t id = 0;
  http::Request request;  // what every attempt sends
  http::ResponseCallback done;
  absl::Time deadline;
  bool idempotent = false;
  int attempts = 0;
  Phase phase = Phase::kAdmitting;
  bool probe = false;  // the attempt in flight is the half-open probe
  absl::Time attempt_started;
  Scheduler::TaskId timer = 0;  // queue deadline or backoff
  std::list<std::shared_ptr<Call>>::iterator queue_position;
  Cancellation::CallbackId cancel_id = 0;
};

http::Response LocalError(http::TransportError error, std::string message) {
  http::Response response;
  response.error = error;
  response.error_message = std::move(message);
  return response;
}

bool IsRetryableStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

// Work collected under the lock and run after it is released: user callbacks, listener
// notifications and sends to the inner client all may re-enter the client.
class Deferred {
 public:
  void Add(absl::AnyInvocable<void() &&> action) { actions_.push_back(std::move(action)); }
  void Run() {
    for (auto& action : actions_) std::move(action)();
    actions_.clear();
  }

 private:
  std::vector<absl::AnyInvocable<void() &&>> actions_;
};

}  // namespace

absl::string_view CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

class ResilientClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(std::string vendor, http::HttpClient* inner, Scheduler* scheduler, ResilienceOptions options,
       std::function<double()> uniform)
      : vendor_(std::move(vendor)),
        inner_(inner),
        scheduler_(scheduler),
        options_(std::move(options)),
        uniform_(std::move(uniform)) {
    options_.max_in_flight = std::max(1, options_.max_in_flight);
    options_.max_queued = std::max(0, options_.max_queued);
    options_.max_attempts = std::max(1, options_.max_attempts);
    if (!uniform_) {
      uniform_ = [engine = std::mt19937_64(std::random_device()())]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
      };
    }
  }

  const std::string& vendor() const { return vendor_; }

  void Send(http::Request request, http::ResponseCallback done) {
    if (request.body_sink != nullptr) return SendStream(std::move(request), std::move(done));
    auto call = std::make_shared<Call>();
    call->done = std::move(done);
    call->idempotent = request.method == "GET";
    call->deadline = request.deadline;
    bool refused = false;
    {
      absl::MutexLock lock(&mu_);
      call->id = next_call_id_++;
      // Once shut down, the scheduler may be gone already: answer without reading its clock.
      refused = shut_down_;
      if (!refused && call->deadline == absl::InfiniteFuture()) {
        call->deadline = scheduler_->Now() + request.default_timeout;
      }
    }
    if (refused) {
      std::move(call->done)(
          LocalError(http::TransportError::kCancelled, "vendor client shut down"));
      return;
    }
    request.deadline = call->deadline;
    request.max_response_bytes = options_.max_response_bytes;
    call->request = std::move(request);
    if (const auto& cancellation = call->request.cancellation) {
      call->cancel_id =
          cancellation->Add([weak_self = weak_from_this(), weak_call = std::weak_ptr<Call>(call)] {
            auto self = weak_self.lock();
            auto call = weak_call.lock();
            if (self != nullptr && call != nullptr) self->OnCancel(call);
          });
      if (call->cancel_id == 0) {  // already cancelled: the callback ran and found nothing
        std::move(call->done)(LocalError(http::TransportError::kCancelled, "cancelled"));
        return;
      }
    }
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      Admit(call, deferred);
    }
    deferred.Run();
  }

  // An event stream is open for as long as its job runs: it takes no slot of the concurrency
  // limit (its owner bounds how many it opens), is never retried (its owner re-opens it or
  // falls back to polling) and is refused while the circuit is not closed.
  void SendStream(http::Request request, http::ResponseCallback done) {
    std::optional<http::Response> refused;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = scheduler_->Now();
      if (shut_down_) {
        refused = LocalError(http::TransportError::kCancelled, "vendor client shut down");
      } else if (options_.circuit_failure_threshold > 0 && circuit_ != CircuitState::kClosed) {
        refused = LocalError(http::TransportError::kCircuitOpen, "circuit breaker open");
        refused->retry_delay = circuit_ == CircuitState::kOpen && open_until_ > now
                                   ? open_until_ - now
                                   : kProbeRetryDelay;
      } else {
        ++counters_.attempts;
      }
    }
    if (refused.has_value()) return std::move(done)(*std::move(refused));
    if (request.trace != nullptr) request.trace->attempts.fetch_add(1, std::memory_order_relaxed);
    inner_->Send(std::move(request), std::move(done));
  }

  void SetAttemptListener(AttemptListener listener) { attempt_listener_ = std::move(listener); }

  void SetCircuitListener(std::function<void(bool)> listener) {
    absl::MutexLock lock(&notify_mu_);
    listener_ = std::move(listener);
  }

  ResilienceStats stats() const {
    absl::MutexLock lock(&mu_);
    ResilienceStats stats = counters_;
    stats.in_flight = in_flight_;
    stats.queued = static_cast<int>(queue_.size());
    stats.backing_off = static_cast<int>(backing_off_.size());
    stats.circuit = circuit_;
    return stats;
  }

  void Shutdown() {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      shut_down_ = true;
      if (half_open_timer_ != 0) scheduler_->Cancel(half_open_timer_);
      half_open_timer_ = 0;
      std::vector<std::shared_ptr<Call>> waiting(queue_.begin(), queue_.end());
      for (auto& [id, call] : backing_off_) waiting.push_back(call);
      queue_.clear();
      backing_off_.clear();
      for (auto& call : waiting) {
        if (call->timer != 0) scheduler_->Cancel(call->timer);
        Finish(call, LocalError(http::TransportError::kCancelled, "vendor client shut down"),
               deferred);
      }
    }
    deferred.Run();
  }

 private:
  // Starts the call's next attempt, queues it, or fails it.
  void Admit(const std::shared_ptr<Call>& call, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (shut_down_) {
      Finish(call, LocalError(http::TransportError::kCancelled, "vendor client shut down"),
             deferred);
      return;
    }
    const absl::Time now = scheduler_->Now();
    if (now >= call->deadline) {
      Finish(call, LocalError(http::TransportError::kTimeout, "deadline passed before the request"),
             deferred);
      return;
    }
    if (std::optional<http::Response> refused = CheckCircuit(call, now, deferred)) {
      ++counters_.rejected_open;
      Finish(call, *std::move(refused), deferred);
      return;
    }
    if (in_flight_ < options_.max_in_flight) {
      ++in_flight_;
      StartAttempt(call, now, deferred);
      return;
    }
    if (static_cast<int>(queue_.size()) >= options_.max_queued) {
      ++counters_.rejected_full;
      ReleaseProbe(*call);
      Finish(call,
             LocalError(http::TransportError::kOverloaded,
                        absl::StrCat(options_.max_in_flight, " requests in flight and ",
                                     options_.max_queued, " waiting")),
             deferred);
      return;
    }
    call->phase = Phase::kQueued;
    call->queue_position = queue_.insert(queue_.end(), call);
    call->timer = scheduler_->RunAt(
        call->deadline, [self = shared_from_this(), call] { self->OnQueueDeadline(call); });
  }

  // nullopt when the circuit lets `call` through (marking it the probe when half-open).
  std::optional<http::Response> CheckCircuit(const std::shared_ptr<Call>& call, absl::Time now,
                                             Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (options_.circuit_failure_threshold <= 0) return std::nullopt;
    if (circuit_ == CircuitState::kOpen && now >= open_until_) EnterHalfOpen(deferred);
    if (circuit_ == CircuitState::kClosed) return std::nullopt;
    http::Response refused = LocalError(http::TransportError::kCircuitOpen, "circuit breaker open");
    if (circuit_ == CircuitState::kOpen) {
      refused.retry_delay = open_until_ - now;
      return refused;
    }
    if (probe_in_flight_) {
      refused.retry_delay = kProbeRetryDelay;
      return refused;
    }
    probe_in_flight_ = true;
    call->probe = true;
    return std::nullopt;
  }

  void StartAttempt(const std::shared_ptr<Call>& call, absl::Time now, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    call->phase = Phase::kInFlight;
    call->timer = 0;
    call->attempt_started = now;
    if (call->attempts++ > 0) ++counters_.retries;
    ++counters_.attempts;
    if (call->request.trace != nullptr) {
      call->request.trace->attempts.fetch_add(1, std::memory_order_relaxed);
    }
    http::Request attempt = call->request;
    deferred.Add([self = shared_from_this(), call, attempt = std::move(attempt)]() mutable {
      self->inner_->Send(std::move(attempt), [self, call](http::Response response) {
        self->OnAttemptDone(call, std::move(response));
      });
    });
  }

  void OnAttemptDone(const std::shared_ptr<Call>& call, http::Response response) {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      --in_flight_;
      if (shut_down_) {
        // The scheduler may be gone already: no clock, no breaker timers, no retries.
        Finish(call, std::move(response), deferred);
      } else {
        const absl::Time now = scheduler_->Now();
        if (attempt_listener_) {
          const bool answered = response.error == http::TransportError::kNone;
          deferred.Add(
              [self = shared_from_this(),
               record = AttemptRecord{call->request.operation, answered ? response.status : 0,
                                      response.error, now - call->attempt_started,
                                      call->attempts}] { self->attempt_listener_(record); });
        }
        RecordOutcome(call, Classify(*call, response), now, deferred);
        StartQueued(now, deferred);
        absl::Duration delay;
        if (ShouldRetry(*call, response, now, &delay)) {
          call->phase = Phase::kBackoff;
          backing_off_.emplace(call->id, call);
          call->timer = scheduler_->RunAt(
              now + delay, [self = shared_from_this(), call] { self->OnBackoffDone(call); });
        } else {
          Finish(call, std::move(response), deferred);
        }
      }
    }
    deferred.Run();
  }

  // A call that leaves without its attempt being judged gives the half-open probe back.
  void ReleaseProbe(Call& call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!call.probe) return;
    call.probe = false;
    probe_in_flight_ = false;
  }

  // Fills free slots from the head of the queue.
  void StartQueued(absl::Time now, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (in_flight_ < options_.max_in_flight && !queue_.empty()) {
      std::shared_ptr<Call> next = queue_.front();
      queue_.pop_front();
      if (next->timer != 0) scheduler_->Cancel(next->timer);
      next->timer = 0;
      if (now >= next->deadline) {
        // Every way out of the queue releases a half-open probe reservation, or the circuit
        // would refuse every later request while health says SERVING.
        ReleaseProbe(*next);
        Finish(next,
               LocalError(http::TransportError::kTimeout,
                          "deadline passed while waiting for a connection to the vendor"),
               deferred);
        continue;
      }
      ++in_flight_;
      StartAttempt(next, now, deferred);
    }
  }

  bool ShouldRetry(const Call& call, const http::Response& response, absl::Time now,
                   absl::Duration* delay) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (call.attempts >= options_.max_attempts) return false;
    if (call.request.cancellation != nullptr && call.request.cancellation->IsCancelled()) {
      return false;
    }
    // An open circuit answers the next attempt anyway; the vendor's own answer says more.
    if (circuit_ == CircuitState::kOpen) return false;
    bool retryable = false;
    switch (response.error) {
      case http::TransportError::kConnectFailed:
        retryable = true;  // never reached the vendor: safe for every method
        break;
      case http::TransportError::kConnectionLost:
      case http::TransportError::kStalled:
      case http::TransportError::kOther:
        retryable = call.idempotent;
        break;
      case http::TransportError::kNone:
        retryable = call.idempotent && IsRetryableStatus(response.status);
        break;
      default:
        break;
    }
    if (!retryable) return false;
    const absl::Duration cap =
        std::min(options_.max_backoff,
                 options_.initial_backoff * (int64_t{1} << std::min(call.attempts - 1, 30)));
    *delay = cap * std::clamp(uniform_(), 0.0, 1.0);
    if (response.error == http::TransportError::kNone) {
      if (std::optional<std::string> header = response.Header("retry-after")) {
        if (std::optional<absl::Duration> after = ParseRetryAfter(*header, now)) {
          if (*after > options_.max_retry_after) return false;
          *delay = std::max(*delay, *after);
        }
      }
    }
    return now + *delay < call.deadline;
  }

  Outcome Classify(const Call& call, const http::Response& response) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    switch (response.error) {
      case http::TransportError::kNone:
        // 501 is the vendor's considered answer, not an outage.
        return response.status >= 500 && response.status != 501 ? Outcome::kFailure
                                                                : Outcome::kSuccess;
      case http::TransportError::kConnectFailed:
      case http::TransportError::kConnectionLost:
      case http::TransportError::kTls:
      case http::TransportError::kStalled:
      case http::TransportError::kOther:
        return Outcome::kFailure;
      case http::TransportError::kTimeout:
        return call.deadline - call.attempt_started >= options_.min_timeout_counted
                   ? Outcome::kFailure
                   : Outcome::kNeutral;
      case http::TransportError::kResponseTooLarge:
        return Outcome::kSuccess;  // the vendor answered
      default:
        return Outcome::kNeutral;
    }
  }

  void RecordOutcome(const std::shared_ptr<Call>& call, Outcome outcome, absl::Time now,
                     Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const bool probe = call->probe;
    call->probe = false;
    if (options_.circuit_failure_threshold <= 0) return;
    if (probe) {
      probe_in_flight_ = false;
      if (outcome == Outcome::kSuccess) {
        circuit_ = CircuitState::kClosed;
        consecutive_failures_ = 0;
      } else if (outcome == Outcome::kFailure) {
        Open(now, deferred);
      }
      return;
    }
    if (circuit_ != CircuitState::kClosed) return;  // started before the circuit opened
    if (outcome == Outcome::kSuccess) {
      consecutive_failures_ = 0;
    } else if (outcome == Outcome::kFailure &&
               ++consecutive_failures_ >= options_.circuit_failure_threshold) {
      Open(now, deferred);
    }
  }

  void Open(absl::Time now, Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    circuit_ = CircuitState::kOpen;
    consecutive_failures_ = 0;
    open_until_ = now + options_.circuit_open_duration;
    ++counters_.circuit_opened;
    if (half_open_timer_ != 0) scheduler_->Cancel(half_open_timer_);
    half_open_timer_ =
        scheduler_->RunAt(open_until_, [self = shared_from_this()] { self->OnOpenElapsed(); });
    // Waiting requests would only wait to be refused.
    while (!queue_.empty()) {
      std::shared_ptr<Call> waiting = queue_.front();
      queue_.pop_front();
      if (waiting->timer != 0) scheduler_->Cancel(waiting->timer);
      waiting->timer = 0;
      http::Response refused =
          LocalError(http::TransportError::kCircuitOpen, "circuit breaker open");
      refused.retry_delay = options_.circuit_open_duration;
      ++counters_.rejected_open;
      Finish(waiting, std::move(refused), deferred);
    }
    deferred.Add([self = shared_from_this()] { self->NotifyListener(); });
  }

  void EnterHalfOpen(Deferred& deferred) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    circuit_ = CircuitState::kHalfOpen;
    probe_in_flight_ = false;
    half_open_timer_ = 0;
    deferred.Add([self = shared_from_this()] { self->NotifyListener(); });
  }

  void OnOpenElapsed() {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      if (!shut_down_ && circuit_ == CircuitState::kOpen && scheduler_->Now() >= open_until_) {
        EnterHalfOpen(deferred);
      }
    }
    deferred.Run();
  }

  void OnBackoffDone(const std::shared_ptr<Call>& call) {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      if (call->phase != Phase::kBackoff) return;
      backing_off_.erase(call->id);
      call->timer = 0;
      call->phase = Phase::kAdmitting;
      Admit(call, deferred);
    }
    deferred.Run();
  }

  void OnQueueDeadline(const std::shared_ptr<Call>& call) {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      if (call->phase != Phase::kQueued) return;
      queue_.erase(call->queue_position);
      call->timer = 0;
      ReleaseProbe(*call);
      Finish(call,
             LocalError(http::TransportError::kTimeout,
                        "deadline passed while waiting for a connection to the vendor"),
             deferred);
    }
    deferred.Run();
  }

  void OnCancel(const std::shared_ptr<Call>& call) {
    Deferred deferred;
    {
      absl::MutexLock lock(&mu_);
      if (call->phase == Phase::kQueued) {
        queue_.erase(call->queue_position);
        ReleaseProbe(*call);
      } else if (call->phase == Phase::kBackoff) {
        backing_off_.erase(call->id);
      } else {
        return;  // in flight: the engine aborts it through the same cancellation
      }
      if (call->timer != 0) scheduler_->Cancel(call->timer);
      call->timer = 0;
      // The cancellation is firing: it removes this callback itself.
      call->cancel_id = 0;
      Finish(call, LocalError(http::TransportError::kCancelled, "cancelled"), deferred);
    }
    deferred.Run();
  }

  void Finish(const std::shared_ptr<Call>& call, http::Response response, Deferred& deferred)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (call->phase == Phase::kDone) return;
    call->phase = Phase::kDone;
    if (call->cancel_id != 0) {
      deferred.Add([cancellation = call->request.cancellation, id = call->cancel_id] {
        cancellation->Remove(id);
      });
      call->cancel_id = 0;
    }
    deferred.Add([done = std::move(call->done), response = std::move(response)]() mutable {
      std::move(done)(std::move(response));
    });
  }

  // Tells the listener the current state; serialised, so the last call always carries the
  // newest state even when two threads change it at once.
  void NotifyListener() {
    absl::MutexLock notify_lock(&notify_mu_);
    bool serving;
    {
      absl::MutexLock lock(&mu_);
      serving = circuit_ != CircuitState::kOpen;
    }
    if (serving == last_serving_) return;
    last_serving_ = serving;
    if (listener_) listener_(serving);
  }

  const std::string vendor_;
  http::HttpClient* const inner_;
  Scheduler* const scheduler_;
  ResilienceOptions options_;

  mutable absl::Mutex mu_;
  std::function<double()> uniform_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_call_id_ ABSL_GUARDED_BY(mu_) = 1;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::list<std::shared_ptr<Call>> queue_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::shared_ptr<Call>> backing_off_ ABSL_GUARDED_BY(mu_);
  CircuitState circuit_ ABSL_GUARDED_BY(mu_) = CircuitState::kClosed;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_);
  bool probe_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  Scheduler::TaskId half_open_timer_ ABSL_GUARDED_BY(mu_) = 0;
  ResilienceStats counters_ ABSL_GUARDED_BY(mu_);

  absl::Mutex notify_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::function<void(bool)> listener_ ABSL_GUARDED_BY(notify_mu_);
  AttemptListener attempt_listener_;  // set before the first Send, then only read
  bool last_serving_ ABSL_GUARDED_BY(notify_mu_) = true;
};

ResilientClient::ResilientClient(std::string vendor, http::HttpClient* inner, Scheduler* scheduler,
                                 ResilienceOptions options, std::function<double()> uniform)
    : impl_(std::make_shared<Impl>(std::move(vendor), inner, scheduler, std::move(options),
                                   std::move(uniform))) {}

ResilientClient::~ResilientClient() { impl_->Shutdown(); }

void ResilientClient::Shutdown() { impl_->Shutdown(); }

void ResilientClient::Send(http::Request request, http::ResponseCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

void ResilientClient::SetCircuitListener(std::function<void(bool)> listener) {
  impl_->SetCircuitListener(std::move(listener));
}

void ResilientClient::SetAttemptListener(AttemptListener listener) {
  impl_->SetAttemptListener(std::move(listener));
}

ResilienceStats ResilientClient::stats() const { return impl_->stats(); }

absl::string_view ResilientClient::vendor() const { return impl_->vendor(); }

}  // namespace jobfacade
