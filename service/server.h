// Assembles and runs jobfacade: HTTP engine, adapters, gRPC server, health, reflection, and
// the embedded vendor emulator in sandbox mode.
#ifndef JOBFACADE_SERVICE_SERVER_H_
#define JOBFACADE_SERVICE_SERVER_H_

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/server.h>

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "service/config.h"

namespace jobfacade {
namespace http {
class HttpEngine;
}
namespace sandbox {
class VendorEmulator;
}
class IdempotencyStore;
class JobOperations;
class JobServiceImpl;
class FileReloader;
class Metrics;
class MetricsServer;
class ReloadingTlsCredentials;
class VendorTransport;
class WatchHub;

class Server {
 public:
  // Starts serving. In sandbox mode it first starts the vendor emulator on loopback and points
  // every adapter at it.
  // Deadlines, latencies and the shutdown grace are measured on `clock`, which must outlive the
  // server (gRPC itself runs on the real clock).
  static absl::StatusOr<std::unique_ptr<Server>> Start(Config config,
                                                       const Clock& clock = Clock::Real());
  ~Server();

  // "host:port" with the port actually bound (useful with port 0).
  const std::string& address() const { return address_; }
  // The embedded emulator's port in sandbox mode, else 0.
  int sandbox_port() const;
  // The metrics endpoint's "host:port", empty when disabled.
  const std::string& metrics_address() const { return metrics_address_; }
  // The health-only listener's "host:port", empty when disabled.
  const std::string& health_address() const { return health_address_; }

  // Reports NOT_SERVING, stops accepting calls, lets calls in flight finish for up to `grace`,
  // then cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;

  // Reports a vendor's circuit in its health service (`vendors/{vendor}`); a no-op once the
  // health service shut down.
  void SetVendorServing(const std::string& vendor, bool serving);
  void RegisterResilienceMetrics();
  // Re-reads JOBFACADE_PAGE_TOKEN_KEY_FILE and _PREVIOUS_FILE, when set, into operations_;
  // `key_in_use` is the key tokens are signed with now.
  absl::Status WatchPageTokenKeys(const Config& config, const std::string& key_in_use);

  Config config_;
  std::string address_;
  std::string metrics_address_;
  std::string health_address_;
  const Clock* clock_ = nullptr;
  // Ownership follows use: each member may point at the ones declared before it, so the
  // destructor's reverse order (after Shutdown's explicit one) never leaves a dangling pointer.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<sandbox::VendorEmulator> sandbox_;
  // The engine, the timers and one resilient client per enabled vendor (between its adapter
  // and the engine).
  std::unique_ptr<VendorTransport> transport_;
  std::unique_ptr<IdempotencyStore> idempotency_store_;  // CreateJob's request ids
  std::unique_ptr<JobOperations> operations_;            // its adapters point at the clients
  std::unique_ptr<WatchHub> watches_;                    // reads through operations_, on the engine
  std::unique_ptr<JobServiceImpl> service_;
  std::unique_ptr<ReloadingTlsCredentials> tls_;  // read by gRPC's provider while server_ runs
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;    // JOBFACADE_HEALTH_LISTEN: health alone
  std::unique_ptr<MetricsServer> metrics_server_;  // reads metrics_, transport_, operations_
  // Re-reads the _FILE settings into the members above; stopped first.
  std::unique_ptr<FileReloader> reloader_;
  absl::Mutex health_mu_;
  // The main port's health service, and the health-only listener's when there is one: both
  // always say the same.
  std::vector<grpc::HealthCheckServiceInterface*> health_ ABSL_GUARDED_BY(health_mu_);
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_SERVER_H_
