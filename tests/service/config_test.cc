// LoadConfig: vendor enabling, key files, URL safety, sandbox, caller auth settings.
#include "service/config.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  absl::StatusOr<Config> Load() {
    return LoadConfig([this](absl::string_view name) -> std::optional<std::string> {
      auto it = env_.find(std::string(name));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    });
  }
  std::string WriteFile(const std::string& content) {
    std::string path =
        ::jobfacade::testing::TestTempDir() + "/config_test_" + std::to_string(counter_++) + ".txt";
    std::ofstream(path) << content;
    return path;
  }
  // Each setting alone, with its bad value, stops the load with a message naming it.
  void ExpectEachRejected(const std::vector<std::pair<std::string, std::string>>& bad) {
    for (const auto& [name, value] : bad) {
      env_.clear();
      env_[name] = value;
      auto c = Load();
      EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << name << "=" << value;
      EXPECT_NE(c.status().message().find(name), absl::string_view::npos) << c.status();
    }
  }
  std::map<std::string, std::string> env_;
  int counter_ = 0;
};

TEST_F(ConfigTest, NothingConfiguredMeansSandbox) {
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->sandbox);
  EXPECT_TRUE(c->vendors.empty());
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->metrics_listen, "0.0.0.0:9090");
  EXPECT_FALSE(c->allow_caller_keys);
}

TEST_F(ConfigTest, KeysEnableVendorsWithDefaultBaseUrls) {
  env_["QBRAID_API_KEY"] = "qk";
  env_["IONQ_API_KEY"] = "ik";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->sandbox);
  ASSERT_EQ(c->vendors.size(), 2u);
  EXPECT_EQ(c->vendors.at("qbraid").base_url, "https://api-v2.qbraid.com/api/v1");
  EXPECT_EQ(c->vendors.at("qbraid").api_key, "qk");
  EXPECT_EQ(c->vendors.at("ionq").base_url, "https://api.ionq.co/v0.4");
  EXPECT_EQ(c->vendors.count("praisonai"), 0u);
}

TEST_F(ConfigTest, PraisonaiIsEnabledByItsBaseUrl) {
  env_["PRAISONAI_BASE_URL"] = "http://127.0.0.1:8005/";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vendors.at("praisonai").base_url, "http://127.0.0.1:8005");
  EXPECT_EQ(c->vendors.at("praisonai").api_key, "");
}

TEST_F(ConfigTest, KeyFilesAreReadAndTrimmed) {
  env_["IONQ_API_KEY_FILE"] = WriteFile("  secret-from-file\n");
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vendors.at("ionq").api_key, "secret-from-file");
}

TEST_F(ConfigTest, KeyAndKeyFileTogetherAreRefused) {
  env_["IONQ_API_KEY"] = "a";
  env_["IONQ_API_KEY_FILE"] = WriteFile("b");
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, UnreadableOrEmptyKeyFileIsAnErrorWithoutTheSecret) {
  env_["QBRAID_API_KEY_FILE"] = "/nonexistent/key";
  auto c = Load();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("QBRAID_API_KEY_FILE"), std::string::npos);
  env_["QBRAID_API_KEY_FILE"] = WriteFile("\n");
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, BaseUrlMustBeHttpsExceptLoopback) {
  env_["QBRAID_API_KEY"] = "super-secret-key";
  for (const char* ok : {"https://api.example.com/api/v1", "http://127.0.0.1:9/x",
                         "http://localhost:8080", "http://[::1]:80/v1", "http://127.1.2.3"}) {
    env_["QBRAID_BASE_URL"] = ok;
    EXPECT_TRUE(Load().ok()) << ok;
  }
  for (const char* bad : {"http://api.example.com", "http://127.0.0.1.evil.com/", "ftp://127.0.0.1",
                          "api.example.com", "https://user@host/", "https://host/path?x=1",
                          "http://10.0.0.1", "https:///path"}) {
    env_["QBRAID_BASE_URL"] = bad;
    auto c = Load();
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(c.status().message().find("super-secret-key"), std::string::npos);
  }
}

TEST_F(ConfigTest, SandboxCanBeForced) {
  env_["IONQ_API_KEY"] = "k";
  env_["JOBFACADE_SANDBOX"] = "true";
  auto c = Load();
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->sandbox);
}

TEST_F(ConfigTest, SandboxFalseWithNoVendorIsRefused) {
  env_["JOBFACADE_SANDBOX"] = "false";
  auto c = Load();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("JOBFACADE_SANDBOX=false"));
  env_["IONQ_API_KEY"] = "k";
  c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->sandbox);
}

// `TOKEN [read|write]`; the caller id is the first 8 hex digits of the token's SHA-256, and a
// bad line is named by its number, never by its content.
TEST_F(ConfigTest, AuthTokensHaveRoles) {
  env_["JOBFACADE_AUTH_TOKENS_FILE"] = WriteFile("reader-token read\nwriter-token write\nplain\n");
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->auth_tokens.size(), 3u);
  EXPECT_FALSE(c->auth_tokens[0].may_write);
  EXPECT_TRUE(c->auth_tokens[1].may_write);
  EXPECT_TRUE(c->auth_tokens[2].may_write);
  // `printf plain | sha256sum` begins a116c9ed.
  EXPECT_EQ(c->auth_tokens[2].id, "a116c9ed");
  env_["JOBFACADE_AUTH_TOKENS_FILE"] = WriteFile("good\nsecret-token admin\n");
  c = Load();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("line 2"));
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::Not(::testing::HasSubstr("secret-token")));
}

TEST_F(ConfigTest, PageTokenKeysComeFromValuesOrFiles) {
  env_["JOBFACADE_PAGE_TOKEN_KEY_FILE"] = WriteFile("current-key-0123456789abcdef\n");
  env_["JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS"] = "retired-key-0123456789abcdef";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->page_token_key, "current-key-0123456789abcdef");
  EXPECT_EQ(c->previous_page_token_key, "retired-key-0123456789abcdef");
  env_["JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS_FILE"] = WriteFile("short\n");
  env_.erase("JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS");
  c = Load();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()),
              ::testing::HasSubstr("JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS"));
  env_["JOBFACADE_PAGE_TOKEN_KEY"] = "both-set-0123456789abcdef";
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, AuthTokensFileSkipsBlanksAndComments) {
  env_["JOBFACADE_AUTH_TOKENS_FILE"] = WriteFile("# callers\ntoken-a\n\n  token-b  \n");
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->auth_tokens.size(), 2u);
  EXPECT_EQ(c->auth_tokens[0].token, "token-a");
  EXPECT_EQ(c->auth_tokens[1].token, "token-b");
  EXPECT_TRUE(c->auth_tokens[0].may_write);
  env_["JOBFACADE_AUTH_TOKENS_FILE"] = WriteFile("# nothing\n");
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, BooleansAndTlsPairsAreValidated) {
  env_["JOBFACADE_ALLOW_CALLER_KEYS"] = "true";
  EXPECT_TRUE(Load()->allow_caller_keys);
  env_["JOBFACADE_ALLOW_CALLER_KEYS"] = "maybe";
  EXPECT_FALSE(Load().ok());
  env_.erase("JOBFACADE_ALLOW_CALLER_KEYS");
  const std::string cert = WriteFile("PEM\n");
  const std::string key = WriteFile("PEM\n");
  env_["JOBFACADE_TLS_CERT_FILE"] = cert;
  EXPECT_FALSE(Load().ok());
  env_["JOBFACADE_TLS_KEY_FILE"] = key;
  EXPECT_TRUE(Load().ok());
  // Both must be readable at start: the message names the setting.
  env_["JOBFACADE_TLS_KEY_FILE"] = "/nonexistent/key.pem";
  {
    auto c = Load();
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find("JOBFACADE_TLS_KEY_FILE"), absl::string_view::npos);
  }
  env_["JOBFACADE_TLS_KEY_FILE"] = key;
  env_.erase("JOBFACADE_TLS_CERT_FILE");
  env_.erase("JOBFACADE_TLS_KEY_FILE");
  env_["JOBFACADE_TLS_CLIENT_CA_FILE"] = "/tmp/ca.pem";
  EXPECT_FALSE(Load().ok());
}

TEST_F(ConfigTest, ListenAddressesAndShutdownGraceAreValidated) {
  EXPECT_EQ(Load()->shutdown_grace, absl::Seconds(10));
  env_["JOBFACADE_SHUTDOWN_GRACE_SECONDS"] = "2.5";
  EXPECT_EQ(Load()->shutdown_grace, absl::Milliseconds(2500));
  for (const char* bad : {"-1", "soon", "3601", "nan"}) {
    env_["JOBFACADE_SHUTDOWN_GRACE_SECONDS"] = bad;
    EXPECT_FALSE(Load().ok()) << bad;
  }
  env_.erase("JOBFACADE_SHUTDOWN_GRACE_SECONDS");
  for (const char* setting : {"JOBFACADE_LISTEN", "JOBFACADE_METRICS_LISTEN"}) {
    for (const char* bad : {"127.0.0.1:99999", "127.0.0.1", ":80", "127.0.0.1:-1", "h:p"}) {
      env_[setting] = bad;
      auto c = Load();
      ASSERT_FALSE(c.ok()) << setting << "=" << bad;
      EXPECT_NE(c.status().message().find(setting), absl::string_view::npos) << c.status();
    }
    env_[setting] = "[::1]:0";
    EXPECT_TRUE(Load().ok()) << setting;
    env_.erase(setting);
  }
}

TEST_F(ConfigTest, PageTokenKeyMustNotBeShort) {
  env_["JOBFACADE_PAGE_TOKEN_KEY"] = "short";
  EXPECT_FALSE(Load().ok());
  env_["JOBFACADE_PAGE_TOKEN_KEY"] = std::string(32, 'k');
  EXPECT_EQ(Load()->page_token_key, std::string(32, 'k'));
}

TEST_F(ConfigTest, MetricsCanBeTurnedOff) {
  env_["JOBFACADE_METRICS_LISTEN"] = "off";
  EXPECT_EQ(Load()->metrics_listen, "");
  env_["JOBFACADE_METRICS_LISTEN"] = "127.0.0.1:0";
  EXPECT_EQ(Load()->metrics_listen, "127.0.0.1:0");
}

TEST_F(ConfigTest, ResilienceDefaults) {
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  const ResilienceSettings& r = c->resilience;
  EXPECT_EQ(r.vendor_max_in_flight, 16);
  EXPECT_EQ(r.vendor_max_queued, 256);
  EXPECT_EQ(r.retry_max_attempts, 3);
  EXPECT_EQ(r.retry_initial_backoff, absl::Milliseconds(100));
  EXPECT_EQ(r.retry_max_backoff, absl::Seconds(2));
  EXPECT_EQ(r.retry_max_retry_after, absl::Seconds(10));
  EXPECT_EQ(r.circuit_failure_threshold, 5);
  EXPECT_EQ(r.circuit_open_duration, absl::Seconds(30));
  EXPECT_EQ(r.default_deadline, absl::Seconds(30));
  EXPECT_EQ(r.vendor_connect_timeout, absl::Seconds(10));
  EXPECT_EQ(r.vendor_low_speed_time, absl::Seconds(10));
  EXPECT_EQ(r.max_vendor_response_bytes, 8 << 20);
}

TEST_F(ConfigTest, ResilienceSettingsAreRead) {
  env_["JOBFACADE_VENDOR_MAX_IN_FLIGHT"] = "4";
  env_["JOBFACADE_VENDOR_MAX_QUEUED"] = "0";
  env_["JOBFACADE_RETRY_MAX_ATTEMPTS"] = "1";
  env_["JOBFACADE_RETRY_INITIAL_BACKOFF"] = "250ms";
  env_["JOBFACADE_RETRY_MAX_BACKOFF"] = "1.5s";
  env_["JOBFACADE_RETRY_MAX_RETRY_AFTER"] = "0";
  env_["JOBFACADE_CIRCUIT_FAILURE_THRESHOLD"] = "0";
  env_["JOBFACADE_CIRCUIT_OPEN_DURATION"] = "2m";
  env_["JOBFACADE_DEFAULT_DEADLINE"] = "5s";
  env_["JOBFACADE_VENDOR_CONNECT_TIMEOUT"] = "750ms";
  env_["JOBFACADE_VENDOR_LOW_SPEED_TIME"] = "0s";
  env_["JOBFACADE_MAX_VENDOR_RESPONSE_BYTES"] = "1048576";
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  const ResilienceSettings& r = c->resilience;
  EXPECT_EQ(r.vendor_max_in_flight, 4);
  EXPECT_EQ(r.vendor_max_queued, 0);
  EXPECT_EQ(r.retry_max_attempts, 1);
  EXPECT_EQ(r.retry_initial_backoff, absl::Milliseconds(250));
  EXPECT_EQ(r.retry_max_backoff, absl::Milliseconds(1500));
  EXPECT_EQ(r.retry_max_retry_after, absl::ZeroDuration());
  EXPECT_EQ(r.circuit_failure_threshold, 0);
  EXPECT_EQ(r.circuit_open_duration, absl::Minutes(2));
  EXPECT_EQ(r.default_deadline, absl::Seconds(5));
  EXPECT_EQ(r.vendor_connect_timeout, absl::Milliseconds(750));
  EXPECT_EQ(r.vendor_low_speed_time, absl::ZeroDuration());
  EXPECT_EQ(r.max_vendor_response_bytes, 1 << 20);
}

TEST_F(ConfigTest, BadResilienceSettingsNameTheSettingAndTheRange) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"JOBFACADE_VENDOR_MAX_IN_FLIGHT", "0"},        {"JOBFACADE_VENDOR_MAX_IN_FLIGHT", "sixteen"},
      {"JOBFACADE_VENDOR_MAX_QUEUED", "-1"},          {"JOBFACADE_RETRY_MAX_ATTEMPTS", "11"},
      {"JOBFACADE_RETRY_INITIAL_BACKOFF", "100"},  // a duration needs its unit
      {"JOBFACADE_RETRY_MAX_BACKOFF", "soon"},        {"JOBFACADE_CIRCUIT_OPEN_DURATION", "-5s"},
      {"JOBFACADE_DEFAULT_DEADLINE", "2h"},           {"JOBFACADE_MAX_VENDOR_RESPONSE_BYTES", "12"},
      {"JOBFACADE_CIRCUIT_FAILURE_THRESHOLD", "1e3"},
  };
  ExpectEachRejected(bad);
  env_.clear();
  env_["JOBFACADE_RETRY_INITIAL_BACKOFF"] = "3s";
  env_["JOBFACADE_RETRY_MAX_BACKOFF"] = "1s";
  EXPECT_EQ(Load().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ConfigTest, CacheSettingsHaveTheContractsDefaultsAndUnits) {
  auto defaults = Load();
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->cache.max_jobs, 10000);
  EXPECT_EQ(defaults->cache.max_bytes, int64_t{64} << 20);
  EXPECT_EQ(defaults->cache.ttl, absl::Minutes(10));
  env_["JOBFACADE_CACHE_SIZE"] = "0";
  env_["JOBFACADE_CACHE_BYTES"] = "1GiB";
  env_["JOBFACADE_CACHE_TTL"] = "90s";
  auto set = Load();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->cache.max_jobs, 0);
  EXPECT_EQ(set->cache.max_bytes, int64_t{1} << 30);
  EXPECT_EQ(set->cache.ttl, absl::Seconds(90));
  for (const auto& [bytes, value] : std::vector<std::pair<std::string, int64_t>>{
           {"100", 100}, {"64Mi", int64_t{64} << 20}, {"5MB", 5000000}, {"0", 0}}) {
    env_["JOBFACADE_CACHE_BYTES"] = bytes;
    auto c = Load();
    ASSERT_TRUE(c.ok()) << bytes << ": " << c.status();
    EXPECT_EQ(c->cache.max_bytes, value) << bytes;
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"JOBFACADE_CACHE_SIZE", "-1"},   {"JOBFACADE_CACHE_SIZE", "many"},
      {"JOBFACADE_CACHE_BYTES", "64X"}, {"JOBFACADE_CACHE_BYTES", "MiB"},
      {"JOBFACADE_CACHE_BYTES", "-5"},  {"JOBFACADE_CACHE_BYTES", "100GiB"},
      {"JOBFACADE_CACHE_TTL", "0s"},    {"JOBFACADE_CACHE_TTL", "ten minutes"}};
  ExpectEachRejected(bad);
}

TEST_F(ConfigTest, WatchAndConnectionSettingsHaveTheContractsDefaults) {
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->watch.poll_min, absl::Seconds(1));
  EXPECT_EQ(c->watch.poll_max, absl::Seconds(30));
  EXPECT_EQ(c->watch.max_watches, 10000);
  EXPECT_EQ(c->connection.max_age, absl::Minutes(30));
  EXPECT_EQ(c->connection.max_age_grace, absl::Seconds(30));
  EXPECT_EQ(c->connection.keepalive_time, absl::Seconds(60));
}

TEST_F(ConfigTest, WatchAndConnectionSettingsAreReadAndValidated) {
  env_ = {{"JOBFACADE_WATCH_POLL_MIN", "250ms"},
          {"JOBFACADE_WATCH_POLL_MAX", "2m"},
          {"JOBFACADE_WATCH_MAX", "0"},
          {"JOBFACADE_MAX_CONNECTION_AGE", "1h"},
          {"JOBFACADE_MAX_CONNECTION_AGE_GRACE", "0s"},
          {"JOBFACADE_KEEPALIVE_TIME", "20s"}};
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->watch.poll_min, absl::Milliseconds(250));
  EXPECT_EQ(c->watch.poll_max, absl::Minutes(2));
  EXPECT_EQ(c->watch.max_watches, 0);
  EXPECT_EQ(c->connection.max_age, absl::Hours(1));
  EXPECT_EQ(c->connection.max_age_grace, absl::ZeroDuration());
  EXPECT_EQ(c->connection.keepalive_time, absl::Seconds(20));
  ExpectEachRejected({{"JOBFACADE_WATCH_POLL_MIN", "5ms"},
                      {"JOBFACADE_WATCH_POLL_MAX", "2h"},
                      {"JOBFACADE_WATCH_POLL_MIN", "soon"},
                      {"JOBFACADE_WATCH_MAX", "-1"},
                      {"JOBFACADE_WATCH_MAX", "many"},
                      {"JOBFACADE_MAX_CONNECTION_AGE", "0s"},
                      {"JOBFACADE_MAX_CONNECTION_AGE_GRACE", "-1s"},
                      {"JOBFACADE_KEEPALIVE_TIME", "forever"}});
  env_ = {{"JOBFACADE_WATCH_POLL_MIN", "10s"}, {"JOBFACADE_WATCH_POLL_MAX", "5s"}};
  auto crossed = Load();
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(crossed.status().message().find("JOBFACADE_WATCH_POLL_MAX"), absl::string_view::npos);
}

TEST_F(ConfigTest, EveryResilienceSettingIsListed) {
  const std::vector<std::string>& names = ConfigSettingNames();
  for (const char* name :
       {"JOBFACADE_VENDOR_MAX_IN_FLIGHT", "JOBFACADE_VENDOR_MAX_QUEUED",
        "JOBFACADE_RETRY_MAX_ATTEMPTS", "JOBFACADE_RETRY_INITIAL_BACKOFF",
        "JOBFACADE_RETRY_MAX_BACKOFF", "JOBFACADE_RETRY_MAX_RETRY_AFTER",
        "JOBFACADE_CIRCUIT_FAILURE_THRESHOLD", "JOBFACADE_CIRCUIT_OPEN_DURATION",
        "JOBFACADE_DEFAULT_DEADLINE", "JOBFACADE_VENDOR_CONNECT_TIMEOUT",
        "JOBFACADE_VENDOR_LOW_SPEED_TIME", "JOBFACADE_MAX_VENDOR_RESPONSE_BYTES"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
}

}  // namespace
}  // namespace jobfacade
