// adapters/core/time_util.h: every timestamp form the vendors send, and what is
// refused.
#include "adapters/core/time_util.h"

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

using ::testing::Optional;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST(ParseVendorTimestampTest, ZuluWithoutFraction) {
  EXPECT_THAT(ParseVendorTimestamp("2025-01-15T10:30:00Z"), Optional(Utc(2025, 1, 15, 10, 30, 0)));
}

TEST(ParseVendorTimestampTest, FractionDigitsFromZeroToNine) {
  const absl::Time base = Utc(2026, 1, 16, 19, 37, 43);
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.066Z"),
              Optional(base + absl::Milliseconds(66)));
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.066000Z"),
              Optional(base + absl::Milliseconds(66)));
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.867401Z"),
              Optional(base + absl::Microseconds(867401)));
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.5Z"),
              Optional(base + absl::Milliseconds(500)));
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.123456789Z"),
              Optional(base + absl::Nanoseconds(123456789)));
}

TEST(ParseVendorTimestampTest, MoreThanNineFractionDigitsAreTruncated) {
  EXPECT_THAT(ParseVendorTimestamp("2026-01-16T19:37:43.1234567899Z"),
              Optional(Utc(2026, 1, 16, 19, 37, 43) + absl::Nanoseconds(123456789)));
}

TEST(ParseVendorTimestampTest, ZoneForms) {
  const absl::Time t = Utc(2026, 8, 22, 18, 3, 27) + absl::Microseconds(512034);
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T18:03:27.512034Z"), Optional(t));
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T18:03:27.512034+00:00"), Optional(t));
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T18:03:27.512034"),
              Optional(t));  // UTC
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T20:03:27.512034+02:00"), Optional(t));
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T20:03:27.512034+0200"), Optional(t));
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22T13:33:27.512034-04:30"), Optional(t));
  EXPECT_THAT(ParseVendorTimestamp("2026-08-22 18:03:27.512034"), Optional(t));
}

TEST(ParseVendorTimestampTest, RefusesWhatIsNotATimestamp) {
  for (const char* text :
       {"", "2025", "2025-01-15", "2025-01-15T10:30", "not a date", "2025-01-15T10:30:00Q",
        "2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-15T24:00:00Z",
        "2025-01-15T10:30:00.Z", "2025-01-15T10:30:00Z junk", "0000-01-01T00:00:00Z",
        "2025-01-15T10:30:00+25:00", "1490932820"}) {
    EXPECT_EQ(ParseVendorTimestamp(text), std::nullopt) << text;
  }
}

TEST(ProtoTimeTest, TimestampRoundTripKeepsNanos) {
  const absl::Time t = Utc(2026, 1, 16, 21, 31, 24) + absl::Nanoseconds(447000001);
  google::protobuf::Timestamp ts = ToProtoTimestamp(t);
  EXPECT_EQ(ts.nanos(), 447000001);
  EXPECT_EQ(FromProtoTimestamp(ts), t);
  // Before the epoch the nanos stay non-negative, as google.protobuf.Timestamp
  // requires.
  const absl::Time before = absl::FromUnixSeconds(-10) + absl::Milliseconds(250);
  ts = ToProtoTimestamp(before);
  EXPECT_EQ(ts.seconds(), -10);
  EXPECT_EQ(ts.nanos(), 250000000);
  EXPECT_EQ(FromProtoTimestamp(ts), before);
}

TEST(ProtoTimeTest, Duration) {
  google::protobuf::Duration d = ToProtoDuration(absl::Milliseconds(12500));
  EXPECT_EQ(d.seconds(), 12);
  EXPECT_EQ(d.nanos(), 500000000);
}

TEST(ProtoTimeTest, FormatRfc3339ParsesBack) {
  const absl::Time t = Utc(2026, 1, 16, 21, 31, 24) + absl::Milliseconds(447);
  EXPECT_EQ(FormatRfc3339(t), "2026-01-16T21:31:24.447Z");
  EXPECT_THAT(ParseVendorTimestamp(FormatRfc3339(t)), Optional(t));
}

}  // namespace
}  // namespace jobfacade
