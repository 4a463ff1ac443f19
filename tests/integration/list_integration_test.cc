// ListJobs across vendors through the real server binary and real gRPC: the merged order,
// unreachable vendors, filters, tokens shared by replicas, and every list error row of API.md
// with its code, reason and BadRequest field.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultSpec;
using sandbox::JobSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};

class ListIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  grpc::Status List(const v1::ListJobsRequest& request, v1::ListJobsResponse* response,
                    ServerHarness* server = nullptr) {
    return (server != nullptr ? server : &harness_)
        ->stub()
        .ListJobs(Context().get(), request, response);
  }

  // `n` jobs per vendor on 4 creation times (ties within and across vendors), every third one
  // running; returns every name in the contract's order.
  std::vector<std::string> Seed(int n) {
    std::vector<std::pair<absl::Time, std::string>> jobs;
    const absl::Time now = harness_.clock().Now();
    for (const char* vendor : kVendors) {
      for (int i = 0; i < n; ++i) {
        JobSpec spec;
        spec.vendor = vendor;
        spec.created_at = now - absl::Minutes(10 + i % 4);
        if (i % 3 == 0) spec.running = absl::InfiniteDuration();
        const std::string id = harness_.emulator().AddJob(spec);
        jobs.emplace_back(*spec.created_at, absl::StrCat("vendors/", vendor, "/jobs/", id));
      }
    }
    std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::string> names;
    for (auto& job : jobs) names.push_back(std::move(job.second));
    return names;
  }

  // Expects INVALID_ARGUMENT with `reason` and a BadRequest naming `field`.
  static void ExpectInvalid(const grpc::Status& status, const std::string& reason,
                            const std::string& field) {
    ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(ErrorInfoOf(status).reason(), reason);
    auto bad = BadRequestOf(status);
    ASSERT_TRUE(bad.has_value()) << status.error_message();
    ASSERT_EQ(bad->field_violations_size(), 1);
    EXPECT_EQ(bad->field_violations(0).field(), field);
  }

  ServerHarness harness_;
};

TEST_F(ListIntegrationTest, AllVendorsMergeNewestFirstTiesByNameOnEveryPage) {
  const std::vector<std::string> expected = Seed(40);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  std::vector<std::string> names;
  const int sizes[] = {7, 1, 30, 13};
  for (int page = 0; page < 100; ++page) {
    request.set_page_size(sizes[page % 4]);
    v1::ListJobsResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    EXPECT_EQ(response.unreachable_size(), 0);
    for (const auto& job : response.jobs()) names.push_back(job.name());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names, expected);
}

TEST_F(ListIntegrationTest, FilterGivesTheSameJobsWhicheverVendorDoesTheWork) {
  Seed(30);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter("state = RUNNING");
  request.set_page_size(4);
  std::vector<std::string> names;
  for (int page = 0; page < 100; ++page) {
    v1::ListJobsResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    for (const auto& job : response.jobs()) {
      EXPECT_EQ(job.state(), v1::Job::RUNNING) << job.name();
      names.push_back(job.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names.size(), 30u);  // 10 running jobs of each vendor
  // qBraid and PraisonAI filtered by status themselves; IonQ's RUNNING is two statuses.
  bool qbraid_status = false;
  for (const auto& r : harness_.emulator().stats(sandbox::kQbraid).recent) {
    if (r.route == "list") qbraid_status |= absl::StrContains(r.query, "status=RUNNING");
  }
  EXPECT_TRUE(qbraid_status);
}

TEST_F(ListIntegrationTest, AFailingVendorIsUnreachableAndTheOthersAnswer) {
  const std::vector<std::string> expected = Seed(5);
  FaultSpec fault;
  fault.vendor = sandbox::kIonq;
  fault.route = "list";
  fault.status = 503;
  harness_.emulator().InjectFault(fault);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  v1::ListJobsResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  EXPECT_THAT(first.unreachable(), ElementsAre("vendors/ionq"));
  EXPECT_EQ(first.jobs_size(), 10);
  for (const auto& job : first.jobs()) EXPECT_NE(job.vendor(), "ionq");
  ASSERT_FALSE(first.next_page_token().empty());  // IonQ is asked again from its start

  harness_.emulator().ClearFaults();
  request.set_page_token(first.next_page_token());
  v1::ListJobsResponse second;
  ASSERT_TRUE(List(request, &second).ok());
  EXPECT_EQ(second.unreachable_size(), 0);
  EXPECT_EQ(second.jobs_size(), 5);
  for (const auto& job : second.jobs()) EXPECT_EQ(job.vendor(), "ionq");
  EXPECT_TRUE(second.next_page_token().empty());
}

TEST_F(ListIntegrationTest, ASilentVendorIsUnreachableBeforeTheCallersDeadline) {
  Seed(3);
  FaultSpec stall;
  stall.vendor = sandbox::kIonq;
  stall.route = "list";
  stall.kind = sandbox::FaultKind::kStall;
  stall.stall = absl::Seconds(30);
  harness_.emulator().InjectFault(stall);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  v1::ListJobsResponse response;
  const Stopwatch start;
  const grpc::Status status =
      harness_.stub().ListJobs(Context(absl::Seconds(3)).get(), request, &response);
  const absl::Duration took = start.Elapsed();
  harness_.emulator().ClearFaults();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(response.unreachable(), ElementsAre("vendors/ionq"));
  EXPECT_EQ(response.jobs_size(), 6);
  EXPECT_FALSE(response.next_page_token().empty());
  // The vendor requests end a tenth of the time left before the caller's deadline.
  EXPECT_GT(took, absl::Seconds(2));
  EXPECT_LT(took, absl::Seconds(3));
}

// One listed job without a readable id costs only itself: the vendor's other jobs are served,
// the vendor is not unreachable, and the skipped item is counted per vendor.
TEST_F(ListIntegrationTest, AnUnreadableListedJobIsSkippedNotTheWholePage) {
  Seed(2);
  FaultSpec fault;
  fault.vendor = sandbox::kIonq;
  fault.route = "list";
  fault.kind = sandbox::FaultKind::kBody;
  fault.status = 200;
  fault.body = R"({"jobs":[{"id":"a1b2c3d4-0000-4000-8000-000000000001","status":"completed",)"
               R"("submitted_at":"2026-01-01T00:00:00Z"},{"status":"ready"},7],"next":null})";
  harness_.emulator().InjectFault(fault);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  for (int walk = 0; walk < 2; ++walk) {
    v1::ListJobsResponse response;
    ASSERT_TRUE(List(request, &response).ok());
    EXPECT_EQ(response.unreachable_size(), 0) << "walk " << walk;
    int ionq = 0;
    for (const auto& job : response.jobs()) {
      if (job.vendor() != "ionq") continue;
      ++ionq;
      EXPECT_EQ(job.name(), "vendors/ionq/jobs/a1b2c3d4-0000-4000-8000-000000000001");
      EXPECT_EQ(job.state(), v1::Job::COMPLETED);
    }
    EXPECT_EQ(ionq, 1) << "walk " << walk;
    EXPECT_EQ(response.jobs_size(), 5) << "walk " << walk;
  }
  harness_.emulator().ClearFaults();
  const std::string metrics = FetchMetrics(harness_.metrics_address());
  EXPECT_THAT(metrics, HasSubstr("jobfacade_list_items_skipped_total{vendor=\"ionq\"} 4\n"));
  EXPECT_THAT(metrics, HasSubstr("jobfacade_list_items_skipped_total{vendor=\"qbraid\"} 0\n"));
}

TEST_F(ListIntegrationTest, EveryVendorFailingFailsTheCallWithTheFirstVendorsError) {
  Seed(2);
  FaultSpec fault;
  fault.route = "list";
  fault.status = 503;
  harness_.emulator().InjectFault(fault);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  v1::ListJobsResponse response;
  const grpc::Status status = List(request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  const auto info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), "VENDOR_UNAVAILABLE");
  EXPECT_EQ(info.metadata().at("vendor"), "ionq");
}

TEST_F(ListIntegrationTest, ReplicasSharingTheKeyContinueEachOthersListings) {
  const std::vector<std::string> expected = Seed(20);
  HarnessOptions options;
  options.env = {{"QBRAID_BASE_URL", harness_.emulator().base_url(sandbox::kQbraid)},
                 {"IONQ_BASE_URL", harness_.emulator().base_url(sandbox::kIonq)},
                 {"PRAISONAI_BASE_URL", harness_.emulator().base_url(sandbox::kPraisonai)}};
  ServerHarness replica(options);
  ASSERT_TRUE(replica.ok()) << replica.error();
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(9);
  std::vector<std::string> names;
  for (int page = 0; page < 100; ++page) {
    v1::ListJobsResponse response;
    ASSERT_TRUE(List(request, &response, page % 2 == 0 ? &harness_ : &replica).ok());
    for (const auto& job : response.jobs()) names.push_back(job.name());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names, expected);
}

TEST_F(ListIntegrationTest, TokensThatAreAlteredForeignOrReusedAreInvalidPageToken) {
  Seed(10);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter("state = COMPLETED OR state = RUNNING");
  request.set_page_size(4);
  v1::ListJobsResponse first;
  ASSERT_TRUE(List(request, &first).ok());
  const std::string token = first.next_page_token();
  ASSERT_FALSE(token.empty());
  v1::ListJobsResponse response;

  v1::ListJobsRequest altered = request;
  std::string bad = token;
  bad[bad.size() / 3] = bad[bad.size() / 3] == 'Q' ? 'R' : 'Q';
  altered.set_page_token(bad);
  ExpectInvalid(List(altered, &response), "INVALID_PAGE_TOKEN", "page_token");

  v1::ListJobsRequest truncated = request;
  truncated.set_page_token(token.substr(0, token.size() - 4));
  ExpectInvalid(List(truncated, &response), "INVALID_PAGE_TOKEN", "page_token");

  v1::ListJobsRequest other_parent = request;
  other_parent.set_page_token(token);
  other_parent.set_parent("vendors/qbraid");
  ExpectInvalid(List(other_parent, &response), "INVALID_PAGE_TOKEN", "page_token");

  v1::ListJobsRequest other_filter = request;
  other_filter.set_page_token(token);
  other_filter.set_filter("state = COMPLETED");
  ExpectInvalid(List(other_filter, &response), "INVALID_PAGE_TOKEN", "page_token");

  v1::ListJobsRequest other_view = request;
  other_view.set_page_token(token);
  other_view.set_view(v1::JOB_VIEW_FULL);
  ExpectInvalid(List(other_view, &response), "INVALID_PAGE_TOKEN", "page_token");

  // A server with another key issued it.
  HarnessOptions options;
  options.env = {{"JOBFACADE_PAGE_TOKEN_KEY", "another-page-token-key-9876543210"}};
  ServerHarness foreign(options);
  ASSERT_TRUE(foreign.ok()) << foreign.error();
  v1::ListJobsRequest foreign_request = request;
  foreign_request.set_page_token(token);
  ExpectInvalid(List(foreign_request, &response, &foreign), "INVALID_PAGE_TOKEN", "page_token");

  // The untouched token still works.
  request.set_page_token(token);
  EXPECT_TRUE(List(request, &response).ok());
}

TEST_F(ListIntegrationTest, MalformedFiltersAndPageSizesAreRejectedWithTheirField) {
  for (const char* parent : {"vendors/-", "vendors/praisonai"}) {
    v1::ListJobsRequest request;
    request.set_parent(parent);
    v1::ListJobsResponse response;
    for (const char* filter :
         {"state = = RUNNING", "state = DONE", "display_name :", "state = RUNNING AND",
          "create_time >= \"yesterday\"", "state = RUNNING OR provider = \"aws\""}) {
      SCOPED_TRACE(absl::StrCat(parent, " ", filter));
      request.set_filter(filter);
      const grpc::Status status = List(request, &response);
      ExpectInvalid(status, "INVALID_FILTER", "filter");
      auto bad = BadRequestOf(status);
      ASSERT_TRUE(bad.has_value());
      EXPECT_THAT(bad->field_violations(0).description(), HasSubstr("position")) << filter;
    }
    request.clear_filter();
    request.set_page_size(-1);
    ExpectInvalid(List(request, &response), "INVALID_PAGE_SIZE", "page_size");
  }
  EXPECT_EQ(harness_.emulator().stats("*").Count("GET", "list"), 0);
}

}  // namespace
}  // namespace jobfacade::testing
