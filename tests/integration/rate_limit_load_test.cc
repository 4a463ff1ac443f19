// The per-vendor concurrency limit under a flood: a vendor that answers every request with 429
// and Retry-After: 1 never sees more than --vendor_max_in_flight requests at once however many
// GetJobs arrive, every call ends with a contract code, and the server serves afterwards.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

// How a flood of GetJobs ended.
struct FloodResult {
  int64_t completed = 0;
  // "RESOURCE_EXHAUSTED VENDOR_RATE_LIMITED", "UNAVAILABLE VENDOR_UNAVAILABLE", ...
  std::map<std::string, int64_t> outcomes;
  int64_t rate_limited = 0;
  int64_t unexpected = 0;  // any other code or reason, or a 429 without RetryInfo of 1 s
  std::vector<std::string> unexpected_examples;  // the first few
  absl::Duration wall;
};

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    default:
      return absl::StrCat("code ", static_cast<int>(code));
  }
}

// Keeps `concurrency` GetJobs of `names` (in turn) in flight until `total` have been sent, each
// with `deadline`, and waits for all of them (at most `give_up`).
FloodResult Flood(v1::JobService::Stub& stub, std::vector<std::string> names, int total,
                  int concurrency, absl::Duration deadline, absl::Duration give_up) {
  // Shared with the callbacks, so that a test that stops early leaves nothing dangling.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    int issued = 0;
    FloodResult result;
  };
  auto state = std::make_shared<State>();
  struct Call {
    grpc::ClientContext ctx;
    v1::GetJobRequest request;
    v1::Job response;
  };
  // Starts one more call if any are left; the completion of each call starts the next.
  auto launch_ptr = std::make_shared<std::function<void()>>();
  *launch_ptr = [&stub, names = std::move(names), total, deadline, state,
                 weak = std::weak_ptr<std::function<void()>>(launch_ptr)] {
    int number;
    {
      std::lock_guard<std::mutex> lock(state->mu);
      if (state->issued >= total) return;
      number = state->issued++;
    }
    auto* call = new Call;
    call->ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(deadline));
    call->request.set_name(names[number % names.size()]);
    stub.async()->GetJob(
        &call->ctx, &call->request, &call->response, [call, state, weak](grpc::Status status) {
          delete call;
          const ErrorSummary summary = SummarizeError(status);
          std::string key = CodeName(status.error_code());
          if (!summary.reason.empty()) absl::StrAppend(&key, " ", summary.reason);
          bool expected = false;
          bool rate_limited = false;
          switch (status.error_code()) {
            case grpc::StatusCode::RESOURCE_EXHAUSTED:
              rate_limited = true;
              expected = summary.reason == "VENDOR_RATE_LIMITED" &&
                         summary.retry_delay == absl::Seconds(1);
              if (!summary.retry_delay.has_value()) {
                absl::StrAppend(&key, " (no RetryInfo)");
              }
              break;
            case grpc::StatusCode::UNAVAILABLE:
              expected = summary.reason == "VENDOR_UNAVAILABLE";
              break;
            case grpc::StatusCode::DEADLINE_EXCEEDED:
              // The server's own, or the client library's (no details).
              expected = summary.reason == "DEADLINE_EXCEEDED" || !summary.has_details;
              break;
            default:
              break;
          }
          {
            std::lock_guard<std::mutex> lock(state->mu);
            FloodResult& r = state->result;
            ++r.completed;
            ++r.outcomes[key];
            r.rate_limited += rate_limited;
            if (!expected) {
              ++r.unexpected;
              if (r.unexpected_examples.size() < 5) {
                r.unexpected_examples.push_back(absl::StrCat(key, ": ", status.error_message()));
              }
            }
            state->cv.notify_all();
          }
          if (auto next = weak.lock()) (*next)();
        });
  };
  const Stopwatch start;
  for (int i = 0; i < concurrency; ++i) (*launch_ptr)();
  std::unique_lock<std::mutex> lock(state->mu);
  state->cv.wait_for(lock, absl::ToChronoMilliseconds(give_up),
                     [&] { return state->result.completed >= total; });
  state->result.wall = start.Elapsed();
  FloodResult result = state->result;
  // After a give-up: no more launches, and the calls still running end by their deadline
  // before the caller's channel may go away (gRPC's client does not take well to a channel
  // destroyed under callbacks still due).
  const int started = state->issued;
  state->issued = total;
  state->cv.wait_for(lock, absl::ToChronoMilliseconds(deadline + absl::Seconds(5)),
                     [&] { return state->result.completed >= started; });
  return result;
}

std::string Describe(const FloodResult& r) {
  std::string text = absl::StrCat(r.completed, " calls in ", absl::FormatDuration(r.wall), ":");
  for (const auto& [key, n] : r.outcomes) absl::StrAppend(&text, " [", key, "] ", n);
  for (const auto& e : r.unexpected_examples) absl::StrAppend(&text, "\n  unexpected: ", e);
  return text;
}

struct LimitCase {
  int max_in_flight;
  int calls;
  int concurrency;
  // Attempts per GET (JOBFACADE_RETRY_MAX_ATTEMPTS); 0 keeps the server's default.
  int max_attempts;
};

class RateLimitLoadTest : public ::testing::Test {
 protected:
  void Run(const LimitCase& c) {
    constexpr absl::Duration kDeadline = absl::Seconds(5);
    HarnessOptions options;
    // Enough handler threads that the emulator itself never caps the concurrency it sees.
    options.emulator_threads = 128;
    options.env["JOBFACADE_VENDOR_MAX_IN_FLIGHT"] = absl::StrCat(c.max_in_flight);
    // A 429 is no vendor failure, but nothing here is about the breaker either.
    options.env["JOBFACADE_CIRCUIT_FAILURE_THRESHOLD"] = "1000000";
    if (c.max_attempts > 0) {
      options.env["JOBFACADE_RETRY_MAX_ATTEMPTS"] = absl::StrCat(c.max_attempts);
    }
    ServerHarness harness(options);
    ASSERT_TRUE(harness.ok()) << harness.error();
    sandbox::JobSpec spec;
    spec.vendor = sandbox::kIonq;
    spec.running = absl::Hours(24);
    // A job per call: concurrent reads of one job would share one vendor request.
    std::vector<std::string> names;
    for (int i = 0; i < c.calls; ++i) {
      names.push_back(absl::StrCat("vendors/ionq/jobs/", harness.emulator().AddJob(spec)));
    }
    std::vector<std::string> names_copy = names;
    spec.vendor = sandbox::kQbraid;
    const std::string other = absl::StrCat("vendors/qbraid/jobs/", harness.emulator().AddJob(spec));

    sandbox::FaultSpec rate_limit;
    rate_limit.vendor = sandbox::kIonq;
    rate_limit.kind = sandbox::FaultKind::kHttpStatus;
    rate_limit.status = 429;
    rate_limit.headers = {{"Retry-After", "1"}};
    harness.emulator().InjectFault(rate_limit);
    // A little real latency, so that requests overlap at the vendor.
    harness.emulator().SetLatency(sandbox::kIonq, absl::Milliseconds(1));
    harness.emulator().ResetStats();

    const FloodResult result = Flood(harness.stub(), std::move(names_copy), c.calls, c.concurrency,
                                     kDeadline, absl::Seconds(100));
    const sandbox::Stats stats = harness.emulator().stats(sandbox::kIonq);
    std::printf(
        "limit %d, %d GetJobs, %d in flight from the client, attempts %s: %s\n"
        "  vendor saw %lld requests, at most %d at once; %.0f calls/s\n",
        c.max_in_flight, c.calls, c.concurrency,
        c.max_attempts > 0 ? absl::StrCat(c.max_attempts).c_str() : "default",
        Describe(result).c_str(), static_cast<long long>(stats.total), stats.max_in_flight,
        result.completed / absl::ToDoubleSeconds(result.wall));

    ASSERT_EQ(result.completed, c.calls) << Describe(result);
    EXPECT_LE(stats.max_in_flight, c.max_in_flight)
        << "the vendor saw more requests at once than --vendor_max_in_flight";
    // The limit was actually reached for: the requests overlapped.
    EXPECT_GE(stats.max_in_flight, std::max(2, c.max_in_flight / 2));
    EXPECT_EQ(result.unexpected, 0) << Describe(result);
    // Calls reached the vendor and got its answer back (not only queue-full refusals).
    EXPECT_GT(result.rate_limited, 0) << Describe(result);
    if (c.max_attempts == 0) {
      // GETs were retried after the Retry-After, and the retries passed through the limit too.
      EXPECT_GT(stats.total, result.rate_limited) << Describe(result);
    }

    // The vendor recovers and so does the service, at once: nothing was left queued or open.
    harness.emulator().ClearFaults();
    v1::GetJobRequest request;
    v1::Job job;
    request.set_name(names.front());
    grpc::Status status = harness.stub().GetJob(Context(absl::Seconds(5)).get(), request, &job);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    request.set_name(other);
    status = harness.stub().GetJob(Context(absl::Seconds(5)).get(), request, &job);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  }
};

// Ten thousand calls, more in flight than the limit and its wait queue (16 + 256) hold, so some
// are refused at once. One attempt per call: with retries each call waits out Retry-After (at
// least 1 s, twice), and ten thousand of them would take about a minute; the retry path has its
// own case below.
TEST_F(RateLimitLoadTest, TenThousandCallsNeverPassSixteenAtTheVendor) {
  Run(LimitCase{/*max_in_flight=*/16, /*calls=*/10000, /*concurrency=*/400, /*max_attempts=*/1});
}

// A smaller limit with the default retries: retried attempts take a slot again.
TEST_F(RateLimitLoadTest, RetriedCallsNeverPassFourAtTheVendor) {
  Run(LimitCase{/*max_in_flight=*/4, /*calls=*/1200, /*concurrency=*/200, /*max_attempts=*/0});
}

}  // namespace
}  // namespace jobfacade::testing
