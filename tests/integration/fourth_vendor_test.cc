// A fourth vendor through the real server: Acme (tests/fakes/acme) exists only in the test
// build, registered with one line in a server binary built from jobfacade's own main and
// libraries. Nothing under service/ knows it, yet it gets GetJob and ListJobs with the
// contract's mapping, filter push-down, the vendors/- merge, and cancel and delete safety.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/acme/acme_sandbox.h"
#include "tests/fakes/acme/acme_server.h"
#include "tests/integration/server_harness.h"

namespace jobfacade::testing {
namespace {

using acme::AcmeServer;
using sandbox::JobSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kAcmeKey[] = "acme-test-key-19ab7c";

class FourthVendorTest : public ::testing::Test {
 protected:
  FourthVendorTest() : acme_(kAcmeKey), harness_(Options()) {}

  HarnessOptions Options() {
    HarnessOptions options;
    options.binary = "tests/fakes/acme/jobfacade-with-acme";
    options.env["ACME_API_KEY"] = kAcmeKey;
    options.env["ACME_BASE_URL"] = acme_.base_url();
    return options;
  }

  void SetUp() override {
    ASSERT_TRUE(harness_.ok()) << harness_.error();
    acme_.Add({"a-1", "active", "m1", "first", "2026-01-03T00:00:00Z", {{"team", "x"}}});
    acme_.Add({"a-2", "done", "m2", "second", "2026-01-02T00:00:00Z", {}});
    acme_.Add({"a-3", "pending", "m1", "third", "2026-01-01T00:00:00Z", {}});
  }

  std::vector<std::string> ListNames(const std::string& parent, const std::string& filter,
                                     int page_size = 2) {
    std::vector<std::string> names;
    v1::ListJobsRequest request;
    request.set_parent(parent);
    request.set_filter(filter);
    request.set_page_size(page_size);
    for (int page = 0; page < 50; ++page) {
      v1::ListJobsResponse response;
      const grpc::Status status = harness_.stub().ListJobs(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_EQ(response.unreachable_size(), 0);
      for (const auto& job : response.jobs()) names.push_back(job.name());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return names;
  }

  AcmeServer acme_;
  ServerHarness harness_;
};

TEST_F(FourthVendorTest, GetJobMapsTheVendorsJobToTheContract) {
  v1::GetJobRequest request;
  request.set_name("vendors/acme/jobs/a-1");
  v1::Job job;
  ASSERT_TRUE(harness_.stub().GetJob(Context().get(), request, &job).ok());
  EXPECT_EQ(job.name(), "vendors/acme/jobs/a-1");
  EXPECT_EQ(job.vendor(), "acme");
  EXPECT_EQ(job.vendor_job_id(), "a-1");
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.vendor_state(), "active");
  EXPECT_EQ(job.device(), "m1");
  EXPECT_EQ(job.display_name(), "first");
  EXPECT_EQ(job.tags().at("team"), "x");
  EXPECT_EQ(acme_.seen().back().authorization, absl::StrCat("Token ", kAcmeKey));

  request.set_name("vendors/acme/jobs/missing");
  const grpc::Status missing = harness_.stub().GetJob(Context().get(), request, &job);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(missing).reason(), "JOB_NOT_FOUND");
  EXPECT_EQ(ErrorInfoOf(missing).metadata().at("vendor"), "acme");
}

TEST_F(FourthVendorTest, ListingPagesAndPushesItsFiltersDown) {
  EXPECT_THAT(
      ListNames("vendors/acme", ""),
      ElementsAre("vendors/acme/jobs/a-1", "vendors/acme/jobs/a-2", "vendors/acme/jobs/a-3"));
  EXPECT_THAT(ListNames("vendors/acme", "state = RUNNING AND device = \"m1\""),
              ElementsAre("vendors/acme/jobs/a-1"));
  bool pushed = false;
  for (const auto& seen : acme_.seen()) {
    pushed |= seen.path == "/v1/jobs" && absl::StrContains(seen.query, "state=active") &&
              absl::StrContains(seen.query, "machine=m1");
  }
  EXPECT_TRUE(pushed);
  // A condition Acme cannot filter is applied by the service: same answer either way.
  EXPECT_THAT(ListNames("vendors/acme", "display_name : \"ir\""),
              ElementsAre("vendors/acme/jobs/a-1", "vendors/acme/jobs/a-3"));
}

TEST_F(FourthVendorTest, AllVendorsMergeItWithTheOthersByCreateTime) {
  JobSpec spec;
  spec.vendor = sandbox::kIonq;
  spec.created_at = absl::FromUnixSeconds(1767312000);  // 2026-01-02T00:00:00Z
  const std::string ionq = harness_.emulator().AddJob(spec);
  const std::vector<std::string> names = ListNames("vendors/-", "", 2);
  EXPECT_THAT(names,
              ElementsAre("vendors/acme/jobs/a-1", "vendors/acme/jobs/a-2",
                          absl::StrCat("vendors/ionq/jobs/", ionq), "vendors/acme/jobs/a-3"));
  EXPECT_THAT(ListNames("vendors/-", "vendor = \"acme\" AND state = COMPLETED"),
              ElementsAre("vendors/acme/jobs/a-2"));
}

TEST_F(FourthVendorTest, CancelAndDeleteKeepTheContractsSafety) {
  v1::Job job;
  v1::CancelJobRequest cancel;
  cancel.set_name("vendors/acme/jobs/a-2");  // done: Acme would stop it, the service does not
  const grpc::Status finished = harness_.stub().CancelJob(Context().get(), cancel, &job);
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(finished).reason(), "JOB_ALREADY_TERMINAL");
  EXPECT_EQ(acme_.Count("POST", "/stop"), 0);
  EXPECT_EQ(acme_.StateOf("a-2"), "done");

  google::protobuf::Empty empty;
  v1::DeleteJobRequest remove;
  remove.set_name("vendors/acme/jobs/a-1");  // active: Acme would delete it, the service not
  const grpc::Status running = harness_.stub().DeleteJob(Context().get(), remove, &empty);
  EXPECT_EQ(running.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(running).reason(), "JOB_NOT_TERMINAL");
  EXPECT_EQ(acme_.Count("DELETE", "/jobs/a-1"), 0);
  EXPECT_TRUE(acme_.Exists("a-1"));

  cancel.set_name("vendors/acme/jobs/a-1");
  ASSERT_TRUE(harness_.stub().CancelJob(Context().get(), cancel, &job).ok());
  EXPECT_EQ(job.state(), v1::Job::CANCELLED);
  EXPECT_EQ(acme_.Count("POST", "/stop"), 1);
  ASSERT_TRUE(harness_.stub().DeleteJob(Context().get(), remove, &empty).ok());
  EXPECT_FALSE(acme_.Exists("a-1"));
}

TEST_F(FourthVendorTest, ItHasItsOwnHealthAndNamesInMessages) {
  v1::GetJobRequest request;
  request.set_name("vendors/acmex/jobs/a");
  v1::Job job;
  const grpc::Status unknown = harness_.stub().GetJob(Context().get(), request, &job);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("qbraid, ionq, praisonai and acme"));
}

// Sandbox mode with no vendor configured: the embedded emulator serves Acme from the
// personality Acme declares (acme_sandbox.cc), beside the built-in vendors', and the server
// points Acme at it like any other vendor.
TEST(FourthVendorSandboxTest, SandboxModeServesItsOwnPersonality) {
  HarnessOptions options;
  options.binary = "tests/fakes/acme/jobfacade-with-acme";
  options.qbraid = options.ionq = options.praisonai = false;
  options.args = {"--sandbox"};
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  const std::string running = absl::StrCat("vendors/acme/jobs/", acme::kDemoAcmeRunningJob);
  const std::string done = absl::StrCat("vendors/acme/jobs/", acme::kDemoAcmeDoneJob);

  v1::GetJobRequest get;
  get.set_name(running);
  v1::Job job;
  ASSERT_TRUE(harness.stub().GetJob(Context().get(), get, &job).ok());
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  EXPECT_EQ(job.vendor_state(), "active");
  EXPECT_EQ(job.display_name(), "Long render");
  EXPECT_EQ(job.tags().at("team"), "sandbox");

  v1::ListJobsRequest list;
  list.set_parent("vendors/acme");
  v1::ListJobsResponse listed;
  ASSERT_TRUE(harness.stub().ListJobs(Context().get(), list, &listed).ok());
  std::vector<std::string> names;
  for (const auto& j : listed.jobs()) names.push_back(j.name());
  EXPECT_THAT(names, ElementsAre(running, done));  // newest first

  // The demo jobs of the built-in vendors are there too: one engine, every personality.
  list.set_parent("vendors/ionq");
  ASSERT_TRUE(harness.stub().ListJobs(Context().get(), list, &listed).ok());
  EXPECT_GT(listed.jobs_size(), 0);

  v1::CancelJobRequest cancel;
  cancel.set_name(done);
  const grpc::Status finished = harness.stub().CancelJob(Context().get(), cancel, &job);
  EXPECT_EQ(finished.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoOf(finished).reason(), "JOB_ALREADY_TERMINAL");
  cancel.set_name(running);
  ASSERT_TRUE(harness.stub().CancelJob(Context().get(), cancel, &job).ok());
  EXPECT_EQ(job.state(), v1::Job::CANCELLED);

  google::protobuf::Empty empty;
  v1::DeleteJobRequest remove;
  remove.set_name(done);
  ASSERT_TRUE(harness.stub().DeleteJob(Context().get(), remove, &empty).ok());
  EXPECT_TRUE(harness.stub().GetJob(Context().get(), get, &job).ok());  // the other one stays
  get.set_name(done);
  EXPECT_EQ(harness.stub().GetJob(Context().get(), get, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace jobfacade::testing
