// Prometheus text metrics: RPC counts and latencies by method and code, vendor requests in
// flight; served at /metrics on JOBFACADE_METRICS_LISTEN.
#ifndef JOBFACADE_SERVICE_METRICS_H_
#define JOBFACADE_SERVICE_METRICS_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace jobfacade {

class Metrics {
 public:
  // Counts one finished RPC.
  void RecordRpc(absl::string_view method, absl::StatusCode code, absl::Duration latency);
  // Gauges read at render time (for example the HTTP engine's requests in flight).
  void AddGauge(std::string name, std::string help, std::function<double()> read);

  // One labelled sample of a family: the label text inside the braces (`vendor="ionq"`), and
  // its value.
  using Samples = std::vector<std::pair<std::string, double>>;
  // A family of samples read at render time; `type` is "gauge" or "counter".
  void AddFamily(std::string name, std::string help, std::string type,
                 std::function<Samples()> read);

  // The Prometheus text exposition format.
  std::string Render() const;

 private:
  struct RpcStats {
    int64_t count = 0;
    double seconds = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, int64_t> rpc_codes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RpcStats> rpc_latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<std::string, std::function<double()>>> gauges_
      ABSL_GUARDED_BY(mu_);
  struct Family {
    std::string help;
    std::string type;
    std::function<Samples()> read;
  };
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

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
