// The one line that adds Acme to a binary: linked into the test server (jobfacade-with-acme),
// which is otherwise built from the same main and libraries as jobfacade.
#include "adapters/registry.h"
#include "tests/fakes/acme/acme_vendor.h"

namespace {
[[maybe_unused]] const bool kAcmeRegistered =
    jobfacade::RegisterVendor(&jobfacade::acme::AcmeVendor());
}  // namespace
