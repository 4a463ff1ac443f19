// Vendor registration: one line per vendor in kFactories, in kVendorNames'
// order.
#include "adapters/registry.h"

#include <algorithm>
#include <utility>

#include "adapters/ionq/ionq_adapter.h"
#include "adapters/praisonai/praisonai_adapter.h"
#include "adapters/qbraid/qbraid_adapter.h"

namespace jobfacade {
namespace {

using Factory = std::unique_ptr<VendorAdapter> (*)(http::HttpClient*, VendorConfig);

template <typename Adapter>
std::unique_ptr<VendorAdapter> Make(http::HttpClient* engine, VendorConfig config) {
  return std::make_unique<Adapter>(engine, std::move(config));
}

constexpr Factory kFactories[] = {
    &Make<QbraidAdapter>,     // qbraid
    &Make<IonqAdapter>,       // ionq
    &Make<PraisonaiAdapter>,  // praisonai
};
static_assert(std::size(kFactories) == kVendorNames.size(),
              "every name in kVendorNames needs a factory line, in the same order");

}  // namespace

bool IsKnownVendor(absl::string_view vendor) {
  return std::find(kVendorNames.begin(), kVendorNames.end(), vendor) != kVendorNames.end();
}

std::unique_ptr<VendorAdapter> MakeVendorAdapter(absl::string_view vendor, http::HttpClient* engine,
                                                 VendorConfig config) {
  for (size_t i = 0; i < kVendorNames.size(); ++i) {
    if (kVendorNames[i] == vendor) return kFactories[i](engine, std::move(config));
  }
  return nullptr;
}

}  // namespace jobfacade
