// Asynchronous HTTP client on libcurl's multi interface, driven by one event-loop thread, so
// thousands of vendor requests can be in flight without a thread each.
#ifndef JOBFACADE_ADAPTERS_HTTP_HTTP_ENGINE_H_
#define JOBFACADE_ADAPTERS_HTTP_HTTP_ENGINE_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/cancellation.h"
#include "adapters/core/clock.h"
#include "adapters/core/scheduler.h"

namespace jobfacade::http {

// Default cap on a response body; larger bodies fail with kResponseTooLarge.
inline constexpr size_t kDefaultMaxResponseBytes = 8 << 20;

// Takes the body of a 2xx answer piece by piece as it arrives (an event stream), on the engine's
// loop thread; it must not block. Returning false aborts the transfer (kCancelled).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual bool OnData(absl::string_view bytes) = 0;
};

// What one caller's call learns of the vendor requests made for it (the per-RPC log line's
// vendor_attempts); shared by the requests of that call.
struct RequestTrace {
  std::atomic<int> attempts{0};  // sent to the vendor, retries included
};

struct Request {
  std::string method = "GET";  // GET, POST, PUT or DELETE
  std::string url;             // absolute http(s) URL, already percent-encoded
  // Header lines as name/value pairs. Values may hold secrets: the engine never logs them
  // and never puts them into an error message.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent as is for POST/PUT/DELETE when not empty
  // The request fails with kTimeout when no full response has arrived by then. An infinite
  // deadline means `default_timeout` from the start of the transfer.
  absl::Time deadline = absl::InfiniteFuture();
  absl::Duration default_timeout = absl::Seconds(30);
  size_t max_response_bytes = kDefaultMaxResponseBytes;
  // When set and cancelled, the transfer is aborted at once and completes with kCancelled.
  std::shared_ptr<Cancellation> cancellation;
  // When set, a 2xx body goes to the sink instead of Response::body (which stays empty) and
  // max_response_bytes does not apply to it; other statuses are kept in Response::body as
  // usual. A stream lives as long as its deadline; absl::InfiniteDuration() as
  // `default_timeout` lets it run until the peer closes it or it stalls.
  std::shared_ptr<BodySink> body_sink;
  // Replaces Options::low_speed_time for this request (a stream's heartbeats may be further
  // apart than a body's reads).
  std::optional<absl::Duration> low_speed_time;
  // The vendor operation for metrics ("get", "list", "cancel", "delete", "stream"); a
  // string with static storage.
  absl::string_view operation = "other";
  // When set, the resilience layer counts every attempt it sends here.
  std::shared_ptr<RequestTrace> trace;
};

enum class TransportError {
  kNone,              // a complete HTTP response arrived (any status code)
  kConnectFailed,     // DNS failure or connection refused: the request never reached the peer
  kTimeout,           // deadline passed (also when it had passed before the request started)
  kTls,               // TLS handshake or certificate verification failed
  kConnectionLost,    // reset or closed mid-request or mid-body
  kResponseTooLarge,  // body exceeded max_response_bytes
  kCancelled,         // the request's cancellation fired, or the engine shut down
  kOther,             // anything else libcurl reports
  kStalled,           // the vendor sent nothing for Options::low_speed_time mid-transfer
  // Answered before reaching the vendor by the resilience layer (adapters/resilience):
  kCircuitOpen,  // the vendor's circuit breaker is open; Response::retry_delay says how long
  kOverloaded,   // too many requests already wait for the vendor
};

absl::string_view TransportErrorName(TransportError error);

struct Response {
  TransportError error = TransportError::kNone;
  // For errors: a short description safe for logs and error messages (no headers, no body).
  std::string error_message;
  int status = 0;  // HTTP status code when error == kNone
  std::string body;
  // Response headers of the final response, names lower-cased, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  // For kCircuitOpen: when the vendor may be tried again.
  std::optional<absl::Duration> retry_delay;
  // When the response was complete, on the engine's clock; a Retry-After date is measured
  // from it. InfinitePast when it never came through an engine (test answers, local errors).
  absl::Time received_at = absl::InfinitePast();

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> Header(absl::string_view name) const;
};

using ResponseCallback = absl::AnyInvocable<void(Response) &&>;

// What vendor adapters send requests through: the engine itself, or a resilience layer
// (retries, limits, circuit breaker) in front of it.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts `request`; `done` runs exactly once, possibly on the calling thread. `done` must not
  // block.
  virtual void Send(Request request, ResponseCallback done) = 0;
};

// Also a Scheduler: timer tasks run on the loop thread, between transfers, so the server needs
// no timer thread of its own. Tasks must not block, as callbacks must not.
class HttpEngine final : public HttpClient, public Scheduler {
 public:
  struct Options {
    // Upper bound on open connections kept for reuse across all hosts (CURLMOPT_MAXCONNECTS).
    long max_cached_connections = 1024;
    absl::Duration connect_timeout = absl::Seconds(10);
    // Extra CA bundle for tests; empty means the system store. Verification is always on.
    std::string ca_file;
    // A transfer that receives nothing for this long fails with kStalled (curl's low-speed
    // limit of 1 byte/s), so a vendor that stops mid-body cannot hold a request until its
    // deadline. Zero disables it.
    absl::Duration low_speed_time = absl::Seconds(10);
    // Deadlines are measured on it; null means Clock::Real().
    const Clock* clock = nullptr;
  };

  HttpEngine();
  explicit HttpEngine(Options options);
  // Stops the loop thread; requests still in flight complete with kCancelled first.
  ~HttpEngine();

  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  // Starts `request`; `done` runs exactly once, on the engine's loop thread (or on the calling
  // thread when the request fails before it starts). `done` must not block.
  void Send(Request request, ResponseCallback done) override;

  // Requests started and not yet completed.
  size_t in_flight() const;

  // Scheduler, on real time (absl::Now()) whatever Options::clock says: a task runs at or
  // soon after `when` on the loop thread, never inline.
  absl::Time Now() const override;
  TaskId RunAt(absl::Time when, Task task) override;
  bool Cancel(TaskId id) override;
  // Drops every pending task and refuses new ones (their tasks are destroyed unrun); returns
  // once no task is running, unless called from one. Transfers go on.
  void StopTimers();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobfacade::http

#endif  // JOBFACADE_ADAPTERS_HTTP_HTTP_ENGINE_H_
