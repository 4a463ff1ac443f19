// Prometheus metrics (API.md, "Logs and metrics"), kept by prometheus-cpp and served at
// /metrics on JOBFACADE_METRICS_LISTEN: RPC and vendor-request histograms, counters and gauges
// read from the other components at scrape time, and the process metrics from /proc/self.
#ifndef JOBFACADE_SERVICE_METRICS_H_
#define JOBFACADE_SERVICE_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace jobfacade {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished RPC: jobfacade_rpcs_total and jobfacade_rpc_duration_seconds {method, code}.
  void RecordRpc(absl::string_view method, absl::StatusCode code, absl::Duration latency);
  // One HTTP request to a vendor: jobfacade_vendor_request_duration_seconds {vendor, operation,
  // http_status}; `http_status` 0 means no HTTP answer came (label `none`).
  void RecordVendorRequest(absl::string_view vendor, absl::string_view operation, int http_status,
                           absl::Duration took);

  // A gauge read at render time (for example the HTTP engine's requests in flight).
  void AddGauge(std::string name, std::string help, std::function<double()> read);

  // Label names and values of one sample: {{"vendor", "ionq"}, {"reason", "queue_full"}}.
  using Labels = std::vector<std::pair<std::string, std::string>>;
  using Samples = std::vector<std::pair<Labels, double>>;
  enum class Type { kGauge, kCounter };
  // A family of samples read at render time from another component's own counts.
  void AddFamily(std::string name, std::string help, Type type, std::function<Samples()> read);

  // The Prometheus text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The process metrics of the standard Prometheus clients, read from /proc.
struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  double resident_bytes = 0;      // RSS
  double virtual_bytes = 0;       // VSZ
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;
};

// Parses /proc/self/stat and /proc/stat (for btime) as given; `ticks_per_second` and
// `page_bytes` are sysconf(_SC_CLK_TCK) and the page size. The file descriptor counts are not
// in these files and stay 0.
absl::StatusOr<ProcessStats> ParseProcessStats(absl::string_view self_stat,
                                               absl::string_view system_stat,
                                               double ticks_per_second, double page_bytes);

// This process's stats: ParseProcessStats on the live files, /proc/self/fd and RLIMIT_NOFILE.
absl::StatusOr<ProcessStats> ReadProcessStats();

class MetricsServer {
 public:
  // Serves `metrics` at http://`listen`/metrics (port 0 picks one).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              const Metrics* metrics);
  ~MetricsServer();
  const std::string& address() const { return address_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_METRICS_H_
