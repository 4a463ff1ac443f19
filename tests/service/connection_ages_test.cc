// When a watch must end so that it never dies with its connection (JOBFACADE_MAX_CONNECTION_AGE).
#include "gtest/gtest.h"
#include "service/job_service.h"

namespace jobfacade {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1767225600);

TEST(ConnectionAgesTest, AWatchEndsAtNinetyPercentOfTheAgeAfterItsConnectionsFirstCall) {
  ConnectionAges ages(absl::Minutes(30), absl::Seconds(30));
  ages.Seen("ipv4:127.0.0.1:4000", kStart);
  // A watch opened later on the same connection still ends with it in view.
  EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:4000", kStart + absl::Minutes(20)),
            kStart + absl::Minutes(27));
  // Another connection has its own clock, from its own first call (this one).
  EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:4001", kStart + absl::Minutes(20)),
            kStart + absl::Minutes(47));
}

TEST(ConnectionAgesTest, AWatchOnAConnectionPastThatPointEndsHalfTheGraceLater) {
  ConnectionAges ages(absl::Minutes(30), absl::Seconds(30));
  ages.Seen("ipv4:127.0.0.1:4000", kStart);
  const absl::Time late = kStart + absl::Minutes(28);
  EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:4000", late), late + absl::Seconds(15));
  ConnectionAges no_grace(absl::Minutes(30), absl::ZeroDuration());
  no_grace.Seen("ipv4:127.0.0.1:4000", kStart);
  EXPECT_EQ(no_grace.WatchEnd("ipv4:127.0.0.1:4000", late), late + absl::Seconds(1))
      << "never at once, or a re-opened watch would end in a loop";
}

TEST(ConnectionAgesTest, ANewInstanceDoesNotInheritWhatAnotherNoted) {
  for (int round = 0; round < 3; ++round) {
    // Each instance may take the address of the one before; each keeps its own record.
    ConnectionAges ages(absl::Minutes(30), absl::Seconds(30));
    const absl::Time first = kStart + absl::Hours(round);
    ages.Seen("ipv4:127.0.0.1:4000", first);
    EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:4000", first + absl::Minutes(1)),
              first + absl::Minutes(27));
  }
}

TEST(ConnectionAgesTest, WithoutAMaximumAgeAWatchHasNoEnd) {
  ConnectionAges ages(absl::InfiniteDuration(), absl::Seconds(30));
  EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:4000", kStart), absl::InfiniteFuture());
}

TEST(ConnectionAgesTest, ConnectionsOlderThanAnyCanLiveAreForgotten) {
  ConnectionAges ages(absl::Minutes(1), absl::Seconds(10));
  ages.Seen("ipv4:127.0.0.1:1", kStart);
  // Enough other connections, long after, to make the map prune itself.
  const absl::Time later = kStart + absl::Hours(1);
  for (int i = 2; i < 1100; ++i) ages.Seen("ipv4:127.0.0.1:" + std::to_string(i), later);
  // The first peer's entry is gone: its address now counts as a new connection.
  EXPECT_EQ(ages.WatchEnd("ipv4:127.0.0.1:1", later), later + absl::Seconds(54));
}

}  // namespace
}  // namespace jobfacade
