// Metrics: the exposition text prometheus-cpp writes for our histograms, counters and
// callback families, the process metrics parsed from fixed /proc contents, and that a scrape
// never holds the lock RPC recording takes while it reads other components' gauges.
#include "service/metrics.h"

#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, RpcsAreCountedAndTimedInCumulativeBucketsByMethodAndCode) {
  Metrics metrics;
  metrics.RecordRpc("GetJob", absl::StatusCode::kNotFound, absl::Milliseconds(250));
  metrics.RecordRpc("GetJob", absl::StatusCode::kOk, absl::Microseconds(300));
  metrics.RecordRpc("GetJob", absl::StatusCode::kOk, absl::Milliseconds(3));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE jobfacade_rpc_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpcs_total{code=\"NOT_FOUND\",method=\"GetJob\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpcs_total{code=\"OK\",method=\"GetJob\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("jobfacade_rpc_duration_seconds_count{code=\"OK\",method=\"GetJob\"} 2\n"));
  // 300 us is under 0.0005 and 3 ms under 0.005; the buckets are cumulative, +Inf is the count.
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_bucket{code=\"OK\",method=\"GetJob\","
                              "le=\"0.00025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_bucket{code=\"OK\",method=\"GetJob\","
                              "le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_bucket{code=\"OK\",method=\"GetJob\","
                              "le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_bucket{code=\"OK\",method=\"GetJob\","
                              "le=\"+Inf\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("jobfacade_rpc_duration_seconds_sum{code=\"NOT_FOUND\",method=\"GetJob\"} "
                        "0.25\n"));
}

TEST(MetricsTest, VendorRequestsAreTimedByVendorOperationAndStatusOrNone) {
  Metrics metrics;
  metrics.RecordVendorRequest("ionq", "get", 200, absl::Milliseconds(40));
  metrics.RecordVendorRequest("ionq", "get", 0, absl::Seconds(10));
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("jobfacade_vendor_request_duration_seconds_count{http_status=\"200\","
                              "operation=\"get\",vendor=\"ionq\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_vendor_request_duration_seconds_bucket{http_status="
                              "\"none\",operation=\"get\",vendor=\"ionq\",le=\"5\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_vendor_requests_total{http_status=\"none\","
                              "operation=\"get\",vendor=\"ionq\"} 1\n"));
}

TEST(MetricsTest, CallbackGaugesAndFamiliesAreReadAtRenderTime) {
  Metrics metrics;
  double value = 3;
  metrics.AddGauge("jobfacade_test_gauge", "A gauge.", [&] { return value; });
  metrics.AddFamily("jobfacade_test_total", "A family.", Metrics::Type::kCounter, [] {
    return Metrics::Samples{{{{"vendor", "a"}}, 1}, {{{"vendor", "b"}, {"reason", "x"}}, 2}};
  });
  EXPECT_THAT(metrics.Render(),
              HasSubstr("# TYPE jobfacade_test_gauge gauge\njobfacade_test_gauge 3\n"));
  value = 4;
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("jobfacade_test_gauge 4\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE jobfacade_test_total counter\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_test_total{vendor=\"b\",reason=\"x\"} 2\n"));
}

TEST(MetricsTest, ProcessMetricsAreThere) {
  const std::string text = Metrics().Render();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_start_time_seconds",
                           "process_open_fds", "process_max_fds"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", name, " "))) << name;
  }
  auto stats = ReadProcessStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->resident_bytes, 1 << 20);
  EXPECT_GE(stats->open_fds, 3);
  const double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_LE(stats->start_time_seconds, now + 1);
  EXPECT_GT(stats->start_time_seconds, now - 3600);
}

TEST(ProcessStatsTest, ParsesAfterTheLastParenthesisOfTheCommand) {
  // Fields 3.. after "(a) b)": state R, then ppid ... utime=250 stime=50 (fields 14, 15),
  // starttime=1000 (22), vsize=4096000 (23), rss=300 (24).
  const std::string self =
      "4242 (a) b) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 4096000 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const std::string system = "cpu  1 2 3 4\nintr 5\nbtime 1700000000\nprocesses 9\n";
  auto stats = ParseProcessStats(self, system, 100, 4096);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(stats->resident_bytes, 300.0 * 4096);
  EXPECT_DOUBLE_EQ(stats->virtual_bytes, 4096000);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1700000010);
  EXPECT_FALSE(ParseProcessStats("4242 (x R 1", system, 100, 4096).ok());
  EXPECT_FALSE(ParseProcessStats(self, "cpu 1 2\n", 100, 4096).ok());
  EXPECT_FALSE(ParseProcessStats("1 (x) R 1 2 3", system, 100, 4096).ok());
}

// A gauge whose reading waits for a thread that records an RPC (as the HTTP engine's thread
// does when a scrape reads its state): with the callbacks under the metrics lock the recording
// could not finish until the scrape had, and the two would wait on each other.
TEST(MetricsTest, AGaugeReadDoesNotBlockRpcRecording) {
  Metrics metrics;
  bool recorded_during_read = false;
  std::thread recorder;
  absl::Notification recorded;
  metrics.AddGauge("jobfacade_test_gauge", "Reads while an RPC is recorded.", [&] {
    recorder = std::thread([&] {
      metrics.RecordRpc("GetJob", absl::StatusCode::kOk, absl::Milliseconds(1));
      recorded.Notify();
    });
    recorded_during_read = recorded.WaitForNotificationWithTimeout(absl::Seconds(5));
    return 1.0;
  });
  const std::string text = metrics.Render();
  recorder.join();  // with the old lock order it could only finish once Render had returned
  EXPECT_TRUE(recorded_during_read);
  EXPECT_THAT(text, HasSubstr("jobfacade_test_gauge 1\n"));
}

}  // namespace
}  // namespace jobfacade
