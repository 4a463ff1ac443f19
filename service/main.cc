// The jobfacade binary: configuration from flags and the environment, serve until signalled.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "adapters/registry.h"
#include "service/config.h"
#include "service/log.h"
#include "service/server.h"

// Each flag overrides the environment variable of the same meaning (API.md, "Configuration").
ABSL_FLAG(std::string, listen, "", "gRPC listen address (JOBFACADE_LISTEN)");
ABSL_FLAG(std::string, page_token_key, "", "page-token key shared by replicas");
ABSL_FLAG(std::string, auth_tokens_file, "", "file of bearer tokens callers must present");
ABSL_FLAG(std::string, allow_caller_keys, "", "true: calls may carry their own vendor keys");
ABSL_FLAG(std::string, tls_cert_file, "", "serve TLS with this certificate chain (PEM)");
ABSL_FLAG(std::string, tls_key_file, "", "private key of --tls_cert_file (PEM)");
ABSL_FLAG(std::string, tls_client_ca_file, "", "require client certificates from this CA (mTLS)");
ABSL_FLAG(std::string, log_format, "", "json or text (JOBFACADE_LOG_FORMAT; text on a terminal)");
ABSL_FLAG(std::string, log_level, "", "debug, info, warn or error (JOBFACADE_LOG_LEVEL; info)");
ABSL_FLAG(
    std::string, health_listen, "",
    "plaintext grpc.health.v1-only listener for kubelet probes (JOBFACADE_HEALTH_LISTEN; off)");
ABSL_FLAG(std::string, metrics_listen, "", "Prometheus /metrics address; \"off\" disables it");
ABSL_FLAG(bool, sandbox, false, "serve demo jobs from the built-in vendor emulator");
ABSL_FLAG(std::string, shutdown_grace_seconds, "",
          "how long calls in flight may run after SIGTERM (JOBFACADE_SHUTDOWN_GRACE_SECONDS; 10)");
// Resilience (README, "Resilience"); durations are written like 250ms, 30s or 2m.
ABSL_FLAG(std::string, vendor_max_in_flight, "", "requests at one vendor at once (16)");
ABSL_FLAG(std::string, vendor_max_queued, "", "requests that may wait for one vendor (256)");
ABSL_FLAG(std::string, retry_max_attempts, "", "attempts of an idempotent vendor request (3)");
ABSL_FLAG(std::string, retry_initial_backoff, "", "cap of the first retry's backoff (100ms)");
ABSL_FLAG(std::string, retry_max_backoff, "", "largest backoff cap (2s)");
ABSL_FLAG(std::string, retry_max_retry_after, "", "longest vendor Retry-After waited for (10s)");
ABSL_FLAG(std::string, circuit_failure_threshold, "",
          "consecutive vendor failures that open its circuit; 0 disables (5)");
ABSL_FLAG(std::string, circuit_open_duration, "", "how long an open circuit refuses calls (30s)");
ABSL_FLAG(std::string, default_deadline, "", "deadline of calls that set none (30s)");
ABSL_FLAG(std::string, vendor_connect_timeout, "", "TCP+TLS connect timeout (10s)");
ABSL_FLAG(std::string, vendor_low_speed_time, "",
          "abort a vendor response that sends nothing for this long; 0 disables (10s)");
ABSL_FLAG(std::string, max_vendor_response_bytes, "", "largest vendor response body (8388608)");

namespace {

using jobfacade::Log;
using jobfacade::LogLevel;

// Vendor settings are flags too, named after their variables in lower case
// (--qbraid_api_key_file=...). The vendors declare them, so they are taken out of argv here
// rather than declared to Abseil one by one.
std::map<std::string, std::string, std::less<>>& VendorFlags() {
  static auto* flags = new std::map<std::string, std::string, std::less<>>();
  return *flags;
}

std::vector<char*> TakeVendorFlags(int argc, char** argv) {
  std::map<std::string, std::string> by_flag;  // lower-case flag -> its variable
  for (const std::string& setting : jobfacade::VendorSettingNamesOfAll()) {
    by_flag[absl::AsciiStrToLower(setting)] = setting;
  }
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (i == 0 || !absl::ConsumePrefix(&arg, "--")) {
      rest.push_back(argv[i]);
      continue;
    }
    const size_t equals = arg.find('=');
    auto it = by_flag.find(std::string(arg.substr(0, equals)));
    if (it == by_flag.end()) {
      rest.push_back(argv[i]);
    } else if (equals != absl::string_view::npos) {
      VendorFlags()[it->second] = std::string(arg.substr(equals + 1));
    } else if (i + 1 < argc) {
      VendorFlags()[it->second] = argv[++i];
    } else {
      std::fprintf(stderr, "jobfacade: flag --%s needs a value\n", it->first.c_str());
      std::exit(2);
    }
  }
  return rest;
}

std::string UsageMessage() {
  std::string usage =
      absl::StrCat("jobfacade: one gRPC job API in front of ", jobfacade::VendorNameList(),
                   ".\nEvery flag can also be set through its environment variable; see the "
                   "README.\nVendor flags:");
  for (const std::string& setting : jobfacade::VendorSettingNamesOfAll()) {
    absl::StrAppend(&usage, "\n  --", absl::AsciiStrToLower(setting), " (", setting, ")");
  }
  return usage;
}

std::optional<std::string> FlagFor(absl::string_view env) {
  if (auto it = VendorFlags().find(env); it != VendorFlags().end() && !it->second.empty()) {
    return it->second;
  }
  struct Entry {
    const char* env;
    absl::Flag<std::string>* flag;
  };
  static const Entry kEntries[] = {
      {"JOBFACADE_LISTEN", &FLAGS_listen},
      {"JOBFACADE_PAGE_TOKEN_KEY", &FLAGS_page_token_key},
      {"JOBFACADE_AUTH_TOKENS_FILE", &FLAGS_auth_tokens_file},
      {"JOBFACADE_ALLOW_CALLER_KEYS", &FLAGS_allow_caller_keys},
      {"JOBFACADE_TLS_CERT_FILE", &FLAGS_tls_cert_file},
      {"JOBFACADE_TLS_KEY_FILE", &FLAGS_tls_key_file},
      {"JOBFACADE_TLS_CLIENT_CA_FILE", &FLAGS_tls_client_ca_file},
      {"JOBFACADE_METRICS_LISTEN", &FLAGS_metrics_listen},
      {"JOBFACADE_HEALTH_LISTEN", &FLAGS_health_listen},
      {"JOBFACADE_LOG_FORMAT", &FLAGS_log_format},
      {"JOBFACADE_LOG_LEVEL", &FLAGS_log_level},
      {"JOBFACADE_SHUTDOWN_GRACE_SECONDS", &FLAGS_shutdown_grace_seconds},
      {"JOBFACADE_VENDOR_MAX_IN_FLIGHT", &FLAGS_vendor_max_in_flight},
      {"JOBFACADE_VENDOR_MAX_QUEUED", &FLAGS_vendor_max_queued},
      {"JOBFACADE_RETRY_MAX_ATTEMPTS", &FLAGS_retry_max_attempts},
      {"JOBFACADE_RETRY_INITIAL_BACKOFF", &FLAGS_retry_initial_backoff},
      {"JOBFACADE_RETRY_MAX_BACKOFF", &FLAGS_retry_max_backoff},
      {"JOBFACADE_RETRY_MAX_RETRY_AFTER", &FLAGS_retry_max_retry_after},
      {"JOBFACADE_CIRCUIT_FAILURE_THRESHOLD", &FLAGS_circuit_failure_threshold},
      {"JOBFACADE_CIRCUIT_OPEN_DURATION", &FLAGS_circuit_open_duration},
      {"JOBFACADE_DEFAULT_DEADLINE", &FLAGS_default_deadline},
      {"JOBFACADE_VENDOR_CONNECT_TIMEOUT", &FLAGS_vendor_connect_timeout},
      {"JOBFACADE_VENDOR_LOW_SPEED_TIME", &FLAGS_vendor_low_speed_time},
      {"JOBFACADE_MAX_VENDOR_RESPONSE_BYTES", &FLAGS_max_vendor_response_bytes},
  };
  for (const Entry& e : kEntries) {
    if (env == e.env) {
      std::string value = absl::GetFlag(*e.flag);
      if (!value.empty()) return value;
      return std::nullopt;
    }
  }
  if (env == "JOBFACADE_SANDBOX" && absl::GetFlag(FLAGS_sandbox)) return std::string("true");
  return std::nullopt;
}

// Vendor connections are sockets: allow as many as the hard limit permits.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with the mutex deadlock detector on: it records every lock order in
  // a global graph, under a global lock, on every Lock() (6% of the server's CPU under load).
  // The lock order is checked by the TSan stage of the tests instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the termination signals before any thread exists so that every thread inherits the
  // mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::SetProgramUsageMessage(UsageMessage());
  std::vector<char*> rest = TakeVendorFlags(argc, argv);
  absl::ParseCommandLine(static_cast<int>(rest.size()), rest.data());
  RaiseFileLimit();

  const jobfacade::SettingLookup lookup = [](absl::string_view name) -> std::optional<std::string> {
    if (auto flag = FlagFor(name); flag.has_value()) return flag;
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  // The log settings first, so that every later line (a configuration error included) has the
  // chosen format.
  auto format = jobfacade::ParseLogFormat(lookup("JOBFACADE_LOG_FORMAT").value_or(""));
  auto level = jobfacade::ParseLogLevel(lookup("JOBFACADE_LOG_LEVEL").value_or("info"));
  jobfacade::ConfigureLogging(format.value_or(jobfacade::LogFormat::kJson),
                              level.value_or(LogLevel::kInfo));
  for (const absl::Status& bad : {format.status(), level.status()}) {
    if (!bad.ok()) {
      Log(LogLevel::kError, absl::StrCat("invalid configuration: ", bad.message()));
      return 2;
    }
  }

  auto config = jobfacade::LoadConfig(lookup);
  if (!config.ok()) {
    Log(LogLevel::kError, absl::StrCat("invalid configuration: ", config.status().message()));
    return 2;
  }

  const absl::Duration shutdown_grace = config->shutdown_grace;
  auto server = jobfacade::Server::Start(*std::move(config));
  if (!server.ok()) {
    Log(LogLevel::kError, absl::StrCat("cannot start: ", server.status().message()));
    // A setting the server cannot use (a listen address it cannot bind, a TLS file it cannot
    // load) is a configuration error like any other: exit 2, the message names the setting.
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  if ((*server)->sandbox_port() != 0) {
    std::printf("jobfacade sandbox: vendor emulator on 127.0.0.1:%d\n", (*server)->sandbox_port());
  }
  if (!(*server)->metrics_address().empty()) {
    std::printf("jobfacade metrics on %s\n", (*server)->metrics_address().c_str());
  }
  if (!(*server)->health_address().empty()) {
    std::printf("jobfacade health on %s\n", (*server)->health_address().c_str());
  }
  std::printf("jobfacade listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  Log(LogLevel::kInfo, absl::StrCat("serving jobfacade.v1.JobService on ", (*server)->address()));

  int received = 0;
  sigwait(&signals, &received);
  Log(LogLevel::kInfo, absl::StrCat("received ", received == SIGTERM ? "SIGTERM" : "SIGINT",
                                    ": draining calls in flight"));
  (*server)->Shutdown(shutdown_grace);
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
