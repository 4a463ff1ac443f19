// The one place where an absl::Status becomes a grpc::Status with google.rpc.Status details.
#ifndef JOBFACADE_SERVICE_GRPC_STATUS_H_
#define JOBFACADE_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace jobfacade {

// Converts `status` into a grpc::Status whose binary details are a google.rpc.Status with
// exactly one ErrorInfo (synthesised from the code when `status` has none) plus the
// BadRequest / RetryInfo payloads it carries.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_GRPC_STATUS_H_
