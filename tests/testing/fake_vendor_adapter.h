// A VendorAdapter double shared by the tests: jobs held in memory, cursors that are offsets
// (and "eK" for leading empty pages), list failures on request, replies that can be deferred,
// and a record of what every call carried.
#ifndef JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_
#define JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"
#include "adapters/core/vendor_adapter.h"
#include "gtest/gtest.h"

namespace jobfacade::testing {

class FakeAdapter final : public VendorAdapter {
 public:
  explicit FakeAdapter(std::string vendor) : vendor_(std::move(vendor)) {}

  void Add(const std::string& id, v1::Job::State state) {
    v1::Job job;
    job.set_name(absl::StrCat("vendors/", vendor_, "/jobs/", id));
    job.set_vendor(vendor_);
    job.set_vendor_job_id(id);
    job.set_state(state);
    jobs_.push_back(job);
  }
  // A job created at `seconds`; list order is the order of the calls.
  void AddAt(const std::string& id, int64_t seconds, v1::Job::State state = v1::Job::COMPLETED) {
    Add(id, state);
    *jobs_.back().mutable_create_time() = ToProtoTimestamp(absl::FromUnixSeconds(seconds));
  }
  const std::vector<v1::Job>& jobs() const { return jobs_; }

  absl::string_view vendor() const override { return vendor_; }

  void GetJob(const CallContext& ctx, absl::string_view id, v1::JobView view,
              Callback<v1::Job> done) override {
    ++gets;
    last_caller_key = ctx.caller_key.value_or("");
    get_contexts.push_back(ctx);
    // The job as it is when the request arrives, even when the answer is deferred.
    absl::StatusOr<v1::Job> answer = Read(id, ctx, view);
    auto reply = [this, answer = std::move(answer), done = std::move(done)]() mutable {
      if (next_get_answer.has_value()) {
        answer = *std::move(next_get_answer);
        next_get_answer.reset();
      }
      std::move(done)(std::move(answer));
    };
    if (defer_gets) {
      pending.push_back(std::move(reply));
    } else {
      reply();
    }
  }

  absl::StatusOr<v1::Job> Read(absl::string_view id, const CallContext& ctx, v1::JobView view) {
    if (auto error = key_errors.find(ctx.caller_key.value_or("")); error != key_errors.end()) {
      return error->second;
    }
    if (!get_errors.empty()) {
      absl::Status error = get_errors.front();
      get_errors.erase(get_errors.begin());
      return error;
    }
    for (const auto& j : jobs_) {
      if (j.vendor_job_id() != id) continue;
      v1::Job job = j;
      if (view == v1::JOB_VIEW_FULL) {
        (*job.mutable_vendor_payload()->mutable_fields())["id"].set_string_value(std::string(id));
      }
      return job;
    }
    return MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound, "not found");
  }

  // Changes a job's state (as the vendor's own progress would).
  void SetState(absl::string_view id, v1::Job::State state) {
    for (auto& j : jobs_) {
      if (j.vendor_job_id() == id) j.set_state(state);
    }
  }

  // Cursors are offsets; "eK" is the K-th of `leading_empty_pages` empty vendor pages.
  void ListJobs(const CallContext& ctx, const ListRequest& request,
                Callback<ListResult> done) override {
    list_deadlines.push_back(ctx.deadline);
    last_caller_key = ctx.caller_key.value_or("");
    list_sizes.push_back(request.page_size);
    list_requests.push_back(request);
    max_in_flight = std::max(max_in_flight, ++in_flight);
    absl::StatusOr<ListResult> answer = Page(request);
    auto reply = [this, answer = std::move(answer), done = std::move(done)]() mutable {
      --in_flight;
      std::move(done)(std::move(answer));
    };
    if (defer) {
      pending.push_back(std::move(reply));
    } else {
      reply();
    }
  }

  absl::StatusOr<ListResult> Page(const ListRequest& request) {
    ++list_calls;
    if (fail_list_calls_from >= 0 && list_calls > fail_list_calls_from) {
      return MakeError(absl::StatusCode::kUnavailable, reason::kVendorUnavailable,
                       absl::StrCat(vendor_, " is down"));
    }
    ListResult result;
    if (absl::StartsWith(request.cursor, "e") ||
        (request.cursor.empty() && leading_empty_pages > 0)) {
      int empty = 0;
      if (!request.cursor.empty()) EXPECT_TRUE(absl::SimpleAtoi(request.cursor.substr(1), &empty));
      result.next_cursor = empty + 1 < leading_empty_pages ? absl::StrCat("e", empty + 1) : "0";
      return result;
    }
    size_t offset = 0;
    if (!request.cursor.empty()) EXPECT_TRUE(absl::SimpleAtoi(request.cursor, &offset));
    const size_t size = static_cast<size_t>(std::min(request.page_size, max_page_size));
    size_t end = std::min(jobs_.size(), offset + size);
    for (size_t i = offset; i < end; ++i) result.jobs.push_back(jobs_[i]);
    if (end < jobs_.size()) result.next_cursor = absl::StrCat(end);
    return result;
  }

  // Answers the newest deferred request; false when none is waiting.
  bool AnswerNewest() {
    if (pending.empty()) return false;
    auto reply = std::move(pending.back());
    pending.pop_back();
    std::move(reply)();
    return true;
  }

  // Answers the oldest deferred request; false when none is waiting.
  bool AnswerOne() {
    if (pending.empty()) return false;
    auto reply = std::move(pending.front());
    pending.erase(pending.begin());
    std::move(reply)();
    return true;
  }

  void CancelJob(const CallContext&, absl::string_view id, StatusCallback done) override {
    ++cancels;
    // The job is CANCELLING once the vendor has answered.
    auto reply = [this, id = std::string(id), done = std::move(done)]() mutable {
      SetState(id, v1::Job::CANCELLING);
      std::move(done)(absl::OkStatus());
    };
    if (defer_cancels) {
      pending.push_back(std::move(reply));
    } else {
      reply();
    }
  }

  void DeleteJob(const CallContext&, absl::string_view id, StatusCallback done) override {
    ++deletes;
    jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(),
                               [id](const v1::Job& j) { return j.vendor_job_id() == id; }),
                jobs_.end());
    std::move(done)(absl::OkStatus());
  }

  // An event stream opened by FollowEvents: the test sends its events and ends it.
  struct Stream {
    std::string id;
    EventCallback on_event;
    StatusCallback done;
    bool ended = false;
    void Send(absl::string_view type) {
      if (!ended) on_event(type);
    }
    void End(absl::Status status) {
      if (ended) return;
      ended = true;
      std::move(done)(std::move(status));
    }
  };
  void FollowEvents(const CallContext& ctx, absl::string_view id, EventCallback on_event,
                    StatusCallback done) override {
    if (stream_error.has_value()) return std::move(done)(*stream_error);
    auto stream = std::make_shared<Stream>();
    stream->id = std::string(id);
    stream->on_event = std::move(on_event);
    stream->done = std::move(done);
    streams.push_back(stream);
    if (ctx.cancellation != nullptr) {
      // Closed like the engine closes a stream whose cancellation fired.
      std::weak_ptr<Stream> weak = stream;
      ctx.cancellation->Add([weak] {
        if (auto s = weak.lock()) s->End(absl::CancelledError("cancelled"));
      });
    }
  }
  std::vector<std::shared_ptr<Stream>> streams;
  std::optional<absl::Status> stream_error;  // FollowEvents fails with it at once when set

  int gets = 0, cancels = 0, deletes = 0;
  std::vector<int> list_sizes;
  std::vector<ListRequest> list_requests;
  std::vector<absl::Time> list_deadlines;
  std::string last_caller_key;
  int max_page_size = 1000;       // the vendor's page maximum
  int leading_empty_pages = 0;    // empty vendor pages before the jobs
  int fail_list_calls_from = -1;  // list calls after this many fail (UNAVAILABLE)
  int list_calls = 0;
  bool defer = false;          // hold list answers until AnswerOne()
  bool defer_gets = false;     // hold GetJob answers (taken when the request came) likewise
  bool defer_cancels = false;  // hold cancel answers likewise
  std::vector<CallContext> get_contexts;  // what each GetJob carried
  // GetJob answers by the caller key used ("" for none), before anything else.
  std::map<std::string, absl::Status> key_errors;
  std::vector<absl::Status> get_errors;  // the next GetJobs fail with these, in order
  // Replaces the answer of the next GetJob reply delivered (for a held request that times out).
  std::optional<absl::Status> next_get_answer;
  std::vector<absl::AnyInvocable<void() &&>> pending;
  int in_flight = 0;
  int max_in_flight = 0;

 private:
  std::string vendor_;
  std::vector<v1::Job> jobs_;
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_
