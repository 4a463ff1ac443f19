// The sandbox engine: the HTTP server, routing to each vendor's personality, the job store,
// faults, latency, statistics and the /_emulator/ control API. It names no vendor: the
// personalities come from the registry (Vendor::NewSandboxPersonality).
#include "adapters/sandbox/emulator.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <list>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "adapters/core/json.h"
#include "adapters/core/time_util.h"
#include "adapters/registry.h"

namespace jobfacade::sandbox {
namespace {

using json::Struct;
using json::Value;

constexpr char kControlPrefix[] = "/_emulator/";
constexpr absl::Duration kStreamPoll = absl::Milliseconds(20);

std::string QueryString(const httplib::Request& req) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : req.params) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, "&");
}

// The raw query of the request target ("" when there is none).
std::string RawQuery(const httplib::Request& req) {
  const size_t q = req.target.find('?');
  return q == std::string::npos ? "" : req.target.substr(q + 1);
}

std::string RawPath(const httplib::Request& req) {
  const size_t q = req.target.find('?');
  return q == std::string::npos ? req.target : req.target.substr(0, q);
}

// The two TCP ports of one accepted connection: what identifies its socket.
struct ConnectionPorts {
  int local = -1;
  int peer = -1;
};

ConnectionPorts PortsOf(const httplib::Request& req) { return {req.local_port, req.remote_port}; }

// httplib hands handlers no socket; find the accepted one by its two endpoints.
int FindConnectionSocket(ConnectionPorts ports) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (dirent* entry = readdir(dir)) {
    int fd;
    if (!absl::SimpleAtoi(entry->d_name, &fd) || fd <= 2) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
      continue;
    }
    int local_port = -1, peer_port = -1;
    if (local.ss_family == AF_INET && peer.ss_family == AF_INET) {
      local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
      peer_port = ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
    } else if (local.ss_family == AF_INET6 && peer.ss_family == AF_INET6) {
      local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
      peer_port = ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port);
    }
    if (local_port == ports.local && peer_port == ports.peer) {
      found = fd;
      break;
    }
  }
  closedir(dir);
  return found;
}

// Drops the request's connection without answering. With `reset` the peer sees
// a TCP RST (connect(AF_UNSPEC) disconnects the socket without closing the
// descriptor httplib owns), otherwise an orderly close.
void DropConnection(ConnectionPorts ports, bool reset) {
  const int fd = FindConnectionSocket(ports);
  if (fd < 0) return;
  if (reset) {
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    if (connect(fd, &unspec, sizeof(unspec)) == 0) return;
  }
  shutdown(fd, SHUT_RDWR);
}

// What a proxy in front of a vendor answers on its own: nginx's error page, or
// (with a 2xx) a maintenance page.
std::string HtmlPage(int status) {
  if (status < 400) {
    return "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n"
           "<body><h1>We&rsquo;ll be back soon</h1><p>The API is down for maintenance."
           "</p></body></html>\n";
  }
  const std::string title = absl::StrCat(status, " ", ReasonPhrase(status));
  return absl::StrCat("<html>\r\n<head><title>", title, "</title></head>\r\n<body>\r\n<center><h1>",
                      title,
                      "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
}

// Stands in for the replaced value while the document is serialised; no real
// payload holds it.
constexpr char kFieldMarker[] = "@@jobfacade-emulator-field-value@@";

// The job objects of a vendor answer: qBraid's "data" (object or list), IonQ's
// and PraisonAI's "jobs" list, else the document itself.
std::vector<Struct*> JobObjects(Struct& root) {
  std::vector<Struct*> jobs;
  auto& fields = *root.mutable_fields();
  for (const char* key : {"data", "jobs"}) {
    auto it = fields.find(key);
    if (it == fields.end()) continue;
    Value& value = it->second;
    if (value.has_struct_value()) {
      jobs.push_back(value.mutable_struct_value());
    } else if (value.has_list_value()) {
      for (Value& item : *value.mutable_list_value()->mutable_values()) {
        if (item.has_struct_value()) jobs.push_back(item.mutable_struct_value());
      }
    }
    return jobs;
  }
  jobs.push_back(&root);
  return jobs;
}

// `body` with the member at each dotted path of `paths` (comma-separated) of
// each job object replaced by the raw bytes `raw` (which may not be JSON at
// all); `body` itself when it is not a JSON object.
std::string ReplaceJobField(const std::string& body, absl::string_view paths,
                            absl::string_view raw) {
  absl::StatusOr<Struct> root = json::ParseObject(body);
  if (!root.ok() || paths.empty()) return body;
  for (Struct* job : JobObjects(*root)) {
    for (absl::string_view path : absl::StrSplit(paths, ',', absl::SkipEmpty())) {
      const std::vector<std::string> parts = absl::StrSplit(path, '.');
      Struct* object = job;
      for (size_t i = 0; i + 1 < parts.size(); ++i) {
        Value& next = (*object->mutable_fields())[parts[i]];
        if (!next.has_struct_value()) next.mutable_struct_value();
        object = next.mutable_struct_value();
      }
      (*object->mutable_fields())[parts.back()] = json::Str(kFieldMarker);
    }
  }
  std::string out = ToSortedJson(*root);
  absl::StrReplaceAll({{absl::StrCat("\"", kFieldMarker, "\""), raw}}, &out);
  return out;
}

// `body` grown to exactly `size` bytes and still the same JSON: a "_padding"
// string member first in an object, trailing spaces otherwise. Bodies already
// that long are left alone.
std::string PadBody(const std::string& body, int64_t size) {
  const size_t target = static_cast<size_t>(std::max<int64_t>(0, size));
  if (body.size() >= target) return body;
  constexpr absl::string_view kKey = "\"_padding\":\"";
  const bool object = !body.empty() && body.front() == '{';
  const bool empty_object = object && absl::StripAsciiWhitespace(body.substr(1)) == "}";
  const size_t overhead = kKey.size() + 1 + (empty_object ? 0 : 1);
  if (!object || body.size() + overhead > target) {
    return body + std::string(target - body.size(), ' ');
  }
  std::string out;
  out.reserve(target);
  out += '{';
  out.append(kKey.data(), kKey.size());
  out.append(target - body.size() - overhead, 'x');
  out += '"';
  if (!empty_object) out += ',';
  out.append(body, 1, std::string::npos);
  return out;
}

// The fault's own headers plus its Retry-After.
// `now` is the real clock's: the client waits for a Retry-After in real time.
std::vector<std::pair<std::string, std::string>> FaultHeaders(const FaultSpec& fault,
                                                              absl::Time now) {
  auto headers = fault.headers;
  if (!fault.retry_after.has_value()) return headers;
  const absl::Duration delay = std::max(*fault.retry_after, absl::ZeroDuration());
  int64_t seconds = absl::ToInt64Seconds(delay);
  if (absl::Seconds(seconds) < delay) ++seconds;  // never earlier than asked
  if (!fault.retry_after_http_date) {
    headers.emplace_back("Retry-After", absl::StrCat(seconds));
    return headers;
  }
  // An HTTP-date has whole seconds: round the moment up so the wait it implies
  // is never shorter than `delay`.
  const absl::Time when = now + absl::Seconds(seconds);
  int64_t unix_seconds = absl::ToUnixSeconds(when);
  if (absl::FromUnixSeconds(unix_seconds) < when) ++unix_seconds;
  headers.emplace_back("Retry-After",
                       absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                        absl::FromUnixSeconds(unix_seconds), absl::UTCTimeZone()));
  return headers;
}

bool IsLoopback(const std::string& addr) {
  return absl::StartsWith(addr, "127.") || addr == "::1" || absl::StartsWith(addr, "::ffff:127.");
}

// The live (not deleted) jobs of one vendor, newest first.
std::vector<const JobRecord*> LiveJobs(const std::map<std::string, JobRecord>& jobs) {
  std::vector<const JobRecord*> out;
  for (const auto& [id, job] : jobs) {
    if (!job.deleted) out.push_back(&job);
  }
  std::sort(out.begin(), out.end(), NewerFirst);
  return out;
}

absl::StatusOr<std::optional<absl::Duration>> SecondsField(const Struct& s, absl::string_view key) {
  const Value* v = json::Find(s, key);
  if (json::IsNull(v)) return std::optional<absl::Duration>();
  auto seconds = json::GetNumber(s, key);
  if (!seconds) return absl::InvalidArgumentError(absl::StrCat(key, " must be a number"));
  if (*seconds < 0) return std::optional<absl::Duration>(absl::InfiniteDuration());
  return std::optional<absl::Duration>(absl::Seconds(*seconds));
}

absl::StatusOr<std::map<std::string, std::string>> StringMapField(const Struct& s,
                                                                  absl::string_view key) {
  std::map<std::string, std::string> out;
  const Value* v = json::Find(s, key);
  if (json::IsNull(v)) return out;
  const Struct* object = json::GetObject(s, key);
  if (object == nullptr) return absl::InvalidArgumentError(absl::StrCat(key, " must be an object"));
  for (const auto& [k, value] : object->fields()) {
    auto text = json::ScalarToString(value);
    if (!text) return absl::InvalidArgumentError(absl::StrCat(key, " values must be scalars"));
    out[k] = *text;
  }
  return out;
}

absl::Status CheckKnownFields(const Struct& s, const std::set<std::string>& known) {
  for (const auto& [key, value] : s.fields()) {
    if (known.count(key) == 0) return absl::InvalidArgumentError("unknown field: " + key);
  }
  return absl::OkStatus();
}

absl::StatusOr<JobSpec> JobSpecFromJson(const Struct& s, absl::Time now) {
  static const auto* kKnown = new std::set<std::string>{"vendor",
                                                        "id",
                                                        "created_at",
                                                        "created_seconds_ago",
                                                        "initializing_seconds",
                                                        "queued_seconds",
                                                        "running_seconds",
                                                        "outcome",
                                                        "failure_message",
                                                        "failure_code",
                                                        "name",
                                                        "device",
                                                        "provider",
                                                        "tags",
                                                        "metadata",
                                                        "shots",
                                                        "session_id",
                                                        "batch_id",
                                                        "job_type",
                                                        "queue_position",
                                                        "cost",
                                                        "estimated_cost",
                                                        "fixed_status",
                                                        "provider_as_object",
                                                        "omit_unset_keys",
                                                        "legacy_batch_key",
                                                        "extra_keys",
                                                        "fraction_digits",
                                                        "zone_suffix"};
  if (auto st = CheckKnownFields(s, *kKnown); !st.ok()) return st;
  JobSpec spec;
  spec.vendor = json::GetString(s, "vendor").value_or("");  // checked by the caller
  spec.id = json::GetString(s, "id").value_or("");
  if (auto created = json::GetString(s, "created_at")) {
    auto t = ParseVendorTimestamp(*created);
    if (!t) return absl::InvalidArgumentError("created_at is not a timestamp");
    spec.created_at = *t;
  } else if (auto ago = json::GetNumber(s, "created_seconds_ago")) {
    spec.created_at = now - absl::Seconds(*ago);
  }
  struct DurationField {
    const char* key;
    absl::Duration* out;
  };
  for (const auto& field : {DurationField{"initializing_seconds", &spec.initializing},
                            DurationField{"queued_seconds", &spec.queued},
                            DurationField{"running_seconds", &spec.running}}) {
    auto d = SecondsField(s, field.key);
    if (!d.ok()) return d.status();
    if (d->has_value()) *field.out = **d;
  }
  if (auto outcome = json::GetString(s, "outcome")) {
    if (*outcome == "completed") {
      spec.outcome = JobOutcome::kCompleted;
    } else if (*outcome == "failed") {
      spec.outcome = JobOutcome::kFailed;
    } else if (*outcome == "cancelled" || *outcome == "canceled") {
      spec.outcome = JobOutcome::kCancelled;
    } else {
      return absl::InvalidArgumentError("outcome must be completed, failed or cancelled");
    }
  }
  struct StringField {
    const char* key;
    std::string* out;
  };
  for (const auto& field :
       {StringField{"failure_message", &spec.failure_message},
        StringField{"failure_code", &spec.failure_code}, StringField{"name", &spec.name},
        StringField{"device", &spec.device}, StringField{"provider", &spec.provider},
        StringField{"session_id", &spec.session_id}, StringField{"batch_id", &spec.batch_id},
        StringField{"job_type", &spec.job_type}, StringField{"fixed_status", &spec.fixed_status},
        StringField{"zone_suffix", &spec.zone_suffix}}) {
    if (auto v = json::GetString(s, field.key)) *field.out = *v;
  }
  auto tags = StringMapField(s, "tags");
  if (!tags.ok()) return tags.status();
  spec.tags = *std::move(tags);
  auto metadata = StringMapField(s, "metadata");
  if (!metadata.ok()) return metadata.status();
  spec.metadata = *std::move(metadata);
  if (auto v = json::GetInt(s, "shots")) spec.shots = *v;
  if (auto v = json::GetInt(s, "queue_position")) spec.queue_position = static_cast<int>(*v);
  if (auto v = json::GetInt(s, "fraction_digits")) spec.fraction_digits = static_cast<int>(*v);
  if (auto v = json::GetNumber(s, "cost")) spec.cost = *v;
  if (auto v = json::GetNumber(s, "estimated_cost")) spec.estimated_cost = *v;
  struct BoolField {
    const char* key;
    bool* out;
  };
  for (const auto& field : {BoolField{"provider_as_object", &spec.provider_as_object},
                            BoolField{"omit_unset_keys", &spec.omit_unset_keys},
                            BoolField{"legacy_batch_key", &spec.legacy_batch_key},
                            BoolField{"extra_keys", &spec.extra_keys}}) {
    if (auto v = json::GetBool(s, field.key)) *field.out = *v;
  }
  return spec;
}

constexpr FaultKind kAllFaultKinds[] = {
    FaultKind::kHttpStatus,      FaultKind::kReset,         FaultKind::kClose,
    FaultKind::kTruncate,        FaultKind::kBody,          FaultKind::kStall,
    FaultKind::kResetMidBody,    FaultKind::kTruncatedJson, FaultKind::kFieldValue,
    FaultKind::kLargeBody,       FaultKind::kHtmlPage,      FaultKind::kRedirect,
    FaultKind::kStallAfterAnswer};

// The status a kind answers with when the control API names none.
int DefaultFaultStatus(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBody:
      return 200;
    case FaultKind::kHtmlPage:
      return 502;
    case FaultKind::kRedirect:
      return 302;
    default:
      return 500;
  }
}

absl::StatusOr<FaultSpec> FaultSpecFromJson(const Struct& s) {
  static const auto* kKnown = new std::set<std::string>{"vendor",
                                                        "job_id",
                                                        "method",
                                                        "route",
                                                        "kind",
                                                        "status",
                                                        "body",
                                                        "body_base64",
                                                        "repeat",
                                                        "content_type",
                                                        "headers",
                                                        "stall_seconds",
                                                        "count",
                                                        "retry_after_seconds",
                                                        "retry_after_http_date",
                                                        "field",
                                                        "raw_value",
                                                        "raw_value_base64",
                                                        "body_size",
                                                        "location"};
  if (auto st = CheckKnownFields(s, *kKnown); !st.ok()) return st;
  FaultSpec fault;
  fault.vendor = json::GetString(s, "vendor").value_or("*");  // checked by the caller
  fault.job_id = json::GetString(s, "job_id").value_or("");
  fault.method = absl::AsciiStrToUpper(json::GetString(s, "method").value_or(""));
  fault.route = json::GetString(s, "route").value_or("");
  const std::string kind = json::GetString(s, "kind").value_or("http_status");
  bool known_kind = false;
  std::vector<std::string> names;
  for (FaultKind candidate : kAllFaultKinds) {
    names.push_back(FaultKindName(candidate));
    if (kind == FaultKindName(candidate)) {
      fault.kind = candidate;
      known_kind = true;
    }
  }
  if (!known_kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind must be one of ", absl::StrJoin(names, ", ")));
  }
  fault.status = DefaultFaultStatus(fault.kind);
  if (auto v = json::GetInt(s, "status")) fault.status = static_cast<int>(*v);
  if (fault.status < 100 || fault.status > 599) {
    return absl::InvalidArgumentError("status must be 100..599");
  }
  fault.body = json::GetString(s, "body").value_or("");
  if (auto b64 = json::GetString(s, "body_base64")) {
    if (!absl::Base64Unescape(*b64, &fault.body)) {
      return absl::InvalidArgumentError("body_base64 is not base64");
    }
  }
  if (auto repeat = json::GetInt(s, "repeat")) {
    if (*repeat < 1 || *repeat > (64 << 20)) {
      return absl::InvalidArgumentError("repeat must be 1..67108864");
    }
    std::string one = std::move(fault.body);
    fault.body.reserve(one.size() * *repeat);
    for (int64_t i = 0; i < *repeat; ++i) fault.body += one;
  }
  if (auto v = json::GetString(s, "content_type")) fault.content_type = *v;
  auto headers = StringMapField(s, "headers");
  if (!headers.ok()) return headers.status();
  for (const auto& [k, v] : *headers) fault.headers.emplace_back(k, v);
  auto stall = SecondsField(s, "stall_seconds");
  if (!stall.ok()) return stall.status();
  if (stall->has_value()) fault.stall = **stall;
  if (auto v = json::GetInt(s, "count")) fault.count = static_cast<int>(*v);
  if (fault.count == 0) return absl::InvalidArgumentError("count must be -1 or positive");
  if (const Value* v = json::Find(s, "retry_after_seconds"); !json::IsNull(v)) {
    auto seconds = json::GetNumber(s, "retry_after_seconds");
    if (!seconds || *seconds < 0 || *seconds > 1e9) {
      return absl::InvalidArgumentError("retry_after_seconds must be a number >= 0");
    }
    fault.retry_after = absl::Seconds(*seconds);
  }
  fault.retry_after_http_date = json::GetBool(s, "retry_after_http_date").value_or(false);
  if (fault.retry_after_http_date && !fault.retry_after.has_value()) {
    return absl::InvalidArgumentError("retry_after_http_date needs retry_after_seconds");
  }
  fault.field = json::GetString(s, "field").value_or("");
  fault.raw_value = json::GetString(s, "raw_value").value_or("");
  if (auto b64 = json::GetString(s, "raw_value_base64")) {
    if (!absl::Base64Unescape(*b64, &fault.raw_value)) {
      return absl::InvalidArgumentError("raw_value_base64 is not base64");
    }
  }
  if (fault.kind == FaultKind::kFieldValue && (fault.field.empty() || fault.raw_value.empty())) {
    return absl::InvalidArgumentError(
        "field_value needs field and raw_value (or raw_value_base64)");
  }
  if (const Value* v = json::Find(s, "body_size"); !json::IsNull(v)) {
    auto size = json::GetInt(s, "body_size");
    if (!size || *size < 1 || *size > (int64_t{256} << 20)) {
      return absl::InvalidArgumentError("body_size must be 1..268435456");
    }
    fault.body_size = *size;
  }
  fault.location = json::GetString(s, "location").value_or("");
  return fault;
}

Struct StatsJson(const Stats& stats) {
  Struct s;
  Put(s, "total", Int(stats.total));
  Struct by_route;
  for (const auto& [k, v] : stats.by_route) Put(by_route, k, Int(v));
  Put(s, "by_route", json::Obj(std::move(by_route)));
  Put(s, "in_flight", Int(stats.in_flight));
  Put(s, "max_in_flight", Int(stats.max_in_flight));
  std::vector<Value> recent;
  for (const auto& r : stats.recent) {
    Struct item;
    Put(item, "vendor", json::Str(r.vendor));
    Put(item, "method", json::Str(r.method));
    Put(item, "path", json::Str(r.path));
    Put(item, "query", json::Str(r.query));
    Put(item, "route", json::Str(r.route));
    Put(item, "job_id", json::Str(r.job_id));
    Put(item, "has_auth", json::Bool(r.has_auth));
    Put(item, "request_id", json::Str(r.request_id));
    Put(item, "traceparent", json::Str(r.traceparent));
    Put(item, "status", Int(r.status));
    Put(item, "received", json::Str(FormatRfc3339(r.received)));
    recent.push_back(json::Obj(std::move(item)));
  }
  Put(s, "recent", ListOf(std::move(recent)));
  return s;
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kHttpStatus:
      return "http_status";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kClose:
      return "close";
    case FaultKind::kTruncate:
      return "truncate";
    case FaultKind::kBody:
      return "body";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kStallAfterAnswer:
      return "stall_after_answer";
    case FaultKind::kResetMidBody:
      return "reset_mid_body";
    case FaultKind::kTruncatedJson:
      return "truncated_json";
    case FaultKind::kFieldValue:
      return "field_value";
    case FaultKind::kLargeBody:
      return "large_body";
    case FaultKind::kHtmlPage:
      return "html";
    case FaultKind::kRedirect:
      return "redirect";
  }
  return "unknown";
}

int64_t Stats::Count(absl::string_view method, absl::string_view route) const {
  auto it = by_route.find(absl::StrCat(method, " ", route));
  return it == by_route.end() ? 0 : it->second;
}

class VendorEmulator::Impl {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)),
        clock_(options_.manual_clock != nullptr ? options_.manual_clock
               : options_.clock != nullptr      ? options_.clock
                                                : &Clock::Real()),
        ids_(0x6a6f6266616361deULL) {
    for (const Vendor* vendor : Vendors()) {
      auto personality = vendor->NewSandboxPersonality(options_.vendors[vendor->name()]);
      if (personality == nullptr) continue;
      stats_[personality->vendor()];
      personalities_.push_back(std::move(personality));
    }
    stats_["*"];
  }

  ~Impl() { Stop(); }

  absl::Status Start() {
    if (options_.seed_demo_jobs) {
      const absl::Time now = clock_->Now();
      for (const auto& personality : personalities_) {
        for (const JobSpec& spec : personality->DemoJobs(now)) AddJob(spec);
      }
    }
    if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
      return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
    }
    if (tls()) {
      auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                      options_.tls_key_file.c_str());
      if (!ssl->is_valid()) {
        return absl::InvalidArgumentError(absl::StrCat("cannot load the TLS certificate ",
                                                       options_.tls_cert_file, " or its key"));
      }
      server_ = std::move(ssl);
    } else {
      server_ = std::make_unique<httplib::Server>();
    }
    httplib::Server& server = *server_;
    const int threads = std::max(1, options_.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // Clients should keep reusing their connections, as they do with the real
    // services.
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(10);
    server.set_tcp_nodelay(true);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    // httplib waits for a body (then answers 400) when a POST/PUT/PATCH/DELETE
    // has neither Content-Length nor chunked encoding, as libcurl sends a
    // body-less custom-method PUT. The real services accept those, so bodies
    // are read here only when announced.
    auto body_handler = [this](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& read) {
      httplib::Request with_body = req;
      if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
        read([&](const char* data, size_t size) {
          with_body.body.append(data, size);
          return true;
        });
      }
      Handle(with_body, res);
    };
    server.Get(".*", handler);
    server.Options(".*", handler);
    server.Post(".*", body_handler);
    server.Put(".*", body_handler);
    server.Patch(".*", body_handler);
    server.Delete(".*", body_handler);

    // Remember the listening socket: cpp-httplib listens with a backlog of 5, too shallow for
    // a burst of hundreds of connects (a load test), which would stall on SYN retries.
    server.set_socket_options([this](int sock) {
      httplib::default_socket_options(sock);
      listen_socket_ = sock;
    });
    if (options_.port == 0) {
      port_ = server.bind_to_any_port(options_.host);
    } else {
      port_ = server.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port_ <= 0) {
      return absl::UnavailableError(
          absl::StrCat("vendor emulator cannot bind ", options_.host, ":", options_.port));
    }
    if (listen_socket_ >= 0) ::listen(listen_socket_, 1024);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    const absl::Time give_up = wall_.Now() + absl::Seconds(10);
    while (!server.is_running()) {
      if (wall_.Now() > give_up)
        return absl::DeadlineExceededError("vendor emulator did not start");
      absl::SleepFor(absl::Milliseconds(1));
    }
    return absl::OkStatus();
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;  // ends latency and stall waits
    }
    if (server_ != nullptr) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }

  std::string root_url() const {
    const std::string host =
        options_.host == "0.0.0.0" || options_.host.empty() ? "127.0.0.1" : options_.host;
    return absl::StrCat(tls() ? "https://" : "http://", host, ":", port_);
  }

  bool tls() const { return !options_.tls_cert_file.empty(); }

  std::string api_key(absl::string_view vendor) const {
    const Personality* personality = FindPersonality(vendor);
    return personality == nullptr ? "" : personality->api_key();
  }

  std::string base_url(absl::string_view vendor) const {
    const Personality* personality = FindPersonality(vendor);
    return personality == nullptr ? "" : root_url() + personality->prefix();
  }

  std::vector<std::string> vendors() const {
    std::vector<std::string> names;
    for (const auto& personality : personalities_) names.push_back(personality->vendor());
    return names;
  }

  const Clock& clock() const { return *clock_; }

  std::string AddJob(const JobSpec& spec) {
    const Personality* personality = FindPersonality(spec.vendor);
    if (personality == nullptr) return "";
    absl::MutexLock lock(&mu_);
    return AddJobLocked(*personality, spec).spec.id;
  }

  JobRecord& AddJobLocked(const Personality& personality, JobSpec spec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    JobRecord record;
    record.spec = std::move(spec);
    record.spec.vendor = personality.vendor();
    personality.CompleteSpec(record.spec, ids_);
    record.rules = personality.timeline_rules();
    record.created = record.spec.created_at.value_or(clock_->Now());
    record.spec.created_at = record.created;
    record.fixed_status = record.spec.fixed_status;
    JobRecord& kept = jobs_[record.spec.vendor][record.spec.id];
    kept = std::move(record);
    return kept;
  }

  void PutRawJob(absl::string_view vendor, absl::string_view id, std::string body) {
    absl::MutexLock lock(&mu_);
    auto& raws = raw_[std::string(vendor)];
    if (body.empty()) {
      raws.erase(std::string(id));
    } else {
      raws[std::string(id)] = std::move(body);
    }
  }

  std::vector<std::string> JobIds(absl::string_view vendor) const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> ids;
    auto jobs = jobs_.find(std::string(vendor));
    if (jobs == jobs_.end()) return ids;
    for (const JobRecord* job : LiveJobs(jobs->second)) ids.push_back(job->spec.id);
    return ids;
  }

  void ClearJobs() {
    absl::MutexLock lock(&mu_);
    jobs_.clear();
    raw_.clear();
  }

  void InjectFault(const FaultSpec& fault) {
    if (fault.count == 0) return;
    absl::MutexLock lock(&mu_);
    faults_.push_back(fault);
  }

  void ClearFaults() {
    absl::MutexLock lock(&mu_);
    faults_.clear();
    ++stall_generation_;
  }

  void ReleaseStalls() {
    absl::MutexLock lock(&mu_);
    ++stall_generation_;
  }

  void SetLatency(absl::string_view vendor, absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    if (vendor == "*") {
      for (const auto& personality : personalities_) latency_[personality->vendor()] = delay;
    } else {
      latency_[std::string(vendor)] = delay;
    }
  }

  Stats stats(absl::string_view vendor) const {
    absl::MutexLock lock(&mu_);
    auto it = stats_.find(std::string(vendor));
    if (it == stats_.end()) return Stats();
    Stats out = it->second.stats;
    for (const auto& [seq, record] : it->second.recent) out.recent.push_back(record);
    return out;
  }

  void ResetStats() {
    absl::MutexLock lock(&mu_);
    for (auto& [vendor, data] : stats_) {
      const int in_flight = data.stats.in_flight;
      data = VendorStats();
      data.stats.in_flight = in_flight;
      data.stats.max_in_flight = in_flight;
    }
  }

 private:
  struct VendorStats {
    Stats stats;  // `recent` stays empty here; see below
    std::deque<std::pair<uint64_t, RequestRecord>> recent;
  };

  void Handle(const httplib::Request& req, httplib::Response& res) {
    const std::string& path = req.path;
    if (absl::StartsWith(path, kControlPrefix)) {
      HandleControl(req, res);
      return;
    }
    for (const auto& personality : personalities_) {
      absl::string_view rest = path;
      const std::string prefix = personality->prefix();
      if (absl::ConsumePrefix(&rest, prefix) && (rest.empty() || rest[0] == '/')) {
        HandleVendor(*personality, rest, req, res);
        return;
      }
    }
    Write(res, DetailReply(404, "Not Found"));
  }

  // --- Vendor requests
  // -------------------------------------------------------------------

  // The request as personalities see it: the path after `prefix`, lower-case header names.
  SandboxRequest ToSandboxRequest(const httplib::Request& req, absl::string_view rest) const {
    SandboxRequest out;
    out.method = req.method;
    out.path = std::string(rest);
    out.raw_path = RawPath(req);
    out.raw_query = RawQuery(req);
    for (const auto& [name, value] : req.headers) {
      out.headers.emplace(absl::AsciiStrToLower(name), value);
    }
    if (out.headers.count("host") == 0) {
      out.headers.emplace("host", absl::StrCat("127.0.0.1:", port_));
    }
    out.params.insert(req.params.begin(), req.params.end());
    out.body = req.body;
    return out;
  }

  void HandleVendor(Personality& personality, absl::string_view rest, const httplib::Request& req,
                    httplib::Response& res) {
    const SandboxRequest request = ToSandboxRequest(req, rest);
    const Route route = personality.Classify(rest, req.method);
    const std::string vendor = personality.vendor();
    const uint64_t seq = BeginRequest(vendor, req, route, personality.HasAuthHeader(request));
    const int status = Serve(personality, route, request, req, res);
    EndRequest(vendor, seq, status);
  }

  // Answers one vendor request; returns the status sent (0 when the connection
  // was dropped).
  int Serve(Personality& personality, const Route& route, const SandboxRequest& request,
            const httplib::Request& req, httplib::Response& res) {
    const std::string vendor = personality.vendor();
    WaitLatency(vendor);
    std::optional<FaultSpec> fault = TakeFault(vendor, route, req.method);
    if (fault.has_value()) {
      switch (fault->kind) {
        case FaultKind::kStall:
          WaitStall(fault->stall);
          break;
        case FaultKind::kReset:
        case FaultKind::kClose:
          DropConnection(PortsOf(req), fault->kind == FaultKind::kReset);
          res.status = 500;
          return 0;
        case FaultKind::kHttpStatus:
        case FaultKind::kBody: {
          Reply reply;
          reply.status = fault->status;
          reply.content_type = fault->content_type;
          reply.headers = FaultHeaders(*fault, wall_.Now());
          reply.body = fault->body;
          if (fault->kind == FaultKind::kHttpStatus && reply.body.empty()) {
            reply.body = personality.ErrorReply(fault->status).body;
            reply.content_type = "application/json";
          }
          Write(res, reply);
          return reply.status;
        }
        case FaultKind::kHtmlPage: {
          Reply reply;
          reply.status = fault->status;
          reply.content_type = "text/html";
          reply.headers = FaultHeaders(*fault, wall_.Now());
          reply.headers.emplace_back("Server", "nginx");
          reply.body = HtmlPage(fault->status);
          Write(res, reply);
          return reply.status;
        }
        case FaultKind::kRedirect: {
          Reply reply;
          reply.status = fault->status >= 300 && fault->status <= 399 ? fault->status : 302;
          reply.content_type = "text/html";
          reply.headers = FaultHeaders(*fault, wall_.Now());
          std::string location = fault->location;
          if (location.empty()) {
            const std::string prefix = personality.prefix();
            location = absl::StrCat(tls() ? "https" : "http", "://localhost:", port_, prefix,
                                    "/moved", request.raw_path.substr(prefix.size()),
                                    request.raw_query.empty() ? "" : "?", request.raw_query);
          }
          reply.headers.emplace_back("Location", location);
          reply.body = HtmlPage(reply.status);
          Write(res, reply);
          return reply.status;
        }
        case FaultKind::kTruncate:
        case FaultKind::kResetMidBody:
        case FaultKind::kTruncatedJson:
        case FaultKind::kFieldValue:
        case FaultKind::kLargeBody:
        case FaultKind::kStallAfterAnswer:
          break;  // these spoil the real answer below
      }
    }
    Reply reply = Answer(personality, route, request);
    const std::optional<FaultKind> kind =
        fault.has_value() ? std::optional<FaultKind>(fault->kind) : std::nullopt;
    const bool cut = kind == FaultKind::kTruncate || kind == FaultKind::kResetMidBody;
    if (!reply.stream_job.empty()) {
      StartStream(res, personality, reply.stream_job, cut);
      return reply.status;
    }
    if (fault.has_value()) {
      for (auto& header : FaultHeaders(*fault, wall_.Now()))
        reply.headers.push_back(std::move(header));
    }
    if (kind == FaultKind::kStallAfterAnswer) {
      WaitStall(fault->stall);
    } else if (kind == FaultKind::kTruncatedJson) {
      reply.body.resize(reply.body.size() / 2);
    } else if (kind == FaultKind::kFieldValue) {
      reply.body = ReplaceJobField(reply.body, fault->field, fault->raw_value);
    } else if (kind == FaultKind::kLargeBody) {
      reply.body = PadBody(reply.body, fault->body_size);
    }
    if (cut) {
      const bool reset = kind == FaultKind::kResetMidBody;
      WriteCut(res, reply, reset, reset ? PortsOf(req) : ConnectionPorts{});
    } else {
      Write(res, reply);
    }
    return reply.status;
  }

  Reply Answer(Personality& personality, const Route& route, const SandboxRequest& request) {
    if (auto early = personality.Preroute(request)) return *early;
    if (auto denied = personality.CheckAuth(request)) return *denied;
    if (!route.known) return personality.RouteNotFound();
    if (!route.method_ok) return personality.MethodNotAllowed();
    absl::MutexLock lock(&mu_);
    Store store = StoreOf(personality.vendor());
    store.set_adder([this, &personality](JobSpec spec) -> JobRecord& {
      mu_.AssertHeld();
      return AddJobLocked(personality, std::move(spec));
    });
    return personality.Answer(route, request, store, clock_->Now());
  }

  // One vendor's jobs in the store; made while holding mu_, used only while it is held.
  class Store final : public JobStore {
   public:
    Store(std::map<std::string, JobRecord>& jobs, std::map<std::string, std::string>& raw)
        : jobs_(jobs), raw_(raw) {}

    std::vector<const JobRecord*> Live() const override { return LiveJobs(jobs_); }

    JobRecord* Find(const std::string& id) override {
      auto it = jobs_.find(id);
      return it == jobs_.end() || it->second.deleted ? nullptr : &it->second;
    }

    const JobRecord* FindIncludingDeleted(const std::string& id) const override {
      auto it = jobs_.find(id);
      return it == jobs_.end() ? nullptr : &it->second;
    }

    const std::string* Raw(const std::string& id) const override {
      auto it = raw_.find(id);
      return it == raw_.end() ? nullptr : &it->second;
    }

    void Delete(JobRecord& job) override {
      job.deleted = true;
      raw_.erase(job.spec.id);
    }

    JobRecord& Add(JobSpec spec) override { return adder_(std::move(spec)); }
    void set_adder(std::function<JobRecord&(JobSpec)> adder) { adder_ = std::move(adder); }

   private:
    std::function<JobRecord&(JobSpec)> adder_;
    std::map<std::string, JobRecord>& jobs_;
    std::map<std::string, std::string>& raw_;
  };

  Store StoreOf(const std::string& vendor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Store(jobs_[vendor], raw_[vendor]);
  }

  Personality* FindPersonality(absl::string_view vendor) const {
    for (const auto& personality : personalities_) {
      if (personality->vendor() == vendor) return personality.get();
    }
    return nullptr;
  }

  // The vendors served for a message ("a, b or c"), with `also` as a last choice when set.
  std::string VendorChoices(absl::string_view also = "") const {
    std::vector<std::string> names = vendors();
    if (!also.empty()) names.emplace_back(also);
    if (names.size() < 2) return absl::StrJoin(names, "");
    const std::string last = names.back();
    names.pop_back();
    return absl::StrCat(absl::StrJoin(names, ", "), " or ", last);
  }

  // The personality's events for one job on the chunked response, looked at every kStreamPoll
  // of real time (the job's changes come from the clock), until the personality says the
  // stream is over, the job is deleted (the server hangs up) or the emulator stops.
  void StartStream(httplib::Response& res, const Personality& personality, const std::string& id,
                   bool truncate) {
    auto cursor = std::make_shared<StreamCursor>();
    cursor->last_beat = wall_.Now();
    const std::string vendor = personality.vendor();
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, &personality, vendor, id, cursor, truncate](size_t, httplib::DataSink& sink) {
          std::string out;
          bool finished = false;
          {
            absl::MutexLock lock(&mu_);
            if (cursor->started) {
              mu_.AwaitWithTimeout(absl::Condition(&stopping_), kStreamPoll);
            }
            if (stopping_) return false;
            const JobRecord* job = StoreOf(vendor).Find(id);
            if (job == nullptr) return false;  // deleted meanwhile: the server hangs up
            out = personality.StreamEvents(*job, clock_->Now(), wall_.Now(), *cursor, finished);
          }
          if (!out.empty() && !sink.write(out.data(), out.size())) return false;
          if (truncate) return false;  // drop the connection after the first event
          if (finished) sink.done();
          return true;
        });
  }

  // --- Writing answers
  // -------------------------------------------------------------------

  static void Write(httplib::Response& res, const Reply& reply) {
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k.c_str(), v);
    if (!reply.body.empty() || !reply.content_type.empty()) {
      res.set_content(reply.body,
                      reply.content_type.empty() ? "application/json" : reply.content_type.c_str());
    }
  }

  // Announces the whole body and sends half of it. Then httplib closes the
  // connection (FIN), or with `reset` the peer gets a TCP RST right after the
  // bytes sent.
  static void WriteCut(httplib::Response& res, const Reply& reply, bool reset,
                       ConnectionPorts ports) {
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k.c_str(), v);
    const std::string body = reply.body;
    const size_t announced = std::max<size_t>(body.size(), 16);
    const size_t sent = body.size() / 2;
    res.set_content_provider(
        announced, reply.content_type.empty() ? "application/json" : reply.content_type.c_str(),
        [body, sent, reset, ports](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset < sent) sink.write(body.data() + offset, sent - offset);
          if (reset) DropConnection(ports, /*reset=*/true);
          return false;
        });
  }

  // --- Latency, faults and stats
  // ----------------------------------------------------------

  void WaitLatency(const std::string& vendor) {
    absl::MutexLock lock(&mu_);
    auto it = latency_.find(vendor);
    if (it == latency_.end() || it->second <= absl::ZeroDuration()) return;
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), it->second);
  }

  void WaitStall(absl::Duration limit) {
    absl::MutexLock lock(&mu_);
    const uint64_t generation = stall_generation_;
    auto released = [this, generation]() { return stopping_ || stall_generation_ != generation; };
    mu_.AwaitWithTimeout(absl::Condition(&released), limit);
  }

  std::optional<FaultSpec> TakeFault(const std::string& vendor, const Route& route,
                                     const std::string& method) {
    absl::MutexLock lock(&mu_);
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      const FaultSpec& f = *it;
      if (f.vendor != "*" && f.vendor != vendor) continue;
      if (!f.job_id.empty() && f.job_id != route.job_id) continue;
      if (!f.method.empty() && f.method != method) continue;
      if (!f.route.empty() && f.route != route.name) continue;
      FaultSpec hit = f;
      if (it->count > 0 && --it->count == 0) faults_.erase(it);
      return hit;
    }
    return std::nullopt;
  }

  uint64_t BeginRequest(const std::string& vendor, const httplib::Request& req, const Route& route,
                        bool has_auth) {
    RequestRecord record;
    record.vendor = vendor;
    record.method = req.method;
    record.path = req.path;
    record.query = QueryString(req);
    record.route = route.name;
    record.job_id = route.job_id;
    record.has_auth = has_auth;
    record.request_id = req.get_header_value("X-Request-Id");
    record.traceparent = req.get_header_value("traceparent");
    record.idempotency_key = req.get_header_value("Idempotency-Key");
    record.content_type = req.get_header_value("Content-Type");
    record.body = req.body.substr(0, kRecordedBodyBytes);
    record.received = wall_.Now();
    absl::MutexLock lock(&mu_);
    const uint64_t seq = ++request_seq_;
    const size_t keep = static_cast<size_t>(std::max(1, options_.recent_requests));
    for (const char* key : {vendor.c_str(), "*"}) {
      VendorStats& data = stats_[key];
      ++data.stats.total;
      ++data.stats.by_route[absl::StrCat(req.method, " ", route.name)];
      ++data.stats.in_flight;
      data.stats.max_in_flight = std::max(data.stats.max_in_flight, data.stats.in_flight);
      data.recent.emplace_back(seq, record);
      while (data.recent.size() > keep) data.recent.pop_front();
    }
    return seq;
  }

  void EndRequest(const std::string& vendor, uint64_t seq, int status) {
    absl::MutexLock lock(&mu_);
    for (const char* key : {vendor.c_str(), "*"}) {
      VendorStats& data = stats_[key];
      if (data.stats.in_flight > 0) --data.stats.in_flight;
      for (auto it = data.recent.rbegin(); it != data.recent.rend(); ++it) {
        if (it->first == seq) {
          it->second.status = status;
          break;
        }
        if (it->first < seq) break;
      }
    }
  }

  // --- Control API
  // -------------------------------------------------------------------------

  static void ControlReply(httplib::Response& res, int status, const Struct& body) {
    res.status = status;
    res.set_content(ToSortedJson(body), "application/json");
  }

  static void ControlError(httplib::Response& res, int status, absl::string_view message) {
    Struct s;
    Put(s, "error", json::Str(message));
    ControlReply(res, status, s);
  }

  static void ControlOk(httplib::Response& res) { ControlReply(res, 200, Struct()); }

  void HandleControl(const httplib::Request& req, httplib::Response& res) {
    if (!IsLoopback(req.remote_addr)) {
      ControlError(res, 403, "the control API answers loopback clients only");
      return;
    }
    const absl::string_view what = absl::string_view(req.path).substr(strlen(kControlPrefix));
    const std::string& method = req.method;
    auto body_object = [&]() -> absl::StatusOr<Struct> {
      if (req.body.empty()) return Struct();
      return json::ParseObject(req.body);
    };

    if (what == "health" && method == "GET") {
      Struct s;
      Put(s, "ok", json::Bool(true));
      Put(s, "port", Int(port_));
      ControlReply(res, 200, s);
    } else if (what == "jobs" && method == "POST") {
      auto body = body_object();
      if (!body.ok()) return ControlError(res, 400, body.status().message());
      auto spec = JobSpecFromJson(*body, clock_->Now());
      if (!spec.ok()) return ControlError(res, 400, spec.status().message());
      if (FindPersonality(spec->vendor) == nullptr) {
        return ControlError(res, 400, absl::StrCat("vendor must be ", VendorChoices()));
      }
      Struct s;
      Put(s, "id", json::Str(AddJob(*spec)));
      ControlReply(res, 200, s);
    } else if (what == "jobs" && method == "GET") {
      const std::string vendor = req.get_param_value("vendor");
      if (FindPersonality(vendor) == nullptr) {
        return ControlError(res, 400, absl::StrCat("vendor must be ", VendorChoices()));
      }
      std::vector<Value> ids;
      for (const std::string& id : JobIds(vendor)) ids.push_back(json::Str(id));
      Struct s;
      Put(s, "ids", ListOf(std::move(ids)));
      ControlReply(res, 200, s);
    } else if (what == "jobs" && method == "DELETE") {
      ClearJobs();
      ControlOk(res);
    } else if (what == "raw_jobs" && method == "POST") {
      auto body = body_object();
      if (!body.ok()) return ControlError(res, 400, body.status().message());
      const std::string vendor = json::GetString(*body, "vendor").value_or("");
      const std::string id = json::GetString(*body, "id").value_or("");
      if (FindPersonality(vendor) == nullptr || id.empty()) {
        return ControlError(res, 400, "vendor and id are required");
      }
      std::string raw;
      if (auto text = json::GetString(*body, "body")) {
        raw = *text;
      } else if (auto b64 = json::GetString(*body, "body_base64")) {
        if (!absl::Base64Unescape(*b64, &raw)) return ControlError(res, 400, "bad body_base64");
      } else if (const Value* v = json::Find(*body, "json")) {
        raw = ToSortedJson(*v);
      }
      PutRawJob(vendor, id, std::move(raw));
      ControlOk(res);
    } else if (what == "faults" && method == "POST") {
      auto body = body_object();
      if (!body.ok()) return ControlError(res, 400, body.status().message());
      auto fault = FaultSpecFromJson(*body);
      if (!fault.ok()) return ControlError(res, 400, fault.status().message());
      if (fault->vendor != "*" && FindPersonality(fault->vendor) == nullptr) {
        return ControlError(res, 400, absl::StrCat("vendor must be ", VendorChoices("*")));
      }
      InjectFault(*fault);
      ControlOk(res);
    } else if (what == "faults" && method == "DELETE") {
      ClearFaults();
      ControlOk(res);
    } else if (what == "stalls/release" && method == "POST") {
      ReleaseStalls();
      ControlOk(res);
    } else if (what == "latency" && method == "POST") {
      auto body = body_object();
      if (!body.ok()) return ControlError(res, 400, body.status().message());
      const std::string vendor = json::GetString(*body, "vendor").value_or("*");
      if (vendor != "*" && FindPersonality(vendor) == nullptr) {
        return ControlError(res, 400, "unknown vendor");
      }
      auto ms = json::GetNumber(*body, "ms");
      auto seconds = json::GetNumber(*body, "seconds");
      if ((!ms && !seconds) || ms.value_or(0) < 0 || seconds.value_or(0) < 0) {
        return ControlError(res, 400, "ms or seconds (>= 0) is required");
      }
      SetLatency(vendor, ms ? absl::Milliseconds(*ms) : absl::Seconds(*seconds));
      ControlOk(res);
    } else if (what == "stats" && method == "GET") {
      std::string vendor = req.get_param_value("vendor");
      if (vendor.empty()) vendor = "*";
      if (vendor != "*" && FindPersonality(vendor) == nullptr) {
        return ControlError(res, 400, "unknown vendor");
      }
      ControlReply(res, 200, StatsJson(stats(vendor)));
    } else if (what == "stats/reset" && method == "POST") {
      ResetStats();
      ControlOk(res);
    } else if (what == "clock" && method == "GET") {
      Struct s;
      Put(s, "now", json::Str(FormatRfc3339(clock_->Now())));
      Put(s, "manual", json::Bool(options_.manual_clock != nullptr));
      ControlReply(res, 200, s);
    } else if (what == "clock/advance" && method == "POST") {
      if (options_.manual_clock == nullptr) {
        return ControlError(res, 409, "the emulator runs on the real clock (use --manual-clock)");
      }
      double seconds = 0;
      bool ok = false;
      if (req.has_param("seconds")) {
        ok = absl::SimpleAtod(req.get_param_value("seconds"), &seconds);
      } else {
        auto body = body_object();
        if (body.ok()) {
          auto v = json::GetNumber(*body, "seconds");
          ok = v.has_value();
          seconds = v.value_or(0);
        }
      }
      if (!ok || !std::isfinite(seconds) || seconds < 0) {
        return ControlError(res, 400, "seconds (>= 0) is required");
      }
      options_.manual_clock->Advance(absl::Seconds(seconds));
      Struct s;
      Put(s, "now", json::Str(FormatRfc3339(clock_->Now())));
      ControlReply(res, 200, s);
    } else {
      ControlError(res, 404, absl::StrCat("no control endpoint ", method, " ", req.path));
    }
  }

  Options options_;
  const Clock* const clock_;  // the jobs' time
  // Real time, for what a client waits for really: latency, stalls, heartbeats, Retry-After,
  // and when a request arrived (retry spacing).
  const Clock& wall_ = Clock::Real();
  std::unique_ptr<httplib::Server> server_;  // an SSLServer with Options::tls_*
  std::thread thread_;
  int listen_socket_ = -1;
  int port_ = 0;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Personality>> personalities_;  // fixed after construction
  IdGenerator ids_ ABSL_GUARDED_BY(mu_);
  // vendor -> id -> job (including deleted tombstones)
  std::map<std::string, std::map<std::string, JobRecord>> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string>> raw_ ABSL_GUARDED_BY(mu_);
  std::list<FaultSpec> faults_ ABSL_GUARDED_BY(mu_);
  uint64_t stall_generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, absl::Duration> latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, VendorStats> stats_ ABSL_GUARDED_BY(mu_);
  uint64_t request_seq_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::StatusOr<std::unique_ptr<VendorEmulator>> VendorEmulator::Start(Options options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto status = impl->Start(); !status.ok()) return status;
  return std::unique_ptr<VendorEmulator>(new VendorEmulator(std::move(impl)));
}

VendorEmulator::VendorEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VendorEmulator::~VendorEmulator() = default;

int VendorEmulator::port() const { return impl_->port(); }
std::string VendorEmulator::base_url(absl::string_view vendor) const {
  return impl_->base_url(vendor);
}
std::string VendorEmulator::root_url() const { return impl_->root_url(); }
std::string VendorEmulator::api_key(absl::string_view vendor) const {
  return impl_->api_key(vendor);
}
const Clock& VendorEmulator::clock() const { return impl_->clock(); }
std::string VendorEmulator::AddJob(const JobSpec& spec) { return impl_->AddJob(spec); }
void VendorEmulator::PutRawJob(absl::string_view vendor, absl::string_view id,
                               std::string raw_json_body) {
  impl_->PutRawJob(vendor, id, std::move(raw_json_body));
}
std::vector<std::string> VendorEmulator::JobIds(absl::string_view vendor) const {
  return impl_->JobIds(vendor);
}
void VendorEmulator::ClearJobs() { impl_->ClearJobs(); }
void VendorEmulator::InjectFault(const FaultSpec& fault) { impl_->InjectFault(fault); }
void VendorEmulator::ClearFaults() { impl_->ClearFaults(); }
void VendorEmulator::ReleaseStalls() { impl_->ReleaseStalls(); }
void VendorEmulator::SetLatency(absl::string_view vendor, absl::Duration delay) {
  impl_->SetLatency(vendor, delay);
}
std::vector<std::string> VendorEmulator::vendors() const { return impl_->vendors(); }
Stats VendorEmulator::stats(absl::string_view vendor) const { return impl_->stats(vendor); }
void VendorEmulator::ResetStats() { impl_->ResetStats(); }

}  // namespace jobfacade::sandbox
