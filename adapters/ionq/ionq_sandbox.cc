// IonQ's sandbox personality: the v0.4 job API under /ionq/v0.4 (NOTES.md): "apiKey" auth,
// IonQ's error body with its validation keys, cursor pages (a deleted job keeps its place),
// and a cancel the service accepts in any state, even of a finished job.
#include "adapters/ionq/ionq_sandbox.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jobfacade::sandbox {
namespace {

using json::Struct;
using json::Value;

constexpr char kPrefix[] = "/ionq/v0.4";
constexpr char kDefaultBackend[] = "simulator";
constexpr char kIonqSubmitterId[] = "64b03577072d45001c85e9c4";
constexpr char kIonqProjectId[] = "1333d459-cf47-4a5e-acc1-8d4eb4f7b025";
constexpr int kIonqDefaultLimit = 25;
// IonQ's documented page maximum; larger `limit`s are lowered to it.
constexpr int kIonqMaxPageSize = 25;

Struct ErrorBody(int status, absl::string_view error, absl::string_view message) {
  Struct s;
  Put(s, "error", json::Str(error));
  Put(s, "message", json::Str(message));
  Put(s, "statusCode", Int(status));
  return s;
}

Reply Error(int status, absl::string_view error, absl::string_view message) {
  return JsonReply(status, ErrorBody(status, error, message));
}

Reply BadRequest(absl::string_view key, absl::string_view message) {
  Struct s = ErrorBody(400, "Bad Request", message);
  Struct validation;
  Put(validation, "keys", ListOf({json::Str(key)}));
  Put(validation, "source", json::Str("query"));
  Put(s, "validation", json::Obj(std::move(validation)));
  return JsonReply(400, s);
}

const std::vector<std::string>& Statuses() {
  static const auto* kStatuses = new std::vector<std::string>{"submitted", "ready",  "started",
                                                              "canceled",  "failed", "completed"};
  return *kStatuses;
}

class IonqPersonality : public Personality {
 public:
  explicit IonqPersonality(const PersonalityOptions& options)
      : api_key_(options.api_key.value_or(kIonqSandboxApiKey)),
        max_page_size_(options.max_page_size > 0 ? options.max_page_size : kIonqMaxPageSize) {}

  std::string vendor() const override { return kIonq; }
  std::string prefix() const override { return kPrefix; }
  std::string api_key() const override { return api_key_; }

  bool HasAuthHeader(const SandboxRequest& req) const override {
    return req.HasHeader("Authorization") || req.HasHeader("X-API-Key");
  }

  Route Classify(absl::string_view path, absl::string_view method) const override {
    return ClassifyJobRoute({"/jobs", "/status/cancel", "PUT", ""}, path, method);
  }

  std::optional<Reply> CheckAuth(const SandboxRequest& req) const override {
    const std::string header_value = req.Header("Authorization");
    absl::string_view header = header_value;
    const bool scheme_ok =
        header.size() > 7 && absl::EqualsIgnoreCase(header.substr(0, 7), "apiKey ");
    if (!scheme_ok || header.substr(7) != api_key_) {
      return Error(401, "Unauthorized Error",
                   "Invalid key provided. See "
                   "https://docs.ionq.com/#authentication for "
                   "details, or email support@ionq.co for help.");
    }
    return std::nullopt;
  }

  Reply RouteNotFound() const override { return NotFound(); }

  Reply MethodNotAllowed() const override {
    return Error(405, "Method Not Allowed", "Method Not Allowed");
  }

  Reply ErrorReply(int status) const override {
    const absl::string_view reason = ReasonPhrase(status);
    const std::string message = status >= 500 ? "Internal service outage. Visit "
                                                "https://status.ionq.co/ to track this "
                                                "incident."
                                              : std::string(reason);
    return Error(status, reason, message);
  }

  Reply Answer(const Route& route, const SandboxRequest& req, JobStore& jobs,
               absl::Time now) override {
    if (route.name == "list") return List(req, jobs, now);
    if (route.name == "get") return Get(jobs, route.job_id, now);
    if (route.name == "cancel") return Cancel(jobs, route.job_id, now);
    return Delete(jobs, route.job_id);
  }

  std::string StatusText(Phase phase) const override {
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
    return "UNKNOWN";
  }

  void CompleteSpec(JobSpec& spec, IdGenerator& ids) const override {
    if (spec.device.empty()) spec.device = kDefaultBackend;
    if (spec.id.empty()) spec.id = ids.Uuid4();
  }

  std::vector<JobSpec> DemoJobs(absl::Time now) const override {
    DemoJobList demo(kIonq, now);

    {
      JobSpec& j = demo.Add(kDemoIonqCompletedJob, absl::Hours(4) - absl::Milliseconds(440),
                            absl::Seconds(2), absl::Seconds(3), absl::Milliseconds(4200));
      j.device = "qpu.forte-1";
      j.name = "Bell state";
      j.shots = 1000;
      j.tags = {{"experiment", "bell"}};
    }
    {
      JobSpec& j =
          demo.Add("5f2c8e1a-3b7d-4c9e-a1f0-6d8b2e4c7a93", absl::Hours(3) - absl::Milliseconds(120),
                   absl::Seconds(1), absl::Seconds(2), absl::Milliseconds(300));
      j.outcome = JobOutcome::kFailed;
      j.failure_code = "CompilationError";
      j.failure_message = "The circuit uses a gate the backend does not support.";
    }
    {
      JobSpec& j = demo.Add(kDemoIonqRunningJob, absl::Minutes(15) - absl::Milliseconds(905),
                            absl::Seconds(2), absl::Seconds(30), DemoJobList::kForHours);
      j.device = "qpu.forte-1";
      j.name = "Long VQE sweep";
      j.session_id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    }
    {
      JobSpec& j = demo.Add("9d4e7b21-6c0a-4f85-b3d2-1e8a5c7f9046",
                            absl::Minutes(5) - absl::Milliseconds(331), absl::Seconds(1),
                            absl::Hours(4), absl::Minutes(3));
      j.device = "qpu.forte-enterprise-1";
      j.name = "Queued GHZ";
    }
    {
      JobSpec& j = demo.Add("c7a05e93-2d1f-4b68-8e4a-f3b9d0c6a215", absl::Milliseconds(400),
                            absl::Seconds(90), absl::Minutes(1), absl::Minutes(1));
      j.name = "Just submitted";
    }
    {
      JobSpec& j =
          demo.Add("2b6f8d04-9e3a-4c17-a5b0-7d1e6f2c8a39", absl::Hours(2) - absl::Milliseconds(58),
                   absl::Seconds(1), absl::Minutes(10), absl::Minutes(5));
      j.outcome = JobOutcome::kCancelled;
      j.batch_id = "06a2099c-f700-7000-8000-1111aaaabbbb";
    }
    return demo.Take();
  }

 private:
  static Reply NotFound() {
    return Error(404, "Not Found Error",
                 "Resource not found. See https://docs.ionq.com/ for details, or email "
                 "support@ionq.co for help.");
  }

  Reply Get(JobStore& jobs, const std::string& id, absl::Time now) const {
    if (const std::string* raw = jobs.Raw(id)) return RawReply(*raw);
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound();
    return JsonReply(200, JobJson(*job, now));
  }

  Reply List(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    static const auto* kAllowed = new std::set<std::string>{
        "ids", "parent_job_id", "status", "target", "session_id", "submitter_id", "limit", "next"};
    for (const auto& [key, value] : req.params) {
      if (kAllowed->count(key) == 0) {
        return BadRequest(key, absl::StrCat("\"", key, "\" is not allowed"));
      }
    }
    int64_t limit = kIonqDefaultLimit;
    if (req.HasParam("limit")) {
      if (!absl::SimpleAtoi(req.Param("limit"), &limit) || limit < 1) {
        return BadRequest("limit", "\"limit\" must be a positive integer");
      }
    }
    limit = std::min<int64_t>(limit, std::max(1, max_page_size_));
    std::string status;
    if (req.HasParam("status")) {
      status = req.Param("status");
      if (!Contains(Statuses(), status)) {
        return BadRequest("status", absl::StrCat("\"status\" must be one of [",
                                                 absl::StrJoin(Statuses(), ", "), "]"));
      }
    }
    std::set<std::string> targets;
    if (req.HasParam("target")) {
      for (absl::string_view t : absl::StrSplit(req.Param("target"), ',')) {
        t = absl::StripAsciiWhitespace(t);
        if (!t.empty()) targets.insert(std::string(t));
      }
    }
    std::set<std::string> ids;
    for (size_t i = 0; i < req.ParamCount("ids"); ++i) {
      for (absl::string_view id : absl::StrSplit(req.Param("ids", i), ',')) {
        if (!id.empty()) ids.insert(std::string(id));
      }
    }
    const std::string parent = req.Param("parent_job_id");
    const std::string session = req.Param("session_id");

    // The cursor names the first job of the next page; deleted jobs keep their
    // place.
    const JobRecord* cursor = nullptr;
    if (req.HasParam("next") && !req.Param("next").empty()) {
      cursor = jobs.FindIncludingDeleted(req.Param("next"));
      if (cursor == nullptr) return BadRequest("next", "\"next\" is not a valid cursor");
    }

    std::vector<Value> items;
    std::string next;
    for (const JobRecord* job : jobs.Live()) {
      if (cursor != nullptr && NewerFirst(job, cursor)) continue;
      if (!status.empty() && Status(*job, now) != status) continue;
      if (!targets.empty() && targets.count(job->spec.device) == 0) continue;
      if (!ids.empty() && ids.count(job->spec.id) == 0) continue;
      if (!parent.empty() && job->spec.batch_id != parent) continue;
      if (!session.empty() && job->spec.session_id != session) continue;
      if (static_cast<int64_t>(items.size()) == limit) {
        next = job->spec.id;
        break;
      }
      items.push_back(json::Obj(JobJson(*job, now)));
    }
    Struct s;
    Put(s, "jobs", ListOf(std::move(items)));
    Put(s, "next", next.empty() ? json::Null() : json::Str(next));
    return JsonReply(200, s);
  }

  Reply Cancel(JobStore& jobs, const std::string& id, absl::Time now) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound();
    // The real service cancels in any state, even a completed job.
    if (job->cancelled_at > now) job->cancelled_at = now;
    job->fixed_status.clear();
    Struct s;
    Put(s, "id", json::Str(id));
    Put(s, "status", json::Str("canceled"));
    return JsonReply(200, s);
  }

  Reply Delete(JobStore& jobs, const std::string& id) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound();
    jobs.Delete(*job);
    Struct s;
    Put(s, "id", json::Str(id));
    Put(s, "status", json::Str("deleted"));
    return JsonReply(200, s);
  }

  Struct JobJson(const JobRecord& job, absl::Time now) const {
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
    Put(s, "status", json::Str(Status(job, now)));
    Put(s, "type",
        json::Str(spec.job_type.empty() ? std::string("ionq.circuit.v1") : spec.job_type));
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
    if (spec.device == kDefaultBackend) {
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
    Put(s, "settings", json::Obj(Struct()));
    Struct stats;
    Put(stats, "qubits", Int(2));
    Put(stats, "circuits", Int(1));
    Struct gates;
    Put(gates, "1q", Int(4));
    Put(gates, "2q", Int(1));
    Put(stats, "gate_counts", json::Obj(std::move(gates)));
    Put(s, "stats", json::Obj(std::move(stats)));
    Put(s, "output", json::Obj(Struct()));
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

  const std::string api_key_;
  const int max_page_size_;
};

}  // namespace

std::unique_ptr<Personality> NewIonqPersonality(const PersonalityOptions& options) {
  return std::make_unique<IonqPersonality>(options);
}

}  // namespace jobfacade::sandbox
