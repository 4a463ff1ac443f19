// PraisonAI's request builders and answer readers as pure functions: no server.
#include "adapters/praisonai/praisonai_requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

using ::testing::Contains;
using ::testing::Pair;

TEST(PraisonaiRequestsTest, RunRequestsAndTheOptionalBearerKey) {
  const Endpoint with_key{"http://127.0.0.1:8005", "key-1"};
  absl::StatusOr<http::Request> get = PraisonaiGetJobRequest(with_key, "run_1");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->url, "http://127.0.0.1:8005/api/v1/runs/run_1");
  EXPECT_THAT(get->headers, Contains(Pair("Authorization", "Bearer key-1")));
  EXPECT_EQ(PraisonaiGetJobRequest(Endpoint{"http://127.0.0.1:8005", ""}, "r")->headers.size(), 2u);
  EXPECT_EQ(PraisonaiCancelJobRequest(with_key, "run_1")->url,
            "http://127.0.0.1:8005/api/v1/runs/run_1/cancel");
  EXPECT_EQ(PraisonaiDeleteJobRequest(with_key, "run_1")->method, "DELETE");
}

TEST(PraisonaiRequestsTest, ListPagesAndTheirSuccessor) {
  const Endpoint endpoint{"http://127.0.0.1:8005", ""};
  ListRequest request;
  request.page_size = 2;
  request.cursor = "2";
  request.filter = {{"status", "queued"}};
  EXPECT_EQ(PraisonaiListJobsRequest(endpoint, request)->url,
            "http://127.0.0.1:8005/api/v1/runs?page=2&page_size=2&status=queued");
  http::Response response;
  response.status = 200;
  response.body = R"({"jobs":[{"job_id":"a"},{"job_id":"b"}],"total":5})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "3");
  response.body = R"({"jobs":[{"job_id":"a"},{"job_id":"b"}],"total":4})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "");
  // Without a total, a full page may have a successor; a skipped item still counts as listed.
  response.body = R"({"jobs":[{"job_id":"a"},{"status":"queued"}]})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "3");
  response.body = R"({"jobs":[{"job_id":"a"}]})";
  EXPECT_EQ(ReadPraisonaiJobList(response, request)->next_cursor, "");
}

}  // namespace
}  // namespace jobfacade
