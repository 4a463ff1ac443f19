// PageTokenCodec: round trip, URL safety, tampering, foreign keys and argument binding.
#include "service/page_token.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::IsError;

PageTokenState SampleState() {
  PageTokenState state;
  state.binding = {"vendors/qbraid", "", 1};
  state.positions.push_back({"qbraid", "3", 17, false, 50});
  return state;
}

TEST(PageTokenTest, RoundTripsAndIsUrlSafe) {
  PageTokenCodec codec(std::string(32, 'k'));
  const std::string token = codec.Encode(SampleState());
  for (char c : token) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << token;
  }
  auto decoded = codec.Decode(token, SampleState().binding);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->positions.size(), 1u);
  EXPECT_EQ(decoded->positions[0].vendor, "qbraid");
  EXPECT_EQ(decoded->positions[0].cursor, "3");
  EXPECT_EQ(decoded->positions[0].skip, 17);
  EXPECT_EQ(decoded->positions[0].vendor_page_size, 50);
}

TEST(PageTokenTest, CarriesEveryVendorsPositionOfAListingAcrossVendors) {
  PageTokenCodec codec(std::string(32, 'k'));
  PageTokenState state;
  state.binding = {"vendors/-", "state = RUNNING AND tags.team = \"a\"", 2};
  state.positions.push_back({"ionq", "0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41", 24, false, 50});
  state.positions.push_back({"praisonai", "", 0, true, 50});
  state.positions.push_back({"qbraid", "12", 0, false, 50});
  const std::string token = codec.Encode(state);
  // Small enough for a URL query parameter.
  EXPECT_LT(token.size(), 1024u);
  auto decoded = codec.Decode(token, state.binding);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->positions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const VendorPosition& want = state.positions[i];
    const VendorPosition& got = decoded->positions[i];
    EXPECT_EQ(got.vendor, want.vendor);
    EXPECT_EQ(got.cursor, want.cursor);
    EXPECT_EQ(got.skip, want.skip);
    EXPECT_EQ(got.done, want.done);
    EXPECT_EQ(got.vendor_page_size, want.vendor_page_size);
  }
}

TEST(PageTokenTest, EveryAlteredCharacterIsRejected) {
  PageTokenCodec codec(std::string(32, 'k'));
  const std::string token = codec.Encode(SampleState());
  for (size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    auto r = codec.Decode(altered, SampleState().binding);
    EXPECT_THAT(r, IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN")) << i;
  }
  EXPECT_EQ(BadRequestField(codec.Decode(token + "x", SampleState().binding).status()),
            "page_token");
}

TEST(PageTokenTest, TokenOfAnotherKeyIsRejected) {
  PageTokenCodec mine(std::string(32, 'k'));
  PageTokenCodec theirs(std::string(32, 'o'));
  EXPECT_THAT(mine.Decode(theirs.Encode(SampleState()), SampleState().binding),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

// During a key rotation a token signed with the retired key still decodes, new tokens are
// signed with the new key only, and a third key is still refused.
TEST(PageTokenTest, ThePreviousKeyIsAcceptedDuringARotation) {
  const std::string old_key(32, 'o'), new_key(32, 'n');
  PageTokenCodec before(old_key);
  PageTokenCodec during(new_key, old_key);
  const std::string issued_before = before.Encode(SampleState());
  auto state = during.Decode(issued_before, SampleState().binding);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->positions[0].cursor, "3");
  const std::string issued_during = during.Encode(SampleState());
  EXPECT_TRUE(PageTokenCodec(new_key).Decode(issued_during, SampleState().binding).ok());
  EXPECT_THAT(before.Decode(issued_during, SampleState().binding),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  EXPECT_THAT(
      PageTokenCodec(new_key, std::string(32, 'x')).Decode(issued_before, SampleState().binding),
      IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST(PageTokenTest, BoundToParentFilterAndView) {
  PageTokenCodec codec(std::string(32, 'k'));
  const std::string token = codec.Encode(SampleState());
  ListBinding other_parent{"vendors/ionq", "", 1};
  ListBinding other_filter{"vendors/qbraid", "state = RUNNING", 1};
  ListBinding other_view{"vendors/qbraid", "", 2};
  for (const auto& b : {other_parent, other_filter, other_view}) {
    EXPECT_THAT(codec.Decode(token, b),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  }
}

TEST(PageTokenTest, GarbageIsRejectedCleanly) {
  PageTokenCodec codec(std::string(32, 'k'));
  for (const std::string& junk : {std::string("x"), std::string("%%%%"), std::string(100, 'A'),
                                  std::string(9000, 'A'), std::string("\0\1\2", 3)}) {
    EXPECT_THAT(codec.Decode(junk, SampleState().binding),
                IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  }
}

TEST(PageTokenTest, RandomKeysDiffer) {
  auto a = RandomPageTokenKey();
  auto b = RandomPageTokenKey();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace jobfacade
