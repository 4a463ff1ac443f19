// jobfacade-emulator: runs the vendor emulator as its own process for
// out-of-process tests.
//
// Prints exactly one line, "jobfacade-emulator listening on HOST:PORT", once it
// accepts connections, and exits 0 on SIGTERM or SIGINT. With --tls-cert/--tls-key
// or --tls-self-signed the port speaks HTTPS only; --tls-self-signed names the
// certificate it made on stderr (clients that should trust it take it as their CA).
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "tests/fakes/self_signed_cert.h"
#include "tests/testing/sandbox_vendors.h"

namespace {

constexpr char kUsage[] =
    "usage: jobfacade-emulator [--host=127.0.0.1] [--port=0] [--threads=64] "
    "[--manual-clock]\n"
    "                          [--qbraid-key=K] [--ionq-key=K] "
    "[--praisonai-key=K]\n"
    "                          [--no-demo] [--latency-ms=N] "
    "[--qbraid-fastapi-errors]\n"
    "                          [--tls-cert=PEM --tls-key=PEM | --tls-self-signed]\n";

// Accepts "--name=value" and "--name value".
bool FlagValue(int argc, char** argv, int& i, const char* name, std::string& out) {
  const std::string arg = argv[i];
  const std::string prefix = std::string("--") + name;
  if (arg == prefix) {
    if (i + 1 >= argc) return false;
    out = argv[++i];
    return true;
  }
  if (absl::StartsWith(arg, prefix + "=")) {
    out = arg.substr(prefix.size() + 1);
    return true;
  }
  return false;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "jobfacade-emulator: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using jobfacade::sandbox::VendorEmulator;
  VendorEmulator::Options options;
  bool manual_clock = false;
  bool self_signed = false;
  int latency_ms = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--manual-clock") {
      manual_clock = true;
    } else if (arg == "--no-demo") {
      options.seed_demo_jobs = false;
    } else if (arg == "--qbraid-fastapi-errors") {
      options.vendors[jobfacade::sandbox::kQbraid].documented_errors = true;
    } else if (arg == "--tls-self-signed") {
      self_signed = true;
    } else if (FlagValue(argc, argv, i, "tls-cert", value)) {
      options.tls_cert_file = value;
    } else if (FlagValue(argc, argv, i, "tls-key", value)) {
      options.tls_key_file = value;
    } else if (FlagValue(argc, argv, i, "host", value)) {
      options.host = value;
    } else if (FlagValue(argc, argv, i, "port", value)) {
      if (!absl::SimpleAtoi(value, &options.port) || options.port < 0 || options.port > 65535) {
        return Fail("--port must be 0..65535");
      }
    } else if (FlagValue(argc, argv, i, "threads", value)) {
      if (!absl::SimpleAtoi(value, &options.threads) || options.threads < 1) {
        return Fail("--threads must be positive");
      }
    } else if (FlagValue(argc, argv, i, "latency-ms", value)) {
      if (!absl::SimpleAtoi(value, &latency_ms) || latency_ms < 0) {
        return Fail("--latency-ms must be >= 0");
      }
    } else if (FlagValue(argc, argv, i, "qbraid-key", value)) {
      options.vendors[jobfacade::sandbox::kQbraid].api_key = value;
    } else if (FlagValue(argc, argv, i, "ionq-key", value)) {
      options.vendors[jobfacade::sandbox::kIonq].api_key = value;
    } else if (FlagValue(argc, argv, i, "praisonai-key", value)) {
      options.vendors[jobfacade::sandbox::kPraisonai].api_key = value;
    } else {
      return Fail("unknown argument " + arg);
    }
  }

  if (self_signed && !options.tls_cert_file.empty()) {
    return Fail("--tls-self-signed and --tls-cert exclude each other");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Fail("--tls-cert and --tls-key go together");
  }
  std::optional<jobfacade::fakes::SelfSignedCert> cert;
  if (self_signed) {
    auto made = jobfacade::fakes::SelfSignedCert::Create();
    if (!made.ok()) {
      std::fprintf(stderr, "jobfacade-emulator: %s\n",
                   std::string(made.status().message()).c_str());
      return 1;
    }
    cert = *std::move(made);
    options.tls_cert_file = cert->cert_path();
    options.tls_key_file = cert->key_path();
    std::fprintf(stderr, "jobfacade-emulator: self-signed certificate %s\n",
                 cert->cert_path().c_str());
  }

  // Every thread started from here on inherits this mask, so only sigwait sees
  // the signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client hanging up must not end the process

  // Starts at the real time so payloads look current; moves only via
  // /_emulator/clock.
  std::unique_ptr<jobfacade::ManualClock> clock;
  if (manual_clock) {
    clock = std::make_unique<jobfacade::ManualClock>(
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
    options.manual_clock = clock.get();
  }
  const std::string host = options.host;
  auto emulator = VendorEmulator::Start(std::move(options));
  if (!emulator.ok()) {
    std::fprintf(stderr, "jobfacade-emulator: %s\n",
                 std::string(emulator.status().message()).c_str());
    return 1;
  }
  if (latency_ms > 0) (*emulator)->SetLatency("*", absl::Milliseconds(latency_ms));
  std::printf("jobfacade-emulator listening on %s:%d\n", host.c_str(), (*emulator)->port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  emulator->reset();
  return 0;
}
