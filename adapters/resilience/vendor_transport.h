// What every vendor request travels through, owned in one place: the shared HTTP engine, the
// timers (the engine's own loop unless given a scheduler), and one resilient client per vendor
// (which hold raw pointers to both). The teardown order is the point: clients stop first, then
// the timers, then the engine.
#ifndef JOBFACADE_ADAPTERS_RESILIENCE_VENDOR_TRANSPORT_H_
#define JOBFACADE_ADAPTERS_RESILIENCE_VENDOR_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "adapters/core/scheduler.h"
#include "adapters/http/http_engine.h"
#include "adapters/resilience/resilient_client.h"

namespace jobfacade {

class VendorTransport {
 public:
  // `scheduler` null: timers run on the engine's loop thread.
  explicit VendorTransport(http::HttpEngine::Options engine_options,
                           std::unique_ptr<Scheduler> scheduler = nullptr);
  // Shutdown().
  ~VendorTransport();
  VendorTransport(const VendorTransport&) = delete;
  VendorTransport& operator=(const VendorTransport&) = delete;

  // The client of `vendor`, made on first use with `options`; it lives until Shutdown.
  ResilientClient* AddVendor(const std::string& vendor, const ResilienceOptions& options);
  const std::map<std::string, std::unique_ptr<ResilientClient>>& clients() const {
    return clients_;
  }
  const http::HttpEngine& engine() const { return *engine_; }
  // The timers, shared with the service's own; they stop in Shutdown.
  Scheduler* scheduler() const { return scheduler_; }

  // Ends every vendor request, in the only safe order: each client stops first (queued and
  // backing-off requests end with kCancelled, nothing new reaches the engine, no retry is
  // scheduled), then the timers, then the engine, whose transfers still open complete
  // into the stopped clients. Idempotent.
  void Shutdown();

 private:
  std::unique_ptr<http::HttpEngine> engine_;
  std::unique_ptr<Scheduler> own_scheduler_;  // when given one
  Scheduler* scheduler_;                      // it, or the engine
  std::map<std::string, std::unique_ptr<ResilientClient>> clients_;
  bool shut_down_ = false;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_RESILIENCE_VENDOR_TRANSPORT_H_
