// JobOperations against an in-memory adapter: routing, safety rules and page walking.
#include "service/job_operations.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::IsError;

// Answers synchronously from a vector of jobs; counts the vendor calls it receives.
class FakeAdapter final : public VendorAdapter {
 public:
  explicit FakeAdapter(std::string vendor) : vendor_(std::move(vendor)) {}

  void Add(const std::string& id, v1::Job::State state) {
    v1::Job job;
    job.set_name(absl::StrCat("vendors/", vendor_, "/jobs/", id));
    job.set_vendor_job_id(id);
    job.set_state(state);
    jobs_.push_back(job);
  }

  absl::string_view vendor() const override { return vendor_; }

  void GetJob(const CallContext& ctx, absl::string_view id, v1::JobView view,
              Callback<v1::Job> done) override {
    ++gets;
    last_caller_key = ctx.caller_key.value_or("");
    for (const auto& j : jobs_) {
      if (j.vendor_job_id() == id) return std::move(done)(j);
    }
    std::move(done)(MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound, "not found"));
  }

  void ListJobs(const CallContext&, const ListRequest& request,
                Callback<ListResult> done) override {
    list_sizes.push_back(request.page_size);
    size_t offset = 0;
    if (!request.cursor.empty()) {
      ASSERT_TRUE(absl::SimpleAtoi(request.cursor, &offset));
    }
    ListResult result;
    size_t end = std::min(jobs_.size(), offset + request.page_size);
    for (size_t i = offset; i < end; ++i) result.jobs.push_back(jobs_[i]);
    if (end < jobs_.size()) result.next_cursor = absl::StrCat(end);
    std::move(done)(std::move(result));
  }

  void CancelJob(const CallContext&, absl::string_view id, StatusCallback done) override {
    ++cancels;
    for (auto& j : jobs_) {
      if (j.vendor_job_id() == id) j.set_state(v1::Job::CANCELLING);
    }
    std::move(done)(absl::OkStatus());
  }

  void DeleteJob(const CallContext&, absl::string_view id, StatusCallback done) override {
    ++deletes;
    std::move(done)(absl::OkStatus());
  }

  int gets = 0, cancels = 0, deletes = 0;
  std::vector<int> list_sizes;
  std::string last_caller_key;

 private:
  std::string vendor_;
  std::vector<v1::Job> jobs_;
};

class JobOperationsTest : public ::testing::Test {
 protected:
  JobOperationsTest() {
    auto fake = std::make_unique<FakeAdapter>("ionq");
    ionq_ = fake.get();
    JobOperations::AdapterMap adapters;
    adapters.emplace("ionq", std::move(fake));
    ops_ = std::make_unique<JobOperations>(std::move(adapters), std::string(32, 'k'));
  }

  absl::StatusOr<v1::Job> Cancel(const std::string& id) {
    v1::CancelJobRequest request;
    request.set_name("vendors/ionq/jobs/" + id);
    absl::StatusOr<v1::Job> out = absl::UnknownError("callback not called");
    ops_->CancelJob(ctx_, request, [&](absl::StatusOr<v1::Job> r) { out = std::move(r); });
    return out;
  }
  absl::Status Delete(const std::string& id) {
    v1::DeleteJobRequest request;
    request.set_name("vendors/ionq/jobs/" + id);
    absl::Status out = absl::UnknownError("callback not called");
    ops_->DeleteJob(ctx_, request, [&](absl::Status s) { out = std::move(s); });
    return out;
  }
  absl::StatusOr<v1::ListJobsResponse> List(v1::ListJobsRequest request) {
    absl::StatusOr<v1::ListJobsResponse> out = absl::UnknownError("callback not called");
    ops_->ListJobs(ctx_, request, [&](absl::StatusOr<v1::ListJobsResponse> r) {
      out = std::move(r);
    });
    return out;
  }

  RpcContext ctx_;
  FakeAdapter* ionq_;
  std::unique_ptr<JobOperations> ops_;
};

TEST_F(JobOperationsTest, CancelOfAFinishedJobNeverReachesTheVendor) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ionq_->Add("failed", v1::Job::FAILED);
  EXPECT_THAT(Cancel("done"),
              IsError(absl::StatusCode::kFailedPrecondition, "JOB_ALREADY_TERMINAL"));
  EXPECT_THAT(Cancel("failed"),
              IsError(absl::StatusCode::kFailedPrecondition, "JOB_ALREADY_TERMINAL"));
  EXPECT_EQ(ionq_->cancels, 0);
}

TEST_F(JobOperationsTest, CancelIsIdempotentForCancellingAndCancelled) {
  ionq_->Add("c1", v1::Job::CANCELLING);
  ionq_->Add("c2", v1::Job::CANCELLED);
  EXPECT_EQ(Cancel("c1")->state(), v1::Job::CANCELLING);
  EXPECT_EQ(Cancel("c2")->state(), v1::Job::CANCELLED);
  EXPECT_EQ(ionq_->cancels, 0);
}

TEST_F(JobOperationsTest, CancelOfARunningJobReturnsTheJobAsReadAfterwards) {
  ionq_->Add("run", v1::Job::RUNNING);
  auto job = Cancel("run");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::Job::CANCELLING);
  EXPECT_EQ(ionq_->cancels, 1);
  EXPECT_EQ(ionq_->gets, 2);
}

TEST_F(JobOperationsTest, DeleteOnlyFinishedJobsAndNeverCancels) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->Add("queued", v1::Job::QUEUED);
  ionq_->Add("held", v1::Job::ON_HOLD);
  ionq_->Add("unknown", v1::Job::STATE_UNSPECIFIED);
  for (const char* id : {"run", "queued", "held", "unknown"}) {
    EXPECT_THAT(Delete(id), IsError(absl::StatusCode::kFailedPrecondition, "JOB_NOT_TERMINAL"))
        << id;
  }
  EXPECT_EQ(ionq_->deletes, 0);
  EXPECT_EQ(ionq_->cancels, 0);
  ionq_->Add("done", v1::Job::COMPLETED);
  ionq_->Add("cancelled", v1::Job::CANCELLED);
  ionq_->Add("failed", v1::Job::FAILED);
  for (const char* id : {"done", "cancelled", "failed"}) EXPECT_TRUE(Delete(id).ok()) << id;
  EXPECT_EQ(ionq_->deletes, 3);
}

TEST_F(JobOperationsTest, MissingJobIsNotFound) {
  EXPECT_THAT(Cancel("nope"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_THAT(Delete("nope"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
}

TEST_F(JobOperationsTest, UnconfiguredVendorIsFailedPrecondition) {
  v1::GetJobRequest request;
  request.set_name("vendors/qbraid/jobs/x");
  absl::StatusOr<v1::Job> out;
  ops_->GetJob(ctx_, request, [&](absl::StatusOr<v1::Job> r) { out = std::move(r); });
  EXPECT_THAT(out, IsError(absl::StatusCode::kFailedPrecondition, "VENDOR_NOT_CONFIGURED"));
}

TEST_F(JobOperationsTest, CallerKeysReachOnlyTheirVendor) {
  ionq_->Add("j", v1::Job::RUNNING);
  ctx_.caller_keys["ionq"] = "callers-own-key";
  v1::GetJobRequest request;
  request.set_name("vendors/ionq/jobs/j");
  ops_->GetJob(ctx_, request, [](absl::StatusOr<v1::Job>) {});
  EXPECT_EQ(ionq_->last_caller_key, "callers-own-key");
}

TEST_F(JobOperationsTest, PageSizeRules) {
  for (int i = 0; i < 250; ++i) ionq_->Add(absl::StrCat("j", i), v1::Job::COMPLETED);
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  EXPECT_EQ(List(request)->jobs_size(), 50);
  request.set_page_size(1000);
  EXPECT_EQ(List(request)->jobs_size(), 200);
  request.set_page_size(-1);
  EXPECT_THAT(List(request), IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_SIZE"));
}

TEST_F(JobOperationsTest, WalkingPagesYieldsEveryJobOnceEvenWhenPageSizeChanges) {
  for (int i = 0; i < 137; ++i) ionq_->Add(absl::StrCat("j", i), v1::Job::COMPLETED);
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  request.set_page_size(20);
  std::vector<std::string> seen;
  const int sizes[] = {20, 7, 33, 1, 200, 5};
  for (int page = 0; page < 100; ++page) {
    request.set_page_size(sizes[page % 6]);
    auto response = List(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_LE(response->jobs_size(), request.page_size());
    for (const auto& j : response->jobs()) seen.push_back(j.vendor_job_id());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  ASSERT_EQ(seen.size(), 137u);
  for (int i = 0; i < 137; ++i) EXPECT_EQ(seen[i], absl::StrCat("j", i));
  // Vendor pages keep the size the listing started with.
  for (int size : ionq_->list_sizes) EXPECT_EQ(size, 20);
}

TEST_F(JobOperationsTest, LastPageHasNoToken) {
  for (int i = 0; i < 10; ++i) ionq_->Add(absl::StrCat("j", i), v1::Job::COMPLETED);
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  request.set_page_size(10);
  auto response = List(request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->jobs_size(), 10);
  EXPECT_TRUE(response->next_page_token().empty());
}

TEST_F(JobOperationsTest, TokenReusedWithOtherArgumentsIsRejected) {
  for (int i = 0; i < 10; ++i) ionq_->Add(absl::StrCat("j", i), v1::Job::COMPLETED);
  v1::ListJobsRequest request;
  request.set_parent("vendors/ionq");
  request.set_page_size(3);
  auto first = List(request);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  request.set_view(v1::JOB_VIEW_FULL);
  EXPECT_THAT(List(request), IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

}  // namespace
}  // namespace jobfacade
