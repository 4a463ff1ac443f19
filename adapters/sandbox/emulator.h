// The sandbox: an in-process HTTP server speaking the qBraid, IonQ and PraisonAI job APIs.
//
// One server answers all three vendors under their own prefixes, with each
// vendor's payload shapes, error envelopes, pagination and cancel/delete rules
// (../shared/vendor-apis/NOTES.md). Jobs move through their states on an
// injected clock. The jobfacade server embeds it for sandbox mode; tests seed
// jobs, inject faults and latency, and read request statistics through this
// class or through the control API on the same port. It is production code and
// depends on no test framework.
//
//   /qbraid/api/v1/jobs[/{qrn}[/cancel]]         X-API-KEY
//   /ionq/v0.4/jobs[/{uuid}[/status/cancel]]     Authorization: apiKey KEY
//   /praisonai/api/v1/runs[/{id}[/cancel|/stream]]  optional Bearer/X-API-Key
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

namespace jobfacade::sandbox {

inline constexpr char kQbraid[] = "qbraid";
inline constexpr char kIonq[] = "ionq";
inline constexpr char kPraisonai[] = "praisonai";

// Demo jobs seeded when Options::seed_demo_jobs is set, with ids a newcomer can
// type. Their creation times are relative to the clock when the emulator
// starts. qBraid: a long-running job (RUNNING for hours, so it can be
// cancelled), a COMPLETED one (deletable) and a job that stays INITIALIZING for
// two minutes (cancel answers 409).
inline constexpr char kDemoQbraidRunningJob[] =
    "azure:pasqal:sim:emu-tn-37f5-qjob-696aafc96a18e4f726abf2ba";
inline constexpr char kDemoQbraidCompletedJob[] =
    "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6";
inline constexpr char kDemoQbraidInitializingJob[] =
    "qbraid:qbraid:sim:qir-sv-8ce1-qjob-6a01c3f2b7e94d0c5a1e2f30";
// IonQ: running ("started") for hours, and a completed one.
inline constexpr char kDemoIonqRunningJob[] = "0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41";
inline constexpr char kDemoIonqCompletedJob[] = "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524";
// PraisonAI: running for hours, and a succeeded one.
inline constexpr char kDemoPraisonaiRunningJob[] = "run_4f1c9a2e7b30";
inline constexpr char kDemoPraisonaiSucceededJob[] = "run_9b2d61f0ac58";

// How a seeded job ends once its running phase is over.
enum class JobOutcome { kCompleted, kFailed, kCancelled };

// A job to seed. Its vendor status is computed from the clock: it is created at
// `created_at`, spends `initializing` (qBraid INITIALIZING, IonQ submitted;
// PraisonAI counts it as queued), then `queued`, then `running`, then ends with
// `outcome`. absl::InfiniteDuration() keeps a job in that phase forever.
struct JobSpec {
  std::string vendor;                    // kQbraid, kIonq or kPraisonai
  std::string id;                        // generated in the vendor's format when empty
  std::optional<absl::Time> created_at;  // default: the clock's now
  absl::Duration initializing = absl::Seconds(1);
  absl::Duration queued = absl::Seconds(5);
  absl::Duration running = absl::Seconds(10);
  JobOutcome outcome = JobOutcome::kCompleted;
  // qBraid statusMsg, IonQ failure.message, PraisonAI error.
  std::string failure_message;
  std::string failure_code;  // IonQ failure.code; default "InternalError"
  std::string name;          // qBraid/IonQ name; empty is null
  // qBraid deviceQrn (default "qbraid:qbraid:sim:qir-sv"), IonQ backend
  // (default "simulator"), PraisonAI agent_id (default null).
  std::string device;
  std::string provider;                         // qBraid provider; default: from the device QRN
  std::map<std::string, std::string> tags;      // qBraid tags, IonQ metadata
  std::map<std::string, std::string> metadata;  // qBraid metadata
  int64_t shots = 100;
  std::string session_id;  // IonQ and PraisonAI session_id; empty is null
  // qBraid groupJobQrn (or batchJobQrn), IonQ parent_job_id.
  std::string batch_id;
  std::string job_type;  // qBraid experimentType, IonQ type
  // qBraid queuePosition when QUEUED starts; it counts down to 1.
  int queue_position = 3;
  double cost = 0.375;  // qBraid credits once COMPLETED
  double estimated_cost = 7.5;
  // When set, the job reports this vendor status forever (e.g. "HOLD",
  // "UNKNOWN", or IonQ's v0.3 "running"), until a cancel the vendor accepts.
  std::string fixed_status;

  // Payload traps seen in real vendor bodies (NOTES.md).
  // qBraid "provider": {"_id":..,"provider":"QuEra"} instead of a string.
  bool provider_as_object = false;
  // qBraid statusMsg/queuePosition/cost/metadata absent instead of null.
  bool omit_unset_keys = false;
  // qBraid "batchJobQrn" instead of "groupJobQrn".
  bool legacy_batch_key = false;
  // qBraid "_id", "jobVrn", "deviceId", "providerId", ...
  bool extra_keys = true;
  // qBraid and PraisonAI timestamp fraction digits: 0, 3 or 6; -1 is the
  // vendor's usual (qBraid 3, PraisonAI 6). IonQ always sends 3.
  int fraction_digits = -1;
  // PraisonAI timestamp zone: "Z", "+00:00" or "" (none).
  std::string zone_suffix = "Z";
};

enum class FaultKind {
  // Answer `status` with `body` (empty: the vendor's own error envelope).
  kHttpStatus,
  kReset,     // reset the connection (TCP RST) before answering
  kClose,     // close the connection (FIN) before answering
  kTruncate,  // send the real answer's headers, half its body, then close (FIN)
  kBody,      // answer `status` (default 200) with `body` verbatim
  // Hold the request until ReleaseStalls() or `stall` passes, then answer.
  kStall,
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
  std::string vendor = "*";  // kQbraid, kIonq, kPraisonai or "*"
  std::string job_id;        // empty: any
  std::string method;        // "GET", "POST", "PUT", "DELETE"; empty: any
  // "get", "list", "cancel", "delete", "stream"; empty: any.
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

// One request as the emulator saw it.
struct RequestRecord {
  std::string vendor;
  std::string method;
  std::string path;   // decoded, with the vendor prefix
  std::string query;  // decoded name=value pairs joined with '&', by name
  std::string route;  // "get", "list", "cancel", "delete", "stream", "other"
  std::string job_id;
  // The vendor's auth header was present (its value is never kept).
  bool has_auth = false;
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
    bool seed_demo_jobs = true;
    std::string qbraid_api_key = "sandbox-qbraid-key";
    std::string ionq_api_key = "sandbox-ionq-key";
    // Empty: PraisonAI needs no auth (its loopback default).
    std::string praisonai_api_key;
    int threads = 64;  // handler threads (a handler may wait for latency)
    // 404/403 as {"detail":..} (the documented FastAPI form) instead of the
    // live gateway's envelope.
    bool qbraid_fastapi_errors = false;
    // IonQ's documented page maximum; larger `limit`s are lowered to it.
    int ionq_max_page_size = 25;
    int recent_requests = 512;
    // Real time between heartbeats on a PraisonAI event stream.
    absl::Duration praisonai_heartbeat = absl::Seconds(15);
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
  // "http://127.0.0.1:PORT/qbraid/api/v1", ".../ionq/v0.4", ".../praisonai";
  // empty for an unknown vendor. https with Options::tls_*.
  std::string base_url(absl::string_view vendor) const;
  // "http://127.0.0.1:PORT" (the control API is under /_emulator/).
  std::string root_url() const;
  // The key the vendor's personality expects (Options::*_api_key); empty for none or for an
  // unknown vendor.
  std::string api_key(absl::string_view vendor) const;
  const Clock& clock() const;

  // Seeds a job and returns its id. An existing job with the same id is
  // replaced.
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
  // Real wall-clock delay before each answer of `vendor` ("*": all three).
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
