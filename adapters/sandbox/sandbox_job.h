// The sandbox's job model: a seeded job, its clock-driven timeline, ids from a seeded generator
// and the JSON writing that keeps one job's bytes stable. Vendor-neutral: each personality
// (personality.h) turns a timeline into its vendor's status text and payload. Pure functions of
// (job, now), so payloads can be checked without a server.
#ifndef JOBFACADE_ADAPTERS_SANDBOX_SANDBOX_JOB_H_
#define JOBFACADE_ADAPTERS_SANDBOX_SANDBOX_JOB_H_

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/json.h"

namespace jobfacade::sandbox {

// How a seeded job ends once its running phase is over.
enum class JobOutcome { kCompleted, kFailed, kCancelled };

// A job to seed. Its vendor status is computed from the clock: it is created at
// `created_at`, spends `initializing` (a vendor without that phase counts it as
// queued; TimelineRules), then `queued`, then `running`, then ends with
// `outcome`. absl::InfiniteDuration() keeps a job in that phase forever. The
// fields are what the vendors' job payloads carry; each personality reads those
// its vendor has, and the comments say which vendor's field each one becomes.
struct JobSpec {
  std::string vendor;                    // a personality's vendor name
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
  // A submitted job (POST): its program and what its result holds. The sandbox is no
  // simulator: a quantum job's counts split the shots between the all-zeros and all-ones
  // bitstrings of `qubits` bits; an agent run answers `result_text`.
  bool submitted = false;
  std::string program_format;  // qBraid program.format, IonQ type
  std::string program;         // the program text (qBraid program.data, IonQ input.data)
  int qubits = 2;
  std::string result_text;  // PraisonAI result
  // What the submission carried that the job payload shows verbatim (qBraid runtimeOptions,
  // IonQ settings; JSON text, empty for none), and PraisonAI's Idempotency-Key.
  std::string options_json;
  std::string idempotency_key;
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

enum class Phase { kInitializing, kQueued, kRunning, kCancelling, kCancelled, kCompleted, kFailed };

bool IsTerminal(Phase phase);

// How a vendor's jobs move, where vendors differ.
struct TimelineRules {
  // A new job is queued at once: `initializing` counts as queued time.
  bool queued_at_creation = false;
  // How long a job reads kCancelling after an accepted cancel (zero: cancelled at once).
  absl::Duration cancelling_for = absl::ZeroDuration();
};

struct JobRecord {
  JobSpec spec;  // completed when seeded: id, created_at and device are set
  TimelineRules rules;
  absl::Time created;
  absl::Time cancelled_at = absl::InfiniteFuture();  // when a cancel was accepted
  std::string fixed_status;                          // cleared by an accepted cancel
  // Deleted jobs stay as tombstones so a cursor naming one still finds its place.
  bool deleted = false;
};

// Where a job stands at some instant. Times not reached are absl::InfiniteFuture().
struct Timeline {
  Phase phase = Phase::kInitializing;
  absl::Time queued_at = absl::InfiniteFuture();
  absl::Time started_at = absl::InfiniteFuture();
  absl::Time ended_at = absl::InfiniteFuture();
  absl::Time updated_at = absl::InfiniteFuture();  // the last transition
  int queue_position = 0;                          // while queued
  double progress = 0;                             // 0..1 of the running phase
};

Timeline TimelineAt(const JobRecord& job, absl::Time now);

// Jobs in list order: newest first, ties by id ascending, which within one vendor is the
// contract's merge order (create_time desc, name asc), so a listing across vendors can merge
// the streams as they come.
bool NewerFirst(const JobRecord* a, const JobRecord* b);

// Ids from a seeded generator (reproducible runs); personalities shape them into their
// vendors' formats.
class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed) : rng_(seed) {}
  std::string Hex(int digits);  // lower-case hex digits
  std::string Uuid4();          // a version 4, variant 1 UUID

 private:
  std::mt19937_64 rng_;
};

// A personality's demo jobs, created relative to `now`.
class DemoJobList {
 public:
  // Long enough that a sandbox left running for days still has jobs to cancel.
  static constexpr absl::Duration kForHours = absl::Hours(72);

  DemoJobList(absl::string_view vendor, absl::Time now) : vendor_(vendor), now_(now) {}
  // Appends a job created `age` before now with these phases' lengths, and returns it for the
  // caller to fill in (valid until the next Add).
  JobSpec& Add(std::string id, absl::Duration age, absl::Duration initializing,
               absl::Duration queued, absl::Duration running);
  std::vector<JobSpec> Take() { return std::move(jobs_); }

 private:
  const std::string vendor_;
  const absl::Time now_;
  std::vector<JobSpec> jobs_;
};

// Compact JSON with object keys in sorted order, so one job always reads the same bytes.
std::string ToSortedJson(const json::Struct& object);
std::string ToSortedJson(const json::Value& value);

// A timestamp with 0, 3 or 6 fraction digits and the given zone suffix.
std::string FormatTimestamp(absl::Time t, int fraction_digits, absl::string_view zone);

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_SANDBOX_SANDBOX_JOB_H_
