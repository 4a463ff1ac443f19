// Job timelines on the injected clock and the vendors' job payloads, traps
// included.
#include "adapters/sandbox/emulator_jobs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace jobfacade::sandbox::internal {
namespace {

using json::Struct;
using json::Value;

constexpr char kDefaultQbraidDevice[] = "qbraid:qbraid:sim:qir-sv";
constexpr char kDefaultIonqBackend[] = "simulator";
constexpr char kIonqSubmitterId[] = "64b03577072d45001c85e9c4";
constexpr char kIonqProjectId[] = "1333d459-cf47-4a5e-acc1-8d4eb4f7b025";
constexpr char kQbraidOrganizationUserId[] = "68f94f8e0c6d3502fd4c37f5";
constexpr int kPraisonaiSteps = 5;
constexpr const char* kPraisonaiStepNames[kPraisonaiSteps] = {
    "Planning", "Researching", "Processing data", "Drafting answer", "Reviewing"};

void Put(Struct& s, absl::string_view key, Value v) {
  (*s.mutable_fields())[std::string(key)] = std::move(v);
}

Value StrOrNull(const std::string& s) { return s.empty() ? json::Null() : json::Str(s); }

Value Int(int64_t i) { return json::Num(static_cast<double>(i)); }

Value MillisOrNull(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return json::Null();
  return Int(absl::ToInt64Milliseconds(d));
}

Value StringMap(const std::map<std::string, std::string>& m) {
  Struct s;
  for (const auto& [k, v] : m) Put(s, k, json::Str(v));
  return json::Obj(std::move(s));
}

Value EmptyObject() { return json::Obj(Struct()); }

bool Reached(absl::Time t) { return t != absl::InfiniteFuture(); }

int FractionDigits(const JobSpec& spec) {
  if (spec.fraction_digits >= 0) return spec.fraction_digits;
  return spec.vendor == kPraisonai ? 6 : 3;
}

// The segments of a device QRN "vendor:provider:type:name".
std::vector<std::string> QrnParts(absl::string_view qrn) { return absl::StrSplit(qrn, ':'); }

std::string ProviderDisplayName(absl::string_view provider) {
  static const auto* kNames = new std::map<std::string, std::string, std::less<>>{
      {"aws", "AWS"},     {"azure", "Azure"},     {"ibm", "IBM"},
      {"ionq", "IonQ"},   {"pasqal", "Pasqal"},   {"qbraid", "qBraid"},
      {"quera", "QuEra"}, {"rigetti", "Rigetti"}, {"quantinuum", "Quantinuum"},
      {"oqc", "OQC"},     {"iqm", "IQM"},         {"aqt", "AQT"}};
  auto it = kNames->find(provider);
  return it == kNames->end() ? std::string(provider) : it->second;
}

// A 24-hex object id next to the job QRN's own, like the live service's "_id".
std::string QbraidObjectId(absl::string_view qrn, int delta) {
  absl::string_view tail = qrn.size() >= 24 ? qrn.substr(qrn.size() - 24) : qrn;
  uint64_t high = 0, low = 0;
  if (tail.size() == 24 && absl::SimpleHexAtoi(tail.substr(0, 8), &high) &&
      absl::SimpleHexAtoi(tail.substr(8), &low)) {
    low += delta;
  } else {
    high = std::hash<std::string_view>()(std::string_view(qrn.data(), qrn.size())) & 0xffffffff;
    low = std::hash<std::string>()(absl::StrCat(qrn, delta));
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%08llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

// Deterministic serialisation orders map entries, and protobuf's JSON writer
// keeps the wire order, so a Struct comes out with sorted keys (json::ToJson
// uses hash order).
std::string SortedJson(const google::protobuf::Message& message, absl::string_view type_name) {
  static google::protobuf::util::TypeResolver* resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  std::string out;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", type_name), binary, &out);
  return status.ok() ? out : std::string();
}

}  // namespace

std::string ToSortedJson(const json::Struct& object) {
  return SortedJson(object, "google.protobuf.Struct");
}

std::string ToSortedJson(const json::Value& value) {
  return SortedJson(value, "google.protobuf.Value");
}

bool IsTerminal(Phase phase) {
  return phase == Phase::kCancelled || phase == Phase::kCompleted || phase == Phase::kFailed;
}

std::string FormatTimestamp(absl::Time t, int fraction_digits, absl::string_view zone) {
  const char* format = "%Y-%m-%dT%H:%M:%S";
  if (fraction_digits >= 6) {
    format = "%Y-%m-%dT%H:%M:%E6S";
  } else if (fraction_digits > 0) {
    format = "%Y-%m-%dT%H:%M:%E3S";
  }
  return absl::StrCat(absl::FormatTime(format, t, absl::UTCTimeZone()), zone);
}

Timeline TimelineAt(const JobRecord& job, absl::Time now) {
  const JobSpec& spec = job.spec;
  // PraisonAI has no initializing phase: a new run is queued at once.
  const bool praisonai = spec.vendor == kPraisonai;
  const absl::Time queued_at = praisonai ? job.created : job.created + spec.initializing;
  const absl::Time started_at =
      praisonai ? job.created + spec.initializing + spec.queued : queued_at + spec.queued;
  const absl::Time ended_at = started_at + spec.running;
  // Natural progress stops where a cancel was accepted.
  const absl::Time cut = std::min(now, job.cancelled_at);

  Timeline t;
  if (cut < queued_at) {
    t.phase = praisonai ? Phase::kQueued : Phase::kInitializing;
    t.updated_at = job.created;
  } else if (cut < started_at) {
    t.phase = Phase::kQueued;
    t.queued_at = queued_at;
    t.updated_at = queued_at;
  } else if (cut < ended_at) {
    t.phase = Phase::kRunning;
    t.queued_at = queued_at;
    t.started_at = started_at;
    t.updated_at = started_at;
  } else {
    t.phase = spec.outcome == JobOutcome::kCompleted ? Phase::kCompleted
              : spec.outcome == JobOutcome::kFailed  ? Phase::kFailed
                                                     : Phase::kCancelled;
    t.queued_at = queued_at;
    t.started_at = started_at;
    t.ended_at = ended_at;
    t.updated_at = ended_at;
  }

  if (t.phase == Phase::kRunning || IsTerminal(t.phase)) {
    if (spec.running == absl::InfiniteDuration()) {
      // Runs forever: creep towards (never reach) the end.
      const double minutes = absl::ToDoubleMinutes(cut - started_at);
      t.progress = std::min(0.99, 1.0 - 1.0 / (1.0 + minutes / 10.0));
    } else if (spec.running <= absl::ZeroDuration()) {
      t.progress = 1.0;
    } else {
      t.progress = std::clamp(absl::FDivDuration(cut - started_at, spec.running), 0.0, 1.0);
    }
  }
  if (t.phase == Phase::kQueued) {
    const int start = std::max(1, spec.queue_position);
    if (spec.queued == absl::InfiniteDuration() || spec.queued <= absl::ZeroDuration()) {
      t.queue_position = start;
    } else {
      const double left = absl::FDivDuration(started_at - now, spec.queued);
      t.queue_position = std::clamp(static_cast<int>(std::ceil(start * left)), 1, start);
    }
  }

  if (now >= job.cancelled_at) {
    t.queue_position = 0;
    if (spec.vendor == kQbraid && now < job.cancelled_at + kQbraidCancellingFor) {
      t.phase = Phase::kCancelling;
      t.updated_at = job.cancelled_at;
    } else {
      // IonQ cancels even finished jobs; those keep the end time they had.
      const absl::Time end =
          spec.vendor == kQbraid ? job.cancelled_at + kQbraidCancellingFor : job.cancelled_at;
      if (!IsTerminal(t.phase)) t.ended_at = end;
      t.phase = Phase::kCancelled;
      t.updated_at = end;
    }
  }
  return t;
}

std::string QbraidVendorOf(const JobSpec& spec) {
  const std::vector<std::string> device = QrnParts(spec.device);
  return device.empty() || device[0].empty() ? "qbraid" : device[0];
}

std::string QbraidProviderOf(const JobSpec& spec) {
  if (!spec.provider.empty()) return spec.provider;
  const std::vector<std::string> device = QrnParts(spec.device);
  return device.size() > 1 ? device[1] : QbraidVendorOf(spec);
}

std::string VendorStatus(const JobRecord& job, absl::Time now) {
  if (!job.fixed_status.empty()) return job.fixed_status;
  const Phase phase = TimelineAt(job, now).phase;
  const std::string& vendor = job.spec.vendor;
  if (vendor == kQbraid) {
    switch (phase) {
      case Phase::kInitializing:
        return "INITIALIZING";
      case Phase::kQueued:
        return "QUEUED";
      case Phase::kRunning:
        return "RUNNING";
      case Phase::kCancelling:
        return "CANCELLING";
      case Phase::kCancelled:
        return "CANCELLED";
      case Phase::kCompleted:
        return "COMPLETED";
      case Phase::kFailed:
        return "FAILED";
    }
  } else if (vendor == kIonq) {
    switch (phase) {
      case Phase::kInitializing:
        return "submitted";
      case Phase::kQueued:
        return "ready";
      case Phase::kRunning:
        return "started";
      case Phase::kCancelling:
      case Phase::kCancelled:
        return "canceled";
      case Phase::kCompleted:
        return "completed";
      case Phase::kFailed:
        return "failed";
    }
  } else {
    switch (phase) {
      case Phase::kInitializing:
      case Phase::kQueued:
        return "queued";
      case Phase::kRunning:
        return "running";
      case Phase::kCancelling:
      case Phase::kCancelled:
        return "cancelled";
      case Phase::kCompleted:
        return "succeeded";
      case Phase::kFailed:
        return "failed";
    }
  }
  return "UNKNOWN";
}

Struct QbraidJobJson(const JobRecord& job, absl::Time now) {
  const JobSpec& spec = job.spec;
  const Timeline t = TimelineAt(job, now);
  const std::vector<std::string> device = QrnParts(spec.device);
  const std::string vendor = QbraidVendorOf(spec);
  const std::string provider = QbraidProviderOf(spec);
  auto ts = [&](absl::Time time) {
    return json::Str(FormatTimestamp(time, FractionDigits(spec), "Z"));
  };
  // The live service leaves some unset keys out instead of sending null.
  auto put_optional = [&](Struct& s, absl::string_view key, Value v) {
    if (spec.omit_unset_keys && json::IsNull(&v)) return;
    Put(s, key, std::move(v));
  };

  Struct s;
  if (spec.extra_keys) Put(s, "_id", json::Str(QbraidObjectId(spec.id, 1)));
  Put(s, "jobQrn", json::Str(spec.id));
  Put(s, spec.legacy_batch_key ? "batchJobQrn" : "groupJobQrn", StrOrNull(spec.batch_id));
  Put(s, "vendor", json::Str(vendor));
  if (spec.provider_as_object) {
    Struct p;
    Put(p, "_id", json::Str(QbraidObjectId(spec.id, 2)));
    Put(p, "provider", json::Str(ProviderDisplayName(provider)));
    Put(s, "provider", json::Obj(std::move(p)));
  } else {
    Put(s, "provider", json::Str(provider));
  }
  Put(s, "status", json::Str(VendorStatus(job, now)));
  std::string status_msg;
  if (t.phase == Phase::kFailed) {
    status_msg = spec.failure_message.empty() ? "Job failed" : spec.failure_message;
  }
  put_optional(s, "statusMsg", StrOrNull(status_msg));
  Put(s, "experimentType",
      json::Str(spec.job_type.empty() ? std::string("gate_model") : spec.job_type));
  put_optional(s, "queuePosition",
               t.phase == Phase::kQueued ? Int(t.queue_position) : json::Null());
  if (t.phase == Phase::kInitializing) {
    Put(s, "timeStamps", json::Null());
  } else {
    Struct stamps;
    Put(stamps, "createdAt", ts(job.created));
    if (IsTerminal(t.phase)) {
      Put(stamps, "endedAt", ts(t.ended_at));
      const bool ran = t.phase != Phase::kCancelled && Reached(t.started_at);
      Put(stamps, "executionDuration",
          ran ? MillisOrNull(t.ended_at - t.started_at) : json::Null());
    }
    Put(s, "timeStamps", json::Obj(std::move(stamps)));
  }
  Value cost = json::Null();
  if (t.phase == Phase::kCompleted) cost = json::Num(spec.cost);
  if (t.phase == Phase::kFailed) cost = json::Num(0);
  put_optional(s, "cost", std::move(cost));
  Put(s, "estimatedCost", json::Num(spec.estimated_cost));
  if (!spec.omit_unset_keys || !spec.metadata.empty()) Put(s, "metadata", StringMap(spec.metadata));
  Put(s, "name", StrOrNull(spec.name));
  Put(s, "shots", Int(spec.shots));
  Put(s, "deviceQrn", json::Str(spec.device));
  Put(s, "tags", StringMap(spec.tags));
  Put(s, "runtimeOptions", EmptyObject());
  if (spec.extra_keys) {
    Put(s, "jobVrn",
        vendor == "aws"
            ? json::Str(absl::StrCat("arn:aws:braket:us-east-1:592242689881:quantum-task/",
                                     QbraidObjectId(spec.id, 3)))
            : json::Null());
    Put(s, "organizationUserId", json::Str(kQbraidOrganizationUserId));
    Struct device_id;
    Put(device_id, "_id", json::Str(QbraidObjectId(spec.device, 4)));
    Put(device_id, "name", json::Str(device.size() > 3 ? device[3] : spec.device));
    Put(device_id, "status", json::Str("ONLINE"));
    Put(device_id, "vendor", json::Str(vendor));
    Put(s, "deviceId", json::Obj(std::move(device_id)));
    Struct provider_id;
    Put(provider_id, "_id", json::Str(QbraidObjectId(provider, 5)));
    Put(provider_id, "provider", json::Str(ProviderDisplayName(provider)));
    Put(s, "providerId", json::Obj(std::move(provider_id)));
    Put(s, "error", json::Null());
    Put(s, "s3Destination", json::Null());
    Put(s, "createdAt", json::Str(FormatTimestamp(job.created, 3, "Z")));
    Put(s, "updatedAt", json::Str(FormatTimestamp(std::min(t.updated_at, now), 3, "Z")));
  }
  return s;
}

Struct IonqJobJson(const JobRecord& job, absl::Time now) {
  const JobSpec& spec = job.spec;
  const Timeline t = TimelineAt(job, now);
  auto ts_or_null = [](absl::Time time) {
    return Reached(time) ? json::Str(FormatTimestamp(time, 3, "Z")) : json::Null();
  };
  const bool waiting = t.phase == Phase::kInitializing || t.phase == Phase::kQueued;
  const bool ran = (t.phase == Phase::kCompleted || t.phase == Phase::kFailed) &&
                   Reached(t.started_at) && Reached(t.ended_at);

  Struct s;
  Put(s, "id", json::Str(spec.id));
  Put(s, "status", json::Str(VendorStatus(job, now)));
  Put(s, "type", json::Str(spec.job_type.empty() ? std::string("ionq.circuit.v1") : spec.job_type));
  Put(s, "backend", json::Str(spec.device));
  Put(s, "dry_run", json::Bool(false));
  Put(s, "cost_model", json::Str("quantum_compute_time"));
  Put(s, "submitter_id", json::Str(kIonqSubmitterId));
  Put(s, "project_id", json::Str(kIonqProjectId));
  Put(s, "parent_job_id", StrOrNull(spec.batch_id));
  Put(s, "child_job_ids", json::Null());
  Put(s, "session_id", StrOrNull(spec.session_id));
  Put(s, "metadata", spec.tags.empty() ? json::Null() : StringMap(spec.tags));
  Put(s, "name", StrOrNull(spec.name));
  Put(s, "submitted_at", json::Str(FormatTimestamp(job.created, 3, "Z")));
  Put(s, "started_at", ts_or_null(t.started_at));
  Put(s, "completed_at",
      t.phase == Phase::kCompleted || t.phase == Phase::kFailed ? ts_or_null(t.ended_at)
                                                                : json::Null());
  Value wait = json::Null();
  if (waiting) {
    const absl::Time start_at = job.created + spec.initializing + spec.queued;
    if (Reached(start_at)) {
      wait = Int(std::max<int64_t>(0, absl::ToInt64Milliseconds(start_at - now)));
    }
  }
  Put(s, "predicted_wait_time_ms", std::move(wait));
  Put(s, "predicted_execution_duration_ms", MillisOrNull(spec.running));
  Put(s, "execution_duration_ms", ran ? MillisOrNull(t.ended_at - t.started_at) : json::Null());
  Put(s, "shots", Int(spec.shots));
  if (spec.device == kDefaultIonqBackend) {
    Struct noise;
    Put(noise, "model", json::Str("ideal"));
    Put(s, "noise", json::Obj(std::move(noise)));
  }
  if (t.phase == Phase::kFailed) {
    Struct failure;
    Put(failure, "code",
        json::Str(spec.failure_code.empty() ? std::string("InternalError") : spec.failure_code));
    Put(failure, "message",
        json::Str(spec.failure_message.empty() ? std::string("The job failed.")
                                               : spec.failure_message));
    Put(s, "failure", json::Obj(std::move(failure)));
  } else {
    Put(s, "failure", json::Null());
  }
  Put(s, "settings", EmptyObject());
  Struct stats;
  Put(stats, "qubits", Int(2));
  Put(stats, "circuits", Int(1));
  Struct gates;
  Put(gates, "1q", Int(4));
  Put(gates, "2q", Int(1));
  Put(stats, "gate_counts", json::Obj(std::move(gates)));
  Put(s, "stats", json::Obj(std::move(stats)));
  Put(s, "output", EmptyObject());
  if (t.phase == Phase::kCompleted) {
    Struct artifact;
    Put(artifact, "id", json::Str("probabilities"));
    Put(artifact, "format", json::Str("ionq.result.probabilities.json.v2"));
    Put(artifact, "media_type", json::Str("application/json"));
    Struct results;
    Put(results, "ionq.result.probabilities.json.v2", json::Obj(std::move(artifact)));
    Put(s, "results", json::Obj(std::move(results)));
  } else {
    Put(s, "results", json::Null());
  }
  return s;
}

Struct PraisonaiStatusJson(const JobRecord& job, absl::Time now) {
  const JobSpec& spec = job.spec;
  const Timeline t = TimelineAt(job, now);
  auto ts_or_null = [&](absl::Time time) {
    return Reached(time) ? json::Str(FormatTimestamp(time, FractionDigits(spec), spec.zone_suffix))
                         : json::Null();
  };
  const bool active =
      t.phase == Phase::kQueued || t.phase == Phase::kRunning || t.phase == Phase::kInitializing;

  Struct s;
  Put(s, "job_id", json::Str(spec.id));
  Put(s, "status", json::Str(VendorStatus(job, now)));
  if (Reached(t.started_at)) {
    const bool done = t.phase == Phase::kCompleted;
    const double fraction = done ? 1.0 : t.progress;
    const int steps = std::min(kPraisonaiSteps, static_cast<int>(fraction * kPraisonaiSteps));
    Struct progress;
    // One decimal, and never 100 before the run is really done.
    double percentage = std::round(fraction * 1000.0) / 10.0;
    if (!done) percentage = std::min(percentage, 99.9);
    Put(progress, "percentage", json::Num(percentage));
    Put(progress, "current_step",
        done ? json::Str("Completed")
             : json::Str(kPraisonaiStepNames[std::min(steps, kPraisonaiSteps - 1)]));
    Put(progress, "steps_completed", Int(steps));
    Put(progress, "steps_total", Int(kPraisonaiSteps));
    Put(s, "progress", json::Obj(std::move(progress)));
  } else {
    Put(s, "progress", json::Null());
  }
  Put(s, "created_at",
      json::Str(FormatTimestamp(job.created, FractionDigits(spec), spec.zone_suffix)));
  Put(s, "started_at", ts_or_null(t.started_at));
  Put(s, "completed_at", ts_or_null(t.ended_at));
  Put(s, "agent_id", StrOrNull(spec.device));
  Put(s, "run_id", Reached(t.started_at) ? json::Str(spec.id) : json::Null());
  Put(s, "session_id", StrOrNull(spec.session_id));
  std::string error;
  if (t.phase == Phase::kFailed) {
    error = spec.failure_message.empty() ? "Agent execution failed" : spec.failure_message;
  }
  Put(s, "error", StrOrNull(error));
  // The server's polling hint while a run is still going.
  Put(s, "retry_after", active ? Int(2) : json::Null());
  return s;
}

std::string IdGenerator::Hex(int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (int i = 0; i < digits; ++i) out.push_back(kHex[rng_() & 0xf]);
  return out;
}

std::string IdGenerator::QbraidJobQrn(absl::string_view device_qrn) {
  return absl::StrCat(device_qrn, "-", Hex(4), "-qjob-", Hex(24));
}

std::string IdGenerator::IonqUuid() {
  // Version 4, variant 1.
  std::string variant(1, "89ab"[rng_() & 3]);
  return absl::StrCat(Hex(8), "-", Hex(4), "-4", Hex(3), "-", variant, Hex(3), "-", Hex(12));
}

std::string IdGenerator::PraisonaiRunId() { return absl::StrCat("run_", Hex(12)); }

JobRecord NewJobRecord(JobSpec spec, absl::Time now, IdGenerator& ids) {
  if (spec.vendor == kQbraid) {
    if (spec.device.empty()) spec.device = kDefaultQbraidDevice;
    if (spec.id.empty()) spec.id = ids.QbraidJobQrn(spec.device);
  } else if (spec.vendor == kIonq) {
    if (spec.device.empty()) spec.device = kDefaultIonqBackend;
    if (spec.id.empty()) spec.id = ids.IonqUuid();
  } else {
    if (spec.id.empty()) spec.id = ids.PraisonaiRunId();
  }
  JobRecord record;
  record.created = spec.created_at.value_or(now);
  spec.created_at = record.created;
  record.fixed_status = spec.fixed_status;
  record.spec = std::move(spec);
  return record;
}

std::vector<JobSpec> DemoJobs(absl::Time now) {
  std::vector<JobSpec> jobs;
  auto add = [&](const char* vendor, std::string id, absl::Duration age, absl::Duration init,
                 absl::Duration queued, absl::Duration running) -> JobSpec& {
    JobSpec spec;
    spec.vendor = vendor;
    spec.id = std::move(id);
    spec.created_at = now - age;
    spec.initializing = init;
    spec.queued = queued;
    spec.running = running;
    jobs.push_back(std::move(spec));
    return jobs.back();
  };
  // Long enough that a sandbox left running for days still has jobs to cancel.
  const absl::Duration kForHours = absl::Hours(72);

  // qBraid, modelled on the payloads captured from the live service.
  {
    JobSpec& j = add(kQbraid, kDemoQbraidCompletedJob, absl::Hours(3) - absl::Milliseconds(66),
                     absl::Seconds(1), absl::Seconds(3), absl::Milliseconds(1449));
    j.device = "aws:aws:sim:sv1";
    j.name = "QASM job";
    j.cost = 0.375;
    j.estimated_cost = 7.5;
    j.legacy_batch_key = true;
  }
  {
    JobSpec& j =
        add(kQbraid, "qbraid:qbraid:sim:qir-sv-8ce1-qjob-69e7d2b3ae0f5ac2f46cb5da",
            absl::Minutes(150), absl::ZeroDuration(), absl::ZeroDuration(), absl::Milliseconds(2));
    j.device = "qbraid:qbraid:sim:qir-sv";
    j.outcome = JobOutcome::kFailed;
    j.failure_message =
        "Error: \"Failed to link some declared functions: "
        "__quantum__qis__barrier__body\"\n";
    j.estimated_cost = 0;
    j.fraction_digits = 0;
  }
  {
    JobSpec& j = add(kQbraid, "aws:quera:qpu:aquila-37f5-qjob-696aae286a18e4f726abf2af",
                     absl::Minutes(20) - absl::Milliseconds(447), absl::Seconds(4), absl::Hours(6),
                     absl::Minutes(2));
    j.device = "aws:quera:qpu:aquila";
    j.name = "Analog Job";
    j.job_type = "analog";
    j.queue_position = 4;
    j.cost = 130;
    j.estimated_cost = 130;
    j.provider_as_object = true;
    j.omit_unset_keys = true;
  }
  {
    JobSpec& j = add(kQbraid, kDemoQbraidRunningJob, absl::Minutes(10) - absl::Milliseconds(627),
                     absl::Seconds(4), absl::Seconds(20), kForHours);
    j.device = "azure:pasqal:sim:emu-tn";
    j.name = "Pulser Sequence Job";
    j.job_type = "analog";
    j.batch_id = "azure:pasqal:sim:emu-tn-37f5-qgroup-696aafc96a18e4f726abf2b9";
    j.estimated_cost = 25;
    j.fraction_digits = 6;
  }
  {
    JobSpec& j = add(kQbraid, "aws:ionq:qpu:forte-1-37f5-qjob-6a0b12c4d5e6f708192a3b4c",
                     absl::Hours(1) - absl::Microseconds(867401), absl::Seconds(2),
                     absl::Seconds(40), absl::Seconds(5));
    j.device = "aws:ionq:qpu:forte-1";
    j.name = "Bell state job";
    j.shots = 1000;
    j.tags = {{"experiment", "bell-state"}};
    j.cost = 0.501875;
    j.estimated_cost = 0.5;
    j.fraction_digits = 6;
  }
  {
    JobSpec& j = add(kQbraid, kDemoQbraidInitializingJob, absl::Milliseconds(250), absl::Minutes(2),
                     absl::Seconds(30), absl::Minutes(1));
    j.device = "qbraid:qbraid:sim:qir-sv";
    j.name = "Sandbox warm-up";
    j.estimated_cost = 0;
  }
  {
    JobSpec& j = add(kQbraid, "ibm:ibm:qpu:brisbane-37f5-qjob-6a0c7e19b2d84f3a5c6e7d80",
                     absl::Hours(5), absl::Seconds(3), absl::Minutes(30), absl::Minutes(1));
    j.device = "ibm:ibm:qpu:brisbane";
    j.name = "GHZ sweep";
    j.outcome = JobOutcome::kCancelled;
    j.tags = {{"experiment", "ghz"}, {"round", "2"}};
    j.estimated_cost = 96;
  }

  // IonQ.
  {
    JobSpec& j = add(kIonq, kDemoIonqCompletedJob, absl::Hours(4) - absl::Milliseconds(440),
                     absl::Seconds(2), absl::Seconds(3), absl::Milliseconds(4200));
    j.device = "qpu.forte-1";
    j.name = "Bell state";
    j.shots = 1000;
    j.tags = {{"experiment", "bell"}};
  }
  {
    JobSpec& j =
        add(kIonq, "5f2c8e1a-3b7d-4c9e-a1f0-6d8b2e4c7a93", absl::Hours(3) - absl::Milliseconds(120),
            absl::Seconds(1), absl::Seconds(2), absl::Milliseconds(300));
    j.outcome = JobOutcome::kFailed;
    j.failure_code = "CompilationError";
    j.failure_message = "The circuit uses a gate the backend does not support.";
  }
  {
    JobSpec& j = add(kIonq, kDemoIonqRunningJob, absl::Minutes(15) - absl::Milliseconds(905),
                     absl::Seconds(2), absl::Seconds(30), kForHours);
    j.device = "qpu.forte-1";
    j.name = "Long VQE sweep";
    j.session_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
  }
  {
    JobSpec& j = add(kIonq, "9d4e7b21-6c0a-4f85-b3d2-1e8a5c7f9046",
                     absl::Minutes(5) - absl::Milliseconds(331), absl::Seconds(1), absl::Hours(4),
                     absl::Minutes(3));
    j.device = "qpu.forte-enterprise-1";
    j.name = "Queued GHZ";
  }
  {
    JobSpec& j = add(kIonq, "c7a05e93-2d1f-4b68-8e4a-f3b9d0c6a215", absl::Milliseconds(400),
                     absl::Seconds(90), absl::Minutes(1), absl::Minutes(1));
    j.name = "Just submitted";
  }
  {
    JobSpec& j =
        add(kIonq, "2b6f8d04-9e3a-4c17-a5b0-7d1e6f2c8a39", absl::Hours(2) - absl::Milliseconds(58),
            absl::Seconds(1), absl::Minutes(10), absl::Minutes(5));
    j.outcome = JobOutcome::kCancelled;
    j.batch_id = "06a2099c-f700-7000-8000-1111aaaabbbb";
  }

  // PraisonAI.
  {
    JobSpec& j =
        add(kPraisonai, kDemoPraisonaiSucceededJob, absl::Hours(2) - absl::Microseconds(512034),
            absl::ZeroDuration(), absl::Seconds(1), absl::Seconds(59));
    j.device = "researcher";
    j.session_id = "project-alpha";
    j.fraction_digits = 6;
  }
  {
    JobSpec& j = add(kPraisonai, "run_c3e8a1f47d92", absl::Minutes(90) - absl::Microseconds(4411),
                     absl::ZeroDuration(), absl::Seconds(1), absl::Hours(1));
    j.outcome = JobOutcome::kFailed;
    j.failure_message = "Agent execution timeout";
    j.fraction_digits = 6;
    j.zone_suffix = "+00:00";
  }
  {
    JobSpec& j =
        add(kPraisonai, kDemoPraisonaiRunningJob, absl::Minutes(10) - absl::Microseconds(77123),
            absl::ZeroDuration(), absl::Seconds(2), kForHours);
    j.device = "analyst";
    j.session_id = "project-alpha";
    j.fraction_digits = 6;
    j.zone_suffix = "";
  }
  {
    JobSpec& j = add(kPraisonai, "run_1a7e5c9b3d04", absl::Minutes(1) - absl::Microseconds(31337),
                     absl::ZeroDuration(), absl::Hours(3), absl::Minutes(5));
    j.fraction_digits = 6;
  }
  {
    JobSpec& j = add(kPraisonai, "run_7d0b4e2f9a61", absl::Hours(3) - absl::Microseconds(250000),
                     absl::ZeroDuration(), absl::Seconds(5), absl::Minutes(10));
    j.outcome = JobOutcome::kCancelled;
    j.session_id = "project-beta";
    j.fraction_digits = 6;
  }
  {
    JobSpec& j = add(kPraisonai, "run_e5a3f8c10b27", absl::Hours(6) - absl::Microseconds(902211),
                     absl::ZeroDuration(), absl::Seconds(3), absl::Seconds(45));
    j.device = "researcher";
    j.fraction_digits = 6;
    j.zone_suffix = "";
  }
  return jobs;
}

}  // namespace jobfacade::sandbox::internal
