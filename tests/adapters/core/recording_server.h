// An HTTP server on 127.0.0.1 (port 0) for adapter tests: answers every request
// through a test-supplied handler and records exactly what arrived (method, raw
// path and query, headers).
#ifndef JOBFACADE_TESTS_ADAPTERS_CORE_RECORDING_SERVER_H_
#define JOBFACADE_TESTS_ADAPTERS_CORE_RECORDING_SERVER_H_

#include <httplib.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jobfacade::testing {

class RecordingServer {
 public:
  struct Request {
    std::string method;
    std::string path;   // raw, still percent-encoded
    std::string query;  // raw, without '?'
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased

    std::optional<std::string> Header(const std::string& name) const {
      auto it = headers.find(absl::AsciiStrToLower(name));
      if (it == headers.end()) return std::nullopt;
      return it->second;
    }
  };

  struct Reply {
    int status = 200;
    std::string body = "{}";
    std::vector<std::pair<std::string, std::string>> headers;
  };

  using Handler = std::function<Reply(const Request&)>;

  RecordingServer() {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      Request recorded;
      recorded.method = req.method;
      const size_t question = req.target.find('?');
      recorded.path = req.target.substr(0, question);
      if (question != std::string::npos) recorded.query = req.target.substr(question + 1);
      recorded.body = req.body;
      for (const auto& [name, value] : req.headers) {
        recorded.headers[absl::AsciiStrToLower(name)] = value;
      }
      Handler handler;
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(recorded);
        handler = handler_;
      }
      Reply reply = handler ? handler(recorded) : Reply();
      res.status = reply.status;
      for (const auto& [name, value] : reply.headers) res.set_header(name, value);
      if (!reply.body.empty()) res.set_content(reply.body, "application/json");
    };
    server_.Get(".*", handle);
    server_.Post(".*", handle);
    server_.Put(".*", handle);
    server_.Delete(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Waiting for the listener thread to start is set-up, not test logic.
    const absl::Time limit = absl::Now() + absl::Seconds(10);
    while (!server_.is_running() && absl::Now() < limit) absl::SleepFor(absl::Milliseconds(1));
  }

  ~RecordingServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  RecordingServer(const RecordingServer&) = delete;
  RecordingServer& operator=(const RecordingServer&) = delete;

  // "http://127.0.0.1:{port}"
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  void SetHandler(Handler handler) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(handler);
  }

  // Answers every request with `status`, `body` and `headers`.
  void AnswerWith(int status, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    SetHandler([reply = Reply{status, std::move(body), std::move(headers)}](const Request&) {
      return reply;
    });
  }

  std::vector<Request> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  // The only request received; fails the test when there was not exactly one.
  Request OnlyRequest() {
    std::vector<Request> all = requests();
    EXPECT_EQ(all.size(), 1u);
    return all.empty() ? Request() : all.back();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_ADAPTERS_CORE_RECORDING_SERVER_H_
