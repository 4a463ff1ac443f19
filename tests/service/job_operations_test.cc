// JobOperations against an in-memory adapter: routing, safety rules and page walking.
#include "service/job_operations.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"
#include "gtest/gtest.h"
#include "service/filter.h"
#include "tests/testing/fake_vendor_adapter.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::FakeAdapter;

using ::jobfacade::testing::IsError;

// Answers synchronously from a vector of jobs; counts the vendor calls it receives.

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
    ops_->ListJobs(ctx_, request,
                   [&](absl::StatusOr<v1::ListJobsResponse> r) { out = std::move(r); });
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

// Two vendors configured, a caller key for one of them: that vendor's call carries it, the
// other vendor's call carries none (its configured key applies), in either order and on a
// listing across both.
TEST(JobOperationsCallerKeysTest, CallerKeysReachOnlyTheirVendor) {
  auto ionq = std::make_unique<FakeAdapter>("ionq");
  auto qbraid = std::make_unique<FakeAdapter>("qbraid");
  FakeAdapter* ionq_fake = ionq.get();
  FakeAdapter* qbraid_fake = qbraid.get();
  ionq_fake->AddAt("i", 20, v1::Job::RUNNING);
  qbraid_fake->AddAt("q", 10, v1::Job::RUNNING);
  JobOperations::AdapterMap adapters;
  adapters.emplace("ionq", std::move(ionq));
  adapters.emplace("qbraid", std::move(qbraid));
  JobOperations ops(std::move(adapters), std::string(32, 'k'));
  RpcContext ctx;
  ctx.caller_keys["ionq"] = "callers-own-key";

  for (const char* name : {"vendors/qbraid/jobs/q", "vendors/ionq/jobs/i"}) {
    v1::GetJobRequest request;
    request.set_name(name);
    absl::StatusOr<v1::Job> out = absl::UnknownError("callback not called");
    ops.GetJob(ctx, request, [&](absl::StatusOr<v1::Job> r) { out = std::move(r); });
    ASSERT_TRUE(out.ok()) << name << ": " << out.status();
  }
  EXPECT_EQ(ionq_fake->last_caller_key, "callers-own-key");
  EXPECT_EQ(qbraid_fake->last_caller_key, "");
  EXPECT_EQ(qbraid_fake->gets, 1);

  qbraid_fake->last_caller_key = "unset";
  ionq_fake->last_caller_key = "unset";
  v1::ListJobsRequest list;
  list.set_parent("vendors/-");
  absl::StatusOr<v1::ListJobsResponse> listed = absl::UnknownError("callback not called");
  ops.ListJobs(ctx, list, [&](absl::StatusOr<v1::ListJobsResponse> r) { listed = std::move(r); });
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->jobs_size(), 2);
  EXPECT_EQ(ionq_fake->last_caller_key, "callers-own-key");
  EXPECT_EQ(qbraid_fake->last_caller_key, "");
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

// --- ListJobs across vendors (vendors/-)

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";
constexpr const char* kVendors[] = {"ionq", "praisonai", "qbraid"};

struct Replica {
  std::map<std::string, FakeAdapter*> fakes;
  std::unique_ptr<JobOperations> ops;
};

Replica MakeReplica(const std::string& key,
                    std::vector<std::string> vendors = {"ionq", "praisonai", "qbraid"},
                    const Clock& clock = Clock::Real()) {
  Replica r;
  JobOperations::AdapterMap adapters;
  for (const std::string& v : vendors) {
    auto fake = std::make_unique<FakeAdapter>(v);
    r.fakes[v] = fake.get();
    adapters.emplace(v, std::move(fake));
  }
  r.ops = std::make_unique<JobOperations>(std::move(adapters), key, clock);
  return r;
}

absl::StatusOr<v1::ListJobsResponse> ListOn(JobOperations& ops,
                                            const v1::ListJobsRequest& request) {
  absl::StatusOr<v1::ListJobsResponse> out = absl::UnknownError("callback not called");
  ops.ListJobs(RpcContext(), request,
               [&](absl::StatusOr<v1::ListJobsResponse> r) { out = std::move(r); });
  return out;
}

// A seeded job: name and creation second.
struct Seeded {
  std::string vendor, id;
  int64_t seconds;
  std::string name() const { return absl::StrCat("vendors/", vendor, "/jobs/", id); }
};

bool InContractOrder(const Seeded& a, const Seeded& b) {
  if (a.seconds != b.seconds) return a.seconds > b.seconds;
  return a.name() < b.name();
}

// `n` jobs per vendor whose creation times take only `distinct` values, so that times tie within
// and across vendors; ids are not in time order. Returns every name in the contract's order.
std::vector<std::string> Seed(Replica& r, int n, int distinct) {
  std::vector<Seeded> all;
  int k = 0;
  for (auto& [vendor, fake] : r.fakes) {
    std::vector<Seeded> jobs;
    for (int i = 0; i < n; ++i) {
      jobs.push_back({vendor, absl::StrCat("job", (i * 37 + k * 11) % 101, "x", i),
                      1000 + (i * 7 + k * 3) % distinct});
    }
    std::sort(jobs.begin(), jobs.end(), InContractOrder);
    for (const Seeded& j : jobs) fake->AddAt(j.id, j.seconds);
    all.insert(all.end(), jobs.begin(), jobs.end());
    ++k;
  }
  std::sort(all.begin(), all.end(), InContractOrder);
  std::vector<std::string> names;
  for (const Seeded& j : all) names.push_back(j.name());
  return names;
}

class ListAcrossVendorsTest : public ::testing::Test {
 protected:
  absl::StatusOr<v1::ListJobsResponse> List(const v1::ListJobsRequest& request) {
    return ListOn(*r_.ops, request);
  }

  // Walks every page of `parent`, with page sizes cycling through `sizes`.
  std::vector<std::string> WalkAll(const std::string& parent, const std::vector<int>& sizes) {
    v1::ListJobsRequest request;
    request.set_parent(parent);
    std::vector<std::string> names;
    for (size_t page = 0; page < 1000; ++page) {
      request.set_page_size(sizes[page % sizes.size()]);
      auto response = List(request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      EXPECT_LE(response->jobs_size(), request.page_size() == 0 ? 50 : request.page_size());
      EXPECT_EQ(response->unreachable_size(), 0);
      for (const auto& job : response->jobs()) names.push_back(job.name());
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    return names;
  }

  Replica r_ = MakeReplica(kKey);
};

TEST_F(ListAcrossVendorsTest, MergesNewestFirstWithTiesByNameWithinAndAcrossVendors) {
  const std::vector<std::string> expected = Seed(r_, 60, 9);
  ASSERT_EQ(expected.size(), 180u);
  for (const std::vector<int>& sizes :
       std::vector<std::vector<int>>{{0}, {1}, {7, 3, 200, 1, 13}, {200}}) {
    EXPECT_EQ(WalkAll("vendors/-", sizes), expected) << "first page size " << sizes[0];
  }
}

TEST_F(ListAcrossVendorsTest, SmallVendorPagesAndChangingPageSizesStillYieldEveryJobOnce) {
  const std::vector<std::string> expected = Seed(r_, 45, 4);
  r_.fakes["ionq"]->max_page_size = 2;
  r_.fakes["qbraid"]->max_page_size = 5;
  EXPECT_EQ(WalkAll("vendors/-", {9, 1, 30, 4}), expected);
  // Vendor pages keep the size the listing started with (the adapter lowers it).
  for (const char* v : kVendors) {
    for (int size : r_.fakes[v]->list_sizes) EXPECT_EQ(size, 9) << v;
  }
}

TEST_F(ListAcrossVendorsTest, FirstVendorPagesAreConcurrentAndNeverTwoOfOneVendorAtOnce) {
  const std::vector<std::string> expected = Seed(r_, 30, 6);
  for (const char* v : kVendors) {
    r_.fakes[v]->defer = true;
    r_.fakes[v]->max_page_size = 3;
  }
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(20);
  std::optional<absl::StatusOr<v1::ListJobsResponse>> out;
  r_.ops->ListJobs(RpcContext(), request,
                   [&](absl::StatusOr<v1::ListJobsResponse> r) { out = std::move(r); });
  // Nothing answered yet, and every vendor has been asked.
  for (const char* v : kVendors) EXPECT_EQ(r_.fakes[v]->pending.size(), 1u) << v;
  for (int round = 0; !out.has_value() && round < 100; ++round) {
    for (const char* v : {"qbraid", "praisonai", "ionq"}) r_.fakes[v]->AnswerOne();
  }
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->ok()) << out->status();
  std::vector<std::string> names;
  for (const auto& job : (*out)->jobs()) names.push_back(job.name());
  EXPECT_EQ(names, std::vector<std::string>(expected.begin(), expected.begin() + 20));
  for (const char* v : kVendors) {
    EXPECT_EQ(r_.fakes[v]->max_in_flight, 1) << v;
    EXPECT_GE(r_.fakes[v]->list_calls, 2) << v;  // a page of 20 needs follow-ups of 3
  }
}

TEST_F(ListAcrossVendorsTest, FollowUpVendorPagesOnlyWhenTheMergeNeedsThem) {
  for (int i = 0; i < 20; ++i) {
    r_.fakes["ionq"]->AddAt(absl::StrCat("i", 100 + i), 2000 - i);
    r_.fakes["qbraid"]->AddAt(absl::StrCat("q", 100 + i), 1000 - i);
    r_.fakes["praisonai"]->AddAt(absl::StrCat("p", 100 + i), 500 - i);
  }
  r_.fakes["ionq"]->max_page_size = 2;
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(5);
  auto page = List(request);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs_size(), 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(page->jobs(i).name(), absl::StrCat("vendors/ionq/jobs/i", 100 + i));
  EXPECT_EQ(r_.fakes["ionq"]->list_calls, 3);  // 2 + 2 + 1 of its jobs
  EXPECT_EQ(r_.fakes["qbraid"]->list_calls, 1);
  EXPECT_EQ(r_.fakes["praisonai"]->list_calls, 1);
}

TEST_F(ListAcrossVendorsTest, UnreachableVendorIsNamedAndAskedAgainOnTheNextPage) {
  const std::vector<std::string> expected = Seed(r_, 10, 5);
  r_.fakes["qbraid"]->fail_list_calls_from = 0;
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(100);
  auto first = List(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->unreachable(), ::testing::ElementsAre("vendors/qbraid"));
  std::vector<std::string> others;
  for (const auto& name : expected) {
    if (!absl::StartsWith(name, "vendors/qbraid/")) others.push_back(name);
  }
  std::vector<std::string> names;
  for (const auto& job : first->jobs()) names.push_back(job.name());
  EXPECT_EQ(names, others);
  ASSERT_FALSE(first->next_page_token().empty());

  r_.fakes["qbraid"]->fail_list_calls_from = -1;
  request.set_page_token(first->next_page_token());
  auto second = List(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->unreachable_size(), 0);
  EXPECT_TRUE(second->next_page_token().empty());
  names.clear();
  for (const auto& job : second->jobs()) names.push_back(job.name());
  std::vector<std::string> qbraid;
  for (const auto& name : expected) {
    if (absl::StartsWith(name, "vendors/qbraid/")) qbraid.push_back(name);
  }
  EXPECT_EQ(names, qbraid);
  // The exhausted vendors were not asked again.
  EXPECT_EQ(r_.fakes["ionq"]->list_calls, 1);
  EXPECT_EQ(r_.fakes["praisonai"]->list_calls, 1);
}

TEST_F(ListAcrossVendorsTest, VendorFailingOnAFollowUpPageLosesAndRepeatsNothing) {
  const std::vector<std::string> expected = Seed(r_, 40, 7);
  r_.fakes["qbraid"]->max_page_size = 4;
  r_.fakes["qbraid"]->fail_list_calls_from = 1;  // its first vendor page only
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(60);
  auto first = List(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->unreachable(), ::testing::ElementsAre("vendors/qbraid"));
  std::multiset<std::string> seen;
  int qbraid_on_first = 0;
  for (const auto& job : first->jobs()) {
    seen.insert(job.name());
    qbraid_on_first += absl::StartsWith(job.name(), "vendors/qbraid/");
  }
  EXPECT_EQ(qbraid_on_first, 4);  // what its one good vendor page held
  r_.fakes["qbraid"]->fail_list_calls_from = -1;
  request.set_page_token(first->next_page_token());
  for (int page = 0; page < 50 && !request.page_token().empty(); ++page) {
    auto next = List(request);
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->unreachable_size(), 0);
    for (const auto& job : next->jobs()) seen.insert(job.name());
    request.set_page_token(next->next_page_token());
  }
  EXPECT_EQ(seen, std::multiset<std::string>(expected.begin(), expected.end()));
}

TEST_F(ListAcrossVendorsTest, EveryVendorFailingFailsTheCallWithTheFirstVendorsError) {
  Seed(r_, 5, 2);
  for (const char* v : kVendors) r_.fakes[v]->fail_list_calls_from = 0;
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  auto response = List(request);
  EXPECT_THAT(response, IsError(absl::StatusCode::kUnavailable, "VENDOR_UNAVAILABLE"));
  EXPECT_EQ(response.status().message(), "ionq is down");
}

TEST_F(ListAcrossVendorsTest, BoundedVendorRequestsGiveShortPagesThatResume) {
  for (const std::string parent : {"vendors/ionq", "vendors/-"}) {
    Replica r = MakeReplica(kKey);
    r.fakes["ionq"]->leading_empty_pages = 45;
    for (int i = 0; i < 3; ++i) r.fakes["ionq"]->AddAt(absl::StrCat("j", i), 100 - i);
    v1::ListJobsRequest request;
    request.set_parent(parent);
    std::vector<int> sizes;
    std::vector<int> calls;
    for (int page = 0; page < 10; ++page) {
      const int before = r.fakes["ionq"]->list_calls;
      auto response = ListOn(*r.ops, request);
      ASSERT_TRUE(response.ok()) << response.status();
      sizes.push_back(response->jobs_size());
      calls.push_back(r.fakes["ionq"]->list_calls - before);
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    EXPECT_THAT(sizes, ::testing::ElementsAre(0, 0, 3)) << parent;
    EXPECT_THAT(calls, ::testing::ElementsAre(kMaxVendorRequestsPerListCall,
                                              kMaxVendorRequestsPerListCall, 6))
        << parent;
  }
}

TEST_F(ListAcrossVendorsTest, AnyReplicaWithTheSameKeyContinuesTheListing) {
  Replica other = MakeReplica(kKey);
  const std::vector<std::string> expected = Seed(r_, 25, 5);
  EXPECT_EQ(Seed(other, 25, 5), expected);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(7);
  std::vector<std::string> names;
  for (int page = 0; page < 50; ++page) {
    auto response = ListOn(page % 2 == 0 ? *r_.ops : *other.ops, request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& job : response->jobs()) names.push_back(job.name());
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(names, expected);
}

TEST_F(ListAcrossVendorsTest, OnlyConfiguredVendorsAreListed) {
  Replica two = MakeReplica(kKey, {"ionq", "qbraid"});
  std::vector<std::string> expected = Seed(two, 12, 3);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  auto response = ListOn(*two.ops, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->jobs_size(), 24);
  EXPECT_TRUE(response->next_page_token().empty());

  // A replica without a vendor the listing started with names it unreachable and goes on.
  Replica one = MakeReplica(kKey, {"ionq"});
  Seed(one, 12, 3);
  request.set_page_size(5);
  auto first = ListOn(*two.ops, request);
  ASSERT_TRUE(first.ok());
  request.set_page_token(first->next_page_token());
  auto second = ListOn(*one.ops, request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->unreachable(), ::testing::ElementsAre("vendors/qbraid"));
  for (const auto& job : second->jobs()) EXPECT_TRUE(absl::StartsWith(job.name(), "vendors/ionq/"));
}

TEST_F(ListAcrossVendorsTest, TokensAreProtectedAndBoundToTheirArguments) {
  Seed(r_, 20, 4);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(5);
  auto first = List(request);
  ASSERT_TRUE(first.ok());
  const std::string token = first->next_page_token();
  ASSERT_FALSE(token.empty());
  auto rejected = [&](v1::ListJobsRequest r, JobOperations& ops) {
    auto response = ListOn(ops, r);
    EXPECT_THAT(response, IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
    EXPECT_EQ(testing::BadRequestField(response.status()), "page_token");
  };

  // Altered: every single-character change anywhere in the token.
  for (size_t i = 0; i < token.size(); i += 7) {
    v1::ListJobsRequest r = request;
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    r.set_page_token(altered);
    SCOPED_TRACE(i);
    rejected(r, *r_.ops);
  }
  // Made by another key.
  Replica foreign = MakeReplica("another key, also 32 bytes long..");
  Seed(foreign, 20, 4);
  auto foreign_first = ListOn(*foreign.ops, request);
  ASSERT_TRUE(foreign_first.ok());
  request.set_page_token(foreign_first->next_page_token());
  rejected(request, *r_.ops);
  // Reused with another parent or view.
  request.set_page_token(token);
  EXPECT_TRUE(List(request).ok());
  v1::ListJobsRequest other_parent = request;
  other_parent.set_parent("vendors/ionq");
  rejected(other_parent, *r_.ops);
  v1::ListJobsRequest other_view = request;
  other_view.set_view(v1::JOB_VIEW_FULL);
  rejected(other_view, *r_.ops);
  // A one-vendor token is not a vendors/- token.
  v1::ListJobsRequest ionq = request;
  ionq.set_parent("vendors/ionq");
  ionq.clear_page_token();
  auto ionq_first = List(ionq);
  ASSERT_TRUE(ionq_first.ok());
  v1::ListJobsRequest swapped = request;
  swapped.set_page_token(ionq_first->next_page_token());
  rejected(swapped, *r_.ops);
  // Not a token at all.
  v1::ListJobsRequest garbage = request;
  garbage.set_page_token("not a token");
  rejected(garbage, *r_.ops);
}

TEST_F(ListAcrossVendorsTest, BadPageSizeIsRejectedBeforeAnyVendorIsAsked) {
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_page_size(-5);
  auto response = List(request);
  EXPECT_THAT(response, IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_SIZE"));
  EXPECT_EQ(testing::BadRequestField(response.status()), "page_size");
  for (const char* v : kVendors) EXPECT_EQ(r_.fakes[v]->list_calls, 0);
  request.set_page_size(1000);
  for (const char* v : kVendors) {
    for (int i = 0; i < 100; ++i) r_.fakes[v]->AddAt(absl::StrCat("j", i), 100);
  }
  EXPECT_EQ(List(request)->jobs_size(), 200);
  request.set_page_size(0);
  EXPECT_EQ(List(request)->jobs_size(), 50);
}

// --- Filters

std::vector<std::string> Names(const v1::ListJobsResponse& response) {
  std::vector<std::string> names;
  for (const auto& job : response.jobs()) names.push_back(job.name());
  return names;
}

TEST_F(ListAcrossVendorsTest, FilterIsPushedDownAndAppliedToEveryJob) {
  // Every third job runs; the fakes ignore push-down, so the service does all the work.
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    for (const char* v : kVendors) {
      const bool running = i % 3 == 0;
      r_.fakes[v]->AddAt(absl::StrCat("j", 100 + i), 5000 - i,
                         running ? v1::Job::RUNNING : v1::Job::COMPLETED);
      if (running) expected.push_back(absl::StrCat("vendors/", v, "/jobs/j", 100 + i));
    }
  }
  const std::string text = "state = RUNNING";
  std::vector<std::string> names;
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter(text);
  for (int page = 0; page < 100; ++page) {
    request.set_page_size(page % 2 == 0 ? 4 : 1);
    auto response = List(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const auto& job : response->jobs()) EXPECT_EQ(job.state(), v1::Job::RUNNING);
    for (auto& name : Names(*response)) names.push_back(name);
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(names, expected);
  auto filter = ParseFilter(text);
  ASSERT_TRUE(filter.ok());
  for (const char* v : kVendors) {
    const QueryParams want = filter->PushDown(v);
    ASSERT_FALSE(r_.fakes[v]->list_requests.empty());
    for (const ListRequest& sent : r_.fakes[v]->list_requests) {
      EXPECT_EQ(sent.filter, want) << v;
      EXPECT_EQ(sent.page_size, 50) << v;  // filtered listings read larger vendor pages
    }
  }
  EXPECT_EQ(FindParam(r_.fakes["qbraid"]->list_requests[0].filter, "status"), "RUNNING");
}

TEST_F(ListAcrossVendorsTest, VendorsTheFilterRulesOutAreNotAsked) {
  Seed(r_, 10, 3);
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter(R"(vendor = "ionq")");
  request.set_page_size(4);
  std::vector<std::string> names;
  for (int page = 0; page < 10; ++page) {
    auto response = List(request);
    ASSERT_TRUE(response.ok()) << response.status();
    for (auto& name : Names(*response)) {
      EXPECT_TRUE(absl::StartsWith(name, "vendors/ionq/")) << name;
      names.push_back(name);
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(names.size(), 10u);
  EXPECT_EQ(r_.fakes["qbraid"]->list_calls, 0);
  EXPECT_EQ(r_.fakes["praisonai"]->list_calls, 0);

  // No vendor can match: an empty last page, nobody asked.
  request.clear_page_token();
  request.set_filter(R"(vendor = "ionq" AND vendor = "qbraid")");
  auto none = List(request);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->jobs_size(), 0);
  EXPECT_TRUE(none->next_page_token().empty());
  EXPECT_EQ(r_.fakes["qbraid"]->list_calls, 0);
}

TEST_F(ListAcrossVendorsTest, AFilterThatMatchesNothingIsBoundedPerCallAndEnds) {
  for (const char* v : kVendors) {
    r_.fakes[v]->max_page_size = 100;
    for (int i = 0; i < 2500; ++i) r_.fakes[v]->AddAt(absl::StrCat("j", 10000 + i), 90000 - i);
  }
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter(R"(job_type = "nothing has this")");
  request.set_page_size(10);
  int pages = 0;
  for (; pages < 100; ++pages) {
    std::map<std::string, int> before;
    for (const char* v : kVendors) before[v] = r_.fakes[v]->list_calls;
    auto response = List(request);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->jobs_size(), 0);
    for (const char* v : kVendors) {
      EXPECT_LE(r_.fakes[v]->list_calls - before[v], kMaxVendorRequestsPerListCall) << v;
    }
    if (response->next_page_token().empty()) break;
    request.set_page_token(response->next_page_token());
  }
  // 2500 jobs in vendor pages of 50, 20 of them per call.
  EXPECT_EQ(pages + 1, 3);
  for (const char* v : kVendors) EXPECT_EQ(r_.fakes[v]->list_calls, 50) << v;
}

TEST_F(ListAcrossVendorsTest, ACreateTimeLowerBoundEndsEachStreamAtItsFirstOlderJob) {
  for (const char* v : kVendors) {
    for (int i = 0; i < 1000; ++i) r_.fakes[v]->AddAt(absl::StrCat("j", 10000 + i), 90000 - i);
  }
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter(
      absl::StrCat("create_time >= \"", FormatRfc3339(absl::FromUnixSeconds(90000 - 4)), "\""));
  auto response = List(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->jobs_size(), 15);
  EXPECT_TRUE(response->next_page_token().empty());
  for (const char* v : kVendors) EXPECT_EQ(r_.fakes[v]->list_calls, 1) << v;
}

TEST_F(ListAcrossVendorsTest, JobsOfOtherStreamsAreServedWithoutReadingPastRejectedJobs) {
  // qBraid's running jobs are all newer than the ionq jobs the filter rejects, so once ionq's
  // first vendor page is rejected, its later jobs (older still) cannot come first.
  for (int i = 0; i < 10; ++i) {
    r_.fakes["qbraid"]->AddAt(absl::StrCat("q", 10 + i), 1000 - i, v1::Job::RUNNING);
  }
  for (int i = 0; i < 30; ++i) {
    r_.fakes["ionq"]->AddAt(absl::StrCat("i", 10 + i), 500 - i, v1::Job::COMPLETED);
  }
  r_.fakes["ionq"]->max_page_size = 10;
  for (const char* v : kVendors) r_.fakes[v]->defer = true;
  v1::ListJobsRequest request;
  request.set_parent("vendors/-");
  request.set_filter("state = RUNNING");
  request.set_page_size(5);
  std::optional<absl::StatusOr<v1::ListJobsResponse>> out;
  r_.ops->ListJobs(RpcContext(), request,
                   [&](absl::StatusOr<v1::ListJobsResponse> r) { out = std::move(r); });
  ASSERT_TRUE(r_.fakes["praisonai"]->AnswerOne());
  ASSERT_TRUE(r_.fakes["qbraid"]->AnswerOne());
  EXPECT_FALSE(out.has_value());  // ionq's first jobs might still come first
  ASSERT_TRUE(r_.fakes["ionq"]->AnswerOne());
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->ok()) << out->status();
  EXPECT_EQ((*out)->jobs_size(), 5);
  EXPECT_EQ((*out)->jobs(0).name(), "vendors/qbraid/jobs/q10");
  EXPECT_TRUE(r_.fakes["ionq"]->pending.empty());
  EXPECT_EQ(r_.fakes["ionq"]->list_calls, 1);
  EXPECT_EQ(r_.fakes["qbraid"]->list_calls, 1);
}

TEST_F(ListAcrossVendorsTest, MalformedFilterIsInvalidFilterWithItsPosition) {
  for (const std::string parent : {"vendors/-", "vendors/ionq"}) {
    for (const std::string text :
         {"state = = RUNNING", "state = RUNING", "tags. = \"x\"",
          "state = RUNNING OR vendor = \"ionq\"", "(", "create_time > \"x\""}) {
      v1::ListJobsRequest request;
      request.set_parent(parent);
      request.set_filter(text);
      auto response = List(request);
      EXPECT_THAT(response, IsError(absl::StatusCode::kInvalidArgument, "INVALID_FILTER"))
          << parent << " " << text;
      EXPECT_EQ(testing::BadRequestField(response.status()), "filter");
      EXPECT_THAT(std::string(response.status().message()), ::testing::HasSubstr("position"))
          << text;
    }
  }
  for (const char* v : kVendors) EXPECT_EQ(r_.fakes[v]->list_calls, 0);
}

TEST_F(ListAcrossVendorsTest, TokenIsBoundToTheFilter) {
  Seed(r_, 20, 4);
  for (const std::string parent : {"vendors/-", "vendors/qbraid"}) {
    v1::ListJobsRequest request;
    request.set_parent(parent);
    request.set_filter("state = COMPLETED");
    request.set_page_size(3);
    auto first = List(request);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_FALSE(first->next_page_token().empty());
    request.set_page_token(first->next_page_token());
    EXPECT_TRUE(List(request).ok());
    for (const std::string other : {"", "state = RUNNING", "state = COMPLETED "}) {
      request.set_filter(other);
      EXPECT_THAT(List(request), IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"))
          << parent << " [" << other << "]";
    }
  }
}

// The one trim of a caller's deadline: a tenth of the time left, at least 20 ms and at most
// 500 ms, stays for the answer; a call without a deadline gets the default.
TEST(ListDeadlineTest, VendorDeadlineKeepsATenthForTheAnswer) {
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  const absl::Duration fallback = absl::Seconds(30);
  EXPECT_EQ(VendorDeadline(now + absl::Seconds(3), now, fallback), now + absl::Milliseconds(2700));
  EXPECT_EQ(VendorDeadline(now + absl::Milliseconds(100), now, fallback),
            now + absl::Milliseconds(80));
  EXPECT_EQ(VendorDeadline(now + absl::Minutes(1), now, fallback),
            now + absl::Seconds(59) + absl::Milliseconds(500));
  EXPECT_EQ(VendorDeadline(absl::InfiniteFuture(), now, fallback), now + fallback);
  // Already past: the vendor request fails at once as a timeout.
  EXPECT_LT(VendorDeadline(now - absl::Seconds(1), now, fallback), now);
}

// JobOperations does not trim again: every vendor request of a call, one vendor or all, ends
// at the context's deadline.
TEST(ListDeadlineTest, EveryVendorRequestEndsAtTheContextsDeadline) {
  ManualClock clock;
  Replica r = MakeReplica(kKey, {"ionq", "praisonai", "qbraid"}, clock);
  for (const char* parent : {"vendors/-", "vendors/ionq"}) {
    RpcContext ctx;
    ctx.deadline = clock.Now() + absl::Seconds(10);
    v1::ListJobsRequest request;
    request.set_parent(parent);
    r.ops->ListJobs(ctx, request, [](absl::StatusOr<v1::ListJobsResponse>) {});
    EXPECT_EQ(r.fakes["ionq"]->list_deadlines.back(), ctx.deadline) << parent;
  }
  EXPECT_EQ(r.fakes["qbraid"]->list_deadlines.size(), 1u);
  EXPECT_EQ(r.fakes["qbraid"]->list_deadlines.back(), clock.Now() + absl::Seconds(10));
}

}  // namespace
}  // namespace jobfacade
