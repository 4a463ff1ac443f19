// An in-process HTTP server that speaks the qBraid, IonQ and PraisonAI job
// APIs, with faults.
//
// One server answers all three vendors under their own URL prefixes, with each
// vendor's real payload shapes, error envelopes, pagination and cancel/delete
// rules (see
// ../shared/vendor-apis/NOTES.md). Jobs move through their states on an
// injected clock. Tests seed jobs, inject faults and latency, and read request
// statistics either through this class or through the control API under
// /_emulator/ on the same port. The server also backs the jobfacade server's
// sandbox mode, so it must not depend on a test framework.
#ifndef JOBFACADE_TESTS_FAKES_VENDOR_EMULATOR_H_
#define JOBFACADE_TESTS_FAKES_VENDOR_EMULATOR_H_

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

namespace jobfacade::fakes {

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
inline constexpr char kDemoIonqRunningJob[] =
    "0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41";
inline constexpr char kDemoIonqCompletedJob[] =
    "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524";
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
  std::string vendor;  // kQbraid, kIonq or kPraisonai
  std::string id;      // generated in the vendor's format when empty
  std::optional<absl::Time> created_at;  // default: the clock's now
  absl::Duration initializing = absl::Seconds(1);
  absl::Duration queued = absl::Seconds(5);
  absl::Duration running = absl::Seconds(10);
  JobOutcome outcome = JobOutcome::kCompleted;
  std::string failure_message;  // qBraid statusMsg, IonQ failure.message,
                                // PraisonAI error
  std::string failure_code;     // IonQ failure.code; default "InternalError"
  std::string name;             // qBraid/IonQ name; empty is null
  // qBraid deviceQrn (default "qbraid:qbraid:sim:qir-sv"), IonQ backend
  // (default "simulator"), PraisonAI agent_id (default null).
  std::string device;
  std::string provider;  // qBraid provider; default: from the device QRN
  std::map<std::string, std::string> tags;      // qBraid tags, IonQ metadata
  std::map<std::string, std::string> metadata;  // qBraid metadata
  int64_t shots = 100;
  std::string session_id;  // IonQ and PraisonAI session_id; empty is null
  std::string
      batch_id;  // qBraid groupJobQrn (or batchJobQrn), IonQ parent_job_id
  std::string job_type;  // qBraid experimentType, IonQ type
  int queue_position =
      3;  // qBraid queuePosition when QUEUED starts; counts down to 1
  double cost = 0.375;  // qBraid credits once COMPLETED
  double estimated_cost = 7.5;
  // When set, the job reports this vendor status forever (e.g. "HOLD",
  // "UNKNOWN", or IonQ's v0.3 "running"), until a cancel the vendor accepts.
  std::string fixed_status;

  // Payload traps seen in real vendor bodies (NOTES.md).
  bool provider_as_object =
      false;  // qBraid "provider": {"_id":..,"provider":"QuEra"}
  bool omit_unset_keys =
      false;  // qBraid statusMsg/queuePosition/cost/metadata absent
  bool legacy_batch_key =
      false;               // qBraid "batchJobQrn" instead of "groupJobQrn"
  bool extra_keys = true;  // qBraid "_id", "jobVrn", "deviceId", ...
  // qBraid and PraisonAI timestamp fraction digits: 0, 3 or 6; -1 is the
  // vendor's usual (qBraid 3, PraisonAI 6). IonQ always sends 3.
  int fraction_digits = -1;
  std::string zone_suffix =
      "Z";  // PraisonAI timestamps: "Z", "+00:00" or "" (none)
};

enum class FaultKind {
  kHttpStatus,  // answer `status` with `body` (empty: the vendor's own error
                // envelope)
  kReset,       // reset the connection (TCP RST) before answering
  kClose,       // close the connection (FIN) before answering
  kTruncate,    // send the real answer's headers, half its body, then close
  kBody,        // answer `status` (default 200) with `body` verbatim
  kStall,  // hold the request until ReleaseStalls() or `stall` passes, then
           // answer
};

// A fault hits requests that match every set field, `count` times (-1: until
// cleared). Faults are tried in the order they were added; at most one hits a
// request.
struct FaultSpec {
  std::string vendor = "*";  // kQbraid, kIonq, kPraisonai or "*"
  std::string job_id;        // empty: any
  std::string method;        // "GET", "POST", "PUT", "DELETE"; empty: any
  std::string route;         // "get", "list", "cancel", "delete"; empty: any
  FaultKind kind = FaultKind::kHttpStatus;
  int status = 500;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>>
      headers;                               // e.g. {"Retry-After", "2"}
  absl::Duration stall = absl::Seconds(30);  // real time
  int count = -1;
};

// One request as the emulator saw it.
struct RequestRecord {
  std::string vendor;
  std::string method;
  std::string path;   // decoded, with the vendor prefix
  std::string query;  // decoded name=value pairs joined with '&', in name order
  std::string route;  // "get", "list", "cancel", "delete", "stream" or "other"
  std::string job_id;
  bool has_auth =
      false;  // the vendor's auth header was present (its value is never kept)
  int status =
      0;  // the HTTP status answered; 0 while in flight or for dropped ones
};

struct Stats {
  int64_t total = 0;
  std::map<std::string, int64_t>
      by_route;  // "GET get", "GET list", "POST cancel", ...
  int in_flight = 0;
  int max_in_flight = 0;
  std::vector<RequestRecord>
      recent;  // oldest first, at most Options::recent_requests

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
    std::string praisonai_api_key;  // empty: PraisonAI needs no auth (its
                                    // loopback default)
    int threads = 64;  // handler threads (a handler may wait for latency)
    // 404/403 as {"detail":..} (the documented FastAPI form) instead of the
    // live gateway's.
    bool qbraid_fastapi_errors = false;
    int ionq_max_page_size =
        25;  // IonQ's documented page maximum; larger limits are lowered
    int recent_requests = 512;
    // Real time between heartbeats on a PraisonAI event stream.
    absl::Duration praisonai_heartbeat = absl::Seconds(15);
  };

  static absl::StatusOr<std::unique_ptr<VendorEmulator>> Start(Options options);
  ~VendorEmulator();  // stops the server (releasing stalled requests) and joins
                      // its thread

  VendorEmulator(const VendorEmulator&) = delete;
  VendorEmulator& operator=(const VendorEmulator&) = delete;

  int port() const;
  // "http://127.0.0.1:PORT/qbraid/api/v1", ".../ionq/v0.4", ".../praisonai";
  // empty for an unknown vendor.
  std::string base_url(absl::string_view vendor) const;
  // "http://127.0.0.1:PORT" (the control API is under /_emulator/).
  std::string root_url() const;
  const Clock& clock() const;

  // Seeds a job and returns its id. An existing job with the same id is
  // replaced.
  std::string AddJob(const JobSpec& spec);
  // Serves `raw_json_body` verbatim (status 200) for GET of that id; an empty
  // body removes it. Cancel and delete still act on a seeded job of the same id
  // (404 when there is none).
  void PutRawJob(absl::string_view vendor, absl::string_view id,
                 std::string raw_json_body);
  // Ids of the vendor's live jobs, newest first.
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

  class Impl;

 private:
  explicit VendorEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobfacade::fakes

#endif  // JOBFACADE_TESTS_FAKES_VENDOR_EMULATOR_H_
