// Harness start-up: emulator first, then the server binary with the emulator's base URLs.
#include "tests/integration/server_harness.h"

#include <dirent.h>
#include <grpcpp/generic/generic_stub.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace jobfacade::testing {

void ServerHarness::StartEmulator(const HarnessOptions& options) {
  sandbox::VendorEmulator::Options emulator_options;
  emulator_options.manual_clock = &clock_;
  emulator_options.seed_demo_jobs = false;
  emulator_options.vendors[sandbox::kQbraid].api_key = kQbraidKey;
  emulator_options.vendors[sandbox::kIonq].api_key = kIonqKey;
  emulator_options.vendors[sandbox::kPraisonai].api_key = kPraisonaiKey;
  emulator_options.threads = options.emulator_threads;
  auto emulator = sandbox::VendorEmulator::Start(emulator_options);
  if (!emulator.ok()) {
    error_ = absl::StrCat("emulator: ", emulator.status().ToString());
    return;
  }
  own_emulator_ = *std::move(emulator);
  emulator_ = own_emulator_.get();
}

ServerHarness::ServerHarness(HarnessOptions options) : emulator_(options.emulator) {
  if (emulator_ == nullptr) {
    StartEmulator(options);
    if (!ok()) return;
  }

  std::map<std::string, std::string> env = {
      {"JOBFACADE_LISTEN", "127.0.0.1:0"},
      {"JOBFACADE_METRICS_LISTEN", "127.0.0.1:0"},
      {"JOBFACADE_PAGE_TOKEN_KEY", kPageTokenKey},
      {"PATH", "/usr/bin:/bin"},
  };
  if (options.qbraid) {
    env["QBRAID_API_KEY"] = kQbraidKey;
    env["QBRAID_BASE_URL"] = emulator_->base_url(sandbox::kQbraid);
  }
  if (options.ionq) {
    env["IONQ_API_KEY"] = kIonqKey;
    env["IONQ_BASE_URL"] = emulator_->base_url(sandbox::kIonq);
  }
  if (options.praisonai) {
    env["PRAISONAI_API_KEY"] = kPraisonaiKey;
    env["PRAISONAI_BASE_URL"] = emulator_->base_url(sandbox::kPraisonai);
  }
  for (const auto& [k, v] : options.env) env[k] = v;
  secrets_ = {kQbraidKey, kIonqKey, kPraisonaiKey, kPageTokenKey};
  secrets_.insert(secrets_.end(), options.secrets.begin(), options.secrets.end());
  for (const auto& [name, value] : env) {
    if (value.empty()) continue;
    if (absl::EndsWith(name, "_FILE")) {
      // Every long word of a key, token or certificate file.
      std::ifstream in(value, std::ios::binary);
      std::string word;
      while (in >> word) {
        if (word.size() >= 12 && !absl::StartsWith(word, "-----")) secrets_.push_back(word);
      }
    } else if (absl::EndsWith(name, "_KEY") || absl::StrContains(name, "TOKEN")) {
      secrets_.push_back(value);
    }
  }
  if (auto format = env.find("JOBFACADE_LOG_FORMAT"); format != env.end()) {
    json_log_ = format->second != "text";
  }

  std::vector<std::string> argv = {absl::StrCat(JOBFACADE_BINARY_DIR "/", options.binary)};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  if (!process_.Start(argv, env)) {
    error_ = "cannot start the jobfacade binary";
    return;
  }
  auto metrics = process_.WaitForLine("jobfacade metrics on ", absl::Seconds(30));
  if (auto health = env.find("JOBFACADE_HEALTH_LISTEN");
      health != env.end() && health->second != "off") {
    health_address_ = process_.WaitForLine("jobfacade health on ", absl::Seconds(30)).value_or("");
  }
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
  if (process_.pid() > 0 && json_log_) ExpectJsonLogWithout(process_.Stderr(), secrets_);
}

void ExpectJsonLogWithout(const std::string& log, const std::vector<std::string>& secrets) {
  simdjson::dom::parser parser;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    ++number;
    for (const std::string& secret : secrets) {
      EXPECT_FALSE(absl::StrContains(line, secret))
          << "log line " << number << " holds a secret: " << line;
    }
    simdjson::dom::element element;
    if (parser.parse(line.data(), line.size()).get(element) != simdjson::SUCCESS) {
      ADD_FAILURE() << "log line " << number << " is not JSON: " << line;
      continue;
    }
    simdjson::dom::object object;
    if (element.get(object) != simdjson::SUCCESS) {
      ADD_FAILURE() << "log line " << number << " is not a JSON object: " << line;
      continue;
    }
    for (const char* field : {"time", "level", "msg"}) {
      std::string_view value;
      EXPECT_EQ(object[field].get(value), simdjson::SUCCESS)
          << "log line " << number << " has no string \"" << field << "\": " << line;
    }
  }
}

void ServerHarness::Signal(int signal) {
  if (process_.pid() > 0) kill(process_.pid(), signal);
}

std::optional<int> ServerHarness::WaitForExit(absl::Duration timeout) {
  // Signal 0 delivers nothing: SignalAndWait then only waits.
  return process_.SignalAndWait(0, timeout);
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

ErrorSummary SummarizeError(const grpc::Status& status) {
  ErrorSummary summary;
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) {
    return summary;
  }
  summary.has_details = true;
  for (const auto& any : rich.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (summary.reason.empty() && any.Is<google::rpc::ErrorInfo>() && any.UnpackTo(&info)) {
      summary.reason = info.reason();
    } else if (any.Is<google::rpc::RetryInfo>() && any.UnpackTo(&retry)) {
      summary.retry_delay = absl::Seconds(retry.retry_delay().seconds()) +
                            absl::Nanoseconds(retry.retry_delay().nanos());
    }
  }
  return summary;
}

HealthAnswer CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         absl::Duration timeout) {
  // The health protos are not generated here; both messages are one field each.
  // HealthCheckRequest{service = 1 (string)}: tag 0x0a, varint length, bytes.
  std::string request("\x0a");
  for (size_t n = service.size();; n >>= 7) {
    request.push_back(static_cast<char>(n < 0x80 ? n : (n & 0x7f) | 0x80));
    if (n < 0x80) break;
  }
  request += service;
  grpc::Slice slice(request);
  grpc::ByteBuffer buffer(&slice, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::GenericStub generic(channel);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  HealthAnswer answer;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &buffer, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      answer.status = std::move(s);
                      done = true;
                      cv.notify_one();
                    });
  {
    // The call carries its own deadline, so this wait ends.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (!answer.status.ok()) return answer;
  std::vector<grpc::Slice> slices;
  response.Dump(&slices);
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1 (enum)}: "\x08" then a one-byte varint; UNKNOWN (0) is
  // the empty message.
  if (bytes.size() == 2 && bytes[0] == '\x08') answer.serving_status = bytes[1];
  return answer;
}

int64_t ResidentKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lld kB", &kb) == 1) return kb;
  }
  return -1;
}

FdCount CountFdsByPort(pid_t pid, const std::vector<int>& local_ports) {
  FdCount count;
  const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return count;
  std::set<std::string> socket_inodes;
  count.total = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    char target[64];
    const ssize_t n = readlinkat(dirfd(dir), e->d_name, target, sizeof(target) - 1);
    // Closed since the directory was read: not counted, as it could not be classified.
    if (n <= 0) continue;
    ++count.total;
    absl::string_view link(target, n);  // "socket:[INODE]" for a socket
    if (absl::ConsumePrefix(&link, "socket:[") && absl::ConsumeSuffix(&link, "]")) {
      ++count.sockets;
      socket_inodes.emplace(link);
    }
  }
  closedir(dir);
  // /proc/PID/net/tcp{,6}: "sl local_address rem_address st ... uid timeout inode ...", with
  // addresses as HEXADDR:HEXPORT.
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in(absl::StrCat("/proc/", pid, "/net/", table));
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (fields.size() < 10 || socket_inodes.erase(std::string(fields[9])) == 0) continue;
      const size_t colon = fields[1].rfind(':');
      int port = 0;
      if (colon != absl::string_view::npos &&
          absl::SimpleHexAtoi(fields[1].substr(colon + 1), &port) &&
          std::find(local_ports.begin(), local_ports.end(), port) != local_ports.end()) {
        ++count.on_local_ports;
      }
    }
  }
  return count;
}

}  // namespace jobfacade::testing
