// Server assembly: configuration in, a serving gRPC server out.
#include "service/server.h"

#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"
#include "adapters/core/scheduler.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "adapters/resilience/resilient_client.h"
#include "adapters/resilience/vendor_transport.h"
#include "adapters/sandbox/emulator.h"
#include "service/file_reloader.h"
#include "service/idempotency_store.h"
#include "service/job_operations.h"
#include "service/job_service.h"
#include "service/log.h"
#include "service/metrics.h"
#include "service/names.h"
#include "service/page_token.h"
#include "service/redis_store.h"
#include "service/tls_credentials.h"
#include "service/watch_hub.h"

namespace jobfacade {
namespace {

// The store JOBFACADE_IDEMPOTENCY_STORE names (already checked by LoadConfig).
absl::StatusOr<std::unique_ptr<IdempotencyStore>> OpenIdempotencyStore(absl::string_view setting,
                                                                       absl::string_view store,
                                                                       const Clock& clock) {
  auto url = ParseIdempotencyStore(setting, store);
  if (!url.ok()) return url.status();
  if (url->redis) {
    Log(LogLevel::kInfo, absl::StrCat("idempotency store: redis at ", url->host, ":", url->port,
                                      " database ", url->db, " (shared by the replicas)"));
    RedisStoreOptions options;
    options.host = url->host;
    options.port = url->port;
    options.password = url->password;
    options.db = url->db;
    return NewRedisIdempotencyStore(std::move(options));
  }
  Log(LogLevel::kInfo, "idempotency store: memory (this replica only)");
  return std::make_unique<MemoryIdempotencyStore>(clock);
}

constexpr char kServiceName[] = "jobfacade.v1.JobService";
// A duration as a gRPC channel argument in milliseconds.
int ToGrpcMillis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
}

// Bounds on what one caller may send or receive in one message.
constexpr int kMaxReceiveMessageBytes = 1 << 20;
constexpr int kMaxSendMessageBytes = 64 << 20;

// How often the `_FILE` settings are looked at (API.md: a change is used within 10 s).
constexpr absl::Duration kFileReloadInterval = absl::Seconds(2);

std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

}  // namespace

Server::~Server() { Shutdown(absl::ZeroDuration()); }

int Server::sandbox_port() const { return sandbox_ ? sandbox_->port() : 0; }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Config config, const Clock& clock) {
  std::unique_ptr<Server> server(new Server());
  server->clock_ = &clock;
  server->reloader_ = std::make_unique<FileReloader>();
  if (config.sandbox) {
    sandbox::VendorEmulator::Options options;
    auto emulator = sandbox::VendorEmulator::Start(options);
    if (!emulator.ok()) return emulator.status();
    server->sandbox_ = *std::move(emulator);
    config.vendors.clear();
    for (const Vendor* vendor : Vendors()) {
      std::string base_url = server->sandbox_->base_url(vendor->name());
      if (base_url.empty()) {
        Log(LogLevel::kWarn, absl::StrCat("sandbox mode: vendor ", vendor->name(),
                                          " has no emulator personality and stays unconfigured"));
        continue;
      }
      config.vendors[vendor->name()] = {std::move(base_url),
                                        server->sandbox_->api_key(vendor->name()), ""};
    }
    Log(LogLevel::kWarn,
        absl::StrCat("sandbox mode: no vendor is configured (or --sandbox was given); "
                     "serving demo jobs from the built-in vendor emulator on 127.0.0.1:",
                     server->sandbox_->port()));
  }

  std::string page_token_key = config.page_token_key;
  if (page_token_key.empty()) {
    auto random_key = RandomPageTokenKey();
    if (!random_key.ok()) return random_key.status();
    page_token_key = *std::move(random_key);
    Log(LogLevel::kWarn,
        "JOBFACADE_PAGE_TOKEN_KEY is not set: using a random key, so page tokens are only "
        "valid on this process; set the same key on every replica");
  }

  const ResilienceSettings& resilience = config.resilience;
  http::HttpEngine::Options engine_options;
  engine_options.connect_timeout = resilience.vendor_connect_timeout;
  engine_options.low_speed_time = resilience.vendor_low_speed_time;
  engine_options.clock = &clock;
  server->transport_ = std::make_unique<VendorTransport>(engine_options);
  server->metrics_ = std::make_unique<Metrics>();
  server->metrics_->AddGauge("jobfacade_vendor_requests_in_flight",
                             "Vendor HTTP requests started and not yet answered.",
                             [transport = server->transport_.get()] {
                               return static_cast<double>(transport->engine().in_flight());
                             });
  ResilienceOptions client_options;
  client_options.max_in_flight = resilience.vendor_max_in_flight;
  client_options.max_queued = resilience.vendor_max_queued;
  client_options.max_attempts = resilience.retry_max_attempts;
  client_options.initial_backoff = resilience.retry_initial_backoff;
  client_options.max_backoff = resilience.retry_max_backoff;
  client_options.max_retry_after = resilience.retry_max_retry_after;
  client_options.circuit_failure_threshold = resilience.circuit_failure_threshold;
  client_options.circuit_open_duration = resilience.circuit_open_duration;
  client_options.max_response_bytes = static_cast<size_t>(resilience.max_vendor_response_bytes);
  JobOperations::AdapterMap adapters;
  for (const auto& [vendor, settings] : config.vendors) {
    ResilientClient* client = server->transport_->AddVendor(vendor, client_options);
    client->SetAttemptListener([vendor = vendor,
                                metrics = server->metrics_.get()](const AttemptRecord& attempt) {
      // An attempt the caller cancelled says nothing about the vendor: it is not timed.
      if (attempt.error != http::TransportError::kCancelled) {
        metrics->RecordVendorRequest(vendor, attempt.operation, attempt.http_status, attempt.took);
      }
      const bool failed = attempt.error != http::TransportError::kNone
                              ? attempt.error != http::TransportError::kCancelled
                              : attempt.http_status == 429 || attempt.http_status >= 500;
      if (!failed || !LogEnabled(LogLevel::kWarn)) return;
      LogLine line(LogLevel::kWarn, "vendor request failed");
      line.Str("vendor", vendor)
          .Str("operation", attempt.operation)
          .Int("attempt", attempt.attempt);
      if (attempt.http_status != 0) {
        line.Int("http_status", attempt.http_status);
      } else {
        line.Str("error", http::TransportErrorName(attempt.error));
      }
      line.Num("latency_ms", absl::ToDoubleMilliseconds(attempt.took));
    });
    client->SetCircuitListener([raw = server.get(), vendor = vendor](bool serving) {
      LogLine(LogLevel::kWarn, serving ? "vendor circuit closed" : "vendor circuit open")
          .Str("vendor", vendor);
      raw->SetVendorServing(vendor, serving);
    });
    // The adapter's copy and the reloader's share the key: a new key file reaches the next
    // request.
    const Reloadable<std::string> key(settings.api_key);
    if (!settings.api_key_file.empty()) {
      const std::string setting =
          absl::StrCat(FindVendor(vendor)->spec().settings.api_key, "_FILE");
      server->reloader_->Watch({{setting, settings.api_key_file}},
                               [key, setting](const std::vector<std::string>& contents) {
                                 auto parsed = ParseKeyFile(setting, contents[0]);
                                 if (!parsed.ok()) return parsed.status();
                                 key.Set(*std::move(parsed));
                                 return absl::OkStatus();
                               });
    }
    auto adapter = MakeVendorAdapter(vendor, client, VendorConfig{settings.base_url, key});
    if (adapter == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("no adapter for vendor ", vendor));
    }
    adapters.emplace(vendor, std::move(adapter));
    Log(LogLevel::kInfo, absl::StrCat("vendor ", vendor, " enabled at ", settings.base_url));
  }
  JobOperationsOptions operations_options;
  operations_options.cache = {config.cache.max_jobs, config.cache.max_bytes, config.cache.ttl};
  operations_options.previous_page_token_key = config.previous_page_token_key;
  operations_options.scheduler = server->transport_->scheduler();
  operations_options.submissions.ttl = config.idempotency.ttl;
  {
    auto store =
        OpenIdempotencyStore("JOBFACADE_IDEMPOTENCY_STORE", config.idempotency.store, clock);
    if (!store.ok()) return store.status();
    server->idempotency_store_ = *std::move(store);
    if (!config.idempotency.store_file.empty()) {
      // A new URL in the file (a rotated password, say) is a new store for the next calls.
      // The reloader stops before the store goes, so `target` outlives every reload.
      auto switchable =
          std::make_unique<SwitchableIdempotencyStore>(std::move(server->idempotency_store_));
      SwitchableIdempotencyStore* target = switchable.get();
      server->idempotency_store_ = std::move(switchable);
      auto in_use = std::make_shared<std::string>(config.idempotency.store);
      server->reloader_->Watch(
          {{"JOBFACADE_IDEMPOTENCY_STORE_FILE", config.idempotency.store_file}},
          [target, in_use, clock = &clock](const std::vector<std::string>& contents) {
            const std::string url(absl::StripAsciiWhitespace(contents[0]));
            if (url == *in_use) return absl::OkStatus();
            auto next = OpenIdempotencyStore("JOBFACADE_IDEMPOTENCY_STORE_FILE", url, *clock);
            if (!next.ok()) return next.status();
            target->Set(*std::move(next));
            *in_use = url;
            return absl::OkStatus();
          });
    }
    operations_options.idempotency_store = server->idempotency_store_.get();
  }
  server->operations_ = std::make_unique<JobOperations>(
      std::move(adapters), std::move(page_token_key), clock, operations_options);
  server->RegisterResilienceMetrics();
  if (auto s = server->WatchPageTokenKeys(config, page_token_key); !s.ok()) return s;
  WatchOptions watch_options;
  watch_options.poll_min = config.watch.poll_min;
  watch_options.poll_max = config.watch.poll_max;
  watch_options.max_watches = config.watch.max_watches;
  watch_options.read_timeout = resilience.default_deadline;
  server->watches_ = std::make_unique<WatchHub>(server->operations_->reader(),
                                                server->transport_->scheduler(), watch_options);
  server->metrics_->AddGauge(
      "jobfacade_watches_open", "WatchJob streams open now.",
      [watches = server->watches_.get()] { return static_cast<double>(watches->stats().open); });
  server->metrics_->AddGauge("jobfacade_watch_upstreams", "Jobs followed upstream for watches now.",
                             [watches = server->watches_.get()] {
                               return static_cast<double>(watches->stats().upstreams);
                             });
  const Reloadable<std::vector<CallerToken>> auth_tokens(config.auth_tokens);
  if (!config.auth_tokens_file.empty()) {
    server->reloader_->Watch({{"JOBFACADE_AUTH_TOKENS_FILE", config.auth_tokens_file}},
                             [auth_tokens](const std::vector<std::string>& contents) {
                               // A file that lost its last token is refused like a bad one: the
                               // tokens in use stay, so a half-written file never turns caller
                               // authentication off.
                               auto tokens =
                                   ParseCallerTokens("JOBFACADE_AUTH_TOKENS_FILE", contents[0]);
                               if (!tokens.ok()) return tokens.status();
                               auth_tokens.Set(*std::move(tokens));
                               return absl::OkStatus();
                             });
  }
  server->service_ = std::make_unique<JobServiceImpl>(
      server->operations_.get(),
      JobServiceOptions{auth_tokens, config.allow_caller_keys, server->metrics_.get(),
                        resilience.default_deadline, &clock, server->watches_.get(),
                        config.connection.max_age, config.connection.max_age_grace});

  server->metrics_->AddGauge("jobfacade_rpcs_in_flight",
                             "Unary RPCs being served now (watches: jobfacade_watches_open).",
                             [service = server->service_.get()] {
                               return static_cast<double>(service->UnaryCallsInFlight());
                             });
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!config.tls_cert_file.empty()) {
    auto tls = ReloadingTlsCredentials::Create(config.tls_cert_file, config.tls_key_file,
                                               config.tls_client_ca_file, server->reloader_.get());
    if (!tls.ok()) return tls.status();
    server->tls_ = *std::move(tls);
    credentials = server->tls_->credentials();
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(config.listen, credentials, &selected_port);
  builder.RegisterService(server->service_.get());
  const ConnectionSettings& connection = config.connection;
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ToGrpcMillis(connection.max_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             ToGrpcMillis(connection.max_age_grace));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ToGrpcMillis(connection.keepalive_time));
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.SetMaxSendMessageSize(kMaxSendMessageBytes);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || selected_port == 0) {
    // Also a certificate gRPC could read but not use: the TLS settings are named with it.
    return absl::InvalidArgumentError(absl::StrCat(
        "JOBFACADE_LISTEN: cannot listen on ", config.listen,
        config.tls_cert_file.empty()
            ? ""
            : " (or JOBFACADE_TLS_CERT_FILE / JOBFACADE_TLS_KEY_FILE hold no usable key pair)"));
  }
  server->address_ = absl::StrCat(HostOf(config.listen), ":", selected_port);

  if (!config.health_listen.empty()) {
    // Plaintext on purpose: kubelet's gRPC probes cannot speak TLS. It serves health only.
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(config.health_listen, grpc::InsecureServerCredentials(),
                                    &health_port);
    server->health_server_ = health_builder.BuildAndStart();
    if (server->health_server_ == nullptr || health_port == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("JOBFACADE_HEALTH_LISTEN: cannot listen on ", config.health_listen));
    }
    server->health_address_ = absl::StrCat(HostOf(config.health_listen), ":", health_port);
  }
  {
    absl::MutexLock lock(&server->health_mu_);
    server->health_.push_back(server->server_->GetHealthCheckService());
    if (server->health_server_ != nullptr) {
      server->health_.push_back(server->health_server_->GetHealthCheckService());
    }
    for (grpc::HealthCheckServiceInterface* health : server->health_) {
      health->SetServingStatus(kServiceName, true);
      for (const Vendor* vendor : Vendors()) {
        const auto& clients = server->transport_->clients();
        auto client = clients.find(vendor->name());
        const bool serving =
            client != clients.end() && client->second->stats().circuit != CircuitState::kOpen;
        health->SetServingStatus(FormatParent(vendor->name()), serving);
      }
    }
  }
  if (!config.metrics_listen.empty()) {
    auto metrics_server = MetricsServer::Start(config.metrics_listen, server->metrics_.get());
    if (!metrics_server.ok()) return metrics_server.status();
    server->metrics_server_ = *std::move(metrics_server);
    server->metrics_address_ = server->metrics_server_->address();
  }
  server->reloader_->Start(server->transport_->scheduler(), kFileReloadInterval);
  server->config_ = std::move(config);
  return server;
}

void Server::SetVendorServing(const std::string& vendor, bool serving) {
  absl::MutexLock lock(&health_mu_);
  // A vendor reports SERVING only while it is configured and its circuit is not open.
  for (grpc::HealthCheckServiceInterface* health : health_) {
    health->SetServingStatus(FormatParent(vendor), serving && operations_->IsConfigured(vendor));
  }
}

absl::Status Server::WatchPageTokenKeys(const Config& config, const std::string& key_in_use) {
  if (config.page_token_key_file.empty() && config.previous_page_token_key_file.empty()) {
    return absl::OkStatus();
  }
  // Both keys change together: a rotation writes the new key and, as the previous one, the key
  // it replaces, and tokens signed with either stay valid through it.
  struct KeySource {
    std::string setting;
    std::string file;  // empty: the key is fixed (from the environment, or random)
    std::string fixed;
  };
  std::vector<KeySource> sources = {
      {"JOBFACADE_PAGE_TOKEN_KEY", config.page_token_key_file, key_in_use},
      {"JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS", config.previous_page_token_key_file,
       config.previous_page_token_key}};
  std::vector<FileReloader::File> files;
  for (const KeySource& source : sources) {
    if (!source.file.empty()) files.push_back({absl::StrCat(source.setting, "_FILE"), source.file});
  }
  reloader_->Watch(std::move(files), [sources, operations = operations_.get()](
                                         const std::vector<std::string>& contents) {
    std::vector<std::string> keys;
    size_t next = 0;
    for (const KeySource& source : sources) {
      if (source.file.empty()) {
        keys.push_back(source.fixed);
        continue;
      }
      const std::string setting = absl::StrCat(source.setting, "_FILE");
      auto key = ParseKeyFile(setting, contents[next++]);
      if (!key.ok()) return key.status();
      if (absl::Status short_key = CheckPageTokenKey(setting, *key); !short_key.ok()) {
        return short_key;
      }
      keys.push_back(*std::move(key));
    }
    operations->SetPageTokenKeys(std::move(keys[0]), std::move(keys[1]));
    return absl::OkStatus();
  });
  return absl::OkStatus();
}

void Server::RegisterResilienceMetrics() {
  using Type = Metrics::Type;
  using Samples = Metrics::Samples;
  const std::map<std::string, std::unique_ptr<ResilientClient>>* clients = &transport_->clients();
  // One sample per vendor (more with `extra` labels) from each client's stats.
  using PerVendor = std::vector<std::pair<Metrics::Labels, double>>;
  auto family = [clients](auto value) {
    return [clients, value] {
      Samples samples;
      for (const auto& [vendor, client] : *clients) {
        const ResilienceStats stats = client->stats();
        for (auto& [extra, number] : value(stats)) {
          Metrics::Labels labels = {{"vendor", vendor}};
          labels.insert(labels.end(), extra.begin(), extra.end());
          samples.emplace_back(std::move(labels), number);
        }
      }
      return samples;
    };
  };
  auto one = [](double value) { return PerVendor{{{}, value}}; };
  metrics_->AddFamily(
      "jobfacade_vendor_in_flight", "Requests at the vendor now, per vendor.", Type::kGauge,
      family([one](const ResilienceStats& s) { return one(static_cast<double>(s.in_flight)); }));
  metrics_->AddFamily(
      "jobfacade_vendor_queued",
      "Requests waiting for a free slot at the vendor (concurrency limit).", Type::kGauge,
      family([one](const ResilienceStats& s) { return one(static_cast<double>(s.queued)); }));
  metrics_->AddFamily("jobfacade_vendor_circuit_open",
                      "1 while the vendor's circuit breaker is open, else 0.", Type::kGauge,
                      family([one](const ResilienceStats& s) {
                        return one(s.circuit == CircuitState::kOpen ? 1.0 : 0.0);
                      }));
  metrics_->AddFamily(
      "jobfacade_vendor_attempts_total", "HTTP requests sent to the vendor.", Type::kCounter,
      family([one](const ResilienceStats& s) { return one(static_cast<double>(s.attempts)); }));
  metrics_->AddFamily(
      "jobfacade_vendor_retries_total", "HTTP requests sent again after a retryable failure.",
      Type::kCounter,
      family([one](const ResilienceStats& s) { return one(static_cast<double>(s.retries)); }));
  metrics_->AddFamily(
      "jobfacade_vendor_rejected_total", "Requests answered without calling the vendor, by reason.",
      Type::kCounter, family([](const ResilienceStats& s) {
        return PerVendor{{{{"reason", "queue_full"}}, static_cast<double>(s.rejected_full)},
                         {{{"reason", "circuit_open"}}, static_cast<double>(s.rejected_open)}};
      }));
  metrics_->AddFamily("jobfacade_vendor_circuit_opened_total",
                      "Times the vendor's circuit breaker opened.", Type::kCounter,
                      family([one](const ResilienceStats& s) {
                        return one(static_cast<double>(s.circuit_opened));
                      }));
  metrics_->AddFamily("jobfacade_list_items_skipped_total",
                      "Listed jobs left out of a page because no id could be read from them.",
                      Type::kCounter, [operations = operations_.get()] {
                        Samples samples;
                        for (const auto& [vendor, count] : operations->ListItemsSkipped()) {
                          samples.push_back({{{"vendor", vendor}}, static_cast<double>(count)});
                        }
                        return samples;
                      });
  metrics_->AddFamily("jobfacade_cache_requests_total",
                      "Job reads looked up in the terminal-job cache, by result.", Type::kCounter,
                      [operations = operations_.get()] {
                        const TerminalJobCache::Stats stats = operations->CacheStats();
                        return Samples{{{{"result", "hit"}}, static_cast<double>(stats.hits)},
                                       {{{"result", "miss"}}, static_cast<double>(stats.misses)}};
                      });
  metrics_->AddGauge("jobfacade_cache_entries", "Terminal jobs kept in the cache.",
                     [operations = operations_.get()] {
                       return static_cast<double>(operations->CacheStats().entries);
                     });
  metrics_->AddGauge("jobfacade_cache_bytes", "Memory held by the terminal-job cache.",
                     [operations = operations_.get()] {
                       return static_cast<double>(operations->CacheStats().bytes);
                     });
  metrics_->AddFamily("jobfacade_coalesced_reads_total",
                      "Job reads that shared a vendor request another call had started.",
                      Type::kCounter, [operations = operations_.get()] {
                        return Samples{{{}, static_cast<double>(operations->CoalescedReads())}};
                      });
}

void Server::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  // Nothing is re-read from here on: what the reloader sets is about to go away.
  reloader_.reset();
  {
    absl::MutexLock lock(&health_mu_);
    // Every service NOT_SERVING from now on, on both listeners.
    for (grpc::HealthCheckServiceInterface* health : health_) health->Shutdown();
    health_.clear();
  }
  // grpc::Server::Shutdown gives every open call the whole grace, health Watch streams too, and
  // those never end by themselves. So: stop accepting calls now, wait for the JobService's unary
  // calls alone, then cancel the streams that are left (again every 100 ms until the shutdown is
  // over, for a stream that slipped in before it began).
  const absl::Time deadline = clock_->Now() + grace;
  // Open watches end now, UNAVAILABLE / SHUTTING_DOWN, so their callers re-open them elsewhere.
  watches_->Shutdown(MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown,
                               "the server is shutting down; re-open the watch"));
  absl::Notification stopped;
  std::thread stopper([this, deadline, &stopped] {
    server_->Shutdown(absl::ToChronoTime(deadline));
    stopped.Notify();
  });
  service_->WaitForWatches(deadline);
  service_->WaitForUnaryCalls(deadline);
  do {
    grpc_server_cancel_all_calls(server_->c_server());
  } while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  stopper.join();
  server_->Wait();
  server_.reset();
  tls_.reset();  // gRPC's provider read the certificates from its files until now
  // The probes' listener goes last: until the main port has drained it says NOT_SERVING.
  if (health_server_ != nullptr) {
    health_server_->Shutdown(absl::ToChronoTime(clock_->Now()));
    health_server_->Wait();
    health_server_.reset();
  }
  // Nothing reads the vendor clients or the engine after this: no scrape, no call.
  metrics_server_.reset();
  // Calls are over: vendor requests still open belong to nobody. The clients stop first, then
  // the timers and the engine (VendorTransport::Shutdown); the adapters, which point at the
  // clients, go after them; the sandbox, which may still be answering, goes last.
  transport_->Shutdown();
  service_.reset();
  watches_.reset();
  operations_.reset();
  transport_.reset();
  sandbox_.reset();
}

}  // namespace jobfacade
