// ThreadSanitizer annotations for Debian's uninstrumented gRPC core: a completion tag handed to
// gRPC on one thread comes back from a completion queue on another, and the gRPC C++ code
// inlined into our binaries reads on the second thread what it wrote on the first. TSan cannot
// see the hand-over inside the library, so each function below releases on the tag where it is
// handed in and acquires on it where it comes out, around the library's own function (found
// with dlsym(RTLD_NEXT); the executable exports these, so libgrpc++ reaches them too). Linked
// into every executable of a JOBFACADE_SANITIZE=thread build, nowhere else.
#include <dlfcn.h>
#include <grpc/grpc.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

namespace {

void* Real(const char* name) {
  void* real = dlsym(RTLD_NEXT, name);
  if (real == nullptr) {
    std::fprintf(stderr, "grpc_tsan: the gRPC library has no %s\n", name);
    std::abort();
  }
  return real;
}

void Release(void* tag) {
  if (tag != nullptr) __tsan_release(tag);
}

grpc_event Acquired(grpc_event event) {
  if (event.type == GRPC_OP_COMPLETE && event.tag != nullptr) __tsan_acquire(event.tag);
  return event;
}

}  // namespace

#define JF_REAL(function) \
  static const auto real = reinterpret_cast<decltype(&function)>(Real(#function))

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops, size_t nops, void* tag,
                                      void* reserved) {
  JF_REAL(grpc_call_start_batch);
  Release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_event grpc_completion_queue_next(grpc_completion_queue* cq, gpr_timespec deadline,
                                      void* reserved) {
  JF_REAL(grpc_completion_queue_next);
  return Acquired(real(cq, deadline, reserved));
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag, gpr_timespec deadline,
                                       void* reserved) {
  JF_REAL(grpc_completion_queue_pluck);
  return Acquired(real(cq, tag, deadline, reserved));
}

grpc_call_error grpc_server_request_call(grpc_server* server, grpc_call** call,
                                         grpc_call_details* details,
                                         grpc_metadata_array* request_metadata,
                                         grpc_completion_queue* cq_bound_to_call,
                                         grpc_completion_queue* cq_for_notification,
                                         void* tag_new) {
  JF_REAL(grpc_server_request_call);
  Release(tag_new);
  return real(server, call, details, request_metadata, cq_bound_to_call, cq_for_notification,
              tag_new);
}

grpc_call_error grpc_server_request_registered_call(grpc_server* server, void* registered_method,
                                                    grpc_call** call, gpr_timespec* deadline,
                                                    grpc_metadata_array* request_metadata,
                                                    grpc_byte_buffer** optional_payload,
                                                    grpc_completion_queue* cq_bound_to_call,
                                                    grpc_completion_queue* cq_for_notification,
                                                    void* tag_new) {
  JF_REAL(grpc_server_request_registered_call);
  Release(tag_new);
  return real(server, registered_method, call, deadline, request_metadata, optional_payload,
              cq_bound_to_call, cq_for_notification, tag_new);
}

void grpc_server_shutdown_and_notify(grpc_server* server, grpc_completion_queue* cq, void* tag) {
  JF_REAL(grpc_server_shutdown_and_notify);
  Release(tag);
  real(server, cq, tag);
}

}  // extern "C"
