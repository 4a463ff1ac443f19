// Metrics on prometheus-cpp's registry and text serializer, and their small HTTP endpoint
// (cpp-httplib).
#include "service/metrics.h"

#include <dirent.h>
#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace jobfacade {
namespace {

constexpr int kScrapeReadTimeoutSeconds = 2;

// A cached GetJob answers in about 100 us, a vendor in 50 ms to seconds; calls end by their
// deadline (30 s by default).
const prometheus::Histogram::BucketBoundaries& RpcBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return *buckets;
}
const prometheus::Histogram::BucketBoundaries& VendorBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

// Runs each accepted connection on the thread that accepted it.
class InlineTaskQueue final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

prometheus::MetricFamily OneValueFamily(std::string name, std::string help, Metrics::Type type,
                                        const Metrics::Samples& samples) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type == Metrics::Type::kGauge ? prometheus::MetricType::Gauge
                                              : prometheus::MetricType::Counter;
  for (const auto& [labels, value] : samples) {
    prometheus::ClientMetric metric;
    for (const auto& [label, label_value] : labels) metric.label.push_back({label, label_value});
    if (type == Metrics::Type::kGauge) {
      metric.gauge.value = value;
    } else {
      metric.counter.value = value;
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

void AppendProcessFamilies(std::vector<prometheus::MetricFamily>* out) {
  auto stats = ReadProcessStats();
  if (!stats.ok()) return;  // not Linux, or /proc not mounted: no process metrics
  using Type = Metrics::Type;
  const struct {
    const char* name;
    const char* help;
    Type type;
    double value;
  } rows[] = {
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
       Type::kCounter, stats->cpu_seconds},
      {"process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge,
       stats->resident_bytes},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge,
       stats->virtual_bytes},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       Type::kGauge, stats->start_time_seconds},
      {"process_open_fds", "Number of open file descriptors.", Type::kGauge, stats->open_fds},
      {"process_max_fds", "Maximum number of open file descriptors.", Type::kGauge, stats->max_fds},
  };
  for (const auto& row : rows) {
    out->push_back(OneValueFamily(row.name, row.help, row.type, {{{}, row.value}}));
  }
}

std::string ReadWholeFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

class Metrics::Impl {
 public:
  Impl()
      : rpcs(prometheus::BuildCounter()
                 .Name("jobfacade_rpcs_total")
                 .Help("RPCs finished, by method and gRPC code.")
                 .Register(registry)),
        rpc_duration(prometheus::BuildHistogram()
                         .Name("jobfacade_rpc_duration_seconds")
                         .Help("Time from call to answer (a watch: its whole life), by method "
                               "and gRPC code.")
                         .Register(registry)),
        vendor_requests(prometheus::BuildCounter()
                            .Name("jobfacade_vendor_requests_total")
                            .Help("HTTP requests to the vendors, by vendor, operation and HTTP "
                                  "status (none: no HTTP answer).")
                            .Register(registry)),
        vendor_duration(prometheus::BuildHistogram()
                            .Name("jobfacade_vendor_request_duration_seconds")
                            .Help("Time of one HTTP request to a vendor, by vendor, operation and "
                                  "HTTP status (none: no HTTP answer).")
                            .Register(registry)) {}

  // A counter and a histogram that share their labels.
  struct Series {
    prometheus::Counter* count = nullptr;
    prometheus::Histogram* duration = nullptr;
  };
  struct Callback {
    std::string name;
    std::string help;
    Type type;
    std::function<Samples()> read;
  };

  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& rpcs;
  prometheus::Family<prometheus::Histogram>& rpc_duration;
  prometheus::Family<prometheus::Counter>& vendor_requests;
  prometheus::Family<prometheus::Histogram>& vendor_duration;

  // Family::Add hashes the whole label map under the family's lock: each label set is looked up
  // there once, then found here.
  absl::Mutex mu;
  absl::flat_hash_map<std::pair<std::string, int>, Series> rpc_series ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::tuple<std::string, std::string, int>, Series> vendor_series
      ABSL_GUARDED_BY(mu);
  std::vector<Callback> callbacks ABSL_GUARDED_BY(mu);
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::RecordRpc(absl::string_view method, absl::StatusCode code, absl::Duration latency) {
  Impl::Series series;
  {
    absl::MutexLock lock(&impl_->mu);
    auto [it, added] = impl_->rpc_series.try_emplace({std::string(method), static_cast<int>(code)});
    if (added) {
      const std::map<std::string, std::string> labels = {{"method", std::string(method)},
                                                         {"code", absl::StatusCodeToString(code)}};
      it->second = {&impl_->rpcs.Add(labels), &impl_->rpc_duration.Add(labels, RpcBuckets())};
    }
    series = it->second;
  }
  series.count->Increment();
  series.duration->Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordVendorRequest(absl::string_view vendor, absl::string_view operation,
                                  int http_status, absl::Duration took) {
  Impl::Series series;
  {
    absl::MutexLock lock(&impl_->mu);
    auto [it, added] = impl_->vendor_series.try_emplace(
        {std::string(vendor), std::string(operation), http_status});
    if (added) {
      const std::map<std::string, std::string> labels = {
          {"vendor", std::string(vendor)},
          {"operation", std::string(operation)},
          {"http_status", http_status > 0 ? absl::StrCat(http_status) : "none"}};
      it->second = {&impl_->vendor_requests.Add(labels),
                    &impl_->vendor_duration.Add(labels, VendorBuckets())};
    }
    series = it->second;
  }
  series.count->Increment();
  series.duration->Observe(absl::ToDoubleSeconds(took));
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  AddFamily(std::move(name), std::move(help), Type::kGauge, [read = std::move(read)] {
    return Samples{{{}, read()}};
  });
}

void Metrics::AddFamily(std::string name, std::string help, Type type,
                        std::function<Samples()> read) {
  absl::MutexLock lock(&impl_->mu);
  impl_->callbacks.push_back({std::move(name), std::move(help), type, std::move(read)});
}

std::string Metrics::Render() const {
  // The callbacks read other components' state under their own locks; running them under mu
  // would make a scrape wait on those locks while the threads holding them wait in RecordRpc.
  // So: copy the callbacks under the lock, run them after releasing it.
  std::vector<Impl::Callback> callbacks;
  {
    absl::MutexLock lock(&impl_->mu);
    callbacks = impl_->callbacks;
  }
  std::vector<prometheus::MetricFamily> families = impl_->registry.Collect();
  for (const Impl::Callback& callback : callbacks) {
    families.push_back(
        OneValueFamily(callback.name, callback.help, callback.type, callback.read()));
  }
  AppendProcessFamilies(&families);
  return prometheus::TextSerializer().Serialize(families);
}

absl::StatusOr<ProcessStats> ParseProcessStats(absl::string_view self_stat,
                                               absl::string_view system_stat,
                                               double ticks_per_second, double page_bytes) {
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so the fields start
  // after the last ')'.
  const size_t close = self_stat.rfind(')');
  if (close == absl::string_view::npos || ticks_per_second <= 0) {
    return absl::InvalidArgumentError("/proc/self/stat: no ')' after the command");
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(self_stat.substr(close + 1), ' ', absl::SkipWhitespace());
  // fields[0] is field 3 of proc(5): utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number, double* out) {
    const size_t index = static_cast<size_t>(number - 3);
    return index < fields.size() && absl::SimpleAtod(fields[index], out);
  };
  double utime = 0, stime = 0, start_ticks = 0, vsize = 0, rss_pages = 0;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &start_ticks) || !field(23, &vsize) ||
      !field(24, &rss_pages)) {
    return absl::InvalidArgumentError("/proc/self/stat: too few fields");
  }
  double boot_time = -1;
  for (absl::string_view line : absl::StrSplit(system_stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      if (!absl::SimpleAtod(line, &boot_time)) boot_time = -1;
      break;
    }
  }
  if (boot_time < 0) return absl::InvalidArgumentError("/proc/stat: no btime line");
  ProcessStats stats;
  stats.cpu_seconds = (utime + stime) / ticks_per_second;
  stats.resident_bytes = rss_pages * page_bytes;
  stats.virtual_bytes = vsize;
  stats.start_time_seconds = boot_time + start_ticks / ticks_per_second;
  return stats;
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  auto stats = ParseProcessStats(ReadWholeFile("/proc/self/stat"), ReadWholeFile("/proc/stat"),
                                 static_cast<double>(sysconf(_SC_CLK_TCK)),
                                 static_cast<double>(sysconf(_SC_PAGESIZE)));
  if (!stats.ok()) return stats;
  if (DIR* dir = opendir("/proc/self/fd"); dir != nullptr) {
    int entries = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++entries;
    }
    closedir(dir);
    stats->open_fds = entries - 1;  // less the one opendir held
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats->max_fds = limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(limit.rlim_cur);
  }
  return stats;
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
    res.set_content(metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
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
