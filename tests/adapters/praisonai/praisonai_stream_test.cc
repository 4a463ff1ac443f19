// PraisonAI's run event stream through the registry's adapter and the real HTTP engine,
// against a local server that sends its events in pieces the test releases one by one.
#include <httplib.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::IsError;

// Serves GET /api/v1/runs/{id}/stream as text/event-stream, one piece per Release().
class StreamServer {
 public:
  explicit StreamServer(std::vector<std::string> pieces, int status = 200)
      : pieces_(std::move(pieces)), status_(status) {
    server_.Get(R"(/api/v1/runs/([^/]+)/stream)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  {
                    absl::MutexLock lock(&mu_);
                    accept_ = req.get_header_value("Accept");
                  }
                  if (status_ != 200) {
                    res.status = status_;
                    res.set_content(R"({"detail":"Job not found: run_x"})", "application/json");
                    return;
                  }
                  res.set_chunked_content_provider(
                      "text/event-stream", [this](size_t, httplib::DataSink& sink) {
                        absl::MutexLock lock(&mu_);
                        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                          return released_ > sent_ || stopping_;
                        };
                        mu_.Await(absl::Condition(&ready));
                        if (stopping_) return false;
                        if (sent_ == pieces_.size()) {
                          sink.done();  // the server closes the stream
                          return true;
                        }
                        const std::string& piece = pieces_[sent_++];
                        return sink.write(piece.data(), piece.size());
                      });
                });
    server_.set_keep_alive_max_count(1);  // one request per connection: stop() is quick
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~StreamServer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  // Lets the next piece go (the one after the last piece closes the stream).
  void Release() {
    absl::MutexLock lock(&mu_);
    ++released_;
  }
  std::string accept() {
    absl::MutexLock lock(&mu_);
    return accept_;
  }

 private:
  const std::vector<std::string> pieces_;
  const int status_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  size_t released_ ABSL_GUARDED_BY(mu_) = 0;
  size_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::string accept_ ABSL_GUARDED_BY(mu_);
};

// What FollowEvents reported.
struct Events {
  absl::Mutex mu;
  std::vector<std::string> types ABSL_GUARDED_BY(mu);
  std::optional<absl::Status> end ABSL_GUARDED_BY(mu);
  size_t count() {
    absl::MutexLock lock(&mu);
    return types.size();
  }
  bool WaitFor(size_t n, absl::Duration bound = absl::Seconds(10)) {
    absl::MutexLock lock(&mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return types.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), bound);
  }
  std::optional<absl::Status> WaitForEnd(absl::Duration bound = absl::Seconds(10)) {
    absl::MutexLock lock(&mu);
    auto ended = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return end.has_value(); };
    mu.AwaitWithTimeout(absl::Condition(&ended), bound);
    return end;
  }
};

class PraisonaiStreamTest : public ::testing::Test {
 protected:
  void Follow(StreamServer& server, const std::shared_ptr<Events>& events,
              std::shared_ptr<Cancellation> cancellation = nullptr) {
    adapter_ = MakeVendorAdapter("praisonai", &engine_, VendorConfig{server.url(), ""});
    ASSERT_NE(adapter_, nullptr);
    CallContext ctx;
    ctx.cancellation = std::move(cancellation);
    adapter_->FollowEvents(
        ctx, "run_0123456789ab",
        [events](absl::string_view type) {
          absl::MutexLock lock(&events->mu);
          events->types.emplace_back(type);
        },
        [events](absl::Status status) {
          absl::MutexLock lock(&events->mu);
          EXPECT_FALSE(events->end.has_value()) << "done ran twice";
          events->end = std::move(status);
        });
  }

  http::HttpEngine engine_;
  std::unique_ptr<VendorAdapter> adapter_;
};

TEST_F(PraisonaiStreamTest, AnEventSplitAcrossReadsIsReportedOnceWhole) {
  StreamServer server({"event: sta", "tus\r\ndata: {\"status\": \"queued\"}\r", "\n\r\n",
                       ": ping\r\n\r\nevent: heartbeat\ndata: {}\n\n",
                       "event: result\ndata: {\"result\": \"done\"}\n\n"});
  auto events = std::make_shared<Events>();
  Follow(server, events);
  server.Release();  // "event: sta"
  server.Release();  // "tus\r\ndata: ...\r"
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(events->count(), 0u) << "the event is not whole before its blank line";
  server.Release();
  ASSERT_TRUE(events->WaitFor(1));
  server.Release();
  server.Release();
  ASSERT_TRUE(events->WaitFor(3));
  server.Release();  // the server closes
  std::optional<absl::Status> end = events->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->ok()) << *end;
  absl::MutexLock lock(&events->mu);
  EXPECT_EQ(events->types, (std::vector<std::string>{"status", "heartbeat", "result"}));
  EXPECT_EQ(server.accept(), "text/event-stream");
}

TEST_F(PraisonaiStreamTest, ARefusedStreamEndsWithTheContractError) {
  StreamServer server({}, 404);
  auto events = std::make_shared<Events>();
  Follow(server, events);
  std::optional<absl::Status> end = events->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_THAT(*end, IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(events->count(), 0u);
}

TEST_F(PraisonaiStreamTest, CancellingClosesAnOpenStream) {
  StreamServer server({"event: status\ndata: {}\n\n"});
  auto events = std::make_shared<Events>();
  auto cancellation = std::make_shared<Cancellation>();
  Follow(server, events, cancellation);
  server.Release();
  ASSERT_TRUE(events->WaitFor(1));
  cancellation->Cancel();
  std::optional<absl::Status> end = events->WaitForEnd();
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(engine_.in_flight(), 0u);
}

}  // namespace
}  // namespace jobfacade
