// Harness start-up: emulator first, then the server binary with the emulator's base URLs.
#include "tests/integration/server_harness.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace jobfacade::testing {

ServerHarness::ServerHarness(HarnessOptions options) {
  fakes::VendorEmulator::Options emulator_options;
  emulator_options.manual_clock = &clock_;
  emulator_options.seed_demo_jobs = false;
  emulator_options.qbraid_api_key = kQbraidKey;
  emulator_options.ionq_api_key = kIonqKey;
  emulator_options.praisonai_api_key = kPraisonaiKey;
  emulator_options.threads = options.emulator_threads;
  auto emulator = fakes::VendorEmulator::Start(emulator_options);
  if (!emulator.ok()) {
    error_ = absl::StrCat("emulator: ", emulator.status().ToString());
    return;
  }
  emulator_ = *std::move(emulator);

  std::map<std::string, std::string> env = {
      {"JOBFACADE_LISTEN", "127.0.0.1:0"},
      {"JOBFACADE_METRICS_LISTEN", "127.0.0.1:0"},
      {"JOBFACADE_PAGE_TOKEN_KEY", kPageTokenKey},
      {"PATH", "/usr/bin:/bin"},
  };
  if (options.qbraid) {
    env["QBRAID_API_KEY"] = kQbraidKey;
    env["QBRAID_BASE_URL"] = emulator_->base_url(fakes::kQbraid);
  }
  if (options.ionq) {
    env["IONQ_API_KEY"] = kIonqKey;
    env["IONQ_BASE_URL"] = emulator_->base_url(fakes::kIonq);
  }
  if (options.praisonai) {
    env["PRAISONAI_API_KEY"] = kPraisonaiKey;
    env["PRAISONAI_BASE_URL"] = emulator_->base_url(fakes::kPraisonai);
  }
  for (const auto& [k, v] : options.env) env[k] = v;

  std::vector<std::string> argv = {JOBFACADE_BINARY_DIR "/service/jobfacade"};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  if (!process_.Start(argv, env)) {
    error_ = "cannot start the jobfacade binary";
    return;
  }
  auto metrics = process_.WaitForLine("jobfacade metrics on ", absl::Seconds(30));
  auto address = process_.WaitForLine("jobfacade listening on ", absl::Seconds(30));
  if (!address.has_value() || !metrics.has_value()) {
    error_ = absl::StrCat("jobfacade did not start; its stderr:\n", process_.Stderr());
    return;
  }
  address_ = *address;
  metrics_address_ = *metrics;
  channel_ = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  stub_ = v1::JobService::NewStub(channel_);
}

ServerHarness::~ServerHarness() {
  if (process_.running()) process_.SignalAndWait(SIGKILL, absl::Seconds(10));
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  return ctx;
}

namespace {

google::rpc::Status RichStatus(const grpc::Status& status) {
  google::rpc::Status rich;
  EXPECT_TRUE(rich.ParseFromString(status.error_details()))
      << "no google.rpc.Status in the error details of: " << status.error_message();
  EXPECT_EQ(rich.code(), static_cast<int>(status.error_code()));
  return rich;
}

}  // namespace

google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status) {
  google::rpc::ErrorInfo found;
  int count = 0;
  const google::rpc::Status rich = RichStatus(status);
  for (const auto& any : rich.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      ++count;
      any.UnpackTo(&found);
    }
  }
  EXPECT_EQ(count, 1) << "expected exactly one ErrorInfo: " << status.error_message();
  EXPECT_EQ(found.domain(), "jobfacade");
  return found;
}

std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status) {
  const google::rpc::Status rich = RichStatus(status);
  for (const auto& any : rich.details()) {
    google::rpc::BadRequest bad;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad)) return bad;
  }
  return std::nullopt;
}

std::optional<google::rpc::RetryInfo> RetryInfoOf(const grpc::Status& status) {
  const google::rpc::Status rich = RichStatus(status);
  for (const auto& any : rich.details()) {
    google::rpc::RetryInfo retry;
    if (any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&retry)) return retry;
  }
  return std::nullopt;
}

std::string FetchMetrics(const std::string& address) {
  httplib::Client client(absl::StrCat("http://", address));
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  return res && res->status == 200 ? res->body : std::string();
}

}  // namespace jobfacade::testing
