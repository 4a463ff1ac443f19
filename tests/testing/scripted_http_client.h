// An http::HttpClient double shared by the tests: it holds every request until the test
// answers it, in any order, on the test's thread.
#ifndef JOBFACADE_TESTS_TESTING_SCRIPTED_HTTP_CLIENT_H_
#define JOBFACADE_TESTS_TESTING_SCRIPTED_HTTP_CLIENT_H_

#include <algorithm>
#include <cstddef>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/http/http_engine.h"
#include "gtest/gtest.h"

namespace jobfacade::testing {

class ScriptedClient final : public http::HttpClient {
 public:
  using Request = http::Request;
  using Response = http::Response;
  using TransportError = http::TransportError;

  void Send(Request request, http::ResponseCallback done) override {
    absl::MutexLock lock(&mu_);
    pending_.push_back({std::move(request), std::move(done)});
    ++sent_;
    max_pending_ = std::max(max_pending_, static_cast<int>(pending_.size()));
  }

  // Answers the oldest pending request.
  void Answer(Response response) { AnswerAt(0, std::move(response)); }
  // Answers the pending request at `index` (0 is the oldest).
  void AnswerAt(size_t index, Response response) {
    http::ResponseCallback done;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_LT(index, pending_.size()) << "no request to answer";
      done = std::move(pending_[index].done);
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
    }
    std::move(done)(std::move(response));
  }
  void AnswerStatus(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Response response;
    response.status = status;
    response.headers = std::move(headers);
    Answer(std::move(response));
  }
  void AnswerError(TransportError error) {
    Response response;
    response.error = error;
    Answer(std::move(response));
  }

  int pending() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(pending_.size());
  }
  int sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  int max_pending() {
    absl::MutexLock lock(&mu_);
    return max_pending_;
  }
  Request front_request() {
    absl::MutexLock lock(&mu_);
    return pending_.front().request;
  }

 private:
  struct Pending {
    Request request;
    http::ResponseCallback done;
  };
  absl::Mutex mu_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  int sent_ ABSL_GUARDED_BY(mu_) = 0;
  int max_pending_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_SCRIPTED_HTTP_CLIENT_H_
