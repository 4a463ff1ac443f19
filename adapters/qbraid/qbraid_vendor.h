// qBraid as the registry knows it: settings, states, list limits, filter push-down, adapter.
#ifndef JOBFACADE_ADAPTERS_QBRAID_QBRAID_VENDOR_H_
#define JOBFACADE_ADAPTERS_QBRAID_QBRAID_VENDOR_H_

#include "adapters/core/vendor.h"

namespace jobfacade {

const Vendor& QbraidVendor();

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_QBRAID_QBRAID_VENDOR_H_
