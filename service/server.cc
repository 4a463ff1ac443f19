// Server assembly: configuration in, a serving gRPC server out.
#include "service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "service/job_operations.h"
#include "service/job_service.h"
#include "service/log.h"
#include "service/metrics.h"
#include "service/names.h"
#include "service/page_token.h"
#include "tests/fakes/vendor_emulator.h"

namespace jobfacade {
namespace {

constexpr char kServiceName[] = "jobfacade.v1.JobService";
// Bounds on what one caller may send or receive in one message.
constexpr int kMaxReceiveMessageBytes = 1 << 20;
constexpr int kMaxSendMessageBytes = 64 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(const Config& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options;
  auto cert = ReadFile(config.tls_cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(config.tls_key_file);
  if (!key.ok()) return key.status();
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    auto ca = ReadFile(config.tls_client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace

Server::~Server() { Shutdown(absl::ZeroDuration()); }

int Server::sandbox_port() const { return sandbox_ ? sandbox_->port() : 0; }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Config config) {
  std::unique_ptr<Server> server(new Server());
  if (config.sandbox) {
    fakes::VendorEmulator::Options options;
    auto emulator = fakes::VendorEmulator::Start(options);
    if (!emulator.ok()) return emulator.status();
    server->sandbox_ = *std::move(emulator);
    config.vendors.clear();
    config.vendors["qbraid"] = {server->sandbox_->base_url("qbraid"), options.qbraid_api_key};
    config.vendors["ionq"] = {server->sandbox_->base_url("ionq"), options.ionq_api_key};
    config.vendors["praisonai"] = {server->sandbox_->base_url("praisonai"),
                                   options.praisonai_api_key};
    Log("WARN", absl::StrCat("sandbox mode: no vendor is configured (or --sandbox was given); "
                             "serving demo jobs from the built-in vendor emulator on 127.0.0.1:",
                             server->sandbox_->port()));
  }

  std::string page_token_key = config.page_token_key;
  if (page_token_key.empty()) {
    auto random_key = RandomPageTokenKey();
    if (!random_key.ok()) return random_key.status();
    page_token_key = *std::move(random_key);
    Log("WARN",
        "JOBFACADE_PAGE_TOKEN_KEY is not set: using a random key, so page tokens are only "
        "valid on this process; set the same key on every replica");
  }

  server->engine_ = std::make_unique<http::HttpEngine>();
  server->metrics_ = std::make_unique<Metrics>();
  server->metrics_->AddGauge(
      "jobfacade_vendor_requests_in_flight", "Vendor HTTP requests started and not yet answered.",
      [engine = server->engine_.get()] { return static_cast<double>(engine->in_flight()); });
  JobOperations::AdapterMap adapters;
  for (const auto& [vendor, settings] : config.vendors) {
    auto adapter = MakeVendorAdapter(vendor, server->engine_.get(),
                                     VendorConfig{settings.base_url, settings.api_key});
    if (adapter == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("no adapter for vendor ", vendor));
    }
    adapters.emplace(vendor, std::move(adapter));
    Log("INFO", absl::StrCat("vendor ", vendor, " enabled at ", settings.base_url));
  }
  server->operations_ =
      std::make_unique<JobOperations>(std::move(adapters), std::move(page_token_key));
  server->service_ = std::make_unique<JobServiceImpl>(
      server->operations_.get(),
      JobServiceOptions{config.auth_tokens, config.allow_caller_keys, server->metrics_.get()});

  auto credentials = MakeCredentials(config);
  if (!credentials.ok()) return credentials.status();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(config.listen, *credentials, &selected_port);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.SetMaxSendMessageSize(kMaxSendMessageBytes);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  server->address_ = absl::StrCat(HostOf(config.listen), ":", selected_port);

  auto* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(kServiceName, true);
  for (absl::string_view vendor : kVendorNames) {
    health->SetServingStatus(FormatParent(vendor), server->operations_->IsConfigured(vendor));
  }
  if (!config.metrics_listen.empty()) {
    auto metrics_server = MetricsServer::Start(config.metrics_listen, server->metrics_.get());
    if (!metrics_server.ok()) return metrics_server.status();
    server->metrics_server_ = *std::move(metrics_server);
    server->metrics_address_ = server->metrics_server_->address();
  }
  server->config_ = std::move(config);
  return server;
}

void Server::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMicroseconds(grace));
  server_->Wait();
  server_.reset();
  metrics_server_.reset();
  // Calls are over: vendor requests still open belong to nobody.
  engine_.reset();
  sandbox_.reset();
}

}  // namespace jobfacade
