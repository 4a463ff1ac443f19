// The built-in vendors: one line per vendor.
#include "adapters/registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/ionq/ionq_vendor.h"
#include "adapters/praisonai/praisonai_vendor.h"
#include "adapters/qbraid/qbraid_vendor.h"

namespace jobfacade {
namespace {

std::vector<const Vendor*>& MutableVendors() {
  static auto* vendors = new std::vector<const Vendor*>{
      &QbraidVendor(),
      &IonqVendor(),
      &PraisonaiVendor(),
  };
  return *vendors;
}

}  // namespace

const std::vector<const Vendor*>& Vendors() { return MutableVendors(); }

const Vendor* FindVendor(absl::string_view name) {
  for (const Vendor* vendor : Vendors()) {
    if (vendor->name() == name) return vendor;
  }
  return nullptr;
}

bool IsKnownVendor(absl::string_view name) { return FindVendor(name) != nullptr; }

std::string VendorNameList() {
  const std::vector<const Vendor*>& vendors = Vendors();
  std::string out;
  for (size_t i = 0; i < vendors.size(); ++i) {
    if (i > 0) absl::StrAppend(&out, i + 1 == vendors.size() ? " and " : ", ");
    absl::StrAppend(&out, vendors[i]->name());
  }
  return out;
}

bool RegisterVendor(const Vendor* vendor) {
  if (FindVendor(vendor->name()) == nullptr) MutableVendors().push_back(vendor);
  return true;
}

std::unique_ptr<VendorAdapter> MakeVendorAdapter(absl::string_view vendor, http::HttpClient* engine,
                                                 VendorConfig config) {
  const Vendor* v = FindVendor(vendor);
  return v == nullptr ? nullptr : v->NewAdapter(engine, std::move(config));
}

}  // namespace jobfacade
