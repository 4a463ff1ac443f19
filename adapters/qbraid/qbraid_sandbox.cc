// qBraid's sandbox personality: the job API under /qbraid/api/v1 as the live service answers
// it (NOTES.md): X-API-KEY auth, the gateway's error envelope (or FastAPI's documented one),
// page/limit lists with filters, INITIALIZING jobs that refuse a cancel with 409, a cancel that
// reads CANCELLING for a few seconds, submissions validated the way the vendor's FastAPI does,
// and results (409 until COMPLETED) whose counts split the shots between all zeros and all ones.
#include "adapters/qbraid/qbraid_sandbox.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jobfacade::sandbox {
namespace {

using json::Struct;
using json::Value;

constexpr char kPrefix[] = "/qbraid/api/v1";
constexpr char kDefaultDevice[] = "qbraid:qbraid:sim:qir-sv";
constexpr char kQbraidOrganizationUserId[] = "68f94f8e0c6d3502fd4c37f5";
constexpr int kQbraidDefaultLimit = 50;
constexpr int kQbraidMaxLimit = 100;
// How long a job reads CANCELLING after an accepted cancel.
constexpr absl::Duration kCancellingFor = absl::Seconds(5);
// The widest result the sandbox writes: far beyond any device, and a program declaring
// `qubit[1000000000] q;` must not make the sandbox write gigabyte bitstrings.
constexpr int64_t kMaxQubits = 1024;
constexpr char kResultsNotReady[] = "Job results are not yet available or are not valid JSON";

// The error codes qBraid's gateway puts in error.code.
std::string QbraidErrorCode(int status) {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "CONFLICT";
    case 429:
      return "RATE_LIMIT_EXCEEDED";
    case 502:
      return "BAD_GATEWAY";
    case 503:
      return "SERVICE_UNAVAILABLE";
    case 504:
      return "GATEWAY_TIMEOUT";
    default:
      return status >= 500 ? "INTERNAL_SERVER_ERROR" : "ERROR";
  }
}

Reply GatewayError(int status, absl::string_view code, absl::string_view message,
                   absl::string_view detail) {
  Struct error;
  Put(error, "code", json::Str(code));
  Put(error, "message", json::Str(detail));
  Struct s;
  Put(s, "success", json::Bool(false));
  Put(s, "message", json::Str(message));
  Put(s, "error", json::Obj(std::move(error)));
  return JsonReply(status, s);
}

const std::vector<std::string>& Statuses() {
  static const auto* kStatuses = new std::vector<std::string>{
      "INITIALIZING", "QUEUED",    "VALIDATING", "RUNNING", "CANCELLING",
      "CANCELLED",    "COMPLETED", "FAILED",     "UNKNOWN", "HOLD"};
  return *kStatuses;
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

std::string VendorOf(const JobSpec& spec) {
  const std::vector<std::string> device = QrnParts(spec.device);
  return device.empty() || device[0].empty() ? "qbraid" : device[0];
}

std::string ProviderOf(const JobSpec& spec) {
  if (!spec.provider.empty()) return spec.provider;
  const std::vector<std::string> device = QrnParts(spec.device);
  return device.size() > 1 ? device[1] : VendorOf(spec);
}

// `program` without its // and /* */ comments, so that a commented-out declaration counts
// for nothing.
std::string WithoutComments(absl::string_view program) {
  std::string out;
  size_t i = 0;
  while (i < program.size()) {
    if (program.substr(i, 2) == "//") {
      i = program.find('\n', i);
      if (i == absl::string_view::npos) break;
    } else if (program.substr(i, 2) == "/*") {
      i = program.find("*/", i + 2);
      if (i == absl::string_view::npos) break;
      i += 2;
      out.push_back(' ');
    } else {
      out.push_back(program[i++]);
    }
  }
  return out;
}

// Consumes `keyword` from the start of `statement` when it is the whole first word.
bool ConsumeKeyword(absl::string_view& statement, absl::string_view keyword) {
  absl::string_view rest = statement;
  if (!absl::ConsumePrefix(&rest, keyword)) return false;
  if (!rest.empty() && (absl::ascii_isalnum(rest[0]) || rest[0] == '_')) return false;
  statement = rest;
  return true;
}

// The N of a "[N]" that `text` starts with (after spaces); nullopt unless it is a positive
// decimal.
std::optional<int64_t> BracketedSize(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  if (!absl::ConsumePrefix(&text, "[")) return std::nullopt;
  const size_t close = text.find(']');
  if (close == absl::string_view::npos) return std::nullopt;
  int64_t size = 0;
  if (!absl::SimpleAtoi(text.substr(0, close), &size) || size <= 0) return std::nullopt;
  return std::min(size, kMaxQubits);
}

// The qubits one statement declares: `qubit[N] x` or `qubit x` (OpenQASM 3), `qreg x[N]`
// (OpenQASM 2, still legal in 3).
std::optional<int64_t> DeclaredQubits(absl::string_view statement) {
  statement = absl::StripAsciiWhitespace(statement);
  if (ConsumeKeyword(statement, "qubit")) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(statement), "[")) {
      return BracketedSize(statement);
    }
    return 1;
  }
  if (ConsumeKeyword(statement, "qreg")) {
    const size_t open = statement.find('[');
    if (open == absl::string_view::npos) return std::nullopt;
    return BracketedSize(statement.substr(open));
  }
  return std::nullopt;
}

// One error of FastAPI's 422 for a request body: loc ["body", ...path].
struct BodyIssue {
  std::vector<std::string> path;
  std::string type;
  std::string msg;
  Value input;
};

// FastAPI's 422 for a body (personality.h's ValidationErrorReply is for query parameters).
Reply BodyValidationErrorReply(std::vector<BodyIssue> issues) {
  std::vector<Value> detail;
  for (BodyIssue& issue : issues) {
    std::vector<Value> loc = {json::Str("body")};
    for (const std::string& part : issue.path) loc.push_back(json::Str(part));
    Struct item;
    Put(item, "type", json::Str(issue.type));
    Put(item, "loc", ListOf(std::move(loc)));
    Put(item, "msg", json::Str(issue.msg));
    Put(item, "input", std::move(issue.input));
    detail.push_back(json::Obj(std::move(item)));
  }
  Struct s;
  Put(s, "detail", ListOf(std::move(detail)));
  return JsonReply(422, s);
}

bool IsKind(const Value* value, Value::KindCase kind) {
  return value != nullptr && value->kind_case() == kind;
}

// POST /jobs's body read the way the vendor's pydantic model reads it: the job to create, or
// every issue found.
struct Submission {
  JobSpec spec;
  std::vector<BodyIssue> issues;
};

Submission ReadSubmission(absl::string_view text) {
  Submission out;
  absl::StatusOr<Value> parsed = json::Parse(text);
  if (!parsed.ok()) {
    out.issues.push_back({{}, "json_invalid", "JSON decode error", json::Obj(Struct())});
    return out;
  }
  if (parsed->kind_case() != Value::kStructValue) {
    out.issues.push_back({{},
                          "model_attributes_type",
                          "Input should be a valid dictionary or object to extract fields from",
                          *parsed});
    return out;
  }
  const Struct& body = parsed->struct_value();
  auto issue = [&](std::vector<std::string> path, std::string type, std::string msg,
                   const Value& input) {
    out.issues.push_back({std::move(path), std::move(type), std::move(msg), input});
  };
  auto missing = [&](std::vector<std::string> path, const Value& parent) {
    out.issues.push_back({std::move(path), "missing", "Field required", parent});
  };
  JobSpec& spec = out.spec;
  spec.submitted = true;

  const Value* shots = json::Find(body, "shots");
  if (shots == nullptr) {
    missing({"shots"}, *parsed);
  } else if (!IsKind(shots, Value::kNumberValue)) {
    issue({"shots"}, "int_type", "Input should be a valid integer", *shots);
  } else if (std::optional<int64_t> n = json::GetInt(body, "shots"); !n.has_value()) {
    issue({"shots"}, "int_from_float",
          "Input should be a valid integer, got a number with a fractional part", *shots);
  } else if (*n <= 0) {
    issue({"shots"}, "greater_than", "Input should be greater than 0", *shots);
  } else {
    spec.shots = *n;
  }

  const Value* device = json::Find(body, "deviceQrn");
  if (device == nullptr) {
    missing({"deviceQrn"}, *parsed);
  } else if (!IsKind(device, Value::kStringValue)) {
    issue({"deviceQrn"}, "string_type", "Input should be a valid string", *device);
  } else if (device->string_value().empty()) {
    issue({"deviceQrn"}, "string_too_short", "String should have at least 1 character", *device);
  } else {
    spec.device = device->string_value();
  }

  // One program; the vendor's list form (a batch job) is not emulated.
  const Value* program = json::Find(body, "program");
  if (program == nullptr) {
    missing({"program"}, *parsed);
  } else if (!IsKind(program, Value::kStructValue)) {
    issue({"program"}, "model_attributes_type",
          "Input should be a valid dictionary or object to extract fields from", *program);
  } else {
    const Value* format = json::Find(program->struct_value(), "format");
    const Value* data = json::Find(program->struct_value(), "data");
    if (format == nullptr) {
      missing({"program", "format"}, *program);
    } else if (!IsKind(format, Value::kStringValue)) {
      issue({"program", "format"}, "string_type", "Input should be a valid string", *format);
    } else {
      spec.program_format = format->string_value();
    }
    if (json::IsNull(data)) {
      missing({"program", "data"}, *program);
    } else if (IsKind(data, Value::kStringValue)) {
      spec.program = data->string_value();
      spec.qubits = CountDeclaredQubits(spec.program);
    } else {
      // pulser.sequence sends an object; it declares no qubits the sandbox can count.
      spec.program = ToSortedJson(*data);
      spec.qubits = 1;
    }
  }

  const Value* name = json::Find(body, "name");
  if (IsKind(name, Value::kStringValue)) {
    spec.name = name->string_value();
  } else if (!json::IsNull(name)) {
    issue({"name"}, "string_type", "Input should be a valid string", *name);
  }

  if (const Value* tags = json::Find(body, "tags")) {
    if (!IsKind(tags, Value::kStructValue)) {
      issue({"tags"}, "dict_type", "Input should be a valid dictionary", *tags);
    } else {
      for (const auto& [key, value] : tags->struct_value().fields()) {
        // Values are strings, integers or booleans; the sandbox keeps them as text.
        std::optional<std::string> text = json::ScalarToString(value);
        if (text.has_value()) {
          spec.tags[key] = *std::move(text);
        } else {
          issue({"tags", key}, "string_type", "Input should be a valid string", value);
        }
      }
    }
  }

  if (const Value* options = json::Find(body, "runtimeOptions")) {
    if (!IsKind(options, Value::kStructValue)) {
      issue({"runtimeOptions"}, "dict_type", "Input should be a valid dictionary", *options);
    } else {
      spec.options_json = ToSortedJson(*options);
    }
  }
  return out;
}

class QbraidPersonality : public Personality {
 public:
  explicit QbraidPersonality(const PersonalityOptions& options)
      : options_(options), api_key_(options.api_key.value_or(kQbraidSandboxApiKey)) {}

  std::string vendor() const override { return kQbraid; }
  std::string prefix() const override { return kPrefix; }
  std::string api_key() const override { return api_key_; }

  bool HasAuthHeader(const SandboxRequest& req) const override {
    return req.HasHeader("X-API-KEY");
  }

  Route Classify(absl::string_view path, absl::string_view method) const override {
    return ClassifyJobRoute({"/jobs", "/cancel", "POST", /*stream_suffix=*/"",
                             /*result_suffix=*/"/result", /*cost_suffix=*/""},
                            path, method);
  }

  std::optional<Reply> CheckAuth(const SandboxRequest& req) const override {
    const std::string key = req.Header("X-API-KEY");
    if (key.empty()) {
      return GatewayError(401, "NO_VALID_AUTHENTICATION", "Authentication required",
                          "No valid authentication credentials were provided");
    }
    if (key != api_key_) {
      return GatewayError(401, "INVALID_API_KEY", "Invalid API key",
                          "The API key provided is invalid or has been revoked");
    }
    return std::nullopt;
  }

  Reply RouteNotFound() const override {
    if (options_.documented_errors) return DetailReply(404, "Not Found");
    return GatewayError(404, "NOT_FOUND", "Route not found", "Route not found");
  }

  Reply ErrorReply(int status) const override {
    const absl::string_view reason = ReasonPhrase(status);
    if (options_.documented_errors) return DetailReply(status, reason);
    return GatewayError(status, QbraidErrorCode(status), reason, reason);
  }

  Reply Answer(const Route& route, const SandboxRequest& req, JobStore& jobs,
               absl::Time now) override {
    if (route.name == "list") return List(req, jobs, now);
    if (route.name == "create") return Create(req, jobs, now);
    if (route.name == "get") return Get(jobs, route.job_id, now);
    if (route.name == "result") return Result(jobs, route.job_id, now);
    if (route.name == "cancel") return Cancel(jobs, route.job_id, now);
    return Delete(jobs, route.job_id);
  }

  TimelineRules timeline_rules() const override {
    TimelineRules rules;
    rules.cancelling_for = kCancellingFor;
    return rules;
  }

  std::string StatusText(Phase phase) const override {
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
    return "UNKNOWN";
  }

  void CompleteSpec(JobSpec& spec, IdGenerator& ids) const override {
    if (spec.device.empty()) spec.device = kDefaultDevice;
    if (spec.id.empty())
      spec.id = absl::StrCat(spec.device, "-", ids.Hex(4), "-qjob-", ids.Hex(24));
  }

  std::vector<JobSpec> DemoJobs(absl::Time now) const override {
    DemoJobList demo(kQbraid, now);

    // qBraid, modelled on the payloads captured from the live service.
    {
      JobSpec& j = demo.Add(kDemoQbraidCompletedJob, absl::Hours(3) - absl::Milliseconds(66),
                            absl::Seconds(1), absl::Seconds(3), absl::Milliseconds(1449));
      j.device = "aws:aws:sim:sv1";
      j.name = "QASM job";
      j.cost = 0.375;
      j.estimated_cost = 7.5;
      j.legacy_batch_key = true;
    }
    {
      JobSpec& j = demo.Add("qbraid:qbraid:sim:qir-sv-8ce1-qjob-69e7d2b3ae0f5ac2f46cb5da",
                            absl::Minutes(150), absl::ZeroDuration(), absl::ZeroDuration(),
                            absl::Milliseconds(2));
      j.device = "qbraid:qbraid:sim:qir-sv";
      j.outcome = JobOutcome::kFailed;
      j.failure_message =
          "Error: \"Failed to link some declared functions: "
          "__quantum__qis__barrier__body\"\n";
      j.estimated_cost = 0;
      j.fraction_digits = 0;
    }
    {
      JobSpec& j = demo.Add("aws:quera:qpu:aquila-37f5-qjob-696aae286a18e4f726abf2af",
                            absl::Minutes(20) - absl::Milliseconds(447), absl::Seconds(4),
                            absl::Hours(6), absl::Minutes(2));
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
      JobSpec& j = demo.Add(kDemoQbraidRunningJob, absl::Minutes(10) - absl::Milliseconds(627),
                            absl::Seconds(4), absl::Seconds(20), DemoJobList::kForHours);
      j.device = "azure:pasqal:sim:emu-tn";
      j.name = "Pulser Sequence Job";
      j.job_type = "analog";
      j.batch_id = "azure:pasqal:sim:emu-tn-37f5-qgroup-696aafc96a18e4f726abf2b9";
      j.estimated_cost = 25;
      j.fraction_digits = 6;
    }
    {
      JobSpec& j = demo.Add("aws:ionq:qpu:forte-1-37f5-qjob-6a0b12c4d5e6f708192a3b4c",
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
      JobSpec& j = demo.Add(kDemoQbraidInitializingJob, absl::Milliseconds(250), absl::Minutes(2),
                            absl::Seconds(30), absl::Minutes(1));
      j.device = "qbraid:qbraid:sim:qir-sv";
      j.name = "Sandbox warm-up";
      j.estimated_cost = 0;
    }
    {
      JobSpec& j = demo.Add("ibm:ibm:qpu:brisbane-37f5-qjob-6a0c7e19b2d84f3a5c6e7d80",
                            absl::Hours(5), absl::Seconds(3), absl::Minutes(30), absl::Minutes(1));
      j.device = "ibm:ibm:qpu:brisbane";
      j.name = "GHZ sweep";
      j.outcome = JobOutcome::kCancelled;
      j.tags = {{"experiment", "ghz"}, {"round", "2"}};
      j.estimated_cost = 96;
    }
    return demo.Take();
  }

 private:
  Reply NotFound(const std::string& id) const {
    if (options_.documented_errors) return DetailReply(404, "Job not found");
    return GatewayError(404, "NOT_FOUND", "Job not found", absl::StrCat("Job not found: ", id));
  }

  Reply BadRequest(absl::string_view message) const {
    if (options_.documented_errors) return DetailReply(400, message);
    return GatewayError(400, "BAD_REQUEST", message, message);
  }

  Reply Get(JobStore& jobs, const std::string& id, absl::Time now) const {
    if (const std::string* raw = jobs.Raw(id)) return RawReply(*raw);
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", json::Obj(JobJson(*job, now)));
    return JsonReply(200, s);
  }

  Reply Create(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    Submission submission = ReadSubmission(req.body);
    if (!submission.issues.empty()) {
      return BodyValidationErrorReply(std::move(submission.issues));
    }
    const JobRecord& job = jobs.Add(std::move(submission.spec));
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", json::Obj(JobJson(job, now)));
    return JsonReply(201, s);
  }

  // qBraid has results only for COMPLETED jobs; FAILED and CANCELLED ones answer like jobs
  // still running. The counts are no simulation: half the shots (rounded up) read all zeros,
  // the rest all ones.
  Reply Result(JobStore& jobs, const std::string& id, absl::Time now) const {
    const JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    if (Status(*job, now) != "COMPLETED") return DetailReply(409, kResultsNotReady);
    const JobSpec& spec = job->spec;
    const size_t width = static_cast<size_t>(std::clamp<int64_t>(spec.qubits, 1, kMaxQubits));
    const int64_t shots = std::max<int64_t>(spec.shots, 0);
    Struct counts;
    // An outcome never measured is not listed, as qBraid does not list one.
    if ((shots + 1) / 2 > 0) Put(counts, std::string(width, '0'), Int((shots + 1) / 2));
    if (shots / 2 > 0) Put(counts, std::string(width, '1'), Int(shots / 2));
    Struct result_data;
    Put(result_data, "measurementCounts", json::Obj(std::move(counts)));
    Struct data;
    Put(data, "status", json::Str("COMPLETED"));
    // The live service writes the cost as a decimal string here (a number on the job).
    Put(data, "cost", json::Str(json::ScalarToString(json::Num(spec.cost)).value_or("0")));
    Put(data, "timeStamps", TimeStampsJson(*job, TimelineAt(*job, now)));
    Put(data, "resultData", json::Obj(std::move(result_data)));
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", json::Obj(std::move(data)));
    return JsonReply(200, s);
  }

  Reply List(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    std::vector<ValidationIssue> issues;
    const auto page = BoundedIntParam(req, "page", 1, 1, 1000000000, issues);
    const auto limit =
        BoundedIntParam(req, "limit", kQbraidDefaultLimit, 1, kQbraidMaxLimit, issues);
    auto enum_param = [&](const char* name, const std::vector<std::string>& values) {
      if (!req.HasParam(name)) return std::string();
      std::string v = req.Param(name);
      if (!Contains(values, v)) issues.push_back({name, "enum", EnumMessage(values), v});
      return v;
    };
    const std::string status = enum_param("status", Statuses());
    const std::string group = enum_param("statusGroup", {"all", "pending", "returned"});
    const std::string vendor =
        enum_param("vendor", {"aws", "azure", "ibm", "ionq", "qbraid", "all"});
    std::string search;
    if (req.HasParam("search")) {
      search = req.Param("search");
      if (search.empty()) {
        issues.push_back(
            {"search", "string_too_short", "String should have at least 1 character", search});
      } else if (search.size() > 255) {
        issues.push_back(
            {"search", "string_too_long", "String should have at most 255 characters", search});
      }
    }
    if (!issues.empty()) return ValidationErrorReply(issues);

    std::optional<Struct> tags;
    if (req.HasParam("tags")) {
      auto parsed = json::ParseObject(req.Param("tags"));
      if (!parsed.ok()) return BadRequest("Invalid tags filter: expected a JSON object");
      tags = *std::move(parsed);
    }
    const std::string provider =
        req.HasParam("provider") ? absl::AsciiStrToLower(req.Param("provider")) : "";
    const std::string needle = absl::AsciiStrToLower(search);

    // Filters read the job's fields directly; only the page is rendered.
    std::vector<const JobRecord*> matched;
    for (const JobRecord* job : jobs.Live()) {
      const std::string job_status = Status(*job, now);
      const bool returned =
          job_status == "COMPLETED" || job_status == "FAILED" || job_status == "CANCELLED";
      if (!status.empty()) {
        if (job_status != status) continue;
      } else if (group == "returned" && !returned) {
        continue;
      } else if (group == "pending" && returned) {
        continue;
      }
      if (!vendor.empty() && vendor != "all" && VendorOf(job->spec) != vendor) {
        continue;
      }
      if (!provider.empty() && absl::AsciiStrToLower(ProviderOf(job->spec)) != provider) {
        continue;
      }
      if (!needle.empty() && !absl::StrContains(absl::AsciiStrToLower(job->spec.name), needle) &&
          !absl::StrContains(absl::AsciiStrToLower(job->spec.id), needle)) {
        continue;
      }
      if (tags.has_value()) {
        bool all = true;
        for (const auto& [key, want] : tags->fields()) {
          auto it = job->spec.tags.find(key);
          auto want_text = json::ScalarToString(want);
          if (it == job->spec.tags.end() || !want_text || it->second != *want_text) {
            all = false;
            break;
          }
        }
        if (!all) continue;
      }
      matched.push_back(job);
    }

    const int64_t total = static_cast<int64_t>(matched.size());
    const int64_t total_pages = (total + *limit - 1) / *limit;
    const int64_t begin = std::min(total, (*page - 1) * *limit);
    const int64_t end = std::min(total, begin + *limit);
    std::vector<Value> items;
    for (int64_t i = begin; i < end; ++i) {
      items.push_back(json::Obj(JobJson(*matched[i], now)));
    }
    Struct pagination;
    Put(pagination, "page", Int(*page));
    Put(pagination, "limit", Int(*limit));
    Put(pagination, "total", Int(total));
    Put(pagination, "totalPages", Int(total_pages));
    Put(pagination, "hasNext", json::Bool(*page < total_pages));
    Put(pagination, "hasPrev", json::Bool(*page > 1));
    Struct meta;
    Put(meta, "timestamp", json::Str(FormatTimestamp(now, 3, "Z")));
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", ListOf(std::move(items)));
    Put(s, "pagination", json::Obj(std::move(pagination)));
    Put(s, "meta", json::Obj(std::move(meta)));
    return JsonReply(200, s);
  }

  Reply Cancel(JobStore& jobs, const std::string& id, absl::Time now) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    const std::string status = Status(*job, now);
    if (status == "INITIALIZING") {
      const std::string message =
          "Job is still initializing and cannot be cancelled yet; please try "
          "again in a few "
          "moments";
      return GatewayError(409, "JOB_CANCEL_CONFLICT", message, message);
    }
    if (status != "QUEUED" && status != "VALIDATING" && status != "RUNNING") {
      return BadRequest(absl::StrCat("Job cannot be cancelled in its current state: ", status));
    }
    job->cancelled_at = now;
    job->fixed_status.clear();
    Struct data;
    Put(data, "message", json::Str("Job cancellation initiated successfully"));
    Put(data, "jobQrn", json::Str(id));
    Put(data, "status", json::Str("CANCELLING"));
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", json::Obj(std::move(data)));
    return JsonReply(202, s);
  }

  Reply Delete(JobStore& jobs, const std::string& id) const {
    JobRecord* job = jobs.Find(id);
    if (job == nullptr) return NotFound(id);
    jobs.Delete(*job);
    Struct data;
    Put(data, "message", json::Str("Job deleted successfully"));
    Struct s;
    Put(s, "success", json::Bool(true));
    Put(s, "data", json::Obj(std::move(data)));
    return JsonReply(200, s);
  }

  // The job's timeStamps: null while it is initializing, createdAt once it is queued, endedAt
  // and executionDuration once it ended.
  static Value TimeStampsJson(const JobRecord& job, const Timeline& t) {
    if (t.phase == Phase::kInitializing) return json::Null();
    const int digits = job.spec.fraction_digits >= 0 ? job.spec.fraction_digits : 3;
    auto ts = [&](absl::Time time) { return json::Str(FormatTimestamp(time, digits, "Z")); };
    Struct stamps;
    Put(stamps, "createdAt", ts(job.created));
    if (IsTerminal(t.phase)) {
      Put(stamps, "endedAt", ts(t.ended_at));
      const bool ran = t.phase != Phase::kCancelled && Reached(t.started_at);
      Put(stamps, "executionDuration",
          ran ? MillisOrNull(t.ended_at - t.started_at) : json::Null());
    }
    return json::Obj(std::move(stamps));
  }

  // runtimeOptions as submitted; {} for a job that was seeded or submitted without them.
  static Value RuntimeOptionsJson(const JobSpec& spec) {
    if (!spec.options_json.empty()) {
      absl::StatusOr<Struct> options = json::ParseObject(spec.options_json);
      if (options.ok()) return json::Obj(*std::move(options));
    }
    return json::Obj(Struct());
  }

  Struct JobJson(const JobRecord& job, absl::Time now) const {
    const JobSpec& spec = job.spec;
    const Timeline t = TimelineAt(job, now);
    const std::vector<std::string> device = QrnParts(spec.device);
    const std::string vendor = VendorOf(spec);
    const std::string provider = ProviderOf(spec);
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
    Put(s, "status", json::Str(Status(job, now)));
    std::string status_msg;
    if (t.phase == Phase::kFailed) {
      status_msg = spec.failure_message.empty() ? "Job failed" : spec.failure_message;
    }
    put_optional(s, "statusMsg", StrOrNull(status_msg));
    Put(s, "experimentType",
        json::Str(spec.job_type.empty() ? std::string("gate_model") : spec.job_type));
    put_optional(s, "queuePosition",
                 t.phase == Phase::kQueued ? Int(t.queue_position) : json::Null());
    Put(s, "timeStamps", TimeStampsJson(job, t));
    Value cost = json::Null();
    if (t.phase == Phase::kCompleted) cost = json::Num(spec.cost);
    if (t.phase == Phase::kFailed) cost = json::Num(0);
    put_optional(s, "cost", std::move(cost));
    Put(s, "estimatedCost", json::Num(spec.estimated_cost));
    if (!spec.omit_unset_keys || !spec.metadata.empty())
      Put(s, "metadata", StringMap(spec.metadata));
    Put(s, "name", StrOrNull(spec.name));
    Put(s, "shots", Int(spec.shots));
    Put(s, "deviceQrn", json::Str(spec.device));
    Put(s, "tags", StringMap(spec.tags));
    Put(s, "runtimeOptions", RuntimeOptionsJson(spec));
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

  const PersonalityOptions options_;
  const std::string api_key_;
};

}  // namespace

std::unique_ptr<Personality> NewQbraidPersonality(const PersonalityOptions& options) {
  return std::make_unique<QbraidPersonality>(options);
}

int CountDeclaredQubits(absl::string_view program) {
  int64_t total = 0;
  for (absl::string_view statement :
       absl::StrSplit(WithoutComments(program), absl::ByAnyChar(";{}"))) {
    if (std::optional<int64_t> qubits = DeclaredQubits(statement)) {
      total = std::min(total + *qubits, kMaxQubits);
    }
  }
  return total > 0 ? static_cast<int>(total) : 1;
}

}  // namespace jobfacade::sandbox
