// Metrics registry and its small HTTP endpoint (cpp-httplib).
#include "service/metrics.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jobfacade {
namespace {

constexpr int kScrapeReadTimeoutSeconds = 2;

// Runs each accepted connection on the thread that accepted it.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

}  // namespace

void Metrics::RecordRpc(absl::string_view method, absl::StatusCode code, absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  ++rpc_codes_[{std::string(method), absl::StatusCodeToString(code)}];
  RpcStats& stats = rpc_latency_[std::string(method)];
  ++stats.count;
  stats.seconds += absl::ToDoubleSeconds(latency);
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  gauges_[std::move(name)] = {std::move(help), std::move(read)};
}

void Metrics::AddFamily(std::string name, std::string help, std::string type,
                        std::function<Samples()> read) {
  absl::MutexLock lock(&mu_);
  families_[std::move(name)] = {std::move(help), std::move(type), std::move(read)};
}

std::string Metrics::Render() const {
  // The callbacks read other components' state under their own locks; running them under mu_
  // would make a scrape wait on those locks while the threads holding them wait in RecordRpc.
  // So: copy what is ours under the lock, read the callbacks after releasing it.
  std::map<std::pair<std::string, std::string>, int64_t> rpc_codes;
  std::map<std::string, RpcStats> rpc_latency;
  std::map<std::string, std::pair<std::string, std::function<double()>>> gauges;
  std::map<std::string, Family> families;
  {
    absl::MutexLock lock(&mu_);
    rpc_codes = rpc_codes_;
    rpc_latency = rpc_latency_;
    gauges = gauges_;
    families = families_;
  }
  std::string out =
      "# HELP jobfacade_rpcs_total RPCs finished, by method and gRPC code.\n"
      "# TYPE jobfacade_rpcs_total counter\n";
  for (const auto& [key, count] : rpc_codes) {
    absl::StrAppend(&out, "jobfacade_rpcs_total{method=\"", key.first, "\",code=\"", key.second,
                    "\"} ", count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP jobfacade_rpc_duration_seconds Time from call to answer.\n"
                  "# TYPE jobfacade_rpc_duration_seconds summary\n");
  for (const auto& [method, stats] : rpc_latency) {
    absl::StrAppend(&out, "jobfacade_rpc_duration_seconds_sum{method=\"", method, "\"} ",
                    stats.seconds, "\n", "jobfacade_rpc_duration_seconds_count{method=\"", method,
                    "\"} ", stats.count, "\n");
  }
  for (const auto& [name, gauge] : gauges) {
    absl::StrAppend(&out, "# HELP ", name, " ", gauge.first, "\n# TYPE ", name, " gauge\n", name,
                    " ", gauge.second(), "\n");
  }
  for (const auto& [name, family] : families) {
    absl::StrAppend(&out, "# HELP ", name, " ", family.help, "\n# TYPE ", name, " ", family.type,
                    "\n");
    for (const auto& [labels, value] : family.read()) {
      if (labels.empty()) {
        absl::StrAppend(&out, name, " ", value, "\n");
      } else {
        absl::StrAppend(&out, name, "{", labels, "} ", value, "\n");
      }
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    const Metrics* metrics) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("JOBFACADE_METRICS_LISTEN: expected host:port, got ", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->server_ = std::make_unique<httplib::Server>();
  // Scrapes are rare and quick: the listening thread serves each connection itself, one
  // request per connection, so the endpoint costs one thread. A client that connects and says
  // nothing holds it for the read timeout at most.
  server->server_->new_task_queue = [] { return new InlineTaskQueue(); };
  server->server_->set_keep_alive_max_count(1);
  server->server_->set_read_timeout(kScrapeReadTimeoutSeconds, 0);
  server->server_->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), "text/plain; version=0.0.4");
  });
  if (port == 0) {
    port = server->server_->bind_to_any_port(host);
  } else if (!server->server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("JOBFACADE_METRICS_LISTEN: cannot listen on ", listen));
  }
  server->address_ = absl::StrCat(listen.substr(0, colon), ":", port);
  server->thread_ = std::thread([s = server->server_.get()] { s->listen_after_bind(); });
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace jobfacade
