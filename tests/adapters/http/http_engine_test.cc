// HttpEngine against real HTTP(S) servers on 127.0.0.1: cpp-httplib, plus raw
// sockets for replies a well-behaved server never sends.
#include "adapters/http/http_engine.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::http {
namespace {

using ::jobfacade::testing::Stopwatch;

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

// A server writing to a connection the engine already dropped must not kill the
// binary.
const bool kSigpipeIgnored = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

constexpr absl::Duration kWaitLimit = absl::Seconds(20);

// Collects responses from any thread and lets the test wait for them. Callbacks
// share the state, so a collector may go out of scope while the loop thread is
// still unlocking it.
class Collector {
 public:
  ResponseCallback Callback() {
    return [state = state_](Response response) { state->Add(std::move(response)); };
  }

  void Add(Response response) { state_->Add(std::move(response)); }

  bool WaitFor(size_t count, absl::Duration timeout = kWaitLimit) {
    absl::MutexLock lock(&state_->mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
      return state_->responses.size() >= count;
    };
    return state_->mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  size_t size() {
    absl::MutexLock lock(&state_->mu);
    return state_->responses.size();
  }

  std::vector<Response> responses() {
    absl::MutexLock lock(&state_->mu);
    return state_->responses;
  }

 private:
  struct State {
    void Add(Response response) {
      absl::MutexLock lock(&mu);
      responses.push_back(std::move(response));
    }
    absl::Mutex mu;
    std::vector<Response> responses ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

Response SendAndWait(HttpEngine& engine, Request request) {
  Collector collector;
  engine.Send(std::move(request), collector.Callback());
  EXPECT_TRUE(collector.WaitFor(1));
  std::vector<Response> responses = collector.responses();
  return responses.empty() ? Response() : responses.front();
}

Request MakeRequest(std::string method, std::string url, std::string body = "") {
  Request request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

struct SeenRequest {
  std::string method;
  std::string path;
  int remote_port = 0;
};

// A cpp-httplib server on 127.0.0.1:0 running on its own thread. Handlers may
// call HoldUntilReleased() to stay in flight until the server is destroyed.
class LocalServer {
 public:
  explicit LocalServer(size_t threads = 16, std::unique_ptr<httplib::Server> server = nullptr)
      : server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_->set_keep_alive_timeout(2);
    server_->set_socket_options([this](int sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_socket_ = sock;
    });
    server_->set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
      absl::MutexLock lock(&mu_);
      seen_.push_back({request.method, request.path, request.remote_port});
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_->Get("/ping", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("pong", "text/plain");
    });
    server_->Get("/hold", [this](const httplib::Request&, httplib::Response& response) {
      HoldUntilReleased();
      response.set_content("released", "text/plain");
    });
  }

  ~LocalServer() {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }

  httplib::Server* operator->() { return server_.get(); }

  void Start(std::string scheme = "http") {
    scheme_ = std::move(scheme);
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // cpp-httplib listens with a backlog of 5; a burst of connects needs a
    // deeper queue.
    ASSERT_EQ(::listen(listen_socket_, 1024), 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it (startup
    // only).
    while (!server_->is_running()) std::this_thread::yield();
  }

  int port() const { return port_; }
  std::string Url(absl::string_view path) const {
    return absl::StrCat(scheme_, "://127.0.0.1:", port_, path);
  }

  void HoldUntilReleased() {
    {
      absl::MutexLock lock(&mu_);
      ++held_;
    }
    release_.WaitForNotificationWithTimeout(kWaitLimit);
  }

  bool WaitForHeld(int count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
  }

  bool WaitForRequests(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return seen_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWaitLimit);
  }

  std::vector<SeenRequest> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  int RequestsTo(absl::string_view path) {
    int count = 0;
    for (const SeenRequest& request : seen()) count += request.path == path;
    return count;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string scheme_ = "http";
  int port_ = 0;
  int listen_socket_ = -1;
  std::thread thread_;
  absl::Notification release_;
  absl::Mutex mu_;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SeenRequest> seen_ ABSL_GUARDED_BY(mu_);
};

int BoundLoopbackSocket(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  *port = ntohs(address.sin_port);
  return fd;
}

// A port that refuses connections: bound (so nobody else gets it) but never
// listening.
class ClosedPort {
 public:
  ClosedPort() : fd_(BoundLoopbackSocket(&port_)) {}
  ~ClosedPort() { close(fd_); }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

 private:
  int port_ = 0;
  int fd_;
};

// Accepts one connection, reads the request head, writes `reply` verbatim and
// closes.
class RawServer {
 public:
  explicit RawServer(std::string reply) : fd_(BoundLoopbackSocket(&port_)) {
    EXPECT_EQ(listen(fd_, 4), 0);
    thread_ = std::thread([this, reply = std::move(reply)] {
      int connection = accept(fd_, nullptr, nullptr);
      if (connection < 0) return;
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(connection, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        head.append(buffer, static_cast<size_t>(n));
      }
      {
        absl::MutexLock lock(&mu_);
        head_ = head;
      }
      send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      close(connection);
    });
  }

  std::string RequestHead() {
    absl::MutexLock lock(&mu_);
    return head_;
  }
  ~RawServer() {
    shutdown(fd_, SHUT_RDWR);  // wakes accept() if nobody connected
    thread_.join();
    close(fd_);
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/"); }

 private:
  int port_ = 0;
  int fd_;
  std::thread thread_;
  absl::Mutex mu_;
  std::string head_ ABSL_GUARDED_BY(mu_);
};

size_t CountThreads() {
  size_t count = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  while (dirent* entry = readdir(dir)) count += entry->d_name[0] != '.';
  closedir(dir);
  return count;
}

// A self-signed certificate made with the openssl tool in a fresh temporary
// directory.
class SelfSignedCert {
 public:
  explicit SelfSignedCert(bool ip_san) {
    std::string pattern = absl::StrCat(::testing::TempDir(), "http_engine_test_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    const std::string command = absl::StrCat(
        "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
        "-keyout ",
        key_path(), " -out ", cert_path(), ip_san ? " -addext subjectAltName=IP:127.0.0.1" : "",
        " >/dev/null 2>&1");
    ok_ = std::system(command.c_str()) == 0;
  }
  ~SelfSignedCert() {
    if (dir_.empty()) return;
    std::remove(key_path().c_str());
    std::remove(cert_path().c_str());
    rmdir(dir_.c_str());
  }
  bool ok() const { return ok_; }
  std::string cert_path() const { return dir_ + "/cert.pem"; }
  std::string key_path() const { return dir_ + "/key.pem"; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST(HttpEngineTest, GetReturnsStatusBodyAndHeaders) {
  LocalServer server;
  server->Get("/thing", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-Request-Id", "abc-123");
    response.set_content("hello body", "text/plain");
  });
  server.Start();
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url("/thing")));

  EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello body");
  EXPECT_THAT(response.Header("x-request-id"), Optional(std::string("abc-123")));
  EXPECT_THAT(response.Header("X-REQUEST-ID"), Optional(std::string("abc-123")));
  EXPECT_THAT(response.Header("Content-Type"), Optional(std::string("text/plain")));
  EXPECT_EQ(response.Header("x-missing"), std::nullopt);
  for (const auto& [name, value] : response.headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }
  EXPECT_EQ(server.seen().at(0).method, "GET");
}

TEST(HttpEngineTest, PostPutDeleteCarryMethodAndBody) {
  LocalServer server;
  absl::Mutex mu;
  std::vector<std::string> received;  // "METHOD body content-type expect"
  auto echo = [&](const httplib::Request& request, httplib::Response& response) {
    absl::MutexLock lock(&mu);
    received.push_back(absl::StrCat(request.method, " ", request.body, " [",
                                    request.get_header_value("Content-Type"), "] [",
                                    request.get_header_value("Expect"), "]"));
    response.set_content(absl::StrCat("got ", request.method), "text/plain");
  };
  server->Post("/jobs", echo);
  server->Put("/jobs", echo);
  server->Delete("/jobs", echo);
  server.Start();
  HttpEngine engine;

  for (const char* method : {"POST", "PUT", "DELETE"}) {
    Request request = MakeRequest(method, server.Url("/jobs"), R"({"a":1})");
    request.headers.emplace_back("Content-Type", "application/json");
    Response response = SendAndWait(engine, std::move(request));
    EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, absl::StrCat("got ", method));
  }
  // A body past curl's 1 MiB threshold would normally trigger "Expect:
  // 100-continue".
  Response big =
      SendAndWait(engine, MakeRequest("POST", server.Url("/jobs"), std::string(2 << 20, 'x')));
  EXPECT_EQ(big.status, 200) << big.error_message;

  absl::MutexLock lock(&mu);
  ASSERT_EQ(received.size(), 4u);
  EXPECT_EQ(received[0], R"(POST {"a":1} [application/json] [])");
  EXPECT_EQ(received[1], R"(PUT {"a":1} [application/json] [])");
  EXPECT_EQ(received[2], R"(DELETE {"a":1} [application/json] [])");
  // No Expect header, and curl's default form content type is not invented.
  EXPECT_EQ(received[3], absl::StrCat("POST ", std::string(2 << 20, 'x'), " [] []"));
}

TEST(HttpEngineTest, EmptyPostAndPutSendContentLengthZero) {
  LocalServer server;
  absl::Mutex mu;
  std::vector<std::string> lengths;
  auto record = [&](const httplib::Request& request, httplib::Response& response) {
    absl::MutexLock lock(&mu);
    lengths.push_back(request.has_header("Content-Length")
                          ? request.get_header_value("Content-Length")
                          : "absent");
    response.status = 204;
  };
  server->Post("/cancel", record);
  server->Put("/cancel", record);
  server->Delete("/cancel", record);
  server.Start();
  HttpEngine engine;

  for (const char* method : {"POST", "PUT", "DELETE"}) {
    Response response = SendAndWait(engine, MakeRequest(method, server.Url("/cancel")));
    EXPECT_EQ(response.status, 204) << method << ": " << response.error_message;
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(lengths, (std::vector<std::string>{"0", "0", "absent"}));
}

TEST(HttpEngineTest, RequestHeadersArrive) {
  LocalServer server;
  // Written on a server thread: the response reaching the engine orders it before the checks
  // below only through the network, which ThreadSanitizer cannot see.
  absl::Mutex mu;
  std::string api_key, accept;
  server->Get("/headers", [&](const httplib::Request& request, httplib::Response& response) {
    absl::MutexLock lock(&mu);
    api_key = request.get_header_value("X-Api-Key");
    accept = request.get_header_value("Accept");
    response.set_content("ok", "text/plain");
  });
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/headers"));
  request.headers = {{"X-Api-Key", "key-42"}, {"Accept", "application/json"}};

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.status, 200) << response.error_message;
  absl::MutexLock lock(&mu);
  EXPECT_EQ(api_key, "key-42");
  EXPECT_EQ(accept, "application/json");
}

TEST(HttpEngineTest, DefaultUserAgentCanBeOverridden) {
  LocalServer server;
  absl::Mutex mu;
  std::vector<std::string> agents;
  server->Get("/agent", [&](const httplib::Request& request, httplib::Response& response) {
    absl::MutexLock lock(&mu);
    agents.push_back(request.get_header_value("User-Agent"));
    response.status = 204;
  });
  server.Start();
  HttpEngine engine;
  Request custom = MakeRequest("GET", server.Url("/agent"));
  custom.headers = {{"User-Agent", "vendor-client/2"}};

  EXPECT_EQ(SendAndWait(engine, MakeRequest("GET", server.Url("/agent"))).status, 204);
  EXPECT_EQ(SendAndWait(engine, std::move(custom)).status, 204);

  absl::MutexLock lock(&mu);
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_THAT(agents[0], HasSubstr("jobfacade"));
  EXPECT_EQ(agents[1], "vendor-client/2");
}

TEST(HttpEngineTest, UnlimitedCapAndTimeoutAreAccepted) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/ping"));
  request.max_response_bytes = std::numeric_limits<size_t>::max();
  request.default_timeout = absl::InfiniteDuration();

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
  EXPECT_EQ(response.body, "pong");
}

// cpp-httplib drops empty header values, so this one reads the request off the
// wire.
TEST(HttpEngineTest, EmptyHeaderValueIsSent) {
  RawServer server("HTTP/1.1 204 No Content\r\n\r\n");
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url());
  request.headers = {{"X-Empty", ""}};

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.status, 204) << response.error_message;
  EXPECT_THAT(server.RequestHead(), HasSubstr("\r\nX-Empty:\r\n"));
}

TEST(HttpEngineTest, HeaderWithLineBreakIsRejectedBeforeSending) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/ping"));
  request.headers = {{"X-Api-Key", "abc\r\nX-Injected: 1"}};
  Collector collector;

  engine.Send(std::move(request), collector.Callback());

  ASSERT_EQ(collector.size(), 1u);  // failed on the calling thread
  EXPECT_EQ(collector.responses()[0].error, TransportError::kOther);
  EXPECT_THAT(collector.responses()[0].error_message, Not(HasSubstr("abc")));
  EXPECT_EQ(server.seen().size(), 0u);
}

TEST(HttpEngineTest, UnsupportedMethodFailsAtOnce) {
  HttpEngine engine;
  Collector collector;
  engine.Send(MakeRequest("PATCH", "http://127.0.0.1:1/"), collector.Callback());
  ASSERT_EQ(collector.size(), 1u);
  EXPECT_EQ(collector.responses()[0].error, TransportError::kOther);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST(HttpEngineTest, ErrorStatusesAreResponsesNotErrors) {
  LocalServer server;
  server->Get("/boom", [](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content(R"({"error":"internal"})", "application/json");
  });
  server.Start();
  HttpEngine engine;

  Response missing = SendAndWait(engine, MakeRequest("GET", server.Url("/no-such-path")));
  Response failed = SendAndWait(engine, MakeRequest("GET", server.Url("/boom")));

  EXPECT_EQ(missing.error, TransportError::kNone);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(failed.error, TransportError::kNone);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, R"({"error":"internal"})");
}

TEST(HttpEngineTest, RedirectIsReturnedNotFollowed) {
  LocalServer server;
  server->Get("/old", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/new", 302);
  });
  server->Get("/new", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("moved here", "text/plain");
  });
  server.Start();
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url("/old")));

  EXPECT_EQ(response.error, TransportError::kNone);
  EXPECT_EQ(response.status, 302);
  EXPECT_THAT(response.Header("location"), Optional(std::string("/new")));
  EXPECT_EQ(server.RequestsTo("/new"), 0);
}

TEST(HttpEngineTest, DeadlineTimesOutAgainstSlowHandler) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/hold"));
  const Stopwatch stopwatch;
  request.deadline = absl::Now() + absl::Milliseconds(250);

  Response response = SendAndWait(engine, std::move(request));

  const absl::Duration elapsed = stopwatch.Elapsed();
  EXPECT_EQ(response.error, TransportError::kTimeout) << response.error_message;
  EXPECT_THAT(response.error_message, Not(IsEmpty()));
  EXPECT_GE(elapsed, absl::Milliseconds(200));
  EXPECT_LT(elapsed, absl::Seconds(5));
  EXPECT_EQ(engine.in_flight(), 0u);
}

// A vendor that sends its headers and part of the body, then nothing: the low-speed limit ends
// the transfer long before the deadline. curl measures this on the real clock, so the test
// takes about low_speed_time.
TEST(HttpEngineTest, BodyThatStopsArrivingIsStalledBeforeTheDeadline) {
  LocalServer server;
  server->Get("/trickle", [&server](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider("application/json",
                                          [&server](size_t offset, httplib::DataSink& sink) {
                                            // One byte: curl averages the speed over
                                            // about five seconds, so more would keep the
                                            // average above 1 byte/s for a while.
                                            if (offset == 0) return sink.write("{", 1);
                                            server.HoldUntilReleased();
                                            return false;
                                          });
  });
  server.Start();
  HttpEngine::Options options;
  options.low_speed_time = absl::Seconds(1);
  HttpEngine engine(options);
  Request request = MakeRequest("GET", server.Url("/trickle"));
  const Stopwatch stopwatch;
  request.deadline = absl::Now() + absl::Seconds(15);

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.error, TransportError::kStalled) << response.error_message;
  EXPECT_LT(stopwatch.Elapsed(), absl::Seconds(8));
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST(HttpEngineTest, InfiniteDeadlineUsesDefaultTimeout) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/hold"));
  request.default_timeout = absl::Milliseconds(200);

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.error, TransportError::kTimeout) << response.error_message;
}

TEST(HttpEngineTest, PassedDeadlineSendsNothing) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/hold"));
  request.deadline = absl::Now() - absl::Seconds(1);
  Collector collector;

  engine.Send(std::move(request), collector.Callback());

  ASSERT_EQ(collector.size(), 1u);
  EXPECT_EQ(collector.responses()[0].error, TransportError::kTimeout);
  // A later request reaching the server shows the earlier one would have
  // arrived by now.
  EXPECT_EQ(SendAndWait(engine, MakeRequest("GET", server.Url("/ping"))).status, 200);
  EXPECT_EQ(server.RequestsTo("/hold"), 0);
  EXPECT_EQ(server.RequestsTo("/ping"), 1);
}

TEST(HttpEngineTest, CancellationAbortsRequestInFlight) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/hold"));
  request.cancellation = std::make_shared<Cancellation>();
  std::shared_ptr<Cancellation> cancellation = request.cancellation;
  Collector collector;

  engine.Send(std::move(request), collector.Callback());
  ASSERT_TRUE(server.WaitForHeld(1));
  EXPECT_EQ(engine.in_flight(), 1u);
  const Stopwatch cancelled_at;
  cancellation->Cancel();

  ASSERT_TRUE(collector.WaitFor(1));
  EXPECT_LT(cancelled_at.Elapsed(), absl::Seconds(1));
  EXPECT_EQ(collector.responses()[0].error, TransportError::kCancelled);
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST(HttpEngineTest, CancellationBeforeStartSendsNothing) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Request request = MakeRequest("GET", server.Url("/hold"));
  request.cancellation = std::make_shared<Cancellation>();
  request.cancellation->Cancel();
  Collector collector;

  engine.Send(std::move(request), collector.Callback());

  ASSERT_EQ(collector.size(), 1u);
  EXPECT_EQ(collector.responses()[0].error, TransportError::kCancelled);
  EXPECT_EQ(SendAndWait(engine, MakeRequest("GET", server.Url("/ping"))).status, 200);
  EXPECT_EQ(server.RequestsTo("/hold"), 0);
}

TEST(HttpEngineTest, CancelRacingCompletionCallsDoneExactlyOnce) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  constexpr int kRequests = 200;
  std::vector<std::shared_ptr<Cancellation>> cancellations;
  for (int i = 0; i < kRequests; ++i) {
    cancellations.push_back(std::make_shared<Cancellation>());
  }
  std::vector<std::atomic<int>> calls(kRequests);
  Collector collector;

  std::thread canceller([&] {
    for (int i = kRequests - 1; i >= 0; --i) cancellations[i]->Cancel();
  });
  for (int i = 0; i < kRequests; ++i) {
    Request request = MakeRequest("GET", server.Url("/ping"));
    request.cancellation = cancellations[i];
    engine.Send(std::move(request), [&, i](Response response) {
      calls[i].fetch_add(1);
      collector.Add(std::move(response));
    });
  }
  canceller.join();

  ASSERT_TRUE(collector.WaitFor(kRequests));
  // One more round trip through the loop gives any duplicate completion time to
  // show.
  EXPECT_EQ(SendAndWait(engine, MakeRequest("GET", server.Url("/ping"))).status, 200);
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(calls[i].load(), 1) << "request " << i;
  for (const Response& response : collector.responses()) {
    EXPECT_THAT(response.error, AnyOf(TransportError::kNone, TransportError::kCancelled));
  }
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST(HttpEngineTest, BodyOverCapIsResponseTooLarge) {
  // Outlives the server: a server thread may still be sending it after the engine gave up.
  const std::string nine_mib(9 << 20, 'z');
  LocalServer server;
  server->Get("/big", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(nine_mib, "application/octet-stream");
  });
  // No Content-Length: only the write callback can notice.
  server->Get("/big-chunked", [&](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(
        "application/octet-stream", [&](size_t offset, httplib::DataSink& sink) {
          if (offset >= nine_mib.size()) {
            sink.done();
            return true;
          }
          const size_t n = std::min<size_t>(64 << 10, nine_mib.size() - offset);
          return sink.write(nine_mib.data() + offset, n);
        });
  });
  server.Start();
  HttpEngine engine;

  for (const char* path : {"/big", "/big-chunked"}) {
    Response response = SendAndWait(engine, MakeRequest("GET", server.Url(path)));
    EXPECT_EQ(response.error, TransportError::kResponseTooLarge) << path;
    EXPECT_TRUE(response.body.empty()) << path;
    EXPECT_THAT(response.error_message, Not(HasSubstr("zzz")));
  }
}

TEST(HttpEngineTest, BodyExactlyAtCapIsAccepted) {
  LocalServer server;
  server->Get("/sized", [](const httplib::Request& request, httplib::Response& response) {
    response.set_content(std::string(std::stoul(request.get_param_value("n")), 'a'), "text/plain");
  });
  server.Start();
  HttpEngine engine;
  Request at_cap = MakeRequest("GET", server.Url("/sized?n=1000"));
  at_cap.max_response_bytes = 1000;
  Request over_cap = MakeRequest("GET", server.Url("/sized?n=1001"));
  over_cap.max_response_bytes = 1000;

  Response accepted = SendAndWait(engine, std::move(at_cap));
  Response refused = SendAndWait(engine, std::move(over_cap));

  EXPECT_EQ(accepted.error, TransportError::kNone) << accepted.error_message;
  EXPECT_EQ(accepted.body.size(), 1000u);
  EXPECT_EQ(refused.error, TransportError::kResponseTooLarge);
}

TEST(HttpEngineTest, ClosedPortIsConnectFailed) {
  ClosedPort closed;
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", closed.Url()));

  EXPECT_EQ(response.error, TransportError::kConnectFailed) << response.error_message;
  EXPECT_THAT(response.error_message, Not(IsEmpty()));
}

// curl's message for a refused connection names the host ("Failed to connect to 127.0.0.1
// port ..."). A header value that is also in that message must come out redacted: the secret
// here is the host itself, so the unscrubbed message would carry it.
TEST(HttpEngineTest, ErrorMessageNeverCarriesHeaderValues) {
  ClosedPort closed;
  HttpEngine engine;
  Request request = MakeRequest("POST", closed.Url(), "body-secret-XYZ");
  request.headers = {{"Authorization", "apiKey 127.0.0.1"}};

  Response response = SendAndWait(engine, std::move(request));

  EXPECT_EQ(response.error, TransportError::kConnectFailed);
  EXPECT_THAT(response.error_message, HasSubstr("Failed to connect to [redacted]"));
  EXPECT_THAT(response.error_message, Not(HasSubstr("127.0.0.1")));
  EXPECT_THAT(response.error_message, Not(HasSubstr("body-secret")));
}

TEST(HttpEngineTest, ConnectionClosedMidBodyIsConnectionLost) {
  RawServer server(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
      "1000\r\n\r\npartial");
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url()));

  EXPECT_EQ(response.error, TransportError::kConnectionLost) << response.error_message;
  EXPECT_TRUE(response.body.empty());
}

TEST(HttpEngineTest, ConnectionClosedMidHeadersIsConnectionLost) {
  RawServer server("HTTP/1.1 200 OK\r\nContent-Ty");
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url()));

  EXPECT_EQ(response.error, TransportError::kConnectionLost) << response.error_message;
}

TEST(HttpEngineTest, ConnectionClosedWithoutReplyIsConnectionLost) {
  RawServer server("");
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url()));

  EXPECT_EQ(response.error, TransportError::kConnectionLost) << response.error_message;
}

TEST(HttpEngineTest, InterimResponseHeadersDoNotLeak) {
  RawServer server(
      "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\n"
      "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok");
  HttpEngine engine;

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url()));

  EXPECT_EQ(response.error, TransportError::kNone) << response.error_message;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_THAT(response.Header("x-final"), Optional(std::string("yes")));
  EXPECT_EQ(response.Header("x-interim"), std::nullopt);
}

TEST(HttpEngineTest, SequentialRequestsReuseTheConnection) {
  LocalServer server;
  server.Start();
  HttpEngine engine;

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(SendAndWait(engine, MakeRequest("GET", server.Url("/ping"))).status, 200);
  }

  std::vector<SeenRequest> seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].remote_port, seen[0].remote_port);
  EXPECT_EQ(seen[2].remote_port, seen[0].remote_port);
}

TEST(HttpEngineTest, ConcurrentRequestsShareTheOneLoopThread) {
  constexpr int kRequests = 300;
  LocalServer server(/*threads=*/kRequests + 8);
  server->Get("/slow", [](const httplib::Request&, httplib::Response& response) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // latency is the point
    response.set_content("slow", "text/plain");
  });
  server.Start();
  {  // The server's worker pool exists once it has served something.
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(20);  // the pool of threads starts before the first accept
    ASSERT_TRUE(client.Get("/ping"));
  }
  const size_t threads_before = CountThreads();
  HttpEngine engine;
  const size_t threads_with_engine = CountThreads();
  EXPECT_EQ(threads_with_engine, threads_before + 1);
  Collector collector;

  const Stopwatch start;
  for (int i = 0; i < kRequests; ++i) {
    engine.Send(MakeRequest("GET", server.Url("/slow")), collector.Callback());
  }
  EXPECT_EQ(engine.in_flight() + collector.size(), static_cast<size_t>(kRequests));
  ASSERT_TRUE(server.WaitForRequests(1 + kRequests / 2));
  EXPECT_EQ(CountThreads(), threads_with_engine);
  ASSERT_TRUE(collector.WaitFor(kRequests));
  const absl::Duration elapsed = start.Elapsed();

  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_EQ(CountThreads(), threads_with_engine);
  for (const Response& response : collector.responses()) {
    ASSERT_EQ(response.error, TransportError::kNone) << response.error_message;
    ASSERT_EQ(response.status, 200);
    ASSERT_EQ(response.body, "slow");
  }
  EXPECT_EQ(engine.in_flight(), 0u);
}

TEST(HttpEngineTest, SendFromInsideCallbackChainsRequests) {
  LocalServer server;
  server.Start();
  HttpEngine engine;
  Collector collector;
  const std::string second_url = server.Url("/ping");

  engine.Send(MakeRequest("GET", server.Url("/ping")), [&](Response first) {
    collector.Add(std::move(first));
    engine.Send(MakeRequest("GET", second_url), collector.Callback());
  });

  ASSERT_TRUE(collector.WaitFor(2));
  for (const Response& response : collector.responses()) {
    EXPECT_EQ(response.status, 200) << response.error_message;
  }
  EXPECT_EQ(server.RequestsTo("/ping"), 2);
}

TEST(HttpEngineTest, DestructorCompletesRequestsInFlightWithCancelled) {
  LocalServer server;
  server.Start();
  Collector collector;
  Collector chained;
  auto engine = std::make_unique<HttpEngine>();
  HttpEngine* raw_engine = engine.get();
  for (int i = 0; i < 3; ++i) {
    engine->Send(MakeRequest("GET", server.Url("/hold")), collector.Callback());
  }
  // Adapters chain requests from callbacks; during shutdown the chained one is
  // cancelled too.
  const std::string url = server.Url("/hold");
  engine->Send(MakeRequest("GET", url), [&, raw_engine](Response response) {
    collector.Add(std::move(response));
    raw_engine->Send(MakeRequest("GET", url), chained.Callback());
  });
  ASSERT_TRUE(server.WaitForHeld(4));

  engine.reset();

  ASSERT_EQ(collector.size(), 4u);  // all ran before the destructor returned
  ASSERT_EQ(chained.size(), 1u);
  for (const Response& response : collector.responses()) {
    EXPECT_EQ(response.error, TransportError::kCancelled);
  }
  EXPECT_EQ(chained.responses()[0].error, TransportError::kCancelled);
}

TEST(HttpEngineTest, TlsVerificationIsOnAndCaFileIsHonoured) {
  SelfSignedCert cert(/*ip_san=*/true);
  ASSERT_TRUE(cert.ok()) << "openssl could not make a certificate";
  LocalServer server(
      16, std::make_unique<httplib::SSLServer>(cert.cert_path().c_str(), cert.key_path().c_str()));
  server.Start("https");
  HttpEngine default_engine;
  HttpEngine::Options options;
  options.ca_file = cert.cert_path();
  HttpEngine trusting_engine(options);

  Response untrusted = SendAndWait(default_engine, MakeRequest("GET", server.Url("/ping")));
  Response trusted = SendAndWait(trusting_engine, MakeRequest("GET", server.Url("/ping")));

  EXPECT_EQ(untrusted.error, TransportError::kTls) << untrusted.error_message;
  EXPECT_EQ(trusted.error, TransportError::kNone) << trusted.error_message;
  EXPECT_EQ(trusted.status, 200);
  EXPECT_EQ(trusted.body, "pong");
}

TEST(HttpEngineTest, TlsHostMismatchFailsEvenWithTrustedCa) {
  SelfSignedCert cert(
      /*ip_san=*/false);  // CN=localhost only, URL host is 127.0.0.1
  ASSERT_TRUE(cert.ok()) << "openssl could not make a certificate";
  LocalServer server(
      16, std::make_unique<httplib::SSLServer>(cert.cert_path().c_str(), cert.key_path().c_str()));
  server.Start("https");
  HttpEngine::Options options;
  options.ca_file = cert.cert_path();
  HttpEngine engine(options);

  Response response = SendAndWait(engine, MakeRequest("GET", server.Url("/ping")));

  EXPECT_EQ(response.error, TransportError::kTls) << response.error_message;
}

TEST(HttpEngineTest, TransportErrorNamesAreDistinct) {
  const std::vector<TransportError> errors = {
      TransportError::kNone,           TransportError::kConnectFailed,
      TransportError::kTimeout,        TransportError::kTls,
      TransportError::kConnectionLost, TransportError::kResponseTooLarge,
      TransportError::kCancelled,      TransportError::kOther,
      TransportError::kStalled,        TransportError::kCircuitOpen,
      TransportError::kOverloaded};
  std::vector<std::string> names;
  for (TransportError error : errors) {
    std::string name(TransportErrorName(error));
    EXPECT_THAT(name, Not(IsEmpty()));
    EXPECT_THAT(names, Not(::testing::Contains(name)));
    names.push_back(name);
  }
}

}  // namespace
}  // namespace jobfacade::http
