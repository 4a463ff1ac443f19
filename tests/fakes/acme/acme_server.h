// Acme's API on loopback for tests (acme_vendor.h describes it): jobs held in memory, every
// request recorded. Acme itself would stop a finished job (409 only) and delete a running one:
// the tests show the service never lets that happen.
#ifndef JOBFACADE_TESTS_FAKES_ACME_ACME_SERVER_H_
#define JOBFACADE_TESTS_FAKES_ACME_ACME_SERVER_H_

#include <httplib.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/core/json.h"

namespace jobfacade::acme {

class AcmeServer {
 public:
  struct Job {
    std::string id;
    std::string state = "active";
    std::string machine = "m1";
    std::string title;
    std::string created = "2026-01-01T00:00:00Z";
    std::map<std::string, std::string> labels;
  };
  struct Seen {
    std::string method;
    std::string path;
    std::string query;
    std::string authorization;
  };

  explicit AcmeServer(std::string key) : key_(std::move(key)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    server_.Delete(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Waiting for the listener thread to start is set-up, not test logic.
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (!server_.is_running() && absl::Now() < limit) absl::SleepFor(absl::Milliseconds(1));
  }
  ~AcmeServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::string base_url() const { return absl::StrCat("http://127.0.0.1:", port_, "/v1"); }

  // Jobs are listed in the order they were added (newest first is the caller's business).
  void Add(Job job) {
    absl::MutexLock lock(&mu_);
    order_.push_back(job.id);
    jobs_[job.id] = std::move(job);
  }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  int Count(const std::string& method, const std::string& suffix) {
    int n = 0;
    for (const Seen& s : seen()) {
      n += s.method == method && s.path.size() >= suffix.size() &&
           s.path.compare(s.path.size() - suffix.size(), suffix.size(), suffix) == 0;
    }
    return n;
  }
  bool Exists(const std::string& id) {
    absl::MutexLock lock(&mu_);
    return jobs_.count(id) > 0;
  }
  std::string StateOf(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(id);
    return it == jobs_.end() ? "" : it->second.state;
  }

 private:
  static json::Struct JobJson(const Job& job) {
    json::Struct s;
    (*s.mutable_fields())["id"] = json::Str(job.id);
    (*s.mutable_fields())["state"] = json::Str(job.state);
    (*s.mutable_fields())["machine"] = json::Str(job.machine);
    (*s.mutable_fields())["title"] = json::Str(job.title);
    (*s.mutable_fields())["created"] = json::Str(job.created);
    json::Struct labels;
    for (const auto& [k, v] : job.labels) (*labels.mutable_fields())[k] = json::Str(v);
    (*s.mutable_fields())["labels"] = json::Obj(labels);
    return s;
  }
  static void Reply(httplib::Response& res, int status, const json::Struct& body) {
    res.status = status;
    res.set_content(json::ToJson(body), "application/json");
  }
  static void Error(httplib::Response& res, int status, const std::string& message) {
    json::Struct s;
    (*s.mutable_fields())["error"] = json::Str(message);
    Reply(res, status, s);
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    absl::MutexLock lock(&mu_);
    const size_t q = req.target.find('?');
    seen_.push_back({req.method, req.path, q == std::string::npos ? "" : req.target.substr(q + 1),
                     req.get_header_value("Authorization")});
    if (req.get_header_value("Authorization") != absl::StrCat("Token ", key_)) {
      return Error(res, 401, "bad token");
    }
    const std::string prefix = "/v1/jobs";
    if (req.path.rfind(prefix, 0) != 0) return Error(res, 404, "no such route");
    std::string rest = req.path.substr(prefix.size());
    if (rest.empty() && req.method == "GET") return List(req, res);
    if (rest.empty() || rest[0] != '/') return Error(res, 404, "no such route");
    rest = rest.substr(1);
    const bool stop = rest.size() > 5 && rest.compare(rest.size() - 5, 5, "/stop") == 0;
    const std::string id = stop ? rest.substr(0, rest.size() - 5) : rest;
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return Error(res, 404, "no such job");
    if (req.method == "GET" && !stop) {
      json::Struct body;
      (*body.mutable_fields())["job"] = json::Obj(JobJson(it->second));
      return Reply(res, 200, body);
    }
    if (req.method == "POST" && stop) {
      const std::string& state = it->second.state;
      if (state == "stopped" || state == "error") return Error(res, 409, "already finished");
      it->second.state = "stopped";  // Acme stops even a done job: the service must not ask
      return Reply(res, 202, json::Struct());
    }
    if (req.method == "DELETE" && !stop) {
      jobs_.erase(it);
      order_.erase(std::find(order_.begin(), order_.end(), id));
      res.status = 204;
      return;
    }
    Error(res, 405, "method not allowed");
  }

  void List(const httplib::Request& req, httplib::Response& res) {
    int limit = 10;
    if (req.has_param("limit")) absl::SimpleAtoi(req.get_param_value("limit"), &limit);
    size_t start = 0;
    if (req.has_param("cursor")) absl::SimpleAtoi(req.get_param_value("cursor"), &start);
    json::ListValue items;
    size_t i = start;
    for (; i < order_.size() && items.values_size() < limit; ++i) {
      const Job& job = jobs_[order_[i]];
      if (req.has_param("state") && job.state != req.get_param_value("state")) continue;
      if (req.has_param("machine") && job.machine != req.get_param_value("machine")) continue;
      *items.add_values() = json::Obj(JobJson(job));
    }
    json::Struct body;
    *(*body.mutable_fields())["jobs"].mutable_list_value() = items;
    (*body.mutable_fields())["cursor"] =
        i < order_.size() ? json::Str(absl::StrCat(i)) : json::Null();
    Reply(res, 200, body);
  }

  const std::string key_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jobfacade::acme

#endif  // JOBFACADE_TESTS_FAKES_ACME_ACME_SERVER_H_
