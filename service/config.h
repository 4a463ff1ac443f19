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

namespace jobfacade {

struct VendorSettings {
  std::string base_url;
  std::string api_key;  // never logged
};

struct Config {
  std::string listen = "0.0.0.0:50051";
  // Enabled vendors only, keyed by vendor name.
  std::map<std::string, VendorSettings, std::less<>> vendors;
  std::string page_token_key;            // empty: a random key per process
  std::vector<std::string> auth_tokens;  // empty: callers are not authenticated
  bool allow_caller_keys = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string metrics_listen = "0.0.0.0:9090";  // empty: no metrics endpoint
  bool sandbox = false;                         // set when forced, or when no vendor is enabled
};

// Looks a setting up by its environment variable name (for example "QBRAID_API_KEY"); the
// caller merges flags over the environment.
using SettingLookup = std::function<std::optional<std::string>(absl::string_view)>;

// Builds and validates the configuration. Key files are read here. Errors are
// INVALID_ARGUMENT with a message naming the setting (never its secret value).
absl::StatusOr<Config> LoadConfig(const SettingLookup& lookup);

// Checks a vendor base URL: https, or http only for a loopback host.
absl::Status ValidateBaseUrl(absl::string_view setting, absl::string_view url);

// The settings LoadConfig reads, in order (for flags and documentation).
const std::vector<std::string>& ConfigSettingNames();

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_CONFIG_H_
