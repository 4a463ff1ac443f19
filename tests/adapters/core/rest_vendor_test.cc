// The generic REST adapter on a scripted HTTP client: the caller's deadline, cancellation and
// key reach the request the vendor's builder made, a 2xx answer goes to the vendor's reader,
// anything else to the contract's error mapping, and a builder's refusal sends nothing.
#include "adapters/core/rest_vendor.h"

#include <memory>
#include <optional>

#include "adapters/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scripted_http_client.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::IsError;
using ::jobfacade::testing::ScriptedClient;
using ::testing::Contains;
using ::testing::Pair;

class RestAdapterTest : public ::testing::Test {
 protected:
  RestAdapterTest()
      : adapter_(
            MakeVendorAdapter("qbraid", &http_, VendorConfig{"https://q.example/api", "cfg"})) {
    ctx_.deadline = absl::FromUnixSeconds(1800000000);
    ctx_.cancellation = std::make_shared<Cancellation>();
  }

  static http::Response Answer(int status, std::string body) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }

  ScriptedClient http_;
  std::unique_ptr<VendorAdapter> adapter_;
  CallContext ctx_;
};

TEST_F(RestAdapterTest, GetCarriesTheCallsDeadlineCancellationAndKey) {
  std::optional<absl::StatusOr<v1::Job>> got;
  ctx_.caller_key = "callers-key";
  adapter_->GetJob(ctx_, "q/1", v1::JOB_VIEW_BASIC,
                   [&](absl::StatusOr<v1::Job> job) { got = std::move(job); });
  ASSERT_EQ(http_.pending(), 1);
  const http::Request request = http_.front_request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "https://q.example/api/jobs/q%2F1");
  EXPECT_EQ(request.deadline, ctx_.deadline);
  EXPECT_EQ(request.cancellation, ctx_.cancellation);
  EXPECT_THAT(request.headers, Contains(Pair("X-API-KEY", "callers-key")));
  EXPECT_THAT(request.headers, Contains(Pair("User-Agent", "jobfacade/0.1")));
  http_.Answer(Answer(200, R"({"success":true,"data":{"jobQrn":"q/1","status":"RUNNING"}})"));
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_EQ((*got)->state(), v1::Job::RUNNING);
}

TEST_F(RestAdapterTest, Non2xxIsTheContractsErrorAndBadBodiesKeepTheirStatus) {
  std::optional<absl::Status> cancelled;
  adapter_->CancelJob(ctx_, "q1", [&](absl::Status s) { cancelled = s; });
  http_.Answer(Answer(404, R"({"detail":"no"})"));
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_THAT(*cancelled, IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));

  std::optional<absl::Status> deleted;
  adapter_->DeleteJob(ctx_, "q1", [&](absl::Status s) { deleted = s; });
  EXPECT_EQ(http_.front_request().method, "DELETE");
  http_.Answer(Answer(200, R"({"success":false})"));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_THAT(*deleted, IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE"));
}

TEST_F(RestAdapterTest, ABuilderRefusalAndAnEmptyIdSendNothing) {
  std::optional<absl::StatusOr<ListResult>> listed;
  ListRequest request;
  request.cursor = "not-a-page";
  adapter_->ListJobs(ctx_, request, [&](absl::StatusOr<ListResult> r) { listed = std::move(r); });
  ASSERT_TRUE(listed.has_value());
  EXPECT_THAT(listed->status(), IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
  std::optional<absl::Status> cancelled;
  adapter_->CancelJob(ctx_, "", [&](absl::Status s) { cancelled = s; });
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_THAT(*cancelled, IsError(absl::StatusCode::kInvalidArgument, "INVALID_NAME"));
  EXPECT_EQ(http_.sent(), 0);
}

}  // namespace
}  // namespace jobfacade
