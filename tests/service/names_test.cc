// ParseJobName / ParseParent against API.md's naming rules.
#include "service/names.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::BadRequestField;
using ::jobfacade::testing::IsError;

TEST(ParseJobNameTest, AcceptsEachVendorsRealIds) {
  auto q = ParseJobName("vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->vendor, "qbraid");
  EXPECT_EQ(q->job_id, "aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6");
  auto i = ParseJobName("vendors/ionq/jobs/617a1f8b-59d4-435d-aa33-695433d7155e");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->vendor, "ionq");
  auto p = ParseJobName("vendors/praisonai/jobs/run_abc123def456");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->job_id, "run_abc123def456");
}

TEST(ParseJobNameTest, KeepsEverythingAfterJobsVerbatim) {
  // Percent signs, '?' and '#' are part of the id; the adapters encode them for the URL.
  auto n = ParseJobName("vendors/ionq/jobs/a%2Fb?c#d~e");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->job_id, "a%2Fb?c#d~e");
}

TEST(ParseJobNameTest, IdLengthBounds) {
  EXPECT_TRUE(ParseJobName("vendors/ionq/jobs/" + std::string(512, 'a')).ok());
  auto too_long = ParseJobName("vendors/ionq/jobs/" + std::string(513, 'a'));
  EXPECT_THAT(too_long, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_THAT(ParseJobName("vendors/ionq/jobs/"),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
}

TEST(ParseJobNameTest, RejectsMalformedNamesWithBadRequest) {
  for (const char* bad : {"", "jobs/x", "vendors/ionq", "vendors/ionq/jobs", "vendors//jobs/x",
                          "vendors/ionq/job/x", "vendors/ionq/jobs/a/b", "vendors/ionq/jobs/a b",
                          "vendors/ionq/jobs/a\tb", "vendors/ionq/jobs/\xc3\xa9",
                          "vendors/-/jobs/x", "vendors/IONQ/jobs/x", "/vendors/ionq/jobs/x"}) {
    auto r = ParseJobName(bad);
    EXPECT_THAT(r, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME")) << bad;
    EXPECT_EQ(BadRequestField(r.status()), "name") << bad;
  }
}

TEST(ParseJobNameTest, UnknownVendorIsItsOwnReason) {
  auto r = ParseJobName("vendors/dwave/jobs/x");
  EXPECT_THAT(r, IsError(absl::StatusCode::kInvalidArgument, "UNKNOWN_VENDOR"));
  EXPECT_EQ(BadRequestField(r.status()), "name");
}

TEST(ParseParentTest, OneVendorOrAll) {
  EXPECT_EQ(*ParseParent("vendors/qbraid"), "qbraid");
  EXPECT_EQ(*ParseParent("vendors/-"), "-");
  EXPECT_THAT(ParseParent("vendors/dwave"),
              IsError(absl::StatusCode::kInvalidArgument, "UNKNOWN_VENDOR"));
  for (const char* bad :
       {"", "vendors/", "vendors", "vendors/ionq/", "vendors/ionq/jobs", "ionq"}) {
    auto r = ParseParent(bad);
    EXPECT_THAT(r, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME")) << bad;
    EXPECT_EQ(BadRequestField(r.status()), "parent");
  }
}

TEST(FormatTest, RoundTrips) {
  const std::string name = FormatJobName("qbraid", "qbraid:job:abc123xyz");
  EXPECT_EQ(name, "vendors/qbraid/jobs/qbraid:job:abc123xyz");
  EXPECT_EQ(ParseJobName(name)->job_id, "qbraid:job:abc123xyz");
  EXPECT_EQ(FormatParent("ionq"), "vendors/ionq");
}

}  // namespace
}  // namespace jobfacade
