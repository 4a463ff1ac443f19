// VendorTransport: ownership and teardown of the engine, the timers and the vendor clients.
#include "adapters/resilience/vendor_transport.h"

#include <utility>

namespace jobfacade {

VendorTransport::VendorTransport(http::HttpEngine::Options engine_options,
                                 std::unique_ptr<Scheduler> scheduler)
    : engine_(std::make_unique<http::HttpEngine>(std::move(engine_options))),
      scheduler_(scheduler != nullptr ? std::move(scheduler) : std::make_unique<TimerThread>()) {}

VendorTransport::~VendorTransport() { Shutdown(); }

ResilientClient* VendorTransport::AddVendor(const std::string& vendor,
                                            const ResilienceOptions& options) {
  auto& client = clients_[vendor];
  if (client == nullptr) {
    client = std::make_unique<ResilientClient>(vendor, engine_.get(), scheduler_.get(), options);
  }
  return client.get();
}

void VendorTransport::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [vendor, client] : clients_) client->Shutdown();
  scheduler_.reset();
  engine_.reset();
  clients_.clear();
}

}  // namespace jobfacade
