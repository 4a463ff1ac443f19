// A VendorAdapter double shared by the tests: jobs held in memory, cursors that are offsets
// (and "eK" for leading empty pages), list failures on request, replies that can be deferred,
// and a record of what every call carried.
#ifndef JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_
#define JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_

#include <algorithm>
#include <functional>
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
    for (const auto& j : jobs_) {
      if (j.vendor_job_id() == id) return std::move(done)(j);
    }
    std::move(done)(MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound, "not found"));
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
    for (auto& j : jobs_) {
      if (j.vendor_job_id() == id) j.set_state(v1::Job::CANCELLING);
    }
    std::move(done)(absl::OkStatus());
  }

  void DeleteJob(const CallContext&, absl::string_view id, StatusCallback done) override {
    ++deletes;
    std::move(done)(absl::OkStatus());
  }

  int gets = 0, cancels = 0, deletes = 0;
  std::vector<int> list_sizes;
  std::vector<ListRequest> list_requests;
  std::vector<absl::Time> list_deadlines;
  std::string last_caller_key;
  int max_page_size = 1000;       // the vendor's page maximum
  int leading_empty_pages = 0;    // empty vendor pages before the jobs
  int fail_list_calls_from = -1;  // list calls after this many fail (UNAVAILABLE)
  int list_calls = 0;
  bool defer = false;  // hold answers until AnswerOne()
  std::vector<absl::AnyInvocable<void() &&>> pending;
  int in_flight = 0;
  int max_in_flight = 0;

 private:
  std::string vendor_;
  std::vector<v1::Job> jobs_;
};

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_FAKE_VENDOR_ADAPTER_H_
