// The PraisonAI adapter's requests as a local HTTP server sees them, and how it
// treats replies; also the vendor registry.
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/praisonai/praisonai_requests.h"
#include "adapters/praisonai/praisonai_vendor.h"
#include "adapters/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_harness.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/filter_terms.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::StateIn;
using ::jobfacade::testing::TermOf;

using ::jobfacade::testing::IsError;
using ::jobfacade::testing::IsOk;
using ::jobfacade::testing::Metadata;
using ::jobfacade::testing::ReadExample;
using ::jobfacade::testing::RecordingServer;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;
using Code = absl::StatusCode;

constexpr char kRun[] = "run_abc123";

// A list page of `count` runs numbered from `first`, with `counts` (total,
// page, page_size).
std::string RunsPage(int first, int count, const std::string& counts) {
  std::string jobs;
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&jobs, i ? "," : "", R"({"job_id":"run_)", first + i,
                    R"(","status":"succeeded","created_at":"2025-01-01T00:00:00"})");
  }
  return absl::StrCat(R"({"jobs":[)", jobs, "]", counts.empty() ? "" : ",", counts, "}");
}

// PraisonAI on loopback without a key, the default.
class PraisonaiAdapterTest : public ::jobfacade::testing::AdapterHarness {
 protected:
  PraisonaiAdapterTest() : AdapterHarness("praisonai", "", "") {}
};

// A server that has a key.
class PraisonaiAdapterWithKeyTest : public ::jobfacade::testing::AdapterHarness {
 protected:
  PraisonaiAdapterWithKeyTest() : AdapterHarness("praisonai", "", "praison-key-0003") {}
};

TEST_F(PraisonaiAdapterTest, GetJobWithoutAKeySendsNoAuthorization) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_status_running_200.json"));
  absl::StatusOr<v1::Job> job = Get(kRun);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->name(), "vendors/praisonai/jobs/run_abc123");
  EXPECT_EQ(job->state(), v1::Job::RUNNING);
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/api/v1/runs/run_abc123");
  EXPECT_EQ(request.query, "");
  EXPECT_EQ(request.Header("Authorization"), std::nullopt);
  EXPECT_EQ(request.Header("X-API-KEY"), std::nullopt);
  EXPECT_THAT(request.Header("Accept"), Optional(std::string("application/json")));
  EXPECT_THAT(request.Header("User-Agent"), Optional(std::string("jobfacade/0.1")));
}

TEST_F(PraisonaiAdapterWithKeyTest, GetJobSendsTheKeyAsBearer) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_status_succeeded_200.json"));
  ASSERT_TRUE(Get(kRun).ok());
  EXPECT_THAT(server_.OnlyRequest().Header("Authorization"),
              Optional(std::string("Bearer praison-key-0003")));
}

TEST_F(PraisonaiAdapterTest, CallerKeyIsSentEvenWithoutAConfiguredKey) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_status_succeeded_200.json"));
  CallContext ctx = Context();
  ctx.caller_key = "callers-praison-key";
  ASSERT_TRUE(Get(kRun, v1::JOB_VIEW_BASIC, ctx).ok());
  EXPECT_THAT(server_.OnlyRequest().Header("Authorization"),
              Optional(std::string("Bearer callers-praison-key")));
}

TEST_F(PraisonaiAdapterTest, UnauthorizedWithoutACallerKeyIsInternal) {
  server_.AnswerWith(401, R"({"error":"Unauthorized"})");
  absl::StatusOr<v1::Job> job = Get(kRun);
  EXPECT_THAT(job, IsError(Code::kInternal, "VENDOR_AUTH_FAILED"));
  EXPECT_EQ(Metadata(job.status(), "vendor_message"), "Unauthorized");
}

TEST_F(PraisonaiAdapterTest, NotFoundThroughTheAdapter) {
  server_.AnswerWith(404, ReadExample("praisonai", "docs_error_404.json"));
  absl::StatusOr<v1::Job> job = Get(kRun);
  EXPECT_THAT(job, IsError(Code::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(Metadata(job.status(), "vendor_message"), "Job not found: run_abc123");
}

TEST_F(PraisonaiAdapterTest, TrailingSlashRedirectIsNeverFollowed) {
  server_.AnswerWith(307, "", {{"Location", "/api/v1/runs/run_abc123/"}});
  EXPECT_THAT(Get(kRun), IsError(Code::kInternal, "VENDOR_BAD_RESPONSE"));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(PraisonaiAdapterTest, ListFirstPageWithoutATrailingSlash) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_list_200.json"));
  absl::StatusOr<ListResult> page = List(Page(20));
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs.size(), 2u);
  EXPECT_EQ(page->next_cursor, "2");  // 1 * 20 < 100
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/api/v1/runs");
  EXPECT_EQ(request.query, "page=1&page_size=20");
}

TEST_F(PraisonaiAdapterTest, ListLastPageByTotal) {
  server_.AnswerWith(200, RunsPage(40, 10, R"("total":50,"page":3,"page_size":20)"));
  absl::StatusOr<ListResult> page = List(Page(20, "3"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->jobs.size(), 10u);
  EXPECT_EQ(page->next_cursor, "");  // 3 * 20 >= 50
  EXPECT_EQ(server_.OnlyRequest().query, "page=3&page_size=20");
}

TEST_F(PraisonaiAdapterTest, ListWalksEveryPageOnce) {
  server_.SetHandler([](const RecordingServer::Request& request) {
    int page = request.query == "page=1&page_size=2"   ? 1
               : request.query == "page=2&page_size=2" ? 2
                                                       : 3;
    return RecordingServer::Reply{
        200, RunsPage((page - 1) * 2, page < 3 ? 2 : 1, R"("total":5,"page_size":2)"), {}};
  });
  std::vector<std::string> ids;
  std::string cursor;
  int pages = 0;
  do {
    absl::StatusOr<ListResult> page = List(Page(2, cursor));
    ASSERT_TRUE(page.ok()) << page.status();
    for (const v1::Job& job : page->jobs) ids.push_back(job.vendor_job_id());
    cursor = page->next_cursor;
  } while (!cursor.empty() && ++pages < 10);
  EXPECT_THAT(ids, ::testing::ElementsAre("run_0", "run_1", "run_2", "run_3", "run_4"));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(PraisonaiAdapterTest, ListWithoutATotalContinuesOnlyAfterAFullPage) {
  server_.AnswerWith(200, RunsPage(0, 5, ""));
  absl::StatusOr<ListResult> full = List(Page(5));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->next_cursor, "2");
  server_.AnswerWith(200, RunsPage(5, 3, ""));
  absl::StatusOr<ListResult> partial = List(Page(5, "2"));
  ASSERT_TRUE(partial.ok()) << partial.status();
  EXPECT_EQ(partial->next_cursor, "");
}

TEST_F(PraisonaiAdapterTest, ListEmptyPageIsTheLast) {
  server_.AnswerWith(200, RunsPage(0, 0, R"("total":500)"));
  absl::StatusOr<ListResult> page = List(Page(20, "7"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "");
}

TEST_F(PraisonaiAdapterTest, ListPageSizeAndStatusFilter) {
  server_.AnswerWith(200, RunsPage(0, 0, R"("total":0)"));
  ListRequest request = Page(150);
  request.filter = PraisonaiVendor().PushDown({StateIn({v1::Job::QUEUED})});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "page=1&page_size=100&status=queued");
}

// PraisonAI filters on status only; the service applies the rest of a filter itself.
TEST_F(PraisonaiAdapterTest, ListSendsOnlyTheStatusFilter) {
  server_.AnswerWith(200, RunsPage(0, 0, R"("total":0)"));
  ListRequest request = Page(20);
  request.filter = PraisonaiVendor().PushDown(
      {StateIn({v1::Job::RUNNING}), TermOf(FilterField::kProvider, "praisonai"),
       TermOf(FilterField::kDisplayName, "agent"), TermOf(FilterField::kTag, "alpha", "team"),
       TermOf(FilterField::kDevice, "agent-1")});
  ASSERT_TRUE(List(request).ok());
  EXPECT_EQ(server_.OnlyRequest().query, "page=1&page_size=20&status=running");
}

TEST_F(PraisonaiAdapterTest, ListInvalidStatusIsARejectedRequest) {
  server_.AnswerWith(400, R"({"detail":"Invalid status: sleeping"})");
  ListRequest request = Page(10);
  request.filter = {{"status", "sleeping"}};
  absl::StatusOr<ListResult> page = List(request);
  EXPECT_THAT(page, IsError(Code::kInvalidArgument, "VENDOR_REJECTED_REQUEST"));
  EXPECT_EQ(Metadata(page.status(), "vendor_message"), "Invalid status: sleeping");
}

TEST_F(PraisonaiAdapterTest, CancelPostsToTheCancelPath) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_cancel_200.json"));
  EXPECT_THAT(Cancel(kRun), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/api/v1/runs/run_abc123/cancel");
}

TEST_F(PraisonaiAdapterTest, CancelOfAFinishedRunIsAStateConflict) {
  server_.AnswerWith(409, R"({"detail":"Job is already complete. Status: succeeded"})");
  absl::Status status = Cancel(kRun);
  EXPECT_THAT(status, IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  EXPECT_EQ(Metadata(status, "vendor_message"), "Job is already complete. Status: succeeded");
}

TEST_F(PraisonaiAdapterTest, DeleteAccepts204WithAnEmptyBody) {
  server_.AnswerWith(204, "");
  EXPECT_THAT(Delete(kRun), IsOk());
  RecordingServer::Request request = server_.OnlyRequest();
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.path, "/api/v1/runs/run_abc123");
  EXPECT_THAT(request.path, Not(EndsWith("/")));
}

TEST_F(PraisonaiAdapterTest, DeleteOfARunningRunIsAStateConflictEitherWay) {
  server_.AnswerWith(409, R"({"detail":"Cannot delete a running job. Cancel it first."})");
  EXPECT_THAT(Delete(kRun), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
  server_.AnswerWith(400, ReadExample("praisonai", "docs_delete_400_job_running.json"));
  EXPECT_THAT(Delete(kRun), IsError(Code::kFailedPrecondition, "JOB_STATE_CONFLICT"));
}

TEST_F(PraisonaiAdapterTest, ConnectionRefusedIsUnavailable) {
  // Port 1 on loopback is closed; the request never reaches a server.
  std::unique_ptr<VendorAdapter> nowhere =
      MakeVendorAdapter("praisonai", engine_.get(), VendorConfig{"http://127.0.0.1:1", ""});
  ::jobfacade::testing::Awaiter<v1::Job> awaiter;
  nowhere->GetJob(Context(), kRun, v1::JOB_VIEW_BASIC, awaiter.Callback());
  absl::StatusOr<v1::Job> job = awaiter.Wait();
  EXPECT_THAT(job, IsError(Code::kUnavailable, "VENDOR_UNAVAILABLE"));
  EXPECT_EQ(Metadata(job.status(), "vendor"), "praisonai");
  EXPECT_FALSE(::jobfacade::testing::HasMetadata(job.status(), "http_status"));
  EXPECT_EQ(awaiter.calls(), 1);
}

TEST_F(PraisonaiAdapterTest, CallbackMayOutliveTheAdapter) {
  server_.AnswerWith(200, ReadExample("praisonai", "docs_status_failed_200.json"));
  ::jobfacade::testing::Awaiter<v1::Job> awaiter;
  adapter_->GetJob(Context(), kRun, v1::JOB_VIEW_BASIC, awaiter.Callback());
  adapter_.reset();  // the request is already in the engine's hands
  absl::StatusOr<v1::Job> job = awaiter.Wait();
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state_message(), "Agent execution timeout");
}

// --- Registry
// -------------------------------------------------------------------------------

TEST(VendorRegistryTest, EveryNamedVendorHasAnAdapterOfThatName) {
  http::HttpEngine engine;
  std::vector<std::string> names;
  for (const Vendor* vendor : Vendors()) names.push_back(vendor->name());
  EXPECT_THAT(names, ::testing::ElementsAre("qbraid", "ionq", "praisonai"));
  EXPECT_EQ(VendorNameList(), "qbraid, ionq and praisonai");
  for (absl::string_view vendor : names) {
    EXPECT_TRUE(IsKnownVendor(vendor));
    std::unique_ptr<VendorAdapter> adapter =
        MakeVendorAdapter(vendor, &engine, VendorConfig{"http://127.0.0.1:1", ""});
    ASSERT_NE(adapter, nullptr) << vendor;
    EXPECT_EQ(adapter->vendor(), vendor);
  }
}

TEST(VendorRegistryTest, UnknownVendorsHaveNoAdapter) {
  http::HttpEngine engine;
  for (absl::string_view vendor : {"", "-", "QBRAID", "braket", "ionq "}) {
    EXPECT_FALSE(IsKnownVendor(vendor)) << vendor;
    EXPECT_EQ(MakeVendorAdapter(vendor, &engine, VendorConfig{}), nullptr) << vendor;
  }
}

}  // namespace
}  // namespace jobfacade
