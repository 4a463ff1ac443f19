// The personality interface's defaults and the helpers personalities share.
#include "adapters/sandbox/personality.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jobfacade::sandbox {

using json::Struct;
using json::Value;

bool SandboxRequest::HasHeader(absl::string_view name) const {
  return headers.count(absl::AsciiStrToLower(name)) > 0;
}

std::string SandboxRequest::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? std::string() : it->second;
}

bool SandboxRequest::HasParam(absl::string_view name) const {
  return params.count(std::string(name)) > 0;
}

std::string SandboxRequest::Param(absl::string_view name, size_t index) const {
  auto [begin, end] = params.equal_range(std::string(name));
  for (auto it = begin; it != end; ++it, --index) {
    if (index == 0) return it->second;
  }
  return std::string();
}

size_t SandboxRequest::ParamCount(absl::string_view name) const {
  return params.count(std::string(name));
}

std::optional<Reply> Personality::Preroute(const SandboxRequest&) const { return std::nullopt; }

Reply Personality::MethodNotAllowed() const { return DetailReply(405, "Method Not Allowed"); }

std::string Personality::StreamEvents(const JobRecord&, absl::Time, absl::Time, StreamCursor&,
                                      bool& finished) const {
  finished = true;
  return std::string();
}

std::string Personality::Status(const JobRecord& job, absl::Time now) const {
  if (!job.fixed_status.empty()) return job.fixed_status;
  return StatusText(TimelineAt(job, now).phase);
}

void Put(Struct& s, absl::string_view key, Value v) {
  (*s.mutable_fields())[std::string(key)] = std::move(v);
}

Value Int(int64_t i) { return json::Num(static_cast<double>(i)); }

Value StrOrNull(const std::string& s) { return s.empty() ? json::Null() : json::Str(s); }

Value ListOf(std::vector<Value> items) {
  Value v;
  auto* list = v.mutable_list_value();
  for (auto& item : items) *list->add_values() = std::move(item);
  return v;
}

Value StringMap(const std::map<std::string, std::string>& m) {
  Struct s;
  for (const auto& [k, v] : m) Put(s, k, json::Str(v));
  return json::Obj(std::move(s));
}

Value MillisOrNull(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return json::Null();
  return Int(absl::ToInt64Milliseconds(d));
}

bool Reached(absl::Time t) { return t != absl::InfiniteFuture(); }

Reply JsonReply(int status, const Struct& body) {
  Reply r;
  r.status = status;
  r.body = ToSortedJson(body);
  return r;
}

Reply RawReply(const std::string& body) {
  Reply reply;
  reply.body = body;
  return reply;
}

Reply DetailReply(int status, absl::string_view detail) {
  Struct s;
  Put(s, "detail", json::Str(detail));
  return JsonReply(status, s);
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error";
  }
}

Reply ValidationErrorReply(const std::vector<ValidationIssue>& issues) {
  std::vector<Value> detail;
  for (const auto& issue : issues) {
    Struct item;
    Put(item, "type", json::Str(issue.type));
    Put(item, "loc", ListOf({json::Str("query"), json::Str(issue.param)}));
    Put(item, "msg", json::Str(issue.msg));
    Put(item, "input", json::Str(issue.input));
    detail.push_back(json::Obj(std::move(item)));
  }
  Struct s;
  Put(s, "detail", ListOf(std::move(detail)));
  return JsonReply(422, s);
}

// Reads an optional integer query parameter bounded to [min, max] the way
// pydantic does.
std::optional<int64_t> BoundedIntParam(const SandboxRequest& req, const std::string& name,
                                       int64_t fallback, int64_t min, int64_t max,
                                       std::vector<ValidationIssue>& issues) {
  if (!req.HasParam(name)) return fallback;
  const std::string text = req.Param(name);
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) {
    issues.push_back({name, "int_parsing",
                      "Input should be a valid integer, unable to parse string "
                      "as an integer",
                      text});
    return std::nullopt;
  }
  if (value < min) {
    issues.push_back({name, "greater_than_equal",
                      absl::StrCat("Input should be greater than or equal to ", min), text});
    return std::nullopt;
  }
  if (value > max) {
    issues.push_back({name, "less_than_equal",
                      absl::StrCat("Input should be less than or equal to ", max), text});
    return std::nullopt;
  }
  return value;
}

std::string EnumMessage(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const auto& v : values) quoted.push_back(absl::StrCat("'", v, "'"));
  const std::string last = quoted.back();
  quoted.pop_back();
  return absl::StrCat("Input should be ", absl::StrJoin(quoted, ", "), " or ", last);
}

bool Contains(const std::vector<std::string>& values, absl::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

Route ClassifyJobRoute(const RouteShape& shape, absl::string_view path, absl::string_view method) {
  const absl::string_view collection = shape.collection;
  Route route;
  if (path == collection) {
    route.known = true;
    route.name = method == "POST" ? "create" : "list";
    route.method_ok = method == "GET" || method == "POST";
    return route;
  }
  if (!absl::StartsWith(path, collection) || path.size() <= collection.size() + 1 ||
      path[collection.size()] != '/') {
    return route;
  }
  absl::string_view id = path.substr(collection.size() + 1);
  // A suffixed route of one job ("{id}/cancel"): the id holds no further '/'.
  auto suffixed = [&](absl::string_view suffix, const char* name, absl::string_view takes) {
    if (suffix.empty() || !absl::EndsWith(id, suffix) || id.size() <= suffix.size()) return false;
    absl::string_view job = id.substr(0, id.size() - suffix.size());
    if (!absl::StrContains(job, '/')) {
      route.known = true;
      route.name = name;
      route.job_id = std::string(job);
      route.method_ok = method == takes;
    }
    return true;
  };
  if (suffixed(shape.stream_suffix, "stream", "GET")) return route;
  if (suffixed(shape.result_suffix, "result", "GET")) return route;
  if (suffixed(shape.cost_suffix, "cost", "GET")) return route;
  if (suffixed(shape.cancel_suffix, "cancel", shape.cancel_method)) return route;
  if (absl::StrContains(id, '/')) return route;
  route.known = true;
  route.job_id = std::string(id);
  if (method == "GET") {
    route.name = "get";
    route.method_ok = true;
  } else if (method == "DELETE") {
    route.name = "delete";
    route.method_ok = true;
  }
  return route;
}

}  // namespace jobfacade::sandbox
