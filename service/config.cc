// Configuration rules: which vendors are enabled, key files, URL safety, caller auth.
#include "service/config.h"

#include <openssl/sha.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "adapters/registry.h"

namespace jobfacade {
namespace {

absl::Status CheckKeyCharacters(absl::string_view setting, absl::string_view key) {
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting, ": the key contains control characters"));
    }
  }
  return absl::OkStatus();
}

// A key from VAR or VAR_FILE (not both); surrounding whitespace is dropped. `*file_path` gets
// the file's path when the key came from one.
absl::StatusOr<std::string> ReadKey(const SettingLookup& lookup, absl::string_view key_env,
                                    absl::string_view file_env, std::string* file_path) {
  auto value = lookup(key_env);
  auto file = lookup(file_env);
  const bool has_value = value.has_value() && !value->empty();
  const bool has_file = file.has_value() && !file->empty();
  if (has_value && has_file) {
    return absl::InvalidArgumentError(absl::StrCat("set only one of ", key_env, " and ", file_env));
  }
  if (has_file) {
    auto content = ReadSettingFile(file_env, *file);
    if (!content.ok()) return content.status();
    auto key = ParseKeyFile(file_env, *content);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(key.status().message(), " (", *file, ")"));
    }
    *file_path = *file;
    return key;
  }
  std::string key = has_value ? std::string(absl::StripAsciiWhitespace(*value)) : std::string();
  if (auto s = CheckKeyCharacters(key_env, key); !s.ok()) return s;
  return key;
}

absl::StatusOr<bool> ParseBool(absl::string_view setting, absl::string_view text) {
  bool value;
  if (!absl::SimpleAtob(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": expected true or false, got \"", text, "\""));
  }
  return value;
}

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8 in dotted-quad form.
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (absl::string_view p : parts) {
    int octet;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &octet) || octet < 0 || octet > 255) {
      return false;
    }
  }
  return true;
}

// One numeric resilience setting: its variable, where it goes, and its allowed range.
struct IntSetting {
  const char* env;
  int64_t ResilienceSettings::*int64_field;
  int ResilienceSettings::*int_field;
  int64_t min;
  int64_t max;
};

struct DurationSetting {
  const char* env;
  absl::Duration ResilienceSettings::*field;
  absl::Duration min;
  absl::Duration max;
};

const IntSetting kIntSettings[] = {
    {"JOBFACADE_VENDOR_MAX_IN_FLIGHT", nullptr, &ResilienceSettings::vendor_max_in_flight, 1,
     100000},
    {"JOBFACADE_VENDOR_MAX_QUEUED", nullptr, &ResilienceSettings::vendor_max_queued, 0, 1000000},
    {"JOBFACADE_RETRY_MAX_ATTEMPTS", nullptr, &ResilienceSettings::retry_max_attempts, 1, 10},
    {"JOBFACADE_CIRCUIT_FAILURE_THRESHOLD", nullptr, &ResilienceSettings::circuit_failure_threshold,
     0, 1000000000},
    {"JOBFACADE_MAX_VENDOR_RESPONSE_BYTES", &ResilienceSettings::max_vendor_response_bytes, nullptr,
     1024, int64_t{1} << 30},
};

const DurationSetting kDurationSettings[] = {
    {"JOBFACADE_RETRY_INITIAL_BACKOFF", &ResilienceSettings::retry_initial_backoff,
     absl::Milliseconds(1), absl::Minutes(1)},
    {"JOBFACADE_RETRY_MAX_BACKOFF", &ResilienceSettings::retry_max_backoff, absl::Milliseconds(1),
     absl::Minutes(10)},
    {"JOBFACADE_RETRY_MAX_RETRY_AFTER", &ResilienceSettings::retry_max_retry_after,
     absl::ZeroDuration(), absl::Hours(1)},
    {"JOBFACADE_CIRCUIT_OPEN_DURATION", &ResilienceSettings::circuit_open_duration,
     absl::Milliseconds(10), absl::Hours(1)},
    {"JOBFACADE_DEFAULT_DEADLINE", &ResilienceSettings::default_deadline, absl::Milliseconds(100),
     absl::Hours(1)},
    {"JOBFACADE_VENDOR_CONNECT_TIMEOUT", &ResilienceSettings::vendor_connect_timeout,
     absl::Milliseconds(10), absl::Minutes(5)},
    {"JOBFACADE_VENDOR_LOW_SPEED_TIME", &ResilienceSettings::vendor_low_speed_time,
     absl::ZeroDuration(), absl::Hours(1)},
};

absl::Status LoadResilience(const SettingLookup& lookup, ResilienceSettings& settings) {
  for (const IntSetting& setting : kIntSettings) {
    auto text = lookup(setting.env);
    if (!text.has_value() || text->empty()) continue;
    int64_t value;
    if (!absl::SimpleAtoi(*text, &value) || value < setting.min || value > setting.max) {
      return absl::InvalidArgumentError(absl::StrCat(setting.env, ": expected a whole number from ",
                                                     setting.min, " to ", setting.max, ", got \"",
                                                     *text, "\""));
    }
    if (setting.int_field != nullptr) {
      settings.*setting.int_field = static_cast<int>(value);
    } else {
      settings.*setting.int64_field = value;
    }
  }
  for (const DurationSetting& setting : kDurationSettings) {
    auto text = lookup(setting.env);
    if (!text.has_value() || text->empty()) continue;
    absl::Duration value;
    if (!absl::ParseDuration(*text, &value) || value < setting.min || value > setting.max) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.env, ": expected a duration such as 250ms or 30s, from ",
                       absl::FormatDuration(setting.min), " to ", absl::FormatDuration(setting.max),
                       ", got \"", *text, "\""));
    }
    settings.*setting.field = value;
  }
  if (settings.retry_max_backoff < settings.retry_initial_backoff) {
    return absl::InvalidArgumentError(
        "JOBFACADE_RETRY_MAX_BACKOFF must not be below JOBFACADE_RETRY_INITIAL_BACKOFF");
  }
  return absl::OkStatus();
}

// A byte count: a whole number, optionally with a unit (k/kB = 1000, Ki/KiB = 1024, and M, G
// likewise), such as 64MiB.
std::optional<int64_t> ParseBytes(absl::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  int64_t number;
  if (digits == 0 || digits > 15 || !absl::SimpleAtoi(text.substr(0, digits), &number)) {
    return std::nullopt;
  }
  static const auto* units =
      new std::map<std::string, int64_t, std::less<>>{{"", 1},
                                                      {"B", 1},
                                                      {"k", 1000},
                                                      {"kB", 1000},
                                                      {"K", 1000},
                                                      {"KB", 1000},
                                                      {"Ki", int64_t{1} << 10},
                                                      {"KiB", int64_t{1} << 10},
                                                      {"M", 1000 * 1000},
                                                      {"MB", 1000 * 1000},
                                                      {"Mi", int64_t{1} << 20},
                                                      {"MiB", int64_t{1} << 20},
                                                      {"G", 1000 * 1000 * 1000},
                                                      {"GB", 1000 * 1000 * 1000},
                                                      {"Gi", int64_t{1} << 30},
                                                      {"GiB", int64_t{1} << 30}};
  auto unit = units->find(absl::StripAsciiWhitespace(text.substr(digits)));
  if (unit == units->end()) return std::nullopt;
  return number * unit->second;
}

absl::Status LoadCache(const SettingLookup& lookup, CacheSettings& cache) {
  constexpr int64_t kMaxJobs = 10000000;
  constexpr int64_t kMaxBytes = int64_t{64} << 30;
  if (auto text = lookup("JOBFACADE_CACHE_SIZE"); text.has_value() && !text->empty()) {
    if (!absl::SimpleAtoi(*text, &cache.max_jobs) || cache.max_jobs < 0 ||
        cache.max_jobs > kMaxJobs) {
      return absl::InvalidArgumentError(
          absl::StrCat("JOBFACADE_CACHE_SIZE: expected a whole number of jobs from 0 (no cache) "
                       "to ",
                       kMaxJobs, ", got \"", *text, "\""));
    }
  }
  if (auto text = lookup("JOBFACADE_CACHE_BYTES"); text.has_value() && !text->empty()) {
    std::optional<int64_t> bytes = ParseBytes(*text);
    if (!bytes.has_value() || *bytes > kMaxBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JOBFACADE_CACHE_BYTES: expected a size such as 64MiB or 100000000, from 0 (no cache) "
          "to 64GiB, got \"",
          *text, "\""));
    }
    cache.max_bytes = *bytes;
  }
  if (auto text = lookup("JOBFACADE_CACHE_TTL"); text.has_value() && !text->empty()) {
    absl::Duration ttl;
    if (!absl::ParseDuration(*text, &ttl) || ttl < absl::Seconds(1) || ttl > absl::Hours(24)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JOBFACADE_CACHE_TTL: expected a duration such as 10m, from 1s to 24h, got \"", *text,
          "\""));
    }
    cache.ttl = ttl;
  }
  return absl::OkStatus();
}

absl::Status LoadIdempotency(const SettingLookup& lookup, IdempotencySettings& settings) {
  auto value = lookup("JOBFACADE_IDEMPOTENCY_STORE");
  auto file = lookup("JOBFACADE_IDEMPOTENCY_STORE_FILE");
  const bool has_value = value.has_value() && !value->empty();
  const bool has_file = file.has_value() && !file->empty();
  if (has_value && has_file) {
    return absl::InvalidArgumentError(
        "set only one of JOBFACADE_IDEMPOTENCY_STORE and JOBFACADE_IDEMPOTENCY_STORE_FILE");
  }
  if (has_file) {
    auto content = ReadSettingFile("JOBFACADE_IDEMPOTENCY_STORE_FILE", *file);
    if (!content.ok()) return content.status();
    settings.store = std::string(absl::StripAsciiWhitespace(*content));
    settings.store_file = *file;
  } else if (has_value) {
    settings.store = std::string(absl::StripAsciiWhitespace(*value));
  }
  const char* setting =
      has_file ? "JOBFACADE_IDEMPOTENCY_STORE_FILE" : "JOBFACADE_IDEMPOTENCY_STORE";
  if (auto url = ParseIdempotencyStore(setting, settings.store); !url.ok()) return url.status();
  if (auto text = lookup("JOBFACADE_IDEMPOTENCY_TTL"); text.has_value() && !text->empty()) {
    absl::Duration ttl;
    if (!absl::ParseDuration(*text, &ttl) || ttl < absl::Minutes(1) || ttl > absl::Hours(24 * 30)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JOBFACADE_IDEMPOTENCY_TTL: expected a duration such as 24h, from 1m to 720h, got \"",
          *text, "\""));
    }
    settings.ttl = ttl;
  }
  return absl::OkStatus();
}

absl::Status LoadWatch(const SettingLookup& lookup, WatchSettings& watch) {
  for (auto [env, field] : {std::pair{"JOBFACADE_WATCH_POLL_MIN", &WatchSettings::poll_min},
                            std::pair{"JOBFACADE_WATCH_POLL_MAX", &WatchSettings::poll_max}}) {
    auto text = lookup(env);
    if (!text.has_value() || text->empty()) continue;
    absl::Duration value;
    if (!absl::ParseDuration(*text, &value) || value < absl::Milliseconds(10) ||
        value > absl::Hours(1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          env, ": expected a duration such as 1s or 500ms, from 10ms to 1h, got \"", *text, "\""));
    }
    watch.*field = value;
  }
  if (watch.poll_max < watch.poll_min) {
    return absl::InvalidArgumentError(
        "JOBFACADE_WATCH_POLL_MAX must not be below JOBFACADE_WATCH_POLL_MIN");
  }
  if (auto text = lookup("JOBFACADE_WATCH_MAX"); text.has_value() && !text->empty()) {
    constexpr int kMaxWatches = 10000000;
    if (!absl::SimpleAtoi(*text, &watch.max_watches) || watch.max_watches < 0 ||
        watch.max_watches > kMaxWatches) {
      return absl::InvalidArgumentError(
          absl::StrCat("JOBFACADE_WATCH_MAX: expected a whole number of watches from 0 to ",
                       kMaxWatches, ", got \"", *text, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadConnection(const SettingLookup& lookup, ConnectionSettings& connection) {
  struct Setting {
    const char* env;
    absl::Duration ConnectionSettings::*field;
    absl::Duration min;
  };
  for (const Setting& setting :
       {Setting{"JOBFACADE_MAX_CONNECTION_AGE", &ConnectionSettings::max_age, absl::Seconds(1)},
        Setting{"JOBFACADE_MAX_CONNECTION_AGE_GRACE", &ConnectionSettings::max_age_grace,
                absl::ZeroDuration()},
        Setting{"JOBFACADE_KEEPALIVE_TIME", &ConnectionSettings::keepalive_time,
                absl::Seconds(1)}}) {
    auto text = lookup(setting.env);
    if (!text.has_value() || text->empty()) continue;
    absl::Duration value;
    if (!absl::ParseDuration(*text, &value) || value < setting.min || value > absl::Hours(720)) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.env, ": expected a duration such as 30m or 30s, from ",
                       absl::FormatDuration(setting.min), " to 720h, got \"", *text, "\""));
    }
    connection.*setting.field = value;
  }
  return absl::OkStatus();
}

// `host:port` with a port from 0 to 65535 (gRPC would take 99999 as 34463 without a word).
absl::Status ValidateListen(absl::string_view setting, absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        setting, ": expected HOST:PORT with a port from 0 to 65535, got \"", address, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> VendorSettingNamesOfAll() {
  std::vector<std::string> names;
  for (const Vendor* vendor : Vendors()) {
    const VendorSettingNames& settings = vendor->spec().settings;
    names.push_back(settings.api_key);
    names.push_back(absl::StrCat(settings.api_key, "_FILE"));
    names.push_back(settings.base_url);
  }
  return names;
}

absl::Status ValidateBaseUrl(absl::string_view setting, absl::string_view url) {
  absl::string_view rest = url;
  bool https;
  if (absl::ConsumePrefix(&rest, "https://")) {
    https = true;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    https = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": must start with https:// (or http:// for a loopback host)"));
  }
  absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || absl::StrContains(authority, '@')) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": must name a host, without user information"));
  }
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": must not have a query or fragment"));
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      return absl::InvalidArgumentError(absl::StrCat(setting, ": must be plain printable ASCII"));
    }
  }
  absl::string_view host = authority;
  if (absl::StartsWith(host, "[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (!https && !IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": plain http:// is only allowed for loopback hosts; use https://"));
  }
  return absl::OkStatus();
}

const std::vector<std::string>& ConfigSettingNames() {
  static const auto* names = [] {
    auto* list = new std::vector<std::string>{"JOBFACADE_LISTEN"};
    for (const std::string& setting : VendorSettingNamesOfAll()) list->push_back(setting);
    list->insert(list->end(), {"JOBFACADE_PAGE_TOKEN_KEY",
                               "JOBFACADE_PAGE_TOKEN_KEY_FILE",
                               "JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS",
                               "JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS_FILE",
                               "JOBFACADE_HEALTH_LISTEN",
                               "JOBFACADE_LOG_FORMAT",
                               "JOBFACADE_LOG_LEVEL",
                               "JOBFACADE_AUTH_TOKENS_FILE",
                               "JOBFACADE_ALLOW_CALLER_KEYS",
                               "JOBFACADE_TLS_CERT_FILE",
                               "JOBFACADE_TLS_KEY_FILE",
                               "JOBFACADE_TLS_CLIENT_CA_FILE",
                               "JOBFACADE_METRICS_LISTEN",
                               "JOBFACADE_SANDBOX",
                               "JOBFACADE_SHUTDOWN_GRACE_SECONDS",
                               "JOBFACADE_CACHE_SIZE",
                               "JOBFACADE_CACHE_BYTES",
                               "JOBFACADE_CACHE_TTL",
                               "JOBFACADE_WATCH_POLL_MIN",
                               "JOBFACADE_WATCH_POLL_MAX",
                               "JOBFACADE_WATCH_MAX",
                               "JOBFACADE_MAX_CONNECTION_AGE",
                               "JOBFACADE_MAX_CONNECTION_AGE_GRACE",
                               "JOBFACADE_KEEPALIVE_TIME",
                               "JOBFACADE_IDEMPOTENCY_STORE",
                               "JOBFACADE_IDEMPOTENCY_STORE_FILE",
                               "JOBFACADE_IDEMPOTENCY_TTL"});
    for (const IntSetting& setting : kIntSettings) list->push_back(setting.env);
    for (const DurationSetting& setting : kDurationSettings) list->push_back(setting.env);
    return list;
  }();
  return *names;
}

absl::StatusOr<IdempotencyStoreUrl> ParseIdempotencyStore(absl::string_view setting,
                                                          absl::string_view text) {
  IdempotencyStoreUrl url;
  if (text == "memory") return url;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        setting, ": expected \"memory\" or redis://[:PASSWORD@]HOST:PORT[/DB] (", why, ")"));
  };
  absl::string_view rest = text;
  if (!absl::ConsumePrefix(&rest, "redis://")) return bad("unknown store");
  url.redis = true;
  if (const size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    // "[user]:password"; Redis before ACLs has no user names, so only the password is used.
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) return bad("the password must follow a ':'");
    url.password = std::string(userinfo.substr(colon + 1));
    if (url.password.empty()) return bad("empty password");
  }
  absl::string_view db;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return bad("HOST:PORT is required");
  url.host = std::string(rest.substr(0, colon));
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &url.port) || url.port < 1 || url.port > 65535) {
    return bad("the port must be 1 to 65535");
  }
  if (!db.empty() && (!absl::SimpleAtoi(db, &url.db) || url.db < 0 || url.db > 1000000)) {
    return bad("the database must be a number");
  }
  return url;
}

absl::StatusOr<std::string> ReadSettingFile(absl::string_view setting, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": cannot read file ", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  if (content.size() > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(setting, ": file ", path, " is too large"));
  }
  return content;
}

absl::StatusOr<std::string> ParseKeyFile(absl::string_view setting, absl::string_view content) {
  std::string key(absl::StripAsciiWhitespace(content));
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(setting, ": the file is empty"));
  if (auto s = CheckKeyCharacters(setting, key); !s.ok()) return s;
  return key;
}

absl::Status CheckPageTokenKey(absl::string_view setting, absl::string_view key) {
  if (!key.empty() && key.size() < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat(setting, ": must be at least 16 bytes (32 random bytes recommended)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CallerToken>> ParseCallerTokens(absl::string_view setting,
                                                           absl::string_view content) {
  std::vector<CallerToken> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    CallerToken token;
    token.token = std::string(words[0]);
    if (words.size() > 2 || (words.size() == 2 && words[1] != "read" && words[1] != "write")) {
      // The line number only: the line holds a token.
      return absl::InvalidArgumentError(absl::StrCat(
          setting, ": line ", line_number, " is not `TOKEN`, `TOKEN read` or `TOKEN write`"));
    }
    token.may_write = words.size() == 1 || words[1] == "write";
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(token.token.data()), token.token.size(), digest);
    token.id = absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 4));
    tokens.push_back(std::move(token));
  }
  if (tokens.empty()) return absl::InvalidArgumentError(absl::StrCat(setting, ": no token"));
  return tokens;
}

absl::StatusOr<Config> LoadConfig(const SettingLookup& lookup) {
  Config config;
  auto get = [&](absl::string_view name) -> std::string {
    auto v = lookup(name);
    return v.has_value() ? *v : std::string();
  };
  if (std::string listen = get("JOBFACADE_LISTEN"); !listen.empty()) config.listen = listen;
  if (auto metrics = lookup("JOBFACADE_METRICS_LISTEN"); metrics.has_value()) {
    config.metrics_listen = *metrics == "off" ? "" : *metrics;
  }
  if (auto health = lookup("JOBFACADE_HEALTH_LISTEN"); health.has_value() && *health != "off") {
    config.health_listen = *health;
    if (auto s = ValidateListen("JOBFACADE_HEALTH_LISTEN", config.health_listen); !s.ok()) {
      return s;
    }
  }
  if (auto s = ValidateListen("JOBFACADE_LISTEN", config.listen); !s.ok()) return s;
  if (!config.metrics_listen.empty()) {
    if (auto s = ValidateListen("JOBFACADE_METRICS_LISTEN", config.metrics_listen); !s.ok()) {
      return s;
    }
  }

  for (const Vendor* vendor : Vendors()) {
    const VendorSettingNames& names = vendor->spec().settings;
    const std::string key_file = absl::StrCat(names.api_key, "_FILE");
    std::string key_path;
    auto key = ReadKey(lookup, names.api_key, key_file, &key_path);
    if (!key.ok()) return key.status();
    std::string base_url = get(names.base_url);
    // A vendor with a public endpoint is enabled by its key; one without, by its base URL.
    const bool enabled = !names.default_base_url.empty() ? !key->empty() : !base_url.empty();
    if (!enabled) continue;
    if (base_url.empty()) base_url = names.default_base_url;
    while (absl::EndsWith(base_url, "/")) base_url.pop_back();
    if (auto s = ValidateBaseUrl(names.base_url, base_url); !s.ok()) return s;
    config.vendors.emplace(vendor->name(),
                           VendorSettings{base_url, *std::move(key), std::move(key_path)});
  }

  for (auto [setting, key, path] :
       {std::tuple<absl::string_view, std::string*, std::string*>{
            "JOBFACADE_PAGE_TOKEN_KEY", &config.page_token_key, &config.page_token_key_file},
        {"JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS", &config.previous_page_token_key,
         &config.previous_page_token_key_file}}) {
    auto value = ReadKey(lookup, setting, absl::StrCat(setting, "_FILE"), path);
    if (!value.ok()) return value.status();
    if (auto s = CheckPageTokenKey(setting, *value); !s.ok()) return s;
    *key = *std::move(value);
  }

  if (std::string path = get("JOBFACADE_AUTH_TOKENS_FILE"); !path.empty()) {
    auto content = ReadSettingFile("JOBFACADE_AUTH_TOKENS_FILE", path);
    if (!content.ok()) return content.status();
    auto tokens = ParseCallerTokens("JOBFACADE_AUTH_TOKENS_FILE", *content);
    if (!tokens.ok()) return tokens.status();
    config.auth_tokens = *std::move(tokens);
    config.auth_tokens_file = path;
  }

  if (std::string allow = get("JOBFACADE_ALLOW_CALLER_KEYS"); !allow.empty()) {
    auto value = ParseBool("JOBFACADE_ALLOW_CALLER_KEYS", allow);
    if (!value.ok()) return value.status();
    config.allow_caller_keys = *value;
  }

  config.tls_cert_file = get("JOBFACADE_TLS_CERT_FILE");
  config.tls_key_file = get("JOBFACADE_TLS_KEY_FILE");
  config.tls_client_ca_file = get("JOBFACADE_TLS_CLIENT_CA_FILE");
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "set both JOBFACADE_TLS_CERT_FILE and JOBFACADE_TLS_KEY_FILE, or neither");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "JOBFACADE_TLS_CLIENT_CA_FILE needs JOBFACADE_TLS_CERT_FILE and JOBFACADE_TLS_KEY_FILE");
  }
  for (const auto& [setting, path] :
       {std::pair<const char*, const std::string*>{"JOBFACADE_TLS_CERT_FILE",
                                                   &config.tls_cert_file},
        {"JOBFACADE_TLS_KEY_FILE", &config.tls_key_file},
        {"JOBFACADE_TLS_CLIENT_CA_FILE", &config.tls_client_ca_file}}) {
    if (path->empty()) continue;
    auto content = ReadSettingFile(setting, *path);
    if (!content.ok()) return content.status();
    if (content->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(setting, ": file ", *path, " is empty"));
    }
  }

  if (std::string sandbox = get("JOBFACADE_SANDBOX"); !sandbox.empty()) {
    auto value = ParseBool("JOBFACADE_SANDBOX", sandbox);
    if (!value.ok()) return value.status();
    config.sandbox = *value;
    if (!*value && config.vendors.empty()) {
      // A production pod whose vendor settings went missing must not serve demo jobs.
      // The setting that enables each vendor: its key, or its base URL when it has no public
      // endpoint (as the loop above decides).
      std::vector<std::string> enabling;
      for (const Vendor* vendor : Vendors()) {
        const VendorSettingNames& names = vendor->spec().settings;
        enabling.push_back(names.default_base_url.empty() ? names.base_url : names.api_key);
      }
      return absl::FailedPreconditionError(absl::StrCat(
          "JOBFACADE_SANDBOX=false forbids sandbox mode, and no vendor is configured (set one "
          "of ",
          absl::StrJoin(enabling, ", "), ")"));
    }
  }
  if (config.vendors.empty()) config.sandbox = true;
  if (std::string grace = get("JOBFACADE_SHUTDOWN_GRACE_SECONDS"); !grace.empty()) {
    double seconds = 0;
    if (!absl::SimpleAtod(grace, &seconds) || !(seconds >= 0) || seconds > 3600) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JOBFACADE_SHUTDOWN_GRACE_SECONDS: expected a number of seconds from 0 to 3600, got \"",
          grace, "\""));
    }
    config.shutdown_grace = absl::Seconds(seconds);
  }
  if (auto s = LoadResilience(lookup, config.resilience); !s.ok()) return s;
  if (auto s = LoadCache(lookup, config.cache); !s.ok()) return s;
  if (auto s = LoadWatch(lookup, config.watch); !s.ok()) return s;
  if (auto s = LoadConnection(lookup, config.connection); !s.ok()) return s;
  if (auto s = LoadIdempotency(lookup, config.idempotency); !s.ok()) return s;
  return config;
}

}  // namespace jobfacade
