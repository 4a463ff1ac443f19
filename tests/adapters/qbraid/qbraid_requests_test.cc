// qBraid's request builders and answer readers as pure functions: no server.
#include "adapters/qbraid/qbraid_requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::IsError;
using ::testing::ElementsAre;
using ::testing::Pair;

const Endpoint kEndpoint{"https://api-v2.qbraid.com/api/v1", "key-1"};

http::Response Ok(std::string body) {
  http::Response response;
  response.status = 200;
  response.body = std::move(body);
  return response;
}

TEST(QbraidRequestsTest, JobRequestsAddressTheEncodedQrnWithTheKey) {
  const std::string qrn = "aws:aws:sim:sv1-37f5-qjob-69/6a";
  absl::StatusOr<http::Request> get = QbraidGetJobRequest(kEndpoint, qrn);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->method, "GET");
  EXPECT_EQ(get->url,
            "https://api-v2.qbraid.com/api/v1/jobs/aws%3Aaws%3Asim%3Asv1-37f5-qjob-69%2F6a");
  EXPECT_THAT(get->headers,
              ElementsAre(Pair("Accept", "application/json"), Pair("User-Agent", "jobfacade/0.1"),
                          Pair("X-API-KEY", "key-1")));
  EXPECT_EQ(QbraidCancelJobRequest(kEndpoint, "q")->url,
            "https://api-v2.qbraid.com/api/v1/jobs/q/cancel");
  EXPECT_EQ(QbraidCancelJobRequest(kEndpoint, "q")->method, "POST");
  EXPECT_EQ(QbraidDeleteJobRequest(kEndpoint, "q")->method, "DELETE");
  // No key, no header.
  EXPECT_EQ(QbraidGetJobRequest(Endpoint{kEndpoint.base_url, ""}, "q")->headers.size(), 2u);
}

TEST(QbraidRequestsTest, ListRequestsCountPagesAndCarryThePushedDownFilter) {
  ListRequest request;
  request.page_size = 500;
  request.cursor = "3";
  request.filter = {{"status", "RUNNING"}, {"search", "Bell state"}};
  EXPECT_EQ(
      QbraidListJobsRequest(kEndpoint, request)->url,
      "https://api-v2.qbraid.com/api/v1/jobs?page=3&limit=100&status=RUNNING&search=Bell%20state");
  request.cursor = "x";
  EXPECT_THAT(QbraidListJobsRequest(kEndpoint, request).status(),
              IsError(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN"));
}

TEST(QbraidRequestsTest, ListReaderFollowsHasNextButNeverFromAnEmptyPage) {
  ListRequest request;
  request.cursor = "2";
  absl::StatusOr<ListResult> page = ReadQbraidJobList(
      Ok(R"({"success":true,"data":[{"jobQrn":"a"},{"x":1}],"pagination":{"hasNext":true}})"),
      request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "3");
  EXPECT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->skipped, 1);
  page =
      ReadQbraidJobList(Ok(R"({"success":true,"data":[],"pagination":{"hasNext":true}})"), request);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->next_cursor, "");
}

TEST(QbraidRequestsTest, StateChangeReaderRefusesSuccessFalseOnly) {
  EXPECT_TRUE(ReadQbraidStateChange(Ok(R"({"success":true})")).ok());
  EXPECT_TRUE(ReadQbraidStateChange(Ok("not json")).ok());
  EXPECT_THAT(ReadQbraidStateChange(Ok(R"({"success":false})")),
              IsError(absl::StatusCode::kInternal, "VENDOR_BAD_RESPONSE"));
}

}  // namespace
}  // namespace jobfacade
