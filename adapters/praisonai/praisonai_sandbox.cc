// PraisonAI's sandbox personality: the async runs API under /praisonai (NOTES.md): optional
// Bearer or X-API-Key auth, FastAPI's {"detail": ...} errors and 422s, page/page_size lists,
// Starlette's redirect of a trailing slash, cancel and delete that refuse with 409, the
// Server-Sent Events stream of a run, submissions de-duplicated by Idempotency-Key, and the
// result of every finished run.
#include "adapters/praisonai/praisonai_sandbox.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/core/utf8.h"

namespace jobfacade::sandbox {
namespace {

using json::Struct;
using json::Value;

constexpr char kPrefix[] = "/praisonai";
constexpr int kPraisonaiDefaultPageSize = 20;
constexpr int kPraisonaiMaxPageSize = 100;
constexpr int kPraisonaiSteps = 5;
constexpr const char* kPraisonaiStepNames[kPraisonaiSteps] = {
    "Planning", "Researching", "Processing data", "Drafting answer", "Reviewing"};

// What a seeded run that succeeded answers; a submitted one echoes its prompt instead.
constexpr char kDemoResult[] = "The agent finished the task; see the run's output.";
// How much of the prompt a submitted run's result echoes.
constexpr size_t kEchoedPromptBytes = 200;

const std::vector<std::string>& Statuses() {
  static const auto* kStatuses =
      new std::vector<std::string>{"queued", "running", "succeeded", "failed", "cancelled"};
  return *kStatuses;
}

// Timestamp fraction digits: the spec's, else the service's usual six.
int Digits(const JobSpec& spec) { return spec.fraction_digits >= 0 ? spec.fraction_digits : 6; }

std::string Str(const Struct& s, absl::string_view key) {
  return json::GetString(s, key).value_or("");
}

std::string SseEvent(absl::string_view event, const Struct& data) {
  return absl::StrCat("event: ", event, "\ndata: ", ToSortedJson(data), "\n\n");
}

std::string ResultText(const JobSpec& spec) {
  return spec.result_text.empty() ? kDemoResult : spec.result_text;
}

// `text` (valid UTF-8) cut to at most `max_bytes` without splitting a character.
std::string CutUtf8(absl::string_view text, size_t max_bytes) {
  size_t end = 0;
  while (end < text.size()) {
    const size_t n = std::max<size_t>(1, Utf8SequenceLength(text, end));
    if (end + n > max_bytes) break;
    end += n;
  }
  return std::string(text.substr(0, end));
}

// One item of pydantic v2's 422 for a request body: {type, loc:["body", ...], msg, input}.
Value BodyIssue(absl::string_view type, absl::string_view field, absl::string_view msg,
                Value input) {
  std::vector<Value> loc = {json::Str("body")};
  if (!field.empty()) loc.push_back(json::Str(field));
  Struct issue;
  Put(issue, "type", json::Str(type));
  Put(issue, "loc", ListOf(std::move(loc)));
  Put(issue, "msg", json::Str(msg));
  Put(issue, "input", std::move(input));
  return json::Obj(std::move(issue));
}

// pydantic's lax `Optional[int]`: null, an integral number, or a string holding one.
std::optional<Value> TimeoutIssue(const Value* timeout) {
  if (json::IsNull(timeout)) return std::nullopt;
  switch (timeout->kind_case()) {
    case Value::kNumberValue:
      if (std::trunc(timeout->number_value()) == timeout->number_value()) return std::nullopt;
      return BodyIssue("int_from_float", "timeout",
                       "Input should be a valid integer, got a number with a fractional part",
                       *timeout);
    case Value::kStringValue: {
      int64_t parsed;
      if (absl::SimpleAtoi(timeout->string_value(), &parsed)) return std::nullopt;
      return BodyIssue("int_parsing", "timeout",
                       "Input should be a valid integer, unable to parse string as an integer",
                       *timeout);
    }
    case Value::kBoolValue:
      return std::nullopt;
    default:
      return BodyIssue("int_type", "timeout", "Input should be a valid integer", *timeout);
  }
}

// The submission body as JobSubmitRequest reads it: the issues pydantic would report, in
// field order; none when it is valid.
std::vector<Value> SubmissionIssues(const absl::StatusOr<Value>& body) {
  if (!body.ok()) {
    // FastAPI names the offending position; the sandbox does not track it.
    return {BodyIssue("json_invalid", "", "JSON decode error", json::Obj(Struct()))};
  }
  if (body->kind_case() != Value::kStructValue) {
    return {BodyIssue("model_attributes_type", "",
                      "Input should be a valid dictionary or object to extract fields from",
                      *body)};
  }
  const Struct& fields = body->struct_value();
  std::vector<Value> issues;
  const Value* prompt = json::Find(fields, "prompt");
  if (prompt == nullptr) {
    issues.push_back(BodyIssue("missing", "prompt", "Field required", *body));
  } else if (prompt->kind_case() != Value::kStringValue) {
    issues.push_back(BodyIssue("string_type", "prompt", "Input should be a valid string", *prompt));
  }
  if (std::optional<Value> issue = TimeoutIssue(json::Find(fields, "timeout"))) {
    issues.push_back(*std::move(issue));
  }
  return issues;
}

class PraisonaiPersonality : public Personality {
 public:
  explicit PraisonaiPersonality(const PersonalityOptions& options)
      : api_key_(options.api_key.value_or("")), heartbeat_(options.heartbeat) {}

  std::string vendor() const override { return kPraisonai; }
  std::string prefix() const override { return kPrefix; }
  std::string api_key() const override { return api_key_; }

  bool HasAuthHeader(const SandboxRequest& req) const override {
    return req.HasHeader("Authorization") || req.HasHeader("X-API-Key");
  }

  Route Classify(absl::string_view path, absl::string_view method) const override {
    return ClassifyJobRoute({"/api/v1/runs", "/cancel", "POST", "/stream", "/result", ""}, path,
                            method);
  }

  // Starlette redirects a trailing slash before any route (or auth) runs.
  std::optional<Reply> Preroute(const SandboxRequest& req) const override {
    if (req.path.size() <= 1 || !absl::EndsWith(req.path, "/")) return std::nullopt;
    std::string raw_path = req.raw_path;
    while (raw_path.size() > 1 && absl::EndsWith(raw_path, "/")) raw_path.pop_back();
    Reply reply;
    reply.status = 307;
    reply.content_type = "";
    reply.headers.emplace_back("Location",
                               absl::StrCat("http://", req.Header("Host"), raw_path,
                                            req.raw_query.empty() ? "" : "?", req.raw_query));
    return reply;
  }

  std::optional<Reply> CheckAuth(const SandboxRequest& req) const override {
    if (api_key_.empty()) return std::nullopt;
    if (req.Header("Authorization") == absl::StrCat("Bearer ", api_key_) ||
        req.Header("X-API-Key") == api_key_) {
      return std::nullopt;
    }
    Struct s;
    Put(s, "error", json::Str("Unauthorized"));
    return JsonReply(401, s);
  }

  Reply RouteNotFound() const override { return DetailReply(404, "Not Found"); }

  Reply ErrorReply(int status) const override { return DetailReply(status, ReasonPhrase(status)); }

  Reply Answer(const Route& route, const SandboxRequest& req, JobStore& jobs,
               absl::Time now) override {
    if (route.name == "list") return List(req, jobs, now);
    if (route.name == "create") return Create(req, jobs, now);
    if (route.name == "result") return Result(jobs, route.job_id, now);
    if (route.name == "get") return Get(jobs, route.job_id, now);
    if (route.name == "cancel") return Cancel(jobs, route.job_id, now);
    if (route.name == "stream") return Stream(jobs, route.job_id);
    return Delete(jobs, route.job_id, now);
  }

  TimelineRules timeline_rules() const override {
    TimelineRules rules;
    rules.queued_at_creation = true;  // no initializing phase: a new run is queued at once
    return rules;
  }

  std::string StatusText(Phase phase) const override {
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
    return "UNKNOWN";
  }

  void CompleteSpec(JobSpec& spec, IdGenerator& ids) const override {
    if (spec.id.empty()) spec.id = absl::StrCat("run_", ids.Hex(12));
  }

  std::vector<JobSpec> DemoJobs(absl::Time now) const override {
    DemoJobList demo(kPraisonai, now);

    {
      JobSpec& j = demo.Add(kDemoPraisonaiSucceededJob, absl::Hours(2) - absl::Microseconds(512034),
                            absl::ZeroDuration(), absl::Seconds(1), absl::Seconds(59));
      j.device = "researcher";
      j.session_id = "project-alpha";
      j.fraction_digits = 6;
    }
    {
      JobSpec& j = demo.Add("run_c3e8a1f47d92", absl::Minutes(90) - absl::Microseconds(4411),
                            absl::ZeroDuration(), absl::Seconds(1), absl::Hours(1));
      j.outcome = JobOutcome::kFailed;
      j.failure_message = "Agent execution timeout";
      j.fraction_digits = 6;
      j.zone_suffix = "+00:00";
    }
    {
      JobSpec& j = demo.Add(kDemoPraisonaiRunningJob, absl::Minutes(10) - absl::Microseconds(77123),
                            absl::ZeroDuration(), absl::Seconds(2), DemoJobList::kForHours);
      j.device = "analyst";
      j.session_id = "project-alpha";
      j.fraction_digits = 6;
      j.zone_suffix = "";
    }
    {
      JobSpec& j = demo.Add("run_1a7e5c9b3d04", absl::Minutes(1) - absl::Microseconds(31337),
                            absl::ZeroDuration(), absl::Hours(3), absl::Minutes(5));
      j.fraction_digits = 6;
    }
    {
      JobSpec& j = demo.Add("run_7d0b4e2f9a61", absl::Hours(3) - absl::Microseconds(250000),
                            absl::ZeroDuration(), absl::Seconds(5), absl::Minutes(10));
      j.outcome = JobOutcome::kCancelled;
      j.session_id = "project-beta";
      j.fraction_digits = 6;
    }
    {
      JobSpec& j = demo.Add("run_e5a3f8c10b27", absl::Hours(6) - absl::Microseconds(902211),
                            absl::ZeroDuration(), absl::Seconds(3), absl::Seconds(45));
      j.device = "researcher";
      j.fraction_digits = 6;
      j.zone_suffix = "";
    }
    return demo.Take();
  }

  // A run's events: its status first, then each change of status or progress, heartbeats, and
  // one of result/error/cancelled before the server closes.
  std::string StreamEvents(const JobRecord& job, absl::Time now, absl::Time wall,
                           StreamCursor& cursor, bool& finished) const override {
    const std::string& id = job.spec.id;
    std::string out;
    finished = false;
    const Struct status = StatusJson(job, now);
    const std::string text = Str(status, "status");
    const Struct* progress = json::GetObject(status, "progress");
    const std::string progress_json = progress == nullptr ? "" : ToSortedJson(*progress);
    if (!cursor.started || text != cursor.last_status) {
      out += SseEvent("status", status);
    } else if (progress_json != cursor.last_progress && progress != nullptr) {
      Struct event = *progress;
      Put(event, "job_id", json::Str(id));
      out += SseEvent("progress", event);
    }
    cursor.started = true;
    cursor.last_status = text;
    cursor.last_progress = progress_json;
    Struct end;
    Put(end, "job_id", json::Str(id));
    Put(end, "status", json::Str(text));
    if (text == "succeeded") {
      Put(end, "result", json::Str(ResultText(job.spec)));
      out += SseEvent("result", end);
      finished = true;
    } else if (text == "failed") {
      Put(end, "error",
          json::Find(status, "error") != nullptr ? *json::Find(status, "error") : json::Null());
      out += SseEvent("error", end);
      finished = true;
    } else if (text == "cancelled") {
      out += SseEvent("cancelled", end);
      finished = true;
    } else if (wall - cursor.last_beat >= heartbeat_) {
      Struct beat;
      Put(beat, "timestamp", json::Str(FormatTimestamp(now, 6, "Z")));
      out += SseEvent("heartbeat", beat);
      cursor.last_beat = wall;
    }
    return out;
  }

 private:
  static Reply NotFound(const std::string& id) {
    return DetailReply(404, absl::StrCat("Job not found: ", id));
  }

  static bool Active(const std::string& status) {
    return status == "queued" || status == "running";
  }

  Reply Get(JobStore& jobs, const std::string& id, absl::Time now) const {
    if (const std::string* raw = jobs.Raw(id)) return RawReply(*raw);
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    return JsonReply(200, StatusJson(*job, now));
  }

  // POST /api/v1/runs. The body is validated first (FastAPI does it before the handler runs);
  // then a key a live run already holds answers that run as it is now, and the new body is
  // ignored. The header's key wins over the body's.
  Reply Create(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    if (req.body.empty()) {
      return BodyValidationReply({BodyIssue("missing", "", "Field required", json::Null())});
    }
    const absl::StatusOr<Value> parsed = json::Parse(req.body);
    if (std::vector<Value> issues = SubmissionIssues(parsed); !issues.empty()) {
      return BodyValidationReply(std::move(issues));
    }
    const Struct& body = parsed->struct_value();
    std::string key = req.Header("Idempotency-Key");
    if (key.empty()) key = Str(body, "idempotency_key");
    if (!key.empty()) {
      for (const JobRecord* job : jobs.Live()) {
        if (job->spec.idempotency_key == key) {
          return Accepted(req, *job, JsonReply(202, StatusJson(*job, now)));
        }
      }
    }
    JobSpec spec;
    spec.submitted = true;
    spec.session_id = Str(body, "session_id");
    spec.device = Str(body, "agent_file");
    spec.idempotency_key = key;
    // The sandbox is no agent: the answer says what it was asked.
    spec.result_text =
        absl::StrCat("sandbox run of: ", CutUtf8(Str(body, "prompt"), kEchoedPromptBytes));
    const JobRecord& job = jobs.Add(std::move(spec));
    Struct s;
    Put(s, "job_id", json::Str(job.spec.id));
    Put(s, "status", json::Str(Status(job, now)));
    Put(s, "created_at", json::Str(CreatedAt(job)));
    Put(s, "poll_url", json::Str(PollUrl(req, job.spec.id)));
    Put(s, "stream_url", json::Str(absl::StrCat(PollUrl(req, job.spec.id), "/stream")));
    return Accepted(req, job, JsonReply(202, s));
  }

  // GET /api/v1/runs/{id}/result: 409 until the run is over, then the same keys for every
  // way it ended.
  Reply Result(JobStore& jobs, const std::string& id, absl::Time now) const {
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    const std::string status = Status(*job, now);
    if (status != "succeeded" && status != "failed" && status != "cancelled") {
      return DetailReply(409, absl::StrCat("Job is not complete. Current status: ", status));
    }
    const Struct run = StatusJson(*job, now);
    const Timeline t = TimelineAt(*job, now);
    Struct s;
    Put(s, "job_id", json::Str(id));
    Put(s, "status", json::Str(status));
    Put(s, "result", status == "succeeded" ? json::Str(ResultText(job->spec)) : json::Null());
    Put(s, "result_url", json::Null());
    Put(s, "metrics", json::Null());
    for (const char* key : {"created_at", "started_at", "completed_at", "error"}) {
      Put(s, key, *json::Find(run, key));
    }
    // A run cancelled before it started never ran: no duration.
    Put(s, "duration_seconds",
        Reached(t.started_at) && Reached(t.ended_at)
            ? json::Num(absl::ToDoubleSeconds(t.ended_at - t.started_at))
            : json::Null());
    return JsonReply(200, s);
  }

  // The server's own absolute URL of a run, from the Host it was reached by.
  static std::string PollUrl(const SandboxRequest& req, const std::string& id) {
    return absl::StrCat("http://", req.Header("Host"), kPrefix, "/api/v1/runs/", id);
  }

  // A submission's answer headers: where to poll, and when.
  static Reply Accepted(const SandboxRequest& req, const JobRecord& job, Reply reply) {
    reply.headers.emplace_back("Location", PollUrl(req, job.spec.id));
    reply.headers.emplace_back("Retry-After", "2");
    return reply;
  }

  static Reply BodyValidationReply(std::vector<Value> issues) {
    Struct s;
    Put(s, "detail", ListOf(std::move(issues)));
    return JsonReply(422, s);
  }

  static std::string CreatedAt(const JobRecord& job) {
    return FormatTimestamp(job.created, Digits(job.spec), job.spec.zone_suffix);
  }

  Reply List(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    std::vector<ValidationIssue> issues;
    const auto page = BoundedIntParam(req, "page", 1, 1, 1000000000, issues);
    const auto page_size = BoundedIntParam(req, "page_size", kPraisonaiDefaultPageSize, 1,
                                           kPraisonaiMaxPageSize, issues);
    if (!issues.empty()) return ValidationErrorReply(issues);
    std::string status;
    if (req.HasParam("status")) {
      status = req.Param("status");
      if (!Contains(Statuses(), status)) {
        return DetailReply(400, absl::StrCat("Invalid status: ", status, ". Must be one of: ",
                                             absl::StrJoin(Statuses(), ", ")));
      }
    }
    const std::string session = req.Param("session_id");
    std::vector<const JobRecord*> matched;
    for (const JobRecord* job : jobs.Live()) {
      if (!status.empty() && Status(*job, now) != status) continue;
      if (!session.empty() && job->spec.session_id != session) continue;
      matched.push_back(job);
    }
    const int64_t total = static_cast<int64_t>(matched.size());
    const int64_t begin = std::min(total, (*page - 1) * *page_size);
    const int64_t end = std::min(total, begin + *page_size);
    std::vector<Value> items;
    for (int64_t i = begin; i < end; ++i) {
      items.push_back(json::Obj(StatusJson(*matched[i], now)));
    }
    Struct s;
    Put(s, "jobs", ListOf(std::move(items)));
    Put(s, "total", Int(total));
    Put(s, "page", Int(*page));
    Put(s, "page_size", Int(*page_size));
    return JsonReply(200, s);
  }

  Reply Cancel(JobStore& jobs, const std::string& id, absl::Time now) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    const std::string status = Status(*job, now);
    if (!Active(status)) {
      return DetailReply(409, absl::StrCat("Job is already complete. Status: ", status));
    }
    job->cancelled_at = now;
    job->fixed_status.clear();
    return JsonReply(200, StatusJson(*job, now));
  }

  Reply Delete(JobStore& jobs, const std::string& id, absl::Time now) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    if (Active(Status(*job, now))) {
      return DetailReply(409, "Cannot delete a running job. Cancel it first.");
    }
    jobs.Delete(*job);
    Reply reply;
    reply.status = 204;
    reply.content_type = "";
    return reply;
  }

  Reply Stream(JobStore& jobs, const std::string& id) const {
    if (jobs.Find(id) == nullptr) return NotFound(id);
    Reply reply;
    reply.content_type = "text/event-stream";
    reply.headers.emplace_back("Cache-Control", "no-cache");
    reply.stream_job = id;
    return reply;
  }

  Struct StatusJson(const JobRecord& job, absl::Time now) const {
    const JobSpec& spec = job.spec;
    const Timeline t = TimelineAt(job, now);
    auto ts_or_null = [&](absl::Time time) {
      return Reached(time) ? json::Str(FormatTimestamp(time, Digits(spec), spec.zone_suffix))
                           : json::Null();
    };
    const bool active =
        t.phase == Phase::kQueued || t.phase == Phase::kRunning || t.phase == Phase::kInitializing;

    Struct s;
    Put(s, "job_id", json::Str(spec.id));
    Put(s, "status", json::Str(Status(job, now)));
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
    Put(s, "created_at", json::Str(CreatedAt(job)));
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

  const std::string api_key_;
  const absl::Duration heartbeat_;
};

}  // namespace

std::unique_ptr<Personality> NewPraisonaiPersonality(const PersonalityOptions& options) {
  return std::make_unique<PraisonaiPersonality>(options);
}

}  // namespace jobfacade::sandbox
