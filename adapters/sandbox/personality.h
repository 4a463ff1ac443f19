// A vendor's sandbox personality: what the emulator's engine (emulator.h) asks of a vendor so
// that it can speak that vendor's job API. The engine owns the HTTP server, the job store, the
// clock, faults, latency, statistics and the control API; a personality owns the vendor's
// routes, auth, error envelopes, list and cancel/delete rules, job JSON, ids and demo jobs.
// Each vendor supplies its own (adapters/<vendor>/<vendor>_sandbox.cc) through
// Vendor::NewSandboxPersonality.
//
// Below the interface are the helpers personalities share: FastAPI-style validation answers,
// bounded query parameters, and the common route shape of a job API.
#ifndef JOBFACADE_ADAPTERS_SANDBOX_PERSONALITY_H_
#define JOBFACADE_ADAPTERS_SANDBOX_PERSONALITY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/json.h"
#include "adapters/sandbox/sandbox_job.h"

namespace jobfacade::sandbox {

// One request as a personality sees it: the path after the personality's prefix.
struct SandboxRequest {
  std::string method;
  std::string path;       // decoded, after the prefix ("/jobs/abc")
  std::string raw_path;   // as sent, with the prefix, without the query
  std::string raw_query;  // as sent, without '?'; "" when there is none
  // Header names in lower case.
  std::multimap<std::string, std::string> headers;
  std::multimap<std::string, std::string> params;  // decoded query parameters
  std::string body;

  bool HasHeader(absl::string_view name) const;
  std::string Header(absl::string_view name) const;  // the first value, or ""
  bool HasParam(absl::string_view name) const;
  std::string Param(absl::string_view name, size_t index = 0) const;  // or ""
  size_t ParamCount(absl::string_view name) const;
};

// One HTTP answer before the engine writes it (and a fault may spoil it).
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // "" with no body: no Content-Type
  std::vector<std::pair<std::string, std::string>> headers;
  // Stream this job's events (Personality::StreamEvents) instead of a body.
  std::string stream_job;
};

// What a request path is: a route name for faults and statistics ("get", "list", "cancel",
// "delete", "stream"; "other" when it is none of the vendor's routes) and the job it names.
struct Route {
  std::string name = "other";
  std::string job_id;
  bool known = false;      // the path is one of the vendor's job routes
  bool method_ok = false;  // and the method is the one it takes
};

// The engine's jobs of one vendor, as a personality sees them while it answers (the engine
// holds its lock for the whole answer).
class JobStore {
 public:
  virtual ~JobStore() = default;
  // Live (not deleted) jobs, newest first, ties by id ascending.
  virtual std::vector<const JobRecord*> Live() const = 0;
  virtual JobRecord* Find(const std::string& id) = 0;  // a live job, or nullptr
  // Deleted jobs stay as tombstones (a cursor naming one still finds its place).
  virtual const JobRecord* FindIncludingDeleted(const std::string& id) const = 0;
  // The raw body seeded for a GET of `id` (VendorEmulator::PutRawJob), or nullptr.
  virtual const std::string* Raw(const std::string& id) const = 0;
  virtual void Delete(JobRecord& job) = 0;  // a tombstone; drops the raw body too
  // A submitted job: completed by the personality (id, device) and created now unless
  // spec.created_at says otherwise. The store keeps it; the reference lasts the answer.
  virtual JobRecord& Add(JobSpec spec) = 0;
};

// What a sandbox run may change about a personality.
struct PersonalityOptions {
  // The key callers must send; empty: the personality's default (DefaultApiKey).
  std::optional<std::string> api_key;
  int max_page_size = 0;  // 0: the vendor's documented page maximum
  // Real time between heartbeats on an event stream.
  absl::Duration heartbeat = absl::Seconds(15);
  // Errors in the form the vendor documents instead of the one its live gateway sends.
  bool documented_errors = false;
};

// What an event stream has sent so far (one per open stream).
struct StreamCursor {
  bool started = false;
  std::string last_status;
  std::string last_progress;
  absl::Time last_beat;  // real time
};

class Personality {
 public:
  virtual ~Personality() = default;

  // The vendor's name (as its Vendor declares it) and the path prefix it is served under
  // ("/ionq/v0.4"): the base URL is the emulator's root URL plus this.
  virtual std::string vendor() const = 0;
  virtual std::string prefix() const = 0;
  // The key callers must send ("" for none).
  virtual std::string api_key() const = 0;
  // Whether the request carries the vendor's auth header (its value is never kept).
  virtual bool HasAuthHeader(const SandboxRequest& req) const = 0;
  virtual Route Classify(absl::string_view path, absl::string_view method) const = 0;

  // What the vendor's framework answers before any route or auth runs (a redirect of a
  // trailing slash, say); nullopt to go on.
  virtual std::optional<Reply> Preroute(const SandboxRequest& req) const;
  // The vendor's answer to missing or wrong credentials, or nullopt when they pass.
  virtual std::optional<Reply> CheckAuth(const SandboxRequest& req) const = 0;
  virtual Reply RouteNotFound() const = 0;
  virtual Reply MethodNotAllowed() const;
  // The vendor's own error envelope for `status` (a fault that names no body).
  virtual Reply ErrorReply(int status) const = 0;
  // Answers a known route with the method it takes.
  virtual Reply Answer(const Route& route, const SandboxRequest& req, JobStore& jobs,
                       absl::Time now) = 0;

  // The job model: how the vendor's jobs live, what it calls each phase, and the jobs a
  // sandbox starts with.
  virtual TimelineRules timeline_rules() const { return {}; }
  virtual std::string StatusText(Phase phase) const = 0;
  // Fills in what a seeded spec left empty (id in the vendor's format, default device).
  virtual void CompleteSpec(JobSpec& spec, IdGenerator& ids) const = 0;
  virtual std::vector<JobSpec> DemoJobs(absl::Time now) const { return {}; }

  // The next events of the stream a Reply::stream_job asked for: "" when there is nothing new;
  // sets `finished` when the stream is over (the engine then closes it). `now` is the jobs'
  // clock, `wall` the real one.
  virtual std::string StreamEvents(const JobRecord& job, absl::Time now, absl::Time wall,
                                   StreamCursor& cursor, bool& finished) const;

  // The job's status text now: its fixed status when set, else StatusText of its phase.
  std::string Status(const JobRecord& job, absl::Time now) const;
};

// --- Helpers for personalities --------------------------------------------------------------

void Put(json::Struct& s, absl::string_view key, json::Value v);
json::Value Int(int64_t i);
json::Value StrOrNull(const std::string& s);
json::Value ListOf(std::vector<json::Value> items);
json::Value StringMap(const std::map<std::string, std::string>& m);
json::Value MillisOrNull(absl::Duration d);  // null for an infinite duration
bool Reached(absl::Time t);                  // not absl::InfiniteFuture()

Reply JsonReply(int status, const json::Struct& body);
Reply DetailReply(int status, absl::string_view detail);  // FastAPI's {"detail": ...}
Reply RawReply(const std::string& body);                  // 200 with `body` verbatim
absl::string_view ReasonPhrase(int status);

// FastAPI's 422 for query parameters.
struct ValidationIssue {
  std::string param;
  std::string type;
  std::string msg;
  std::string input;
};
Reply ValidationErrorReply(const std::vector<ValidationIssue>& issues);

// An optional integer query parameter bounded to [min, max] the way pydantic reads it; nullopt
// (with an issue added) when it is not.
std::optional<int64_t> BoundedIntParam(const SandboxRequest& req, const std::string& name,
                                       int64_t fallback, int64_t min, int64_t max,
                                       std::vector<ValidationIssue>& issues);
// "Input should be 'a', 'b' or 'c'".
std::string EnumMessage(const std::vector<std::string>& values);
bool Contains(const std::vector<std::string>& values, absl::string_view v);

// The usual shape of a job API: `collection` lists (GET) and takes submissions (POST, route
// "create"), `collection/{id}` gets (GET) and deletes (DELETE), `collection/{id}{cancel_suffix}`
// cancels with `cancel_method`, and, when set, `collection/{id}{stream_suffix}` streams (GET),
// `collection/{id}{result_suffix}` reads results (GET, "result") and
// `collection/{id}{cost_suffix}` reads the cost (GET, "cost").
struct RouteShape {
  absl::string_view collection;
  absl::string_view cancel_suffix;
  absl::string_view cancel_method;
  absl::string_view stream_suffix;
  absl::string_view result_suffix;
  absl::string_view cost_suffix;
};
Route ClassifyJobRoute(const RouteShape& shape, absl::string_view path, absl::string_view method);

}  // namespace jobfacade::sandbox

#endif  // JOBFACADE_ADAPTERS_SANDBOX_PERSONALITY_H_
