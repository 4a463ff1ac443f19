// The list of vendors and the one place that builds an adapter for each.
#ifndef JOBFACADE_ADAPTERS_REGISTRY_H_
#define JOBFACADE_ADAPTERS_REGISTRY_H_

#include <array>
#include <memory>

#include "absl/strings/string_view.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

// Every vendor jobfacade speaks to, in the order registry.cc builds them.
inline constexpr std::array<absl::string_view, 3> kVendorNames = {"qbraid", "ionq", "praisonai"};

bool IsKnownVendor(absl::string_view vendor);

// The adapter of `vendor` talking through `engine` (which must outlive it), or
// nullptr for a vendor not in kVendorNames.
std::unique_ptr<VendorAdapter> MakeVendorAdapter(absl::string_view vendor, http::HttpClient* engine,
                                                 VendorConfig config);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_REGISTRY_H_
