// The ListJobs filter language: every valid form, every error with its position, evaluation on
// every field, per-vendor push-down, and the push-down superset property on random inputs.
#include "service/filter.h"

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "adapters/core/json.h"
#include "adapters/core/time_util.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/qbraid/qbraid_normalizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/vendor_list_model.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::IsError;
using ::jobfacade::testing::VendorListAccepts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::StartsWith;
using Code = absl::StatusCode;

absl::Time T(absl::string_view rfc3339) { return *ParseVendorTimestamp(rfc3339); }

Filter MustParse(absl::string_view text) {
  absl::StatusOr<Filter> filter = ParseFilter(text);
  EXPECT_TRUE(filter.ok()) << text << ": " << filter.status();
  return filter.ok() ? *std::move(filter) : Filter();
}

// ---------------------------------------------------------------------------------------------
// Valid forms

TEST(FilterParseTest, EmptyAndBlankFiltersMatchEverything) {
  for (absl::string_view text : {"", " ", "\t\r\n  "}) {
    Filter filter = MustParse(text);
    EXPECT_TRUE(filter.empty());
    EXPECT_TRUE(filter.Matches(v1::Job()));
  }
}

TEST(FilterParseTest, StateEquals) {
  Filter filter = MustParse("state = RUNNING");
  ASSERT_EQ(filter.terms().size(), 1u);
  ASSERT_EQ(filter.terms()[0].any_of.size(), 1u);
  const FilterComparison& c = filter.terms()[0].any_of[0];
  EXPECT_EQ(c.field, FilterField::kState);
  EXPECT_EQ(c.op, FilterOp::kEq);
  EXPECT_EQ(c.state, v1::Job::RUNNING);
  EXPECT_EQ(c.value, "RUNNING");
}

TEST(FilterParseTest, EveryStateNameIncludingUnspecified) {
  const google::protobuf::EnumDescriptor* states = v1::Job::State_descriptor();
  for (int i = 0; i < states->value_count(); ++i) {
    Filter filter = MustParse(absl::StrCat("state = ", states->value(i)->name()));
    ASSERT_EQ(filter.terms().size(), 1u);
    EXPECT_EQ(filter.terms()[0].any_of[0].state, states->value(i)->number());
  }
}

TEST(FilterParseTest, OrGroupOfOneField) {
  Filter filter = MustParse("state = QUEUED OR state = RUNNING");
  ASSERT_EQ(filter.terms().size(), 1u);
  ASSERT_EQ(filter.terms()[0].any_of.size(), 2u);
  EXPECT_EQ(filter.terms()[0].any_of[0].state, v1::Job::QUEUED);
  EXPECT_EQ(filter.terms()[0].any_of[1].state, v1::Job::RUNNING);
}

TEST(FilterParseTest, ParenthesisedOrGroupAndedWithOtherTerms) {
  Filter filter = MustParse(
      "(state = QUEUED OR state = RUNNING) AND vendor = \"ionq\" AND "
      "(provider = \"aws\")");
  ASSERT_EQ(filter.terms().size(), 3u);
  EXPECT_EQ(filter.terms()[0].any_of.size(), 2u);
  EXPECT_EQ(filter.terms()[1].any_of[0].field, FilterField::kVendor);
  EXPECT_EQ(filter.terms()[1].any_of[0].value, "ionq");
  EXPECT_EQ(filter.terms()[2].any_of[0].field, FilterField::kProvider);
}

TEST(FilterParseTest, NestedParenthesesFlattenIntoOneOrGroup) {
  Filter filter = MustParse("((state = QUEUED) OR (state = RUNNING OR (state = FAILED)))");
  ASSERT_EQ(filter.terms().size(), 1u);
  EXPECT_EQ(filter.terms()[0].any_of.size(), 3u);
  MustParse("((((((((state = QUEUED))))))))");  // 8 levels: the limit
}

TEST(FilterParseTest, EveryStringField) {
  struct Case {
    const char* text;
    FilterField field;
    FilterOp op;
    const char* value;
    const char* tag_key;
  };
  const Case cases[] = {
      {"vendor = \"ionq\"", FilterField::kVendor, FilterOp::kEq, "ionq", ""},
      {"provider = \"aws\"", FilterField::kProvider, FilterOp::kEq, "aws", ""},
      {"device = \"qpu.aria-1\"", FilterField::kDevice, FilterOp::kEq, "qpu.aria-1", ""},
      {"job_type = \"gate-model\"", FilterField::kJobType, FilterOp::kEq, "gate-model", ""},
      {"tags.team = \"alpha\"", FilterField::kTag, FilterOp::kEq, "alpha", "team"},
      {"tags.a.b-c_d = \"x\"", FilterField::kTag, FilterOp::kEq, "x", "a.b-c_d"},
      {"tags.\"cost center\" = \"x\"", FilterField::kTag, FilterOp::kEq, "x", "cost center"},
      {"display_name : \"bell\"", FilterField::kDisplayName, FilterOp::kHas, "bell", ""},
      {"display_name = \"Bell run\"", FilterField::kDisplayName, FilterOp::kEq, "Bell run", ""},
      // Bare words are values too (AIP-160), for every field but create_time.
      {"vendor = ionq", FilterField::kVendor, FilterOp::kEq, "ionq", ""},
      {"device=qpu.aria-1", FilterField::kDevice, FilterOp::kEq, "qpu.aria-1", ""},
      {"display_name:Ünïcödé", FilterField::kDisplayName, FilterOp::kHas, "Ünïcödé", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Filter filter = MustParse(c.text);
    ASSERT_EQ(filter.terms().size(), 1u);
    ASSERT_EQ(filter.terms()[0].any_of.size(), 1u);
    const FilterComparison& got = filter.terms()[0].any_of[0];
    EXPECT_EQ(got.field, c.field);
    EXPECT_EQ(got.op, c.op);
    EXPECT_EQ(got.value, c.value);
    EXPECT_EQ(got.tag_key, c.tag_key);
  }
}

TEST(FilterParseTest, CreateTimeWithEveryOperatorAndZone) {
  struct Case {
    const char* text;
    FilterOp op;
    absl::Time time;
  };
  const absl::Time midnight = T("2026-01-01T00:00:00Z");
  const Case cases[] = {
      {"create_time = \"2026-01-01T00:00:00Z\"", FilterOp::kEq, midnight},
      {"create_time > \"2026-01-01T00:00:00z\"", FilterOp::kGt, midnight},
      {"create_time >= \"2026-01-01T01:00:00+01:00\"", FilterOp::kGe, midnight},
      {"create_time < \"2025-12-31T19:00:00-05:00\"", FilterOp::kLt, midnight},
      {"create_time<=\"2026-01-01t00:00:00.000000001Z\"", FilterOp::kLe,
       midnight + absl::Nanoseconds(1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    Filter filter = MustParse(c.text);
    ASSERT_EQ(filter.terms().size(), 1u);
    EXPECT_EQ(filter.terms()[0].any_of[0].field, FilterField::kCreateTime);
    EXPECT_EQ(filter.terms()[0].any_of[0].op, c.op);
    EXPECT_EQ(filter.terms()[0].any_of[0].time, c.time);
  }
}

TEST(FilterParseTest, StringEscapes) {
  Filter filter = MustParse(R"(display_name : "say \"hi\" \\ back")");
  ASSERT_EQ(filter.terms().size(), 1u);
  EXPECT_EQ(filter.terms()[0].any_of[0].value, R"(say "hi" \ back)");
  // Keywords and operators inside strings are plain text.
  filter = MustParse(R"(display_name = "a AND b OR (c) = d")");
  EXPECT_EQ(filter.terms()[0].any_of[0].value, "a AND b OR (c) = d");
}

TEST(FilterParseTest, WhitespaceIsFree) {
  Filter spaced = MustParse("\n\tstate\r\n=\tRUNNING \n AND\tvendor  =  \"ionq\"  ");
  Filter tight = MustParse("state=RUNNING AND vendor=\"ionq\"");
  ASSERT_EQ(spaced.terms().size(), 2u);
  ASSERT_EQ(tight.terms().size(), 2u);
  EXPECT_EQ(spaced.terms()[0].any_of[0].state, tight.terms()[0].any_of[0].state);
  EXPECT_EQ(spaced.terms()[1].any_of[0].value, tight.terms()[1].any_of[0].value);
}

TEST(FilterParseTest, LongestFilterParsesAndEvaluates) {
  // Many comparisons in one OR group: the parser is linear and keeps no per-comparison stack.
  std::string text = "state = QUEUED";
  while (text.size() + 20 <= kMaxFilterBytes) absl::StrAppend(&text, " OR state = QUEUED");
  absl::StrAppend(&text, std::string(kMaxFilterBytes - text.size(), ' '));
  ASSERT_EQ(text.size(), kMaxFilterBytes);
  Filter filter = MustParse(text);
  ASSERT_EQ(filter.terms().size(), 1u);
  EXPECT_GT(filter.terms()[0].any_of.size(), 200u);
  v1::Job job;
  job.set_state(v1::Job::QUEUED);
  EXPECT_TRUE(filter.Matches(job));
  job.set_state(v1::Job::RUNNING);
  EXPECT_FALSE(filter.Matches(job));
}

// ---------------------------------------------------------------------------------------------
// Errors

struct ErrorCase {
  std::string text;
  int position;
  std::string says;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << "filter `" << c.text << "`"; }

class FilterErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(FilterErrorTest, IsInvalidFilterAtThePosition) {
  absl::StatusOr<Filter> filter = ParseFilter(GetParam().text);
  ASSERT_THAT(filter, IsError(Code::kInvalidArgument, "INVALID_FILTER"));
  EXPECT_EQ(BadRequestField(filter.status()), "filter");
  EXPECT_THAT(std::string(filter.status().message()),
              StartsWith(absl::StrCat("position ", GetParam().position, ": ")));
  EXPECT_THAT(std::string(filter.status().message()), HasSubstr(GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FilterErrorTest,
    ::testing::Values(
        // Unknown fields.
        ErrorCase{"foo = \"x\"", 1, "unknown field 'foo'"},
        ErrorCase{"state = RUNNING AND colour = \"red\"", 21, "unknown field 'colour'"},
        ErrorCase{"State = RUNNING", 1, "field names are lower case"},
        ErrorCase{"tags = \"x\"", 1, "tags.KEY"},
        ErrorCase{"tags. = \"x\"", 6, "expected a tag key"},
        ErrorCase{"tags.\"\" = \"x\"", 6, "expected a tag key"},
        ErrorCase{"NOT state = RUNNING", 1, "NOT is not supported"},
        ErrorCase{"-state = RUNNING", 1, "unknown field '-state'"},
        ErrorCase{"!state = RUNNING", 1, "NOT is not supported"},
        // Unknown state names.
        ErrorCase{"state = running", 9, "did you mean RUNNING?"},
        ErrorCase{"state = DONE", 9, "unknown state 'DONE'; expected one of STATE_UNSPECIFIED"},
        ErrorCase{"state = QUEUED OR state = \"LOST\"", 27, "unknown state"},
        // Operators a field does not take.
        ErrorCase{"state > RUNNING", 7, "operator '>' does not apply to 'state'"},
        ErrorCase{"vendor : \"ionq\"", 8, "operator ':' does not apply to 'vendor'"},
        ErrorCase{"tags.team >= \"a\"", 11, "does not apply"},
        ErrorCase{"create_time : \"2026-01-01T00:00:00Z\"", 13, "does not apply"},
        ErrorCase{"state != RUNNING", 7, "operator '!=' is not supported"},
        ErrorCase{"state RUNNING", 7, "expected an operator"},
        ErrorCase{"state", 6, "found end of filter"},
        // OR across fields.
        ErrorCase{"state = QUEUED OR vendor = \"ionq\"", 19, "OR joins comparisons of one field"},
        ErrorCase{"tags.a = \"x\" OR tags.b = \"y\"", 17, "expected 'tags.a'"},
        ErrorCase{"(state = QUEUED OR (device = \"d\"))", 21, "OR joins"},
        // Strings.
        ErrorCase{"display_name : \"abc", 16, "unterminated string"},
        ErrorCase{"display_name : \"abc\\", 16, "unterminated string"},
        ErrorCase{"display_name : \"a\\nb\"", 18, "unknown escape"},
        ErrorCase{"vendor = 'ionq'", 10, "double quotes"},
        ErrorCase{"display_name : \"a\tb\"", 18, "inside a string"},
        // Trailing garbage and empty terms.
        ErrorCase{"state = RUNNING garbage", 17, "expected AND or end of filter, found 'garbage'"},
        ErrorCase{"state = RUNNING and vendor = \"x\"", 17, "upper case"},
        ErrorCase{"state = RUNNING)", 16, "expected AND or end of filter, found ')'"},
        ErrorCase{"state = RUNNING vendor = \"x\"", 17, "expected AND"},
        ErrorCase{"state = RUNNING AND", 20, "found end of filter"},
        ErrorCase{"AND state = RUNNING", 1, "expected a comparison"},
        ErrorCase{"state = RUNNING AND AND vendor = \"x\"", 21, "found AND"},
        ErrorCase{"state = QUEUED OR", 18, "found end of filter"},
        ErrorCase{"()", 2, "expected a comparison"},
        ErrorCase{"state =", 8, "expected a value after '='"},
        ErrorCase{"state = AND", 9, "expected a value after '=', found AND"},
        ErrorCase{"state = (RUNNING)", 9, "expected a value"},
        // Parentheses.
        ErrorCase{"(state = RUNNING", 17, "close the '(' at position 1"},
        ErrorCase{"(state = RUNNING AND vendor = \"x\")", 18, "group ORs of one field"},
        ErrorCase{"(((((((((state = RUNNING)))))))))", 9, "deeper than 8"},
        // Timestamps.
        ErrorCase{"create_time >= \"2026-01-01\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= \"2026-01-01T00:00:00\"", 16, "with a zone"},
        ErrorCase{"create_time >= \"2026-01-01 00:00:00Z\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= \"2026-01-01T00:00:00+0100\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= \"2026-02-30T00:00:00Z\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= \"2026-01-01T25:00:00Z\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= \"yesterday\"", 16, "invalid timestamp"},
        ErrorCase{"create_time >= 2026", 16, "expected a quoted RFC 3339 timestamp"},
        // Bytes that are not text.
        ErrorCase{"state = \x01RUNNING", 9, "control character U+0001"},
        ErrorCase{"state = RUNNING\x7f", 16, "control character U+007F"},
        ErrorCase{"display_name : \"\xc2\x85\"", 17, "control character U+0085"},
        ErrorCase{"display_name : \"\xff\"", 17, "not valid UTF-8"},
        ErrorCase{"display_name : \"\xc0\xaf\"", 17, "not valid UTF-8"},      // overlong '/'
        ErrorCase{"display_name : \"\xed\xa0\x80\"", 17, "not valid UTF-8"},  // a surrogate
        ErrorCase{std::string("state = \0RUNNING", 16), 9, "control character U+0000"},
        // Positions count characters, not bytes.
        ErrorCase{"display_name : \"ÄÖÜ\" OR x", 25, "unknown field 'x'"},
        // Length.
        ErrorCase{std::string(kMaxFilterBytes + 1, ' '), kMaxFilterBytes + 1,
                  "at most 4096 are allowed"}));

TEST(FilterErrorMessageTest, EchoesAreBounded) {
  const std::string long_word(1000, 'x');
  absl::StatusOr<Filter> filter = ParseFilter(long_word + " = \"v\"");
  ASSERT_THAT(filter, IsError(Code::kInvalidArgument, "INVALID_FILTER"));
  EXPECT_LT(filter.status().message().size(), 300u);
}

TEST(FilterErrorMessageTest, OverLongPositionIsTheFirstCharacterThatDoesNotFit) {
  // 2-byte characters: byte 4097 sits inside the 2049th character.
  std::string text;
  while (text.size() < kMaxFilterBytes + 10) text += "é";
  absl::StatusOr<Filter> filter = ParseFilter(text);
  ASSERT_THAT(filter, IsError(Code::kInvalidArgument, "INVALID_FILTER"));
  EXPECT_THAT(std::string(filter.status().message()), StartsWith("position 2049: "));
}

// ---------------------------------------------------------------------------------------------
// Matches

v1::Job SampleJob() {
  v1::Job job;
  job.set_name("vendors/qbraid/jobs/aws:aws:sim:sv1-1a2b-qjob-0123");
  job.set_vendor("qbraid");
  job.set_vendor_job_id("aws:aws:sim:sv1-1a2b-qjob-0123");
  job.set_provider("aws");
  job.set_device("aws:aws:sim:sv1");
  job.set_display_name("Bell state run");
  job.set_state(v1::Job::RUNNING);
  job.set_vendor_state("RUNNING");
  job.set_job_type("gate_model");
  (*job.mutable_tags())["team"] = "alpha";
  (*job.mutable_tags())["cost center"] = "42";
  *job.mutable_create_time() = ToProtoTimestamp(T("2026-03-01T12:00:00Z"));
  return job;
}

bool Matches(absl::string_view text, const v1::Job& job) { return MustParse(text).Matches(job); }

TEST(FilterMatchesTest, State) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("state = RUNNING", job));
  EXPECT_FALSE(Matches("state = QUEUED", job));
  EXPECT_TRUE(Matches("state = QUEUED OR state = RUNNING", job));
  EXPECT_FALSE(Matches("state = STATE_UNSPECIFIED", job));
  v1::Job unknown = job;
  unknown.set_state(v1::Job::STATE_UNSPECIFIED);
  EXPECT_TRUE(Matches("state = STATE_UNSPECIFIED", unknown));
}

TEST(FilterMatchesTest, VendorIsExact) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("vendor = \"qbraid\"", job));
  EXPECT_TRUE(Matches("vendor = \"ionq\" OR vendor = \"qbraid\"", job));
  EXPECT_FALSE(Matches("vendor = \"ionq\"", job));
  EXPECT_FALSE(Matches("vendor = \"QBraid\"", job));
}

TEST(FilterMatchesTest, ProviderIgnoresAsciiCaseOnBothSides) {
  v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("provider = \"aws\"", job));
  EXPECT_TRUE(Matches("provider = \"AWS\"", job));
  job.set_provider("AwS");
  EXPECT_TRUE(Matches("provider = \"aWs\"", job));
  EXPECT_FALSE(Matches("provider = \"azure\"", job));
  EXPECT_FALSE(Matches("provider = \"aws \"", job));
}

TEST(FilterMatchesTest, DeviceAndJobTypeAreExact) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("device = \"aws:aws:sim:sv1\"", job));
  EXPECT_FALSE(Matches("device = \"AWS:aws:sim:sv1\"", job));
  EXPECT_FALSE(Matches("device = \"aws:aws:sim\"", job));
  EXPECT_TRUE(Matches("job_type = gate_model", job));
  EXPECT_FALSE(Matches("job_type = \"gate\"", job));
}

TEST(FilterMatchesTest, TagsCompareTheirTextAndAnAbsentTagNeverMatches) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("tags.team = \"alpha\"", job));
  EXPECT_FALSE(Matches("tags.team = \"Alpha\"", job));
  EXPECT_TRUE(Matches("tags.\"cost center\" = \"42\"", job));
  EXPECT_FALSE(Matches("tags.missing = \"\"", job));
  EXPECT_TRUE(Matches("tags.team = \"beta\" OR tags.team = \"alpha\"", job));
  EXPECT_FALSE(Matches("tags.team = \"alpha\" AND tags.missing = \"x\"", job));
}

TEST(FilterMatchesTest, DisplayNameContainsIsCaseSensitiveAndEqualsIsExact) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(Matches("display_name : \"state\"", job));
  EXPECT_TRUE(Matches("display_name : \"Bell state run\"", job));
  EXPECT_TRUE(Matches("display_name : \"\"", job));
  EXPECT_FALSE(Matches("display_name : \"bell\"", job));
  EXPECT_FALSE(Matches("display_name : \"st*e\"", job));  // no wildcards
  EXPECT_TRUE(Matches("display_name = \"Bell state run\"", job));
  EXPECT_FALSE(Matches("display_name = \"Bell state\"", job));
}

TEST(FilterMatchesTest, CreateTimeComparisons) {
  const v1::Job job = SampleJob();  // 2026-03-01T12:00:00Z
  EXPECT_TRUE(Matches("create_time = \"2026-03-01T13:00:00+01:00\"", job));
  EXPECT_FALSE(Matches("create_time = \"2026-03-01T12:00:00.000000001Z\"", job));
  EXPECT_TRUE(Matches("create_time >= \"2026-03-01T12:00:00Z\"", job));
  EXPECT_FALSE(Matches("create_time > \"2026-03-01T12:00:00Z\"", job));
  EXPECT_TRUE(Matches("create_time > \"2026-03-01T11:59:59.999Z\"", job));
  EXPECT_TRUE(Matches("create_time <= \"2026-03-01T12:00:00Z\"", job));
  EXPECT_FALSE(Matches("create_time < \"2026-03-01T12:00:00Z\"", job));
  EXPECT_TRUE(Matches(
      "create_time >= \"2026-01-01T00:00:00Z\" AND create_time < \"2026-04-01T00:00:00Z\"", job));
  EXPECT_TRUE(Matches(
      "create_time < \"2026-01-01T00:00:00Z\" OR create_time > \"2026-02-01T00:00:00Z\"", job));
}

TEST(FilterMatchesTest, JobWithoutCreateTimeMatchesNoTimeComparison) {
  v1::Job job = SampleJob();
  job.clear_create_time();
  for (absl::string_view op : {"=", "<", "<=", ">", ">="}) {
    EXPECT_FALSE(Matches(absl::StrCat("create_time ", op, " \"1970-01-01T00:00:00Z\""), job)) << op;
  }
  EXPECT_TRUE(Matches("state = RUNNING", job));
}

TEST(FilterMatchesTest, EveryTermMustHold) {
  const v1::Job job = SampleJob();
  EXPECT_TRUE(
      Matches("state = RUNNING AND vendor = \"qbraid\" AND provider = \"aws\" AND "
              "tags.team = \"alpha\" AND display_name : \"Bell\"",
              job));
  EXPECT_FALSE(Matches("state = RUNNING AND vendor = \"qbraid\" AND provider = \"ibm\"", job));
}

TEST(FilterMayMatchVendorTest, OnlyVendorTermsRuleVendorsOut) {
  EXPECT_TRUE(MustParse("").MayMatchVendor("ionq"));
  EXPECT_TRUE(MustParse("state = RUNNING").MayMatchVendor("ionq"));
  EXPECT_TRUE(MustParse("vendor = \"ionq\"").MayMatchVendor("ionq"));
  EXPECT_FALSE(MustParse("vendor = \"ionq\"").MayMatchVendor("qbraid"));
  Filter two = MustParse("vendor = \"ionq\" OR vendor = \"praisonai\"");
  EXPECT_TRUE(two.MayMatchVendor("praisonai"));
  EXPECT_FALSE(two.MayMatchVendor("qbraid"));
  EXPECT_FALSE(MustParse("vendor = \"ionq\" AND vendor = \"qbraid\"").MayMatchVendor("ionq"));
  EXPECT_FALSE(MustParse("vendor = \"IonQ\"").MayMatchVendor("ionq"));
}

// ---------------------------------------------------------------------------------------------
// Push-down

// A vendor's push-down query parameters, read back by name; `tags` is qBraid's JSON object.
struct Pushed {
  std::optional<std::string> vendor_status, provider, search, target;
  std::map<std::string, std::string> tags;
  std::vector<std::string> others;  // parameters no vendor reads
};

Pushed Decode(const QueryParams& params) {
  Pushed out;
  for (const auto& [name, value] : params) {
    if (name == "status") {
      out.vendor_status = value;
    } else if (name == "provider") {
      out.provider = value;
    } else if (name == "search") {
      out.search = value;
    } else if (name == "target") {
      out.target = value;
    } else if (name == "tags") {
      absl::StatusOr<json::Struct> tags = json::ParseObject(value);
      EXPECT_TRUE(tags.ok()) << value;
      if (!tags.ok()) continue;
      for (const auto& [key, v] : tags->fields()) out.tags[key] = v.string_value();
    } else {
      out.others.push_back(name);
    }
  }
  return out;
}

Pushed PushDown(absl::string_view text, absl::string_view vendor) {
  return Decode(MustParse(text).PushDown(vendor));
}

bool IsEmptyPushDown(const Pushed& f) {
  return !f.vendor_status && !f.provider && !f.search && f.tags.empty() && !f.target &&
         f.others.empty();
}

TEST(FilterPushDownTest, QbraidStatusForEachStateWithOneStatus) {
  const std::pair<const char*, const char*> cases[] = {
      {"QUEUED", "QUEUED"},       {"RUNNING", "RUNNING"},     {"CANCELLING", "CANCELLING"},
      {"CANCELLED", "CANCELLED"}, {"COMPLETED", "COMPLETED"}, {"FAILED", "FAILED"},
      {"ON_HOLD", "HOLD"},
  };
  for (const auto& [state, status] : cases) {
    EXPECT_EQ(PushDown(absl::StrCat("state = ", state), "qbraid").vendor_status, status) << state;
  }
  // INITIALIZING is INITIALIZING or VALIDATING at qBraid; UNSPECIFIED is anything unknown.
  EXPECT_EQ(PushDown("state = INITIALIZING", "qbraid").vendor_status, std::nullopt);
  EXPECT_EQ(PushDown("state = STATE_UNSPECIFIED", "qbraid").vendor_status, std::nullopt);
  EXPECT_EQ(PushDown("state = QUEUED OR state = RUNNING", "qbraid").vendor_status, std::nullopt);
  EXPECT_EQ(PushDown("state = QUEUED OR state = QUEUED", "qbraid").vendor_status, "QUEUED");
}

TEST(FilterPushDownTest, IonqStatusForEachStateWithOneStatus) {
  const std::pair<const char*, const char*> cases[] = {
      {"INITIALIZING", "submitted"}, {"QUEUED", "ready"},  {"CANCELLED", "canceled"},
      {"COMPLETED", "completed"},    {"FAILED", "failed"},
  };
  for (const auto& [state, status] : cases) {
    EXPECT_EQ(PushDown(absl::StrCat("state = ", state), "ionq").vendor_status, status) << state;
  }
  // RUNNING is `started` or v0.3's `running`.
  EXPECT_EQ(PushDown("state = RUNNING", "ionq").vendor_status, std::nullopt);
  // IonQ has no CANCELLING: the group still names exactly one IonQ status.
  EXPECT_EQ(PushDown("state = CANCELLING OR state = QUEUED", "ionq").vendor_status, "ready");
  // No IonQ status at all: nothing to send, the service filters (to nothing).
  EXPECT_EQ(PushDown("state = ON_HOLD", "ionq").vendor_status, std::nullopt);
}

TEST(FilterPushDownTest, PraisonaiStatusForEachStateWithOneStatus) {
  const std::pair<const char*, const char*> cases[] = {
      {"QUEUED", "queued"},       {"RUNNING", "running"}, {"CANCELLED", "cancelled"},
      {"COMPLETED", "succeeded"}, {"FAILED", "failed"},
  };
  for (const auto& [state, status] : cases) {
    EXPECT_EQ(PushDown(absl::StrCat("state = ", state), "praisonai").vendor_status, status)
        << state;
  }
  EXPECT_EQ(PushDown("state = INITIALIZING", "praisonai").vendor_status, std::nullopt);
  EXPECT_EQ(PushDown("state = FAILED OR state = COMPLETED", "praisonai").vendor_status,
            std::nullopt);
}

TEST(FilterPushDownTest, QbraidProviderSearchAndTags) {
  Pushed f = PushDown(
      "provider = \"AWS\" AND display_name : \"Bell\" AND tags.team = \"alpha\" AND "
      "tags.\"cost center\" = \"ops\" AND device = \"aws:aws:sim:sv1\" AND state = RUNNING",
      "qbraid");
  EXPECT_EQ(f.provider, "aws");
  EXPECT_EQ(f.search, "Bell");
  EXPECT_THAT(f.tags, ElementsAre(Pair("cost center", "ops"), Pair("team", "alpha")));
  EXPECT_EQ(f.vendor_status, "RUNNING");
  EXPECT_EQ(f.target, std::nullopt);  // qBraid has no device filter
  // An exact display name is also a contains.
  EXPECT_EQ(PushDown("display_name = \"Bell run\"", "qbraid").search, "Bell run");
}

TEST(FilterPushDownTest, QbraidNoPushDownCases) {
  // OR groups over different values.
  EXPECT_EQ(PushDown("provider = \"aws\" OR provider = \"azure\"", "qbraid").provider,
            std::nullopt);
  EXPECT_EQ(PushDown("provider = \"aws\" OR provider = \"AWS\"", "qbraid").provider, "aws");
  EXPECT_EQ(PushDown("display_name : \"a\" OR display_name : \"b\"", "qbraid").search,
            std::nullopt);
  EXPECT_THAT(PushDown("tags.t = \"a\" OR tags.t = \"b\"", "qbraid").tags, IsEmpty());
  // qBraid's search takes 1..255 characters.
  EXPECT_EQ(PushDown("display_name : \"\"", "qbraid").search, std::nullopt);
  EXPECT_EQ(
      PushDown(absl::StrCat("display_name : \"", std::string(256, 'a'), "\""), "qbraid").search,
      std::nullopt);
  EXPECT_EQ(
      PushDown(absl::StrCat("display_name : \"", std::string(255, 'a'), "\""), "qbraid").search,
      std::string(255, 'a'));
  // An empty provider matches jobs without one; a vendor filter on "" would not.
  EXPECT_EQ(PushDown("provider = \"\"", "qbraid").provider, std::nullopt);
  // Tag text that came from a number, boolean, null, object or list at the vendor.
  for (absl::string_view value :
       {"42", "-1.5e3", "true", "false", "null", "", "{\"a\":1}", "[1]"}) {
    std::string text =
        absl::StrCat("tags.k = \"", absl::StrReplaceAll(value, {{"\"", "\\\""}}), "\"");
    EXPECT_THAT(PushDown(text, "qbraid").tags, IsEmpty()) << text;
  }
  EXPECT_THAT(PushDown("tags.k = \"\\\"quoted\\\"\"", "qbraid").tags,
              ElementsAre(Pair("k", "\"quoted\"")));
  // Fields no vendor filters.
  EXPECT_TRUE(IsEmptyPushDown(PushDown(
      "vendor = \"qbraid\" AND job_type = \"x\" AND create_time > \"2026-01-01T00:00:00Z\"",
      "qbraid")));
}

TEST(FilterPushDownTest, TwoTermsOnOneFieldPushTheFirst) {
  Pushed f = PushDown(
      "provider = \"aws\" AND provider = \"ibm\" AND tags.t = \"a\" AND tags.t = \"b\"", "qbraid");
  EXPECT_EQ(f.provider, "aws");
  EXPECT_THAT(f.tags, ElementsAre(Pair("t", "a")));
  // The first qualifying term, not merely the first term.
  EXPECT_EQ(PushDown("state = INITIALIZING AND state = QUEUED", "qbraid").vendor_status, "QUEUED");
}

TEST(FilterPushDownTest, IonqTargetFromOneDevice) {
  Pushed f = PushDown("device = \"qpu.aria-1\" AND provider = \"ionq\"", "ionq");
  EXPECT_EQ(f.target, "qpu.aria-1");
  EXPECT_EQ(f.provider, std::nullopt);
  EXPECT_EQ(f.search, std::nullopt);
  EXPECT_EQ(PushDown("device = \"a\" OR device = \"b\"", "ionq").target, std::nullopt);
  // IonQ splits `target` on commas and trims the items.
  EXPECT_EQ(PushDown("device = \"a,b\"", "ionq").target, std::nullopt);
  EXPECT_EQ(PushDown("device = \" simulator\"", "ionq").target, std::nullopt);
  EXPECT_EQ(PushDown("device = \"\"", "ionq").target, std::nullopt);
}

TEST(FilterPushDownTest, PraisonaiAndUnknownVendorsGetOnlyWhatTheySupport) {
  const char* text =
      "state = RUNNING AND provider = \"aws\" AND display_name : \"x\" AND tags.a = \"b\" AND "
      "device = \"d\"";
  Pushed praisonai = PushDown(text, "praisonai");
  EXPECT_EQ(praisonai.vendor_status, "running");
  praisonai.vendor_status.reset();
  EXPECT_TRUE(IsEmptyPushDown(praisonai));
  EXPECT_TRUE(IsEmptyPushDown(PushDown(text, "acme")));
}

// ---------------------------------------------------------------------------------------------
// The superset property: whatever a filter matches, its push-down lets through.

struct VendorVocabulary {
  const char* vendor;
  std::vector<std::string> statuses;  // raw status texts, unrecognised ones included
  v1::Job::State (*state_of)(absl::string_view);
};

const std::vector<VendorVocabulary>& Vendors() {
  static const auto* kVendors = new std::vector<VendorVocabulary>{
      {"qbraid",
       {"INITIALIZING", "VALIDATING", "QUEUED", "RUNNING", "CANCELLING", "CANCELLED", "COMPLETED",
        "FAILED", "HOLD", "UNKNOWN", "PAUSED"},
       &QbraidState},
      {"ionq",
       {"submitted", "ready", "started", "running", "canceled", "completed", "failed", "paused"},
       &IonqState},
      {"praisonai",
       {"queued", "running", "succeeded", "failed", "cancelled", "paused"},
       &PraisonaiState},
  };
  return *kVendors;
}

// Small vocabularies, shared by jobs and filters, so that random filters match often.
const std::vector<std::string> kProviders = {"aws", "AWS", "azure", "ionq", "praisonai", ""};
const std::vector<std::string> kDevices = {"qpu.aria-1", "simulator", "a,b", " simulator", ""};
const std::vector<std::string> kNames = {"Bell state", "bell", "BELL state run", "x", ""};
const std::vector<std::string> kTagKeys = {"team", "n", "cost center"};
const std::vector<std::string> kTagValues = {"alpha", "Alpha", "5", "true", "", "{\"a\":1}"};
const std::vector<std::string> kJobTypes = {"circuit", "agent_run", ""};
const std::vector<std::string> kTimes = {"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5Z",
                                         "2026-02-01T00:00:00Z"};
const std::vector<std::string> kSearchTexts = {"Bell", "bell", "state", "qjob", "x", ""};

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

bool Coin(std::mt19937& rng, double p = 0.5) { return std::bernoulli_distribution(p)(rng); }

v1::Job RandomJob(std::mt19937& rng) {
  const VendorVocabulary& vendor = Pick(rng, Vendors());
  v1::Job job;
  job.set_vendor(vendor.vendor);
  job.set_vendor_job_id(absl::StrCat("aws:aws:sim:sv1-qjob-", rng() % 1000));
  job.set_name(absl::StrCat("vendors/", vendor.vendor, "/jobs/", job.vendor_job_id()));
  job.set_vendor_state(Pick(rng, vendor.statuses));
  job.set_state(vendor.state_of(job.vendor_state()));
  job.set_provider(Pick(rng, kProviders));
  job.set_device(Pick(rng, kDevices));
  job.set_display_name(Pick(rng, kNames));
  job.set_job_type(Pick(rng, kJobTypes));
  for (const std::string& key : kTagKeys) {
    if (Coin(rng)) (*job.mutable_tags())[key] = Pick(rng, kTagValues);
  }
  if (Coin(rng, 0.8)) *job.mutable_create_time() = ToProtoTimestamp(T(Pick(rng, kTimes)));
  return job;
}

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::string RandomComparison(std::mt19937& rng, int field, const std::string& tag_key) {
  static const std::vector<std::string> kTimeOps = {"=", "<", "<=", ">", ">="};
  switch (field) {
    case 0: {
      const google::protobuf::EnumDescriptor* states = v1::Job::State_descriptor();
      return absl::StrCat(
          "state = ",
          states->value(std::uniform_int_distribution<int>(0, states->value_count() - 1)(rng))
              ->name());
    }
    case 1:
      return absl::StrCat("vendor = ", Quote(Pick(rng, Vendors()).vendor));
    case 2:
      return absl::StrCat("provider = ", Quote(Pick(rng, kProviders)));
    case 3:
      return absl::StrCat("device = ", Quote(Pick(rng, kDevices)));
    case 4:
      return absl::StrCat("job_type = ", Quote(Pick(rng, kJobTypes)));
    case 5:
      return absl::StrCat("tags.", Quote(tag_key), " = ", Quote(Pick(rng, kTagValues)));
    case 6:
      return absl::StrCat("display_name ", Coin(rng) ? ":" : "=",
                          Quote(Coin(rng) ? Pick(rng, kSearchTexts) : Pick(rng, kNames)));
    default:
      return absl::StrCat("create_time ", Pick(rng, kTimeOps), " ", Quote(Pick(rng, kTimes)));
  }
}

std::string RandomFilterText(std::mt19937& rng) {
  std::vector<std::string> terms;
  const int term_count = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int t = 0; t < term_count; ++t) {
    const int field = std::uniform_int_distribution<int>(0, 7)(rng);
    const std::string tag_key = Pick(rng, kTagKeys);
    std::vector<std::string> any_of;
    const int or_count = Coin(rng, 0.7) ? 1 : std::uniform_int_distribution<int>(2, 3)(rng);
    for (int i = 0; i < or_count; ++i) any_of.push_back(RandomComparison(rng, field, tag_key));
    std::string group = absl::StrJoin(any_of, " OR ");
    if (or_count > 1 || Coin(rng, 0.2)) group = absl::StrCat("(", group, ")");
    terms.push_back(std::move(group));
  }
  return absl::StrJoin(terms, " AND ");
}

TEST(FilterPushDownPropertyTest, PushDownIsASupersetOfMatches) {
  for (uint32_t seed : {1u, 2u, 3u, 20260301u}) {
    std::mt19937 rng(seed);
    std::vector<v1::Job> jobs;
    for (int i = 0; i < 300; ++i) jobs.push_back(RandomJob(rng));
    int matched = 0, matched_with_push_down = 0, pushed_members = 0;
    for (int f = 0; f < 400; ++f) {
      const std::string text = RandomFilterText(rng);
      absl::StatusOr<Filter> filter = ParseFilter(text);
      ASSERT_TRUE(filter.ok()) << text << ": " << filter.status();
      for (const VendorVocabulary& vendor : Vendors()) {
        const Pushed pushed = Decode(filter->PushDown(vendor.vendor));
        EXPECT_TRUE(pushed.others.empty()) << text;
        pushed_members += pushed.vendor_status.has_value() + pushed.provider.has_value() +
                          pushed.search.has_value() + pushed.target.has_value() +
                          static_cast<int>(pushed.tags.size());
        // Each vendor only gets what its adapter can send.
        if (std::string(vendor.vendor) != "qbraid") {
          EXPECT_FALSE(pushed.provider || pushed.search || !pushed.tags.empty()) << text;
        }
        if (std::string(vendor.vendor) != "ionq") {
          EXPECT_FALSE(pushed.target) << text;
        }
      }
      for (const v1::Job& job : jobs) {
        if (!filter->Matches(job)) continue;
        ++matched;
        EXPECT_TRUE(filter->MayMatchVendor(job.vendor())) << text;
        const QueryParams pushed = filter->PushDown(job.vendor());
        if (!pushed.empty()) ++matched_with_push_down;
        EXPECT_TRUE(VendorListAccepts(job.vendor(), pushed, job))
            << "seed " << seed << ", filter `" << text << "` matches " << job.DebugString()
            << " but its push-down to " << job.vendor() << " would drop it";
      }
    }
    // The property must not hold vacuously.
    EXPECT_GT(matched, 1000) << "seed " << seed;
    EXPECT_GT(matched_with_push_down, 200) << "seed " << seed;
    EXPECT_GT(pushed_members, 300) << "seed " << seed;
  }
}

// The model is strict enough to catch a push-down that is not a superset.
TEST(FilterPushDownPropertyTest, ModelRejectsJobsAVendorFilterWouldDrop) {
  v1::Job job = SampleJob();
  EXPECT_TRUE(VendorListAccepts("qbraid", {{"search", "Bell"}}, job));
  EXPECT_FALSE(VendorListAccepts("qbraid", {{"search", "Quantum"}}, job));
  // A number at the vendor.
  EXPECT_FALSE(VendorListAccepts("qbraid", {{"tags", R"({"cost center":"42"})"}}, job));
  EXPECT_FALSE(VendorListAccepts("qbraid", {{"status", "QUEUED"}}, job));
  // A parameter the vendor does not read.
  EXPECT_FALSE(VendorListAccepts("praisonai", {{"search", "Bell"}}, job));
  job.set_device("a,b");
  EXPECT_FALSE(VendorListAccepts("ionq", {{"target", "a,b"}}, job));
}

}  // namespace
}  // namespace jobfacade
