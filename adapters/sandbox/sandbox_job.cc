// The sandbox's job model: timelines on the injected clock, ids, stable JSON.
#include "adapters/sandbox/sandbox_job.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace jobfacade::sandbox {
namespace {

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
  // Without an initializing phase a new job is queued at once.
  const bool queued_at_creation = job.rules.queued_at_creation;
  const absl::Time queued_at = queued_at_creation ? job.created : job.created + spec.initializing;
  const absl::Time started_at =
      queued_at_creation ? job.created + spec.initializing + spec.queued : queued_at + spec.queued;
  const absl::Time ended_at = started_at + spec.running;
  // Natural progress stops where a cancel was accepted.
  const absl::Time cut = std::min(now, job.cancelled_at);

  Timeline t;
  if (cut < queued_at) {
    t.phase = queued_at_creation ? Phase::kQueued : Phase::kInitializing;
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
    const absl::Time end = job.cancelled_at + job.rules.cancelling_for;
    if (now < end) {
      t.phase = Phase::kCancelling;
      t.updated_at = job.cancelled_at;
    } else {
      // A vendor may cancel even finished jobs; those keep the end time they had.
      if (!IsTerminal(t.phase)) t.ended_at = end;
      t.phase = Phase::kCancelled;
      t.updated_at = end;
    }
  }
  return t;
}

bool NewerFirst(const JobRecord* a, const JobRecord* b) {
  if (a->created != b->created) return a->created > b->created;
  return a->spec.id < b->spec.id;
}

std::string IdGenerator::Hex(int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (int i = 0; i < digits; ++i) out.push_back(kHex[rng_() & 0xf]);
  return out;
}

std::string IdGenerator::Uuid4() {
  // Version 4, variant 1.
  std::string variant(1, "89ab"[rng_() & 3]);
  return absl::StrCat(Hex(8), "-", Hex(4), "-4", Hex(3), "-", variant, Hex(3), "-", Hex(12));
}

JobSpec& DemoJobList::Add(std::string id, absl::Duration age, absl::Duration initializing,
                          absl::Duration queued, absl::Duration running) {
  JobSpec spec;
  spec.vendor = vendor_;
  spec.id = std::move(id);
  spec.created_at = now_ - age;
  spec.initializing = initializing;
  spec.queued = queued;
  spec.running = running;
  jobs_.push_back(std::move(spec));
  return jobs_.back();
}

}  // namespace jobfacade::sandbox
