// adapters/core/json.h: parsing, null-vs-absent aware reads, scalar text,
// limits.
#include "adapters/core/json.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace jobfacade::json {
namespace {

using ::testing::Optional;

Struct Object(const std::string& text) {
  absl::StatusOr<Struct> object = ParseObject(text);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : Struct();
}

TEST(JsonParseTest, ParsesAnyDocument) {
  absl::StatusOr<Value> value = Parse(R"([1, "two", null, {"a": true}])");
  ASSERT_TRUE(value.ok()) << value.status();
  ASSERT_EQ(value->kind_case(), Value::kListValue);
  EXPECT_EQ(value->list_value().values_size(), 4);
  EXPECT_EQ(value->list_value().values(1).string_value(), "two");
}

// The fast parser (simdjson) builds exactly what protobuf's JSON parser builds, and leaves to
// protobuf what it might read differently (repeated keys, integers beyond 64 bits), so that
// both accept and refuse the same documents.
TEST(JsonParseTest, ReadsEveryDocumentAsProtobufDoes) {
  for (const char* text : {
           R"({"a": {"b": [1, 2.5, -0, 1e308, -1e-300, true, false, null]}, "c": ""})",
           R"({})",
           R"([])",
           R"([[], {}, [{}]])",
           R"("text")",
           R"(42)",
           R"(null)",
           R"({"escapes": "\u00e9\ud83d\ude00\n\t\"\\\/", "nul": "a\u0000b"})",
           R"({"u64": 18446744073709551615, "i64": -9223372036854775808, "big": 9007199254740993})",
           R"({"huge": 123456789012345678901234567890})",
           R"({"k": 1, "k": 2})",
           R"({"k": {"x": 1}, "k": [2]})",
           "  {\"spaced\" :\t[ 1 ,2 ] }\n",
       }) {
    google::protobuf::Value expected;
    absl::StatusOr<Value> parsed = Parse(text);
    if (!google::protobuf::util::JsonStringToMessage(text, &expected).ok()) {
      // Refused alike (protobuf refuses a repeated key).
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*parsed, expected))
        << text << "\n got: " << parsed->DebugString() << "\n want: " << expected.DebugString();
  }
}

TEST(JsonParseTest, GarbageIsInvalidArgumentWithoutTheBody) {
  for (const char* text :
       {"", "nul", "{", R"({"a":1)", R"({"a":1} trailing)", "<html>secret-body</html>"}) {
    absl::StatusOr<Value> value = Parse(text);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(value.status().message()),
                ::testing::Not(::testing::HasSubstr("secret-body")));
  }
}

TEST(JsonParseTest, ParseObjectRejectsOtherDocuments) {
  for (const char* text : {"[]", "\"text\"", "42", "null", "true"}) {
    absl::StatusOr<Struct> object = ParseObject(text);
    EXPECT_EQ(object.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_TRUE(ParseObject(R"( {"a": 1} )").ok());
}

TEST(JsonParseTest, InvalidUtf8IsRejectedCleanly) {
  absl::StatusOr<Value> value = Parse("{\"name\":\"caf\xE9\"}");
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonParseTest, ModeratelyNestedDocumentsParse) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "{\"a\":";
  text += "1";
  text += std::string(20, '}');
  EXPECT_TRUE(Parse(text).ok());
}

// 100k balanced brackets used to take minutes inside protobuf's parser; the
// depth check must refuse them at once (the ctest time bound fails the test
// otherwise).
TEST(JsonParseTest, DeeplyNestedDocumentsAreRefusedQuickly) {
  for (int depth : {65, 1000, 100000}) {
    std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    EXPECT_EQ(Parse(arrays).status().code(), absl::StatusCode::kInvalidArgument) << depth;
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(depth, '}');
    EXPECT_EQ(Parse(objects).status().code(), absl::StatusCode::kInvalidArgument) << depth;
  }
}

TEST(JsonParseTest, BracketsInsideStringsDoNotCountAsNesting) {
  const std::string text =
      "{\"a\":\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  absl::StatusOr<Struct> object = ParseObject(text);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_EQ(GetString(*object, "a")->size(), 2001u);
}

TEST(JsonReadTest, AbsentAndNullBothReadAsNoValue) {
  Struct o = Object(R"({"null": null, "s": "x"})");
  EXPECT_EQ(Find(o, "absent"), nullptr);
  ASSERT_NE(Find(o, "null"), nullptr);
  EXPECT_TRUE(IsNull(Find(o, "null")));
  EXPECT_TRUE(IsNull(Find(o, "absent")));
  EXPECT_FALSE(IsNull(Find(o, "s")));
  for (const char* key : {"null", "absent"}) {
    EXPECT_EQ(GetString(o, key), std::nullopt);
    EXPECT_EQ(GetNumber(o, key), std::nullopt);
    EXPECT_EQ(GetInt(o, key), std::nullopt);
    EXPECT_EQ(GetBool(o, key), std::nullopt);
    EXPECT_EQ(GetObject(o, key), nullptr);
    EXPECT_EQ(GetList(o, key), nullptr);
  }
}

TEST(JsonReadTest, WrongTypesReadAsNoValue) {
  Struct o = Object(R"({"n": 1, "s": "x", "b": true, "o": {}, "l": []})");
  EXPECT_EQ(GetString(o, "n"), std::nullopt);
  EXPECT_EQ(GetBool(o, "s"), std::nullopt);
  EXPECT_EQ(GetNumber(o, "b"), std::nullopt);
  EXPECT_EQ(GetNumber(o, "s"), std::nullopt);
  EXPECT_EQ(GetObject(o, "l"), nullptr);
  EXPECT_EQ(GetList(o, "o"), nullptr);
  EXPECT_NE(GetObject(o, "o"), nullptr);
  EXPECT_NE(GetList(o, "l"), nullptr);
  EXPECT_THAT(GetBool(o, "b"), Optional(true));
  EXPECT_THAT(GetString(o, "s"), Optional(std::string("x")));
}

TEST(JsonReadTest, NumbersFromNumbersAndDecimalStrings) {
  Struct o = Object(R"({"n": 0.501875, "s": "0.375", "zero": "0E-33", "neg": -2,
                        "inf": "inf", "nan": "nan", "huge": "1e400", "word": "abc"})");
  EXPECT_THAT(GetNumber(o, "n"), Optional(0.501875));
  EXPECT_THAT(GetNumber(o, "s"), Optional(0.375));
  EXPECT_THAT(GetNumber(o, "zero"), Optional(0.0));
  EXPECT_THAT(GetNumber(o, "neg"), Optional(-2.0));
  EXPECT_EQ(GetNumber(o, "inf"), std::nullopt);
  EXPECT_EQ(GetNumber(o, "nan"), std::nullopt);
  EXPECT_EQ(GetNumber(o, "huge"), std::nullopt);
  EXPECT_EQ(GetNumber(o, "word"), std::nullopt);
}

TEST(JsonReadTest, IntegersMustBeIntegralAndFit) {
  Struct o = Object(R"({"i": 100, "f": 1.5, "big": 1e19, "neg": -7, "s": "42",
                        "fs": "4.2", "max": 9007199254740992})");
  EXPECT_THAT(GetInt(o, "i"), Optional(100));
  EXPECT_EQ(GetInt(o, "f"), std::nullopt);
  EXPECT_EQ(GetInt(o, "big"), std::nullopt);
  EXPECT_THAT(GetInt(o, "neg"), Optional(-7));
  EXPECT_THAT(GetInt(o, "s"), Optional(42));
  EXPECT_EQ(GetInt(o, "fs"), std::nullopt);
  EXPECT_THAT(GetInt(o, "max"), Optional(int64_t{9007199254740992}));
}

TEST(JsonScalarTest, ScalarsAsText) {
  EXPECT_THAT(ScalarToString(Str("v")), Optional(std::string("v")));
  EXPECT_THAT(ScalarToString(Num(42)), Optional(std::string("42")));
  EXPECT_THAT(ScalarToString(Num(-3)), Optional(std::string("-3")));
  EXPECT_THAT(ScalarToString(Num(0.5)), Optional(std::string("0.5")));
  EXPECT_THAT(ScalarToString(Bool(true)), Optional(std::string("true")));
  EXPECT_THAT(ScalarToString(Bool(false)), Optional(std::string("false")));
  EXPECT_EQ(ScalarToString(Null()), std::nullopt);
  EXPECT_EQ(ScalarToString(Obj(Struct())), std::nullopt);
}

// Non-integral numbers used to be cut to six significant digits by
// absl::StrCat.
TEST(JsonScalarTest, FractionsKeepEveryDigitNeeded) {
  for (double d : {3.14159265358979, 0.1, 1.0 / 3.0, 123456.789012, 2.5e-10, 1e300}) {
    std::optional<std::string> text = ScalarToString(Num(d));
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(std::strtod(text->c_str(), nullptr), d) << *text;
  }
  EXPECT_THAT(ScalarToString(Num(3.14159265)), Optional(std::string("3.14159265")));
  EXPECT_THAT(ScalarToString(Num(0.1)), Optional(std::string("0.1")));
}

TEST(JsonWriteTest, ToJsonRoundTrips) {
  Struct o;
  (*o.mutable_fields())["s"] = Str("x\"y");
  (*o.mutable_fields())["n"] = Num(1.5);
  (*o.mutable_fields())["z"] = Null();
  (*o.mutable_fields())["b"] = Bool(false);
  absl::StatusOr<Struct> back = ParseObject(ToJson(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_THAT(GetString(*back, "s"), Optional(std::string("x\"y")));
  EXPECT_THAT(GetNumber(*back, "n"), Optional(1.5));
  EXPECT_TRUE(IsNull(Find(*back, "z")));
  EXPECT_NE(Find(*back, "z"), nullptr);
  EXPECT_THAT(GetBool(*back, "b"), Optional(false));
  absl::StatusOr<Struct> from_value = ParseObject(ToJson(Obj(o)));
  ASSERT_TRUE(from_value.ok()) << from_value.status();
  EXPECT_EQ(from_value->fields_size(), 4);
  EXPECT_THAT(GetString(*from_value, "s"), Optional(std::string("x\"y")));
}

}  // namespace
}  // namespace jobfacade::json
