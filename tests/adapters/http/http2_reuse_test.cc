// The HTTP engine against a real HTTP/2 server: nginx over TLS, which offers h2 by ALPN as the
// vendors' APIs do. A burst of requests must share connections (multiplexed streams) instead
// of opening one each; nginx's own counters say how many connections it accepted.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/http/http_engine.h"
#include "gtest/gtest.h"
#include "tests/fakes/self_signed_cert.h"
#include "tests/testing/subprocess.h"

namespace jobfacade::http {
namespace {

constexpr char kNginx[] = JOBFACADE_TEST_NGINX;

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

Response SendAndWait(HttpEngine& engine, Request request) {
  absl::Notification done;
  Response response;
  engine.Send(std::move(request), [&](Response answer) {
    response = std::move(answer);
    done.Notify();
  });
  done.WaitForNotificationWithTimeout(absl::Seconds(20));
  return response;
}

// nginx with an https/h2 listener serving a small JSON body, and a plain listener for its
// stub_status counters.
class Nginx {
 public:
  bool Start(const fakes::SelfSignedCert& cert) {
    char dir_template[] = "/tmp/jobfacade-h2-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return false;
    dir_ = dir_template;
    https_port_ = FreePort();
    status_port_ = FreePort();
    const std::string conf = absl::StrCat(
        "daemon off;\nworker_processes 1;\npid ", dir_, "/nginx.pid;\nerror_log ", dir_,
        "/error.log warn;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n",
        "  client_body_temp_path ", dir_, "; proxy_temp_path ", dir_, "; fastcgi_temp_path ", dir_,
        ";\n  uwsgi_temp_path ", dir_, "; scgi_temp_path ", dir_, ";\n",
        "  server {\n    listen 127.0.0.1:", https_port_, " ssl http2;\n    ssl_certificate ",
        cert.cert_path(), ";\n    ssl_certificate_key ", cert.key_path(), ";\n",
        "    location / { default_type application/json; return 200 '{\"ok\":true}'; }\n  }\n",
        "  server {\n    listen 127.0.0.1:", status_port_,
        ";\n    location = /status { stub_status; }\n  }\n}\n");
    std::ofstream(dir_ + "/nginx.conf") << conf;
    if (!process_.Start({kNginx, "-c", dir_ + "/nginx.conf", "-p", dir_},
                        {{"PATH", "/usr/sbin:/usr/bin:/bin"}})) {
      return false;
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Accepted().has_value()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  ~Nginx() {
    process_.SignalAndWait(SIGTERM, absl::Seconds(10));
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("https://127.0.0.1:", https_port_, path);
  }

  // Connections nginx accepted so far on both listeners, less the status queries' own.
  std::optional<int> Accepted() {
    HttpEngine engine;
    Request request;
    request.url = absl::StrCat("http://127.0.0.1:", status_port_, "/status");
    request.deadline = absl::Now() + absl::Seconds(5);
    Response response = SendAndWait(engine, request);
    if (response.error != TransportError::kNone || response.status != 200) return std::nullopt;
    // "Active connections: 1\nserver accepts handled requests\n 5 5 9\n..."
    std::vector<std::string> lines = absl::StrSplit(response.body, '\n');
    if (lines.size() < 3) return std::nullopt;
    std::vector<std::string> numbers = absl::StrSplit(lines[2], ' ', absl::SkipEmpty());
    int accepted = 0;
    if (numbers.empty() || !absl::SimpleAtoi(numbers[0], &accepted)) return std::nullopt;
    ++status_queries_;
    return accepted - status_queries_;
  }

 private:
  std::string dir_;
  int https_port_ = 0;
  int status_port_ = 0;
  int status_queries_ = 0;
  testing::Subprocess process_;
};

TEST(Http2ReuseTest, ABurstOfRequestsSharesHttp2Connections) {
  auto cert = fakes::SelfSignedCert::Create(/*ip_san=*/true);
  ASSERT_TRUE(cert.ok()) << cert.status();
  Nginx nginx;
  ASSERT_TRUE(nginx.Start(*cert));
  const std::optional<int> before = nginx.Accepted();
  ASSERT_TRUE(before.has_value());

  HttpEngine::Options options;
  options.ca_file = cert->cert_path();
  HttpEngine engine(options);
  // As many as curl multiplexes on one connection (CURLMOPT_MAX_CONCURRENT_STREAMS, 100); a
  // vendor client sends at most 16 at once by default (JOBFACADE_VENDOR_MAX_IN_FLIGHT).
  constexpr int kRequests = 100;
  absl::Mutex mu;
  std::vector<Response> responses;
  absl::Notification all_done;
  for (int i = 0; i < kRequests; ++i) {
    Request request;
    request.url = nginx.Url(absl::StrCat("/jobs/", i));
    request.deadline = absl::Now() + absl::Seconds(20);
    engine.Send(std::move(request), [&](Response response) {
      absl::MutexLock lock(&mu);
      responses.push_back(std::move(response));
      if (responses.size() == kRequests) all_done.Notify();
    });
  }
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  for (const Response& response : responses) {
    ASSERT_EQ(response.error, TransportError::kNone) << response.error_message;
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "{\"ok\":true}");
  }
  const std::optional<int> after = nginx.Accepted();
  ASSERT_TRUE(after.has_value());
  // One connection, where a connection of its own for each request would be 100.
  EXPECT_EQ(*after - *before, 1) << "connections opened for " << kRequests << " requests";

  // Later requests reuse them.
  for (int i = 0; i < 20; ++i) {
    Request request;
    request.url = nginx.Url("/again");
    request.deadline = absl::Now() + absl::Seconds(20);
    const Response response = SendAndWait(engine, std::move(request));
    EXPECT_EQ(response.status, 200) << response.error_message;
  }
  EXPECT_EQ(nginx.Accepted(), after);
}

}  // namespace
}  // namespace jobfacade::http
