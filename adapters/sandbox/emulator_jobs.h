// The emulator's job model: clock-driven timelines and each vendor's JSON shape
// of a job. Pure functions of (job, now), so payloads can be checked without a
// server.
#ifndef JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_JOBS_H_
#define JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_JOBS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/json.h"
#include "adapters/sandbox/emulator.h"

namespace jobfacade::sandbox::internal {

// How long a qBraid job reads CANCELLING after an accepted cancel.
inline constexpr absl::Duration kQbraidCancellingFor = absl::Seconds(5);

enum class Phase { kInitializing, kQueued, kRunning, kCancelling, kCancelled, kCompleted, kFailed };

bool IsTerminal(Phase phase);

struct JobRecord {
  JobSpec spec;  // completed by NewJobRecord: id, created_at and device are
                 // always set
  absl::Time created;
  absl::Time cancelled_at = absl::InfiniteFuture();  // when a cancel was accepted
  std::string fixed_status;                          // cleared by an accepted cancel
  // Deleted jobs stay as tombstones so an IonQ cursor naming one still finds
  // its place.
  bool deleted = false;
};

// Where a job stands at some instant. Times not reached are
// absl::InfiniteFuture().
struct Timeline {
  Phase phase = Phase::kInitializing;
  absl::Time queued_at = absl::InfiniteFuture();
  absl::Time started_at = absl::InfiniteFuture();
  absl::Time ended_at = absl::InfiniteFuture();
  absl::Time updated_at = absl::InfiniteFuture();  // the last transition
  int queue_position = 0;                          // qBraid, while queued
  double progress = 0;                             // 0..1 of the running phase
};

Timeline TimelineAt(const JobRecord& job, absl::Time now);

// The vendor's status text: the fixed status when set, else the timeline's
// phase.
std::string VendorStatus(const JobRecord& job, absl::Time now);

// A qBraid job's vendor and provider names: from the device QRN unless the spec
// names the provider (which the payload may then send as an object).
std::string QbraidVendorOf(const JobSpec& spec);
std::string QbraidProviderOf(const JobSpec& spec);

// The job object exactly as each vendor sends it.
json::Struct QbraidJobJson(const JobRecord& job, absl::Time now);
json::Struct IonqJobJson(const JobRecord& job, absl::Time now);
json::Struct PraisonaiStatusJson(const JobRecord& job, absl::Time now);

// Ids in the vendors' real formats, from a seeded generator (reproducible
// runs).
class IdGenerator {
 public:
  explicit IdGenerator(uint64_t seed) : rng_(seed) {}
  std::string QbraidJobQrn(absl::string_view device_qrn);
  std::string IonqUuid();
  std::string PraisonaiRunId();

 private:
  std::string Hex(int digits);
  std::mt19937_64 rng_;
};

// Fills in what a spec left empty (id, creation time, device).
JobRecord NewJobRecord(JobSpec spec, absl::Time now, IdGenerator& ids);

// The demo jobs of all three vendors, created relative to `now`.
std::vector<JobSpec> DemoJobs(absl::Time now);

// Compact JSON with object keys in sorted order, so one job always reads the
// same bytes.
std::string ToSortedJson(const json::Struct& object);
std::string ToSortedJson(const json::Value& value);

// A timestamp with 0, 3 or 6 fraction digits and the given zone suffix.
std::string FormatTimestamp(absl::Time t, int fraction_digits, absl::string_view zone);

}  // namespace jobfacade::sandbox::internal

#endif  // JOBFACADE_ADAPTERS_SANDBOX_EMULATOR_JOBS_H_
