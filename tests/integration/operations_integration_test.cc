// What an operator meets, through the real binary: one JSON log line per RPC with the
// contract's fields, request ids in and out and on to the vendor, traceparent passed on, read
// and write caller tokens, caller keys refused on a plaintext connection that is not loopback,
// the log settings, gRPC's own lines in the same format, and the health-only listener.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade::testing {
namespace {

using sandbox::FaultSpec;
using sandbox::JobSpec;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kWriteToken[] = "ops-write-token-7c1d2e3f4a5b";
constexpr char kReadToken[] = "ops-read-token-9e8d7c6b5a41";
constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string TempFile(const std::string& name, const std::string& content) {
  const std::string path = TestTempDir() + "/jobfacade-ops-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string TokenId(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 4));
}

// The fields of one JSON log line, as text (numbers and booleans in their JSON spelling).
using LogFields = std::map<std::string, std::string>;

std::vector<LogFields> ParseLog(const std::string& log) {
  std::vector<LogFields> lines;
  simdjson::dom::parser parser;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    simdjson::dom::object object;
    if (parser.parse(line.data(), line.size()).get(object) != simdjson::SUCCESS) continue;
    LogFields fields;
    for (auto [key, value] : object) {
      std::string_view text;
      if (value.get(text) == simdjson::SUCCESS) {
        fields[std::string(key)] = std::string(text);
      } else {
        fields[std::string(key)] = simdjson::minify(value);
      }
    }
    lines.push_back(std::move(fields));
  }
  return lines;
}

// The `rpc` lines of `method`.
std::vector<LogFields> RpcLines(const std::string& log, const std::string& method) {
  std::vector<LogFields> found;
  for (LogFields& line : ParseLog(log)) {
    if (line["msg"] == "rpc" && line["method"] == method) found.push_back(line);
  }
  return found;
}

// Lines are written before the call's status goes out; give the pipe a moment all the same.
std::vector<LogFields> WaitForRpcLines(ServerHarness& harness, const std::string& method,
                                       size_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::vector<LogFields> lines;
  do {
    lines = RpcLines(harness.process().Stderr(), method);
    if (lines.size() >= count) break;
    absl::SleepFor(absl::Milliseconds(10));
  } while (absl::Now() < deadline);
  return lines;
}

std::string ServerMetadata(const grpc::ClientContext& ctx, const std::string& key) {
  const auto& metadata = ctx.GetServerInitialMetadata();
  auto it = metadata.find(key);
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

class OperationsTest : public ::testing::Test {
 protected:
  static HarnessOptions Options() {
    HarnessOptions options;
    options.env["JOBFACADE_AUTH_TOKENS_FILE"] = TempFile(
        "tokens", absl::StrCat("# callers\n", kWriteToken, " write\n", kReadToken, " read\n"));
    return options;
  }
  OperationsTest() : harness_(Options()) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto ctx = Context();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return ctx;
  }

  std::string RunningJob(const std::string& vendor) {
    JobSpec spec;
    spec.vendor = vendor;
    spec.running = absl::Hours(10);
    return harness_.emulator().AddJob(spec);
  }

  ServerHarness harness_;
};

// One info line per call with every field of API.md's list; x-request-id is echoed and sent to
// the vendor with the caller's traceparent; the caller is the token's SHA-256 prefix.
TEST_F(OperationsTest, EachRpcLogsOneLineWithTheContractsFields) {
  const std::string id = RunningJob(sandbox::kQbraid);
  harness_.emulator().ResetStats();
  auto ctx = As(kWriteToken);
  ctx->AddMetadata("x-request-id", "req-ops-0001");
  ctx->AddMetadata("traceparent", kTraceparent);
  v1::GetJobRequest request;
  request.set_name(absl::StrCat("vendors/qbraid/jobs/", id));
  v1::Job job;
  ASSERT_TRUE(harness_.stub().GetJob(ctx.get(), request, &job).ok());
  EXPECT_EQ(ServerMetadata(*ctx, "x-request-id"), "req-ops-0001");

  const auto recent = harness_.emulator().stats(sandbox::kQbraid).recent;
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].request_id, "req-ops-0001");
  EXPECT_EQ(recent[0].traceparent, kTraceparent);

  const auto lines = WaitForRpcLines(harness_, "GetJob", 1);
  ASSERT_EQ(lines.size(), 1u) << harness_.process().Stderr();
  LogFields line = lines[0];
  EXPECT_EQ(line["level"], "info");
  EXPECT_TRUE(
      std::regex_match(line["time"], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")))
      << line["time"];
  EXPECT_EQ(line["name"], request.name());
  EXPECT_EQ(line["code"], "OK");
  EXPECT_EQ(line.count("reason"), 0u);
  EXPECT_GE(std::stod(line["latency_ms"]), 0.0);
  EXPECT_EQ(line["vendor"], "qbraid");
  EXPECT_EQ(line["vendor_attempts"], "1");
  EXPECT_EQ(line["request_id"], "req-ops-0001");
  EXPECT_THAT(line["peer"], ::testing::StartsWith("ipv4:127.0.0.1:"));
  EXPECT_EQ(line["caller"], TokenId(kWriteToken));
  EXPECT_EQ(line.count("audit"), 0u);
}

// Without an x-request-id (or with one that has spaces or is too long) the call gets a UUID,
// echoed and logged; a malformed traceparent is not passed on.
TEST_F(OperationsTest, CallsWithoutAUsableRequestIdGetOne) {
  const std::string id = RunningJob(sandbox::kIonq);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::vector<std::string> given;
  // Not given, with a space, longer than 128 characters.
  for (const std::string& sent : {std::string(), std::string("has space"), std::string(129, 'r')}) {
    harness_.emulator().ResetStats();
    auto ctx = As(kReadToken);
    if (!sent.empty()) ctx->AddMetadata("x-request-id", sent);
    ctx->AddMetadata("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
    v1::GetJobRequest request;
    request.set_name(absl::StrCat("vendors/ionq/jobs/", id));
    v1::Job job;
    ASSERT_TRUE(harness_.stub().GetJob(ctx.get(), request, &job).ok());
    const std::string echoed = ServerMetadata(*ctx, "x-request-id");
    EXPECT_TRUE(std::regex_match(echoed, uuid)) << "sent \"" << sent << "\", got " << echoed;
    const auto recent = harness_.emulator().stats(sandbox::kIonq).recent;
    ASSERT_EQ(recent.size(), 1u);
    EXPECT_EQ(recent[0].request_id, echoed);
    EXPECT_EQ(recent[0].traceparent, "");
    given.push_back(echoed);
  }
  EXPECT_NE(given[0], given[1]);
  const auto lines = WaitForRpcLines(harness_, "GetJob", 3);
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(lines[i].at("request_id"), given[i]);
}

// Retries are attempts: a 503 then the answer is vendor_attempts 2, and the failed attempt is
// a warn line.
TEST_F(OperationsTest, VendorAttemptsCountRetries) {
  const std::string id = RunningJob(sandbox::kPraisonai);
  FaultSpec fault;
  fault.vendor = sandbox::kPraisonai;
  fault.route = "get";
  fault.status = 503;
  fault.count = 1;
  harness_.emulator().InjectFault(fault);
  v1::GetJobRequest request;
  request.set_name(absl::StrCat("vendors/praisonai/jobs/", id));
  v1::Job job;
  ASSERT_TRUE(harness_.stub().GetJob(As(kReadToken).get(), request, &job).ok());
  const auto lines = WaitForRpcLines(harness_, "GetJob", 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("vendor_attempts"), "2");
  bool warned = false;
  for (LogFields& line : ParseLog(harness_.process().Stderr())) {
    if (line["level"] == "warn" && line["msg"] == "vendor request failed") {
      warned = true;
      EXPECT_EQ(line["vendor"], "praisonai");
      EXPECT_EQ(line["operation"], "get");
      EXPECT_EQ(line["http_status"], "503");
    }
  }
  EXPECT_TRUE(warned) << harness_.process().Stderr();
}

// A read token may read and watch but not cancel or delete: PERMISSION_DENIED /
// CALLER_NOT_ALLOWED before anything reaches the vendor; the refusals are audit lines.
TEST_F(OperationsTest, ReadTokensCannotCancelOrDelete) {
  const std::string id = RunningJob(sandbox::kQbraid);
  const std::string name = absl::StrCat("vendors/qbraid/jobs/", id);
  harness_.clock().Advance(absl::Seconds(30));  // RUNNING: a job qBraid lets be cancelled
  harness_.emulator().ResetStats();
  v1::CancelJobRequest cancel;
  cancel.set_name(name);
  v1::Job job;
  grpc::Status status = harness_.stub().CancelJob(As(kReadToken).get(), cancel, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "CALLER_NOT_ALLOWED");
  v1::DeleteJobRequest del;
  del.set_name(name);
  google::protobuf::Empty empty;
  status = harness_.stub().DeleteJob(As(kReadToken).get(), del, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(harness_.emulator().stats(sandbox::kQbraid).total, 0);

  // The write token cancels the same job.
  status = harness_.stub().CancelJob(As(kWriteToken).get(), cancel, &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(harness_.emulator().stats(sandbox::kQbraid).Count("POST", "cancel") +
                harness_.emulator().stats(sandbox::kQbraid).Count("PUT", "cancel"),
            1);

  const auto cancels = WaitForRpcLines(harness_, "CancelJob", 2);
  ASSERT_EQ(cancels.size(), 2u);
  EXPECT_EQ(cancels[0].at("code"), "PERMISSION_DENIED");
  EXPECT_EQ(cancels[0].at("reason"), "CALLER_NOT_ALLOWED");
  EXPECT_EQ(cancels[0].at("caller"), TokenId(kReadToken));
  EXPECT_EQ(cancels[0].at("audit"), "true");
  EXPECT_EQ(cancels[0].at("name"), name);
  EXPECT_EQ(cancels[0].at("vendor_attempts"), "0");
  EXPECT_EQ(cancels[1].at("code"), "OK");
  EXPECT_EQ(cancels[1].at("caller"), TokenId(kWriteToken));
  EXPECT_EQ(cancels[1].at("audit"), "true");
  const auto deletes = WaitForRpcLines(harness_, "DeleteJob", 1);
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].at("audit"), "true");

  // A wrong token is UNAUTHENTICATED, and its line names no caller.
  v1::GetJobRequest get;
  get.set_name(name);
  status = harness_.stub().GetJob(As("not-a-token-of-ours").get(), get, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const auto gets = WaitForRpcLines(harness_, "GetJob", 1);
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].count("caller"), 0u);
  EXPECT_EQ(gets[0].at("code"), "UNAUTHENTICATED");
}

// The machine's first IPv4 address that is not loopback, or "" when it has none.
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* it = list; it != nullptr && found.empty(); it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    if (!absl::StartsWith(text, "127.")) found = text;
  }
  freeifaddrs(list);
  return found;
}

// A caller's vendor key over plaintext from another host is refused before it is used; from
// loopback it is used.
TEST(CallerKeyTest, PlaintextKeysAreRefusedUnlessLoopback) {
  const std::string address = NonLoopbackAddress();
  if (address.empty()) GTEST_SKIP() << "this machine has no IPv4 address besides loopback";
  HarnessOptions options;
  options.env["JOBFACADE_LISTEN"] = "0.0.0.0:0";
  options.env["JOBFACADE_ALLOW_CALLER_KEYS"] = "true";
  options.secrets = {"caller-supplied-ionq-key-1234"};
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  const std::string port = harness.address().substr(harness.address().rfind(':') + 1);
  auto remote = v1::JobService::NewStub(
      grpc::CreateChannel(absl::StrCat(address, ":", port), grpc::InsecureChannelCredentials()));
  auto local = v1::JobService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  JobSpec spec;
  spec.vendor = sandbox::kIonq;
  v1::GetJobRequest request;
  request.set_name(absl::StrCat("vendors/ionq/jobs/", harness.emulator().AddJob(spec)));
  harness.emulator().ResetStats();
  v1::Job job;

  auto ctx = Context();
  ctx->AddMetadata("x-ionq-api-key", "caller-supplied-ionq-key-1234");
  grpc::Status status = remote->GetJob(ctx.get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_EQ(ErrorInfoOf(status).reason(), "CALLER_KEY_NEEDS_TLS");
  EXPECT_EQ(harness.emulator().stats(sandbox::kIonq).total, 0);

  // Without a key the same connection is served with the configured key.
  EXPECT_TRUE(remote->GetJob(Context().get(), request, &job).ok());
  // Over loopback the caller's key is used (the emulator refuses it: it is not the vendor's).
  ctx = Context();
  ctx->AddMetadata("x-ionq-api-key", "caller-supplied-ionq-key-1234");
  status = local->GetJob(ctx.get(), request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ErrorInfoOf(status).reason(), "VENDOR_AUTH_FAILED");
}

// The server's log after one GetJob of a missing job, with `setting` set to `value`. The
// call's line is written before its status is sent.
std::string LogOfOneMissingJob(const std::string& setting, const std::string& value) {
  HarnessOptions options;
  options.env[setting] = value;
  ServerHarness harness(options);
  EXPECT_TRUE(harness.ok()) << harness.error();
  if (!harness.ok()) return "";
  v1::GetJobRequest request;
  request.set_name("vendors/qbraid/jobs/absent-job");
  v1::Job job;
  EXPECT_EQ(harness.stub().GetJob(Context().get(), request, &job).error_code(),
            grpc::StatusCode::NOT_FOUND);
  return harness.process().Stderr();
}

TEST(LogSettingsTest, WarnLevelDropsRpcLinesAndTextFormatIsText) {
  const std::string warn = LogOfOneMissingJob("JOBFACADE_LOG_LEVEL", "warn");
  EXPECT_THAT(warn, Not(HasSubstr("\"msg\":\"rpc\"")));
  EXPECT_THAT(warn, Not(HasSubstr("\"level\":\"info\"")));
  const std::string text = LogOfOneMissingJob("JOBFACADE_LOG_FORMAT", "text");
  EXPECT_THAT(text, HasSubstr(" info rpc method=GetJob name=vendors/qbraid/jobs/absent-job "
                              "code=NOT_FOUND reason=JOB_NOT_FOUND"));
  EXPECT_THAT(text, Not(HasSubstr("{\"time\"")));
}

// gRPC's own lines (here its API trace at debug) come out as JSON lines of the same logger;
// the harness's check of every line proves none is plain.
TEST(LogSettingsTest, GrpcsOwnLinesAreJsonToo) {
  HarnessOptions options;
  options.env["JOBFACADE_LOG_LEVEL"] = "debug";
  options.env["GRPC_VERBOSITY"] = "debug";
  options.env["GRPC_TRACE"] = "api";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  bool from_grpc = false;
  for (LogFields& line : ParseLog(harness.process().Stderr())) {
    if (line["source"] == "grpc") {
      from_grpc = true;
      EXPECT_THAT(line["file"], ::testing::MatchesRegex(".*:[0-9]+"));
    }
  }
  EXPECT_TRUE(from_grpc) << harness.process().Stderr().substr(0, 4000);
}

TEST(LogSettingsTest, UnknownLogSettingsExitTwo) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"JOBFACADE_LOG_LEVEL", "chatty"}, {"JOBFACADE_LOG_FORMAT", "xml"}}) {
    Subprocess process;
    ASSERT_TRUE(process.Start({JOBFACADE_BINARY_DIR "/service/jobfacade"},
                              {{name, value},
                               {"JOBFACADE_LISTEN", "127.0.0.1:0"},
                               {"JOBFACADE_METRICS_LISTEN", "off"},
                               {"PATH", "/usr/bin:/bin"}}));
    const auto exited = process.SignalAndWait(0, absl::Seconds(20));
    ASSERT_TRUE(exited.has_value());
    ASSERT_TRUE(WIFEXITED(*exited));
    EXPECT_EQ(WEXITSTATUS(*exited), 2);
    EXPECT_THAT(process.Stderr(), HasSubstr(name));
  }
}

// With TLS on the main port, JOBFACADE_HEALTH_LISTEN serves grpc.health.v1 in plaintext (what
// kubelet's gRPC probes speak) and nothing else.
TEST(HealthListenTest, PlaintextHealthBesideATlsPort) {
  const std::string dir = TestTempDir();
  const std::string cert = dir + "/jobfacade-ops-cert.pem", key = dir + "/jobfacade-ops-key.pem";
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  HarnessOptions options;
  options.env["JOBFACADE_TLS_CERT_FILE"] = cert;
  options.env["JOBFACADE_TLS_KEY_FILE"] = key;
  options.env["JOBFACADE_HEALTH_LISTEN"] = "127.0.0.1:0";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  ASSERT_FALSE(harness.health_address().empty());
  auto plaintext =
      grpc::CreateChannel(harness.health_address(), grpc::InsecureChannelCredentials());
  for (const std::string service : {"", "jobfacade.v1.JobService", "vendors/qbraid"}) {
    const HealthAnswer answer = CheckHealth(plaintext, service);
    ASSERT_TRUE(answer.status.ok()) << service << ": " << answer.status.error_message();
    EXPECT_EQ(answer.serving_status, kHealthServing) << service;
  }
  v1::GetJobRequest request;
  request.set_name("vendors/qbraid/jobs/any");
  v1::Job job;
  auto on_health_port = v1::JobService::NewStub(plaintext);
  EXPECT_EQ(on_health_port->GetJob(Context().get(), request, &job).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // The main port speaks TLS only.
  EXPECT_FALSE(CheckHealth(harness.channel(), "", absl::Seconds(2)).status.ok());
}

}  // namespace
}  // namespace jobfacade::testing
