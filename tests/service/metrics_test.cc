// Metrics: the exposition text, and that a scrape never holds the lock RPC recording takes
// while it reads other components' gauges.
#include "service/metrics.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, RendersCountsLatenciesGaugesAndFamilies) {
  Metrics metrics;
  metrics.RecordRpc("GetJob", absl::StatusCode::kNotFound, absl::Milliseconds(250));
  metrics.RecordRpc("GetJob", absl::StatusCode::kOk, absl::Milliseconds(750));
  metrics.AddGauge("jobfacade_test_gauge", "A gauge.", [] { return 3.0; });
  metrics.AddFamily("jobfacade_test_family", "A family.", "counter", [] {
    return Metrics::Samples{{"vendor=\"a\"", 1}, {"vendor=\"b\"", 2}};
  });
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("jobfacade_rpcs_total{method=\"GetJob\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpcs_total{method=\"GetJob\",code=\"OK\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_sum{method=\"GetJob\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_rpc_duration_seconds_count{method=\"GetJob\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE jobfacade_test_gauge gauge\njobfacade_test_gauge 3\n"));
  EXPECT_THAT(text, HasSubstr("jobfacade_test_family{vendor=\"b\"} 2\n"));
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
