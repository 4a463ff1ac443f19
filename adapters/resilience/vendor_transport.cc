// VendorTransport: ownership and teardown of the engine, the timers and the vendor clients.
#include "adapters/resilience/vendor_transport.h"

#include <utility>

namespace jobfacade {

VendorTransport::VendorTransport(http::HttpEngine::Options engine_options,
                                 std::unique_ptr<Scheduler> scheduler)
    : engine_(std::make_unique<http::HttpEngine>(std::move(engine_options))),
      own_scheduler_(std::move(scheduler)),
      scheduler_(own_scheduler_ != nullptr ? own_scheduler_.get()
                                           : static_cast<Scheduler*>(engine_.get())) {}

VendorTransport::~VendorTransport() { Shutdown(); }

ResilientClient* VendorTransport::AddVendor(const std::string& vendor,
                                            const ResilienceOptions& options) {
  auto& client = clients_[vendor];
  if (client == nullptr) {
    client = std::make_unique<ResilientClient>(vendor, engine_.get(), scheduler_, options);
  }
  return client.get();
}

void VendorTransport::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [vendor, client] : clients_) client->Shutdown();
  if (own_scheduler_ != nullptr) {
    own_scheduler_.reset();
  } else {
    engine_->StopTimers();
  }
  scheduler_ = nullptr;
  engine_.reset();
  clients_.clear();
}

}  // namespace jobfacade
