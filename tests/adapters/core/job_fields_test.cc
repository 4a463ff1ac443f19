// adapters/core/job_fields.h: the tolerant readers every normaliser relies on.
#include "adapters/core/job_fields.h"

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::IsError;
using ::jobfacade::testing::Metadata;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

json::Struct Object(const std::string& text) {
  absl::StatusOr<json::Struct> object = json::ParseObject(text);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : json::Struct();
}

TEST(BadVendorResponseTest, IsInternalWithVendor) {
  absl::Status s = BadVendorResponse("qbraid", "no jobQrn");
  EXPECT_THAT(s, IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE"));
  EXPECT_EQ(Metadata(s, "vendor"), "qbraid");
  EXPECT_THAT(std::string(s.message()), HasSubstr("qbraid"));
}

TEST(ParseVendorObjectTest, RefusesNonObjectsWithoutQuotingThem) {
  for (const char* body : {"[\"secret-body\"]", "secret-body", "", "\"secret-body\""}) {
    absl::StatusOr<json::Struct> object = ParseVendorObject("ionq", body);
    EXPECT_THAT(object, IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE")) << body;
    EXPECT_THAT(std::string(object.status().message()), Not(HasSubstr("secret-body")));
  }
}

TEST(ParseVendorObjectTest, RepairsInvalidUtf8) {
  absl::StatusOr<json::Struct> object = ParseVendorObject("ionq", "{\"name\":\"caf\xE9\"}");
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_THAT(json::GetString(*object, "name"), Optional(std::string("caf\xEF\xBF\xBD")));
}

TEST(ToValidUtf8Test, LeavesValidTextAloneAndReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("plain \xC3\xA9\xF0\x9F\x98\x80"), "plain \xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(ToValidUtf8("a\xFF\xFE"
                        "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToValidUtf8("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"),
            "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST(NameOfTest, StringOrObjectLowerCased) {
  json::Struct o = Object(R"({"s":"AWS","o":{"_id":"x","provider":"QuEra"},
                              "n":{"name":"IonQ"},"bad":{"id":1},"num":3})");
  EXPECT_THAT(NameOf(json::Find(o, "s"), {"provider", "name"}), Optional(std::string("aws")));
  EXPECT_THAT(NameOf(json::Find(o, "o"), {"provider", "name"}), Optional(std::string("quera")));
  EXPECT_THAT(NameOf(json::Find(o, "n"), {"provider", "name"}), Optional(std::string("ionq")));
  EXPECT_EQ(NameOf(json::Find(o, "bad"), {"provider", "name"}), std::nullopt);
  EXPECT_EQ(NameOf(json::Find(o, "num"), {"provider", "name"}), std::nullopt);
  EXPECT_EQ(NameOf(json::Find(o, "absent"), {"provider", "name"}), std::nullopt);
}

TEST(FieldReadersTest, TimestampsMillisecondsAndEpochSeconds) {
  json::Struct o = Object(R"({"t":"2025-01-15T10:30:00Z","bad":"yesterday","num":5,
                              "ms":1500,"neg":-1,"epoch":1490932820,"huge":1e300})");
  EXPECT_THAT(GetTimestamp(o, "t"), Optional(absl::FromUnixSeconds(1736937000)));
  EXPECT_EQ(GetTimestamp(o, "bad"), std::nullopt);
  EXPECT_EQ(GetTimestamp(o, "num"), std::nullopt);
  EXPECT_THAT(GetMilliseconds(o, "ms"), Optional(absl::Milliseconds(1500)));
  EXPECT_EQ(GetMilliseconds(o, "neg"), std::nullopt);
  EXPECT_EQ(GetMilliseconds(o, "huge"), std::nullopt);
  EXPECT_THAT(GetEpochSeconds(o, "epoch"), Optional(absl::FromUnixSeconds(1490932820)));
  EXPECT_EQ(GetEpochSeconds(o, "huge"), std::nullopt);
  EXPECT_EQ(GetEpochSeconds(o, "t"), std::nullopt);
}

TEST(FieldReadersTest, Int32AndCost) {
  json::Struct o = Object(R"({"q":3,"big":3000000000,"c":0.375,"cs":"0.375","z":"0E-33",
                              "w":"lots"})");
  EXPECT_THAT(GetInt32(o, "q"), Optional(3));
  EXPECT_EQ(GetInt32(o, "big"), std::nullopt);
  std::optional<v1::Cost> cost = GetCost(o, "cs", "credits");
  ASSERT_TRUE(cost.has_value());
  EXPECT_DOUBLE_EQ(cost->amount(), 0.375);
  EXPECT_EQ(cost->unit(), "credits");
  EXPECT_DOUBLE_EQ(GetCost(o, "c", "credits")->amount(), 0.375);
  EXPECT_DOUBLE_EQ(GetCost(o, "z", "credits")->amount(), 0.0);
  EXPECT_EQ(GetCost(o, "w", "credits"), std::nullopt);
}

TEST(FieldReadersTest, TagsAsText) {
  json::Struct o = Object(R"({"tags":{"s":"v","i":2,"f":0.25,"b":true,"n":null,
                                      "o":{"k":1},"l":[1,"x"]}})");
  google::protobuf::Map<std::string, std::string> tags;
  CopyTags(json::GetObject(o, "tags"), &tags);
  EXPECT_EQ(tags.size(), 7u);
  EXPECT_EQ(tags["s"], "v");
  EXPECT_EQ(tags["i"], "2");
  EXPECT_EQ(tags["f"], "0.25");
  EXPECT_EQ(tags["b"], "true");
  EXPECT_EQ(tags["n"], "");
  EXPECT_EQ(tags["o"], R"({"k":1})");
  EXPECT_EQ(tags["l"], R"([1,"x"])");
  CopyTags(nullptr, &tags);
  EXPECT_EQ(tags.size(), 7u);
}

TEST(JobNameTest, IdVerbatim) {
  EXPECT_EQ(JobName("qbraid", "aws:quera:qpu:aquila-37f5-qjob-1"),
            "vendors/qbraid/jobs/aws:quera:qpu:aquila-37f5-qjob-1");
}

}  // namespace
}  // namespace jobfacade
