// IonQ's sandbox personality: the v0.4 job API under /ionq/v0.4 (NOTES.md): "apiKey" auth,
// IonQ's error body with its validation keys, cursor pages (a deleted job keeps its place),
// a cancel the service accepts in any state, even of a finished job, submissions checked like
// the create payloads' schema, and a completed job's probabilities (split evenly between the
// all-zeros and all-ones states: the sandbox is no simulator) and cost.
#include "adapters/ionq/ionq_sandbox.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
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
#include "adapters/core/job_fields.h"

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
constexpr char kQasm3Type[] = "ionq.qasm3.v1";
constexpr int64_t kDefaultShots = 100;
constexpr int64_t kMaxShots = 1000000;
// The most qubits a submission may use here: the probabilities' all-ones key must fit in a
// uint64.
constexpr int kMaxSandboxQubits = 64;

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

// `source` is where `key` was: "query" or "body".
Reply BadRequest(absl::string_view key, absl::string_view message,
                 absl::string_view source = "query") {
  Struct s = ErrorBody(400, "Bad Request", message);
  Struct validation;
  Put(validation, "keys", ListOf({json::Str(key)}));
  Put(validation, "source", json::Str(source));
  Put(s, "validation", json::Obj(std::move(validation)));
  return JsonReply(400, s);
}

// The members each create payload's schema names (openapi-v0.4.json: every one is closed), by
// `type`.
const std::map<std::string, std::set<std::string>>& CreatePayloadKeys() {
  static const auto* kKeys = [] {
    const std::set<std::string> common = {"name",     "metadata", "shots", "backend", "session_id",
                                          "settings", "dry_run",  "type",  "input"};
    std::set<std::string> circuit = common;
    circuit.insert("noise");
    std::set<std::string> qaoa = common;
    qaoa.insert("external_settings");
    return new std::map<std::string, std::set<std::string>>{{"ionq.circuit.v1", circuit},
                                                            {kQasm3Type, circuit},
                                                            {"ionq.multi-circuit.v1", circuit},
                                                            {"quantum-function", common},
                                                            {"qctrl.qaoa.v1", qaoa}};
  }();
  return *kKeys;
}

bool IsIdentifierChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The qubits an OpenQASM 3 program declares (`qubit[N] name;` counts N, `qubit name;` one),
// summed; 0 when it declares none. A rough reading, not a parser: a size that is not a literal,
// and a declaration in a comment, count wrongly. Stops counting past kMaxSandboxQubits (the caller
// refuses that).
int DeclaredQubits(absl::string_view program) {
  int total = 0;
  for (size_t at = program.find("qubit");
       at != absl::string_view::npos && total <= kMaxSandboxQubits;
       at = program.find("qubit", at + 1)) {
    absl::string_view rest = program.substr(at + 5);
    // Only the keyword: not `myqubit` nor `qubits`.
    if (at > 0 && IsIdentifierChar(program[at - 1])) continue;
    if (!rest.empty() && IsIdentifierChar(rest.front())) continue;
    rest = absl::StripLeadingAsciiWhitespace(rest);
    int64_t size = 1;
    if (absl::ConsumePrefix(&rest, "[")) {
      const size_t close = rest.find(']');
      if (close == absl::string_view::npos) continue;
      const absl::string_view digits = absl::StripAsciiWhitespace(rest.substr(0, close));
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) {
            return absl::ascii_isdigit(static_cast<unsigned char>(c));
          })) {
        continue;
      }
      // A literal beyond int64 is simply too many.
      if (!absl::SimpleAtoi(digits, &size)) size = kMaxSandboxQubits + 1;
      rest = absl::StripLeadingAsciiWhitespace(rest.substr(close + 1));
    }
    // A declaration is `name;`: a subroutine's `qubit a,` or `qubit a)` declares nothing.
    const size_t name_end =
        std::find_if_not(rest.begin(), rest.end(), IsIdentifierChar) - rest.begin();
    if (name_end == 0 ||
        !absl::StartsWith(absl::StripLeadingAsciiWhitespace(rest.substr(name_end)), ";")) {
      continue;
    }
    total += static_cast<int>(std::min<int64_t>(size, kMaxSandboxQubits + 1));
  }
  return total;
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
    return ClassifyJobRoute(
        {"/jobs", "/status/cancel", "PUT", "", "/results/probabilities", "/cost"}, path, method);
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
    if (route.name == "create") return Create(req, jobs, now);
    if (route.name == "get") return Get(jobs, route.job_id, now);
    if (route.name == "result") return Result(jobs, route.job_id, now);
    if (route.name == "cost") return Cost(jobs, route.job_id, now);
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

  // POST /jobs: the payload checked like its schema, then a job that runs on the clock.
  Reply Create(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    absl::StatusOr<Struct> parsed = json::ParseObject(req.body);
    if (!parsed.ok()) return Error(400, "Bad Request", "The request body must be a JSON object.");
    const Struct& body = *parsed;
    const std::string type = StringOr(body, "type");
    const auto keys = CreatePayloadKeys().find(type);
    if (keys == CreatePayloadKeys().end()) {
      std::vector<std::string> types;
      for (const auto& [known, unused] : CreatePayloadKeys()) types.push_back(known);
      return BadRequest("type",
                        absl::StrCat("\"type\" must be one of [", absl::StrJoin(types, ", "), "]"),
                        "body");
    }
    for (const auto& [key, value] : body.fields()) {
      if (keys->second.count(key) == 0) {
        return BadRequest(key, absl::StrCat("\"", key, "\" is not allowed"), "body");
      }
    }
    JobSpec spec;
    if (std::optional<Reply> bad = ReadCreatePayload(body, spec)) return *bad;
    spec.submitted = true;
    spec.job_type = type;
    spec.program_format = type;
    const Value* input = json::Find(body, "input");
    if (type == kQasm3Type) {
      std::optional<std::string> data = json::GetString(input->struct_value(), "data");
      if (!data.has_value() || input->struct_value().fields_size() != 1) {
        return BadRequest("input", "\"input\" must be {\"data\": <OpenQASM 3 source>}", "body");
      }
      spec.program = *data;
      spec.qubits = DeclaredQubits(spec.program);
    } else {
      spec.program = json::ToJson(*input);
      spec.qubits = static_cast<int>(std::clamp<int64_t>(
          json::GetInt(input->struct_value(), "qubits").value_or(0), 0, kMaxSandboxQubits + 1));
    }
    if (spec.qubits > kMaxSandboxQubits) {
      return BadRequest("input",
                        absl::StrCat("The circuit uses more than ", kMaxSandboxQubits,
                                     " qubits, more than any backend has."),
                        "body");
    }
    spec.qubits = std::max(spec.qubits, 1);
    JobRecord& job = jobs.Add(std::move(spec));
    Struct s;
    Put(s, "id", json::Str(job.spec.id));
    Put(s, "status", json::Str(Status(job, now)));
    Put(s, "session_id", StrOrNull(job.spec.session_id));
    return JsonReply(201, s);
  }

  // The members every create payload shares, into `spec`; IonQ's 400 when one is of the wrong
  // type or out of range.
  static std::optional<Reply> ReadCreatePayload(const Struct& body, JobSpec& spec) {
    auto wrong = [](absl::string_view key, absl::string_view what) {
      return BadRequest(key, absl::StrCat("\"", key, "\" must be ", what), "body");
    };
    auto is = [&body](absl::string_view key, Value::KindCase kind) {
      const Value* v = json::Find(body, key);
      return v != nullptr && v->kind_case() == kind;
    };
    auto absent_or = [&body, &is](absl::string_view key, Value::KindCase kind) {
      return json::Find(body, key) == nullptr || is(key, kind);
    };
    if (!is("backend", Value::kStringValue)) return wrong("backend", "a string");
    if (!is("input", Value::kStructValue)) return wrong("input", "an object");
    if (!absent_or("name", Value::kStringValue)) return wrong("name", "a string");
    if (!absent_or("session_id", Value::kStringValue)) return wrong("session_id", "a string");
    if (!absent_or("settings", Value::kStructValue)) return wrong("settings", "an object");
    if (!absent_or("dry_run", Value::kBoolValue)) return wrong("dry_run", "a boolean");
    if (!absent_or("metadata", Value::kStructValue)) return wrong("metadata", "an object");
    if (const Struct* metadata = json::GetObject(body, "metadata")) {
      for (const auto& [key, value] : metadata->fields()) {
        if (value.kind_case() != Value::kStringValue) {
          return wrong(absl::StrCat("metadata.", key), "a string");
        }
        spec.tags[key] = value.string_value();
      }
    }
    spec.shots = kDefaultShots;
    if (const Value* shots = json::Find(body, "shots")) {
      const double n = shots->kind_case() == Value::kNumberValue ? shots->number_value() : 0;
      if (std::trunc(n) != n || n < 1 || n > kMaxShots) {
        return wrong("shots", absl::StrCat("an integer from 1 to ", kMaxShots));
      }
      spec.shots = static_cast<int64_t>(n);
    }
    spec.device = StringOr(body, "backend");
    spec.name = StringOr(body, "name");
    spec.session_id = StringOr(body, "session_id");
    if (const Struct* settings = json::GetObject(body, "settings")) {
      spec.options_json = json::ToJson(*settings);
    }
    return std::nullopt;
  }

  // GET /jobs/{id}/results/probabilities: decimal states, qubit 0 the least significant bit.
  Reply Result(JobStore& jobs, const std::string& id, absl::Time now) const {
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr || TimelineAt(*job, now).phase != Phase::kCompleted) {
      return Error(404, "Not Found", "Job not found or not yet completed.");
    }
    const int qubits = std::clamp(job->spec.qubits, 1, kMaxSandboxQubits);
    const uint64_t all_ones = qubits == 64 ? ~uint64_t{0} : (uint64_t{1} << qubits) - 1;
    Struct s;
    Put(s, "0", json::Num(0.5));
    Put(s, absl::StrCat(all_ones), json::Num(0.5));
    return JsonReply(200, s);
  }

  // GET /jobs/{id}/cost: the estimate at once, the cost once the job has completed.
  Reply Cost(JobStore& jobs, const std::string& id, absl::Time now) const {
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound();
    auto usd = [](double value) {
      Struct amount;
      Put(amount, "value", json::Num(value));
      Put(amount, "unit", json::Str("usd"));
      return json::Obj(std::move(amount));
    };
    Struct s;
    Put(s, "dry_run", json::Bool(false));
    Put(s, "estimated_cost", usd(job->spec.estimated_cost));
    Put(s, "cost",
        TimelineAt(*job, now).phase == Phase::kCompleted ? usd(job->spec.cost) : json::Null());
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
    Put(s, "settings", json::Obj(SettingsOf(spec)));
    Struct stats;
    Put(stats, "qubits", Int(spec.qubits));
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

  // The settings a submission carried, as it sent them.
  static Struct SettingsOf(const JobSpec& spec) {
    if (spec.options_json.empty()) return Struct();
    return json::ParseObject(spec.options_json).value_or(Struct());
  }

  const std::string api_key_;
  const int max_page_size_;
};

}  // namespace

std::unique_ptr<Personality> NewIonqPersonality(const PersonalityOptions& options) {
  return std::make_unique<IonqPersonality>(options);
}

}  // namespace jobfacade::sandbox
