// The registry of vendors: the one list the service asks. A vendor is added with one line in
// registry.cc (production) or one RegisterVendor call linked into a test binary.
#ifndef JOBFACADE_ADAPTERS_REGISTRY_H_
#define JOBFACADE_ADAPTERS_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "adapters/core/vendor.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"

namespace jobfacade {

// Every vendor, in registration order (registry.cc's list first).
const std::vector<const Vendor*>& Vendors();

// The vendor named `name`, or nullptr.
const Vendor* FindVendor(absl::string_view name);
bool IsKnownVendor(absl::string_view name);

// The vendors' names for a message: "qbraid, ionq and praisonai".
std::string VendorNameList();

// Adds `vendor` (which lives for the process) after the built-in ones; meant for a static
// initializer in a test binary, before main. Returns true so that it can initialise a constant.
bool RegisterVendor(const Vendor* vendor);

// The adapter of `vendor` talking through `engine` (which must outlive it), or nullptr for an
// unknown vendor.
std::unique_ptr<VendorAdapter> MakeVendorAdapter(absl::string_view vendor, http::HttpClient* engine,
                                                 VendorConfig config);

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_REGISTRY_H_
