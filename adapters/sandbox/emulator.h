// The sandbox: an in-process HTTP server speaking every registered vendor's job API.
//
// This is the engine: one server, a job store whose jobs move through their states on an
// injected clock, switchable faults and latency, request statistics and a control API. What
// each vendor's API looks like (routes, auth, error envelopes, pagination, cancel/delete rules,
// job payloads, demo jobs) is that vendor's sandbox personality (personality.h), which each
// vendor supplies from its own folder through Vendor::NewSandboxPersonality; the engine serves
// each personality under its prefix. The jobfacade server embeds it for sandbox mode; tests seed
// jobs, inject faults and latency, and read request statistics through this class or through
// the control API on the same port. It is production code and depends on no test framework.
//
//   <personality prefix>/...  each vendor's job API (adapters/<vendor>/<vendor>_sandbox.cc)
//   /_emulator/  health, jobs, raw_jobs, faults, stalls/release, latency,
//                stats, stats/reset, clock, clock/advance (loopback only)
//
// Faults cover what real vendors and the networks in front of them do: error
// statuses with or without Retry-After, connections reset or closed before or
// during the body, stalls, truncated or malformed JSON, wrong field types,
// huge bodies, HTML error pages, redirects, and (Options::tls_*) a TLS
// certificate the client does not trust.
#ifndef JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_H_
#define JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/sandbox/personality.h"
#include "adapters/sandbox/sandbox_job.h"

namespace jobfacade::sandbox {

enum class FaultKind {
  // Answer `status` with `body` (empty: the vendor's own error envelope).
  kHttpStatus,
  kReset,     // reset the connection (TCP RST) before answering
  kClose,     // close the connection (FIN) before answering
  kTruncate,  // send the real answer's headers, half its body, then close (FIN)
  kBody,      // answer `status` (default 200) with `body` verbatim
  // Hold the request until ReleaseStalls() or `stall` passes, then answer.
  kStall,
  // Answer for real (a submission creates its job at once), then hold the answer until
  // ReleaseStalls() or `stall` passes: the caller may be gone before it arrives.
  kStallAfterAnswer,
  // Send the real answer's headers (announcing the whole body), half its body,
  // then reset the connection (TCP RST).
  kResetMidBody,
  // The real answer, correctly framed, with only the first half of its body:
  // a whole HTTP response carrying truncated JSON.
  kTruncatedJson,
  // The real answer with `field` of every job object in it replaced by the raw
  // bytes `raw_value`, which need not be valid JSON or UTF-8: `42` for a
  // status, `{"$date":1}` for a timestamp, "\"RUN\xffNING\"" for a string.
  kFieldValue,
  // The real answer padded (with a "_padding" member when it is a JSON object,
  // still valid JSON) to exactly `body_size` bytes.
  kLargeBody,
  // A proxy's HTML error page (text/html) with `status`, 502 or even 200.
  kHtmlPage,
  // `status` (3xx; anything else is taken as 302) with a Location header:
  // `location`, or by default the same path under /moved on another host name
  // of this emulator (localhost), so a client that follows it shows up in the
  // stats as route "other".
  kRedirect,
};

// Stable names of the kinds, as the control API spells them ("http_status",
// "reset_mid_body", ...).
const char* FaultKindName(FaultKind kind);

// A fault hits requests that match every set field, `count` times (-1: until
// cleared). Faults are tried in the order they were added; at most one hits a
// request.
struct FaultSpec {
  std::string vendor = "*";  // a personality's vendor name, or "*"
  std::string job_id;        // empty: any
  std::string method;        // "GET", "POST", "PUT", "DELETE"; empty: any
  // "get", "list", "cancel", "delete", "stream", "create", "result", "cost"; empty: any.
  std::string route;
  FaultKind kind = FaultKind::kHttpStatus;
  int status = 500;
  std::string body;
  std::string content_type = "application/json";
  // Extra response headers, e.g. {"Retry-After", "2"}.
  std::vector<std::pair<std::string, std::string>> headers;
  absl::Duration stall = absl::Seconds(30);  // real time
  int count = -1;
  // Adds "Retry-After: N" (whole seconds, rounded up) to any answered fault, or
  // with `retry_after_http_date` an IMF-fixdate that far from now on the real
  // clock (the server being tested runs on the real clock).
  std::optional<absl::Duration> retry_after;
  bool retry_after_http_date = false;
  // kFieldValue: members of each job object ("a.b" for a nested one, created
  // when missing; several separated by commas) and their verbatim replacement.
  std::string field;
  std::string raw_value;
  int64_t body_size = int64_t{10} << 20;  // kLargeBody
  std::string location;                   // kRedirect; empty: see kRedirect
};

inline constexpr size_t kRecordedBodyBytes = 64 * 1024;

// One request as the emulator saw it.
struct RequestRecord {
  std::string vendor;
  std::string method;
  std::string path;   // decoded, with the vendor prefix
  std::string query;  // decoded name=value pairs joined with '&', by name
  std::string route;  // "get", "list", "cancel", "delete", "stream", "create", ..., "other"
  std::string job_id;
  // The vendor's auth header was present (its value is never kept).
  bool has_auth = false;
  // The X-Request-Id and traceparent headers, "" when absent.
  std::string request_id;
  std::string traceparent;
  // The Idempotency-Key and Content-Type headers, "" when absent, and the request body (its
  // first kRecordedBodyBytes), so that a test sees exactly what a submission sent.
  std::string idempotency_key;
  std::string content_type;
  std::string body;
  // The HTTP status answered; 0 while in flight or when the connection was
  // dropped.
  int status = 0;
  // When the request arrived, on the real clock (retry spacing is real time).
  absl::Time received;
};

struct Stats {
  int64_t total = 0;
  // Requests per "METHOD route": "GET get", "GET list", "POST cancel", ...
  std::map<std::string, int64_t> by_route;
  int in_flight = 0;
  int max_in_flight = 0;
  // Oldest first, at most Options::recent_requests.
  std::vector<RequestRecord> recent;

  int64_t Count(absl::string_view method, absl::string_view route) const;
};

class VendorEmulator {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;                  // 0: pick a free port
    const Clock* clock = nullptr;  // null: the real clock
    // Takes precedence over `clock`, and lets POST /_emulator/clock/advance
    // move it.
    ManualClock* manual_clock = nullptr;
    bool seed_demo_jobs = true;  // each personality's DemoJobs
    // By vendor name: the key its personality expects, its page maximum, event-stream
    // heartbeat and error form. A vendor not named runs with PersonalityOptions' defaults.
    std::map<std::string, PersonalityOptions> vendors;
    int threads = 64;  // handler threads (a handler may wait for latency)
    int recent_requests = 512;
    // PEM files: when both are set the emulator speaks HTTPS only (base_url()
    // and root_url() say https).
    std::string tls_cert_file;
    std::string tls_key_file;
  };

  static absl::StatusOr<std::unique_ptr<VendorEmulator>> Start(Options options);
  // Stops the server (releasing stalled requests) and joins its thread.
  ~VendorEmulator();

  VendorEmulator(const VendorEmulator&) = delete;
  VendorEmulator& operator=(const VendorEmulator&) = delete;

  int port() const;
  // The root URL plus the vendor's personality prefix ("http://127.0.0.1:PORT/ionq/v0.4");
  // empty for a vendor without a personality. https with Options::tls_*.
  std::string base_url(absl::string_view vendor) const;
  // "http://127.0.0.1:PORT" (the control API is under /_emulator/).
  std::string root_url() const;
  // The key the vendor's personality expects; empty for none or for a vendor without a
  // personality.
  std::string api_key(absl::string_view vendor) const;
  const Clock& clock() const;

  // The vendors served, in registry order.
  std::vector<std::string> vendors() const;

  // Seeds a job and returns its id (empty when no personality serves spec.vendor). An
  // existing job with the same id is replaced.
  std::string AddJob(const JobSpec& spec);
  // Serves `raw_json_body` verbatim (status 200) for GET of that id; an empty
  // body removes it. Cancel and delete still act on a seeded job of the same id
  // (404 when there is none).
  void PutRawJob(absl::string_view vendor, absl::string_view id, std::string raw_json_body);
  // Ids of the vendor's live jobs in list order: newest first, ties by id
  // ascending.
  std::vector<std::string> JobIds(absl::string_view vendor) const;
  void ClearJobs();  // every job and raw body of every vendor

  void InjectFault(const FaultSpec& fault);
  void ClearFaults();    // also releases stalled requests
  void ReleaseStalls();  // lets every request held by a kStall fault answer now
  // Real wall-clock delay before each answer of `vendor` ("*": every vendor).
  void SetLatency(absl::string_view vendor, absl::Duration delay);

  // `vendor` may be "*" for all vendors together.
  Stats stats(absl::string_view vendor) const;
  void ResetStats();

 private:
  class Impl;
  explicit VendorEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_H_
