// jobfacade-probe: grpc.health.v1.Health/Check for the container image's HEALTHCHECK.
//
// HealthCheckRequest{string service = 1} and HealthCheckResponse{ServingStatus status = 1}
// are wire-compatible with google.protobuf.StringValue and Int32Value, so a generic stub over
// those well-known types makes the call without compiling health.proto.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "google/protobuf/wrappers.pb.h"

namespace {

constexpr int kExitServing = 0;
constexpr int kExitNotServing = 1;
constexpr int kExitUsage = 64;
constexpr int kServing = 1;  // grpc.health.v1.HealthCheckResponse.SERVING
constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

constexpr char kUsage[] =
    "usage: jobfacade-probe [--addr HOST:PORT] [--tls] [--ca FILE] [--service NAME]\n"
    "                       [--timeout-ms N]\n"
    "\n"
    "Calls grpc.health.v1.Health/Check; exits 0 when SERVING, 1 otherwise, 64 on a usage "
    "error.\n"
    "  --addr HOST:PORT   server (default 127.0.0.1:50051)\n"
    "  --tls              connect with TLS\n"
    "  --ca FILE          PEM roots to trust (implies --tls)\n"
    "  --service NAME     the service to check (default: the server overall)\n"
    "  --timeout-ms N     deadline of the check (default 3000)\n";

int Usage(const std::string& message) {
  std::cerr << "jobfacade-probe: " << message << "\n" << kUsage;
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:50051";
  std::string ca_file;
  std::string service;
  bool tls = false;
  int timeout_ms = 3000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitServing;
    } else if (arg == "--tls") {
      tls = true;
    } else if (arg == "--addr" || arg == "--ca" || arg == "--service" || arg == "--timeout-ms") {
      if (i + 1 >= argc) return Usage(arg + " needs a value");
      const std::string value = argv[++i];
      if (arg == "--addr") {
        addr = value;
      } else if (arg == "--ca") {
        ca_file = value;
        tls = true;
      } else if (arg == "--service") {
        service = value;
      } else if (!absl::SimpleAtoi(value, &timeout_ms) || timeout_ms <= 0) {
        return Usage("--timeout-ms: not a positive number: " + value);
      }
    } else {
      return Usage("unknown argument " + arg);
    }
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls) {
    grpc::SslCredentialsOptions ssl;
    if (!ca_file.empty()) {
      std::ifstream in(ca_file, std::ios::binary);
      if (!in) return Usage("cannot read --ca " + ca_file);
      std::ostringstream pem;
      pem << in.rdbuf();
      ssl.pem_root_certs = pem.str();
    }
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::TemplatedGenericStub<google::protobuf::StringValue, google::protobuf::Int32Value> stub(
      grpc::CreateChannel(addr, credentials));

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  google::protobuf::StringValue request;
  request.set_value(service);
  google::protobuf::Int32Value response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    std::cerr << "jobfacade-probe: " << addr << ": code " << status.error_code() << ": "
              << status.error_message() << "\n";
    return kExitNotServing;
  }
  if (response.value() != kServing) {
    std::cout << "NOT_SERVING (" << response.value() << ")\n";
    return kExitNotServing;
  }
  std::cout << "SERVING\n";
  return kExitServing;
}
