// Server configuration from the environment and flags (API.md, "Configuration").
#ifndef JOBFACADE_SERVICE_CONFIG_H_
#define JOBFACADE_SERVICE_CONFIG_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jobfacade {

struct VendorSettings {
  std::string base_url;
  std::string api_key;       // never logged
  std::string api_key_file;  // <VENDOR>_API_KEY_FILE, re-read on change; empty: none
};

// How the service protects itself and the vendors (README, "Resilience").
struct ResilienceSettings {
  int vendor_max_in_flight = 16;  // requests at one vendor at once
  int vendor_max_queued = 256;    // requests waiting for one vendor; beyond: UNAVAILABLE
  int retry_max_attempts = 3;     // attempts of one idempotent vendor request
  absl::Duration retry_initial_backoff = absl::Milliseconds(100);
  absl::Duration retry_max_backoff = absl::Seconds(2);
  absl::Duration retry_max_retry_after = absl::Seconds(10);  // longer Retry-After: no retry
  int circuit_failure_threshold = 5;  // consecutive failures that open a circuit; 0: never
  absl::Duration circuit_open_duration = absl::Seconds(30);
  absl::Duration default_deadline = absl::Seconds(30);  // calls without a gRPC deadline
  absl::Duration vendor_connect_timeout = absl::Seconds(10);
  absl::Duration vendor_low_speed_time = absl::Seconds(10);  // 0: no low-speed limit
  int64_t max_vendor_response_bytes = 8 << 20;
};

// The terminal-job cache (JOBFACADE_CACHE_SIZE, _BYTES, _TTL); a zero bound disables it.
struct CacheSettings {
  int64_t max_jobs = 10000;
  int64_t max_bytes = int64_t{64} << 20;
  absl::Duration ttl = absl::Minutes(10);
};

// WatchJob (JOBFACADE_WATCH_POLL_MIN, _POLL_MAX, JOBFACADE_WATCH_MAX).
// Where CreateJob keeps its request ids (API.md, "request_id").
struct IdempotencySettings {
  // JOBFACADE_IDEMPOTENCY_STORE (or the content of _STORE_FILE): "memory" or
  // "redis://[:PASSWORD@]HOST:PORT[/DB]".
  std::string store = "memory";
  std::string store_file;  // the file it came from, re-read while the server runs; or empty
  absl::Duration ttl = absl::Hours(24);  // JOBFACADE_IDEMPOTENCY_TTL
};

// A JOBFACADE_IDEMPOTENCY_STORE value, checked: "memory", or a Redis URL.
struct IdempotencyStoreUrl {
  bool redis = false;
  std::string host;
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
};
// INVALID_ARGUMENT naming `setting` (never the password) when `text` is neither.
absl::StatusOr<IdempotencyStoreUrl> ParseIdempotencyStore(absl::string_view setting,
                                                          absl::string_view text);

struct WatchSettings {
  absl::Duration poll_min = absl::Seconds(1);
  absl::Duration poll_max = absl::Seconds(30);
  int max_watches = 10000;
};

// Server connections (JOBFACADE_MAX_CONNECTION_AGE, _GRACE, JOBFACADE_KEEPALIVE_TIME): a
// connection is told to go away at its maximum age (gRPC adds up to 10% either way), so that
// L4 balancing spreads long-lived callers; calls left on it get the grace, then it closes.
struct ConnectionSettings {
  absl::Duration max_age = absl::Minutes(30);
  absl::Duration max_age_grace = absl::Seconds(30);
  absl::Duration keepalive_time = absl::Seconds(60);
};

// One line of JOBFACADE_AUTH_TOKENS_FILE: `TOKEN [read|write]`.
struct CallerToken {
  std::string token;
  // `read` tokens may Get, List, Watch and GetJobResult only.
  bool may_write = true;
  // The first 8 hex digits of the token's SHA-256: the `caller` of log lines.
  std::string id;

  friend bool operator==(const CallerToken& a, const CallerToken& b) {
    return a.token == b.token && a.may_write == b.may_write && a.id == b.id;
  }
};

// Parses a tokens file's content; INVALID_ARGUMENT naming `setting` for a bad line or no token.
absl::StatusOr<std::vector<CallerToken>> ParseCallerTokens(absl::string_view setting,
                                                           absl::string_view content);

struct Config {
  std::string listen = "0.0.0.0:50051";
  // Enabled vendors only, keyed by vendor name.
  std::map<std::string, VendorSettings, std::less<>> vendors;
  std::string page_token_key;            // empty: a random key per process
  std::string previous_page_token_key;   // empty: none
  std::vector<CallerToken> auth_tokens;  // empty: callers are not authenticated
  // The files the values above came from (empty: none), re-read while the server runs.
  std::string page_token_key_file;
  std::string previous_page_token_key_file;
  std::string auth_tokens_file;
  bool allow_caller_keys = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string metrics_listen = "0.0.0.0:9090";  // empty: no metrics endpoint
  // A plaintext listener serving only grpc.health.v1 (kubelet's probes when the main port
  // serves TLS); empty: none.
  std::string health_listen;
  bool sandbox = false;  // set when forced, or when no vendor is enabled
  // How long calls in flight may finish after SIGTERM (JOBFACADE_SHUTDOWN_GRACE_SECONDS).
  absl::Duration shutdown_grace = absl::Seconds(10);
  ResilienceSettings resilience;
  CacheSettings cache;
  WatchSettings watch;
  ConnectionSettings connection;
  IdempotencySettings idempotency;
};

// Reads a setting's file (at most 1 MiB); INVALID_ARGUMENT naming `setting` and the path.
absl::StatusOr<std::string> ReadSettingFile(absl::string_view setting, const std::string& path);

// A key file's content as the key: surrounding whitespace dropped; INVALID_ARGUMENT naming
// `setting` when nothing is left or the key holds control characters.
absl::StatusOr<std::string> ParseKeyFile(absl::string_view setting, absl::string_view content);

// A page-token key (JOBFACADE_PAGE_TOKEN_KEY, _PREVIOUS) is empty or at least 16 bytes.
absl::Status CheckPageTokenKey(absl::string_view setting, absl::string_view key);

// Looks a setting up by its environment variable name (for example "JOBFACADE_LISTEN"); the
// caller merges flags over the environment.
using SettingLookup = std::function<std::optional<std::string>(absl::string_view)>;

// Builds and validates the configuration. Key files are read here. Errors are
// INVALID_ARGUMENT with a message naming the setting (never its secret value).
absl::StatusOr<Config> LoadConfig(const SettingLookup& lookup);

// Checks a vendor base URL: https, or http only for a loopback host.
absl::Status ValidateBaseUrl(absl::string_view setting, absl::string_view url);

// Every registered vendor's settings: KEY, KEY_FILE and BASE_URL, in registry order.
std::vector<std::string> VendorSettingNamesOfAll();

// The settings LoadConfig reads, in order (for flags and documentation).
const std::vector<std::string>& ConfigSettingNames();

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_CONFIG_H_
