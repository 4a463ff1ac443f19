// IonQ's request builders and answer readers as pure functions: no server.
#include "adapters/ionq/ionq_requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jobfacade {
namespace {

using ::testing::Contains;
using ::testing::Pair;

const Endpoint kEndpoint{"https://api.ionq.co/v0.4", "key-1"};

TEST(IonqRequestsTest, JobRequestsUseTheApiKeyScheme) {
  absl::StatusOr<http::Request> get = IonqGetJobRequest(kEndpoint, "617a1f8b");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->url, "https://api.ionq.co/v0.4/jobs/617a1f8b");
  EXPECT_THAT(get->headers, Contains(Pair("Authorization", "apiKey key-1")));
  absl::StatusOr<http::Request> cancel = IonqCancelJobRequest(kEndpoint, "617a1f8b");
  EXPECT_EQ(cancel->method, "PUT");
  EXPECT_EQ(cancel->url, "https://api.ionq.co/v0.4/jobs/617a1f8b/status/cancel");
  EXPECT_EQ(IonqDeleteJobRequest(kEndpoint, "j")->method, "DELETE");
}

TEST(IonqRequestsTest, ListRequestsPassTheCursorVerbatimAndEncoded) {
  ListRequest request;
  request.page_size = 0;
  request.cursor = "c/ursor=1+2";
  request.filter = {{"status", "ready"}, {"target", "qpu.aria-1"}};
  EXPECT_EQ(IonqListJobsRequest(kEndpoint, request)->url,
            "https://api.ionq.co/v0.4/jobs?limit=50&next=c%2Fursor%3D1%2B2&status=ready&"
            "target=qpu.aria-1");
}

TEST(IonqRequestsTest, ListReaderEndsOnACursorPointingAtItself) {
  ListRequest request;
  request.cursor = "n1";
  http::Response response;
  response.status = 200;
  response.body = R"({"jobs":[{"id":"a"}],"next":"n1"})";
  absl::StatusOr<ListResult> page = ReadIonqJobList(response, request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_cursor, "");
  response.body = R"({"jobs":[{"id":"a"}],"next":"n2"})";
  EXPECT_EQ(ReadIonqJobList(response, request)->next_cursor, "n2");
}

}  // namespace
}  // namespace jobfacade
