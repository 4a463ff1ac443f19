// VendorTransport's teardown order against a real engine and a vendor that holds its answer:
// the clients stop before the engine, so requests still waiting for a slot end as "vendor
// client shut down" and are never handed to an engine that is going away.
#include "adapters/resilience/vendor_transport.h"

#include <optional>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/recording_server.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::RecordingServer;

TEST(VendorTransportTest, ShutdownStopsTheClientsBeforeTheEngine) {
  RecordingServer vendor;
  absl::Notification release;
  vendor.SetHandler([&](const RecordingServer::Request&) {
    release.WaitForNotificationWithTimeout(absl::Seconds(20));
    return RecordingServer::Reply{200, "{}", {}};
  });
  ResilienceOptions options;
  options.max_in_flight = 1;
  options.max_attempts = 3;
  auto transport = std::make_unique<VendorTransport>(http::HttpEngine::Options());
  ResilientClient* client = transport->AddVendor("acme", options);
  EXPECT_EQ(transport->AddVendor("acme", options), client);

  std::vector<std::optional<http::Response>> answers(3);
  for (auto& answer : answers) {
    http::Request request;
    request.url = vendor.url() + "/jobs/1";
    request.deadline = absl::Now() + absl::Seconds(30);
    client->Send(std::move(request), [&answer](http::Response r) { answer = std::move(r); });
  }
  // One request at the vendor, two waiting for the slot.
  for (int i = 0; i < 2000 && vendor.requests().empty(); ++i) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(vendor.requests().size(), 1u);
  EXPECT_EQ(client->stats().queued, 2);

  transport->Shutdown();
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->error, http::TransportError::kCancelled);
  }
  EXPECT_EQ(answers[1]->error_message, "vendor client shut down");
  EXPECT_EQ(answers[2]->error_message, "vendor client shut down");
  EXPECT_TRUE(transport->clients().empty());
  transport->Shutdown();  // idempotent
  transport.reset();
  release.Notify();
  EXPECT_EQ(vendor.requests().size(), 1u);
}

}  // namespace
}  // namespace jobfacade
