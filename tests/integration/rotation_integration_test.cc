// Secrets rotated while the real binary serves (API.md: every `_FILE` setting is re-read within
// 10 s, atomically, without dropping calls in flight; an unreadable file keeps the last good
// value): caller tokens, a vendor key, the page-token keys with a listing that survives the
// rotation, and the TLS certificate.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade::testing {
namespace {

using sandbox::JobSpec;
using ::testing::HasSubstr;

// The contract's bound, and how often a test looks.
constexpr absl::Duration kReloadBound = absl::Seconds(10);
constexpr absl::Duration kLook = absl::Milliseconds(100);

std::string PathFor(const std::string& name) {
  return absl::StrCat(TestTempDir(), "/jobfacade-rotation-", name);
}

// Replaces the file in one step, as a Kubernetes Secret update does.
void Write(const std::string& path, const std::string& content) {
  const std::string staged = path + ".new";
  std::ofstream(staged, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(std::rename(staged.c_str(), path.c_str()), 0) << path;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// How long `done` took to hold, polled every kLook for up to kReloadBound; nullopt if never.
std::optional<absl::Duration> TimeUntil(const std::function<bool()>& done) {
  const Stopwatch start;
  while (start.Elapsed() < kReloadBound + absl::Seconds(1)) {
    if (done()) return start.Elapsed();
    absl::SleepFor(kLook);
  }
  return std::nullopt;
}

std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
  auto ctx = Context();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  return ctx;
}

constexpr char kOldToken[] = "rotation-old-token-1f2e3d4c5b6a";
constexpr char kNewToken[] = "rotation-new-token-a6b5c4d3e2f1";
constexpr char kSteadyToken[] = "rotation-steady-token-0a1b2c3d4e";
constexpr char kKey1[] = "rotation-page-key-one-0123456789";
constexpr char kKey2[] = "rotation-page-key-two-0123456789";
constexpr char kKey3[] = "rotation-page-key-three-01234567";
constexpr char kKey0[] = "rotation-page-key-zero-012345678";
constexpr char kWrongVendorKey[] = "rotation-wrong-qbraid-key-77";

class RotationTest : public ::testing::Test {
 protected:
  static HarnessOptions Options() {
    Write(PathFor("tokens"), absl::StrCat(kOldToken, " write\n", kSteadyToken, " write\n"));
    Write(PathFor("page-key"), kKey1);
    Write(PathFor("page-key-previous"), kKey0);
    Write(PathFor("qbraid-key"), absl::StrCat(kQbraidKey, "\n"));
    HarnessOptions options;
    options.env["JOBFACADE_AUTH_TOKENS_FILE"] = PathFor("tokens");
    options.env["JOBFACADE_PAGE_TOKEN_KEY"] = "";
    options.env["JOBFACADE_PAGE_TOKEN_KEY_FILE"] = PathFor("page-key");
    options.env["JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS_FILE"] = PathFor("page-key-previous");
    options.env["QBRAID_API_KEY"] = "";
    options.env["QBRAID_API_KEY_FILE"] = PathFor("qbraid-key");
    options.secrets = {kOldToken, kNewToken, kSteadyToken, kKey1,
                       kKey2,     kKey3,     kKey0,        kWrongVendorKey};
    return options;
  }
  RotationTest() : harness_(Options()) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  grpc::Status Get(const std::string& token, const std::string& name) {
    v1::GetJobRequest request;
    request.set_name(name);
    v1::Job job;
    return harness_.stub().GetJob(As(token).get(), request, &job);
  }

  // One page of one job from qBraid, from `page_token`.
  grpc::Status Page(const std::string& page_token, v1::ListJobsResponse* response) {
    v1::ListJobsRequest request;
    request.set_parent("vendors/qbraid");
    request.set_page_size(1);
    request.set_page_token(page_token);
    return harness_.stub().ListJobs(As(kSteadyToken).get(), request, response);
  }
  std::string FirstPageToken() {
    v1::ListJobsResponse response;
    const grpc::Status status = Page("", &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.next_page_token();
  }

  ServerHarness harness_;
};

// Calls run without a break through every rotation below: a steady caller keeps reading a job
// whose vendor answers after 200 ms, so a rotation always lands while calls are in flight.
class SteadyCaller {
 public:
  SteadyCaller(v1::JobService::Stub* stub, std::string name) {
    thread_ = std::thread([this, stub, name = std::move(name)] {
      while (!stop_.load()) {
        v1::GetJobRequest request;
        request.set_name(name);
        v1::Job job;
        const grpc::Status status = stub->GetJob(As(kSteadyToken).get(), request, &job);
        ++(status.ok() ? ok_ : failed_);
        if (!status.ok()) {
          absl::MutexLock lock(&mu_);
          last_error_ = status.error_message();
        }
      }
    });
  }
  ~SteadyCaller() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int ok() const { return ok_.load(); }
  int failed() const { return failed_.load(); }
  std::string last_error() {
    absl::MutexLock lock(&mu_);
    return last_error_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  absl::Mutex mu_;
  std::string last_error_;
  std::thread thread_;
};

TEST_F(RotationTest, TokensAndPageTokenKeysChangeWithoutARestartOrADroppedCall) {
  for (int i = 0; i < 4; ++i) {
    JobSpec spec;
    spec.vendor = sandbox::kQbraid;
    spec.created_at = harness_.clock().Now() - absl::Minutes(i);
    harness_.emulator().AddJob(spec);
  }
  JobSpec steady_job;
  steady_job.vendor = sandbox::kIonq;
  steady_job.running = absl::Hours(10);
  const std::string steady_name =
      absl::StrCat("vendors/ionq/jobs/", harness_.emulator().AddJob(steady_job));
  harness_.emulator().SetLatency(sandbox::kIonq, absl::Milliseconds(200));
  SteadyCaller steady(&harness_.stub(), steady_name);

  // Tokens: the old one is refused and the new one accepted within the bound.
  ASSERT_TRUE(Get(kOldToken, steady_name).ok());
  EXPECT_EQ(Get(kNewToken, steady_name).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  Write(PathFor("tokens"), absl::StrCat(kNewToken, " write\n", kSteadyToken, " write\n"));
  auto took = TimeUntil([&] {
    return Get(kOldToken, steady_name).error_code() == grpc::StatusCode::UNAUTHENTICATED;
  });
  ASSERT_TRUE(took.has_value()) << "the old token was still accepted after " << kReloadBound;
  EXPECT_TRUE(Get(kNewToken, steady_name).ok());
  std::cout << "tokens file reloaded after " << *took << "\n";

  // A tokens file that lost its tokens is refused: the tokens in use stay.
  Write(PathFor("tokens"), "# being rewritten\n");
  absl::SleepFor(absl::Seconds(3));  // longer than a poll interval
  EXPECT_TRUE(Get(kNewToken, steady_name).ok());
  Write(PathFor("tokens"), absl::StrCat(kNewToken, " write\n", kSteadyToken, " write\n"));

  // Page-token keys: a listing begun with key one continues after the rotation to key two
  // (key one now the previous key), and is refused once key one is retired.
  const std::string begun = FirstPageToken();
  ASSERT_FALSE(begun.empty());
  Write(PathFor("page-key-previous"), kKey1);  // the previous key first, then the new one
  Write(PathFor("page-key"), kKey2);
  std::string after_rotation;
  took = TimeUntil([&] {
    after_rotation = FirstPageToken();
    return after_rotation != begun;  // signed with another key
  });
  ASSERT_TRUE(took.has_value()) << "the page-token key did not change within " << kReloadBound;
  std::cout << "page-token keys reloaded after " << *took << "\n";
  v1::ListJobsResponse page;
  grpc::Status continued = Page(begun, &page);
  ASSERT_TRUE(continued.ok()) << continued.error_message();
  EXPECT_EQ(page.jobs_size(), 1);
  ASSERT_TRUE(Page(after_rotation, &page).ok());

  Write(PathFor("page-key-previous"), kKey2);
  Write(PathFor("page-key"), kKey3);
  ASSERT_TRUE(TimeUntil([&] {
                v1::ListJobsResponse ignored;
                return Page(begun, &ignored).error_code() == grpc::StatusCode::INVALID_ARGUMENT;
              }).has_value())
      << "a token of a retired key was still accepted";
  EXPECT_EQ(ErrorInfoOf(Page(begun, &page)).reason(), "INVALID_PAGE_TOKEN");
  EXPECT_TRUE(Page(after_rotation, &page).ok());  // key two is the previous key now

  // A key file that turns unreadable, or short, keeps the keys in use.
  const std::string current = FirstPageToken();
  ASSERT_EQ(std::remove(PathFor("page-key").c_str()), 0);
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(FirstPageToken(), current);
  Write(PathFor("page-key"), "short");
  absl::SleepFor(absl::Seconds(3));
  EXPECT_EQ(FirstPageToken(), current);
  EXPECT_TRUE(Page(after_rotation, &page).ok());

  steady.Stop();
  EXPECT_GT(steady.ok(), 10);
  EXPECT_EQ(steady.failed(), 0) << steady.last_error();
  const std::string log = harness_.process().Stderr();
  EXPECT_THAT(log, HasSubstr("setting file reloaded"));
  EXPECT_THAT(log, HasSubstr("setting file not applied; the last good value stays in use"));
}

// The vendor key: a new key file reaches the next vendor request (here a key the emulator does
// not know, so the call fails at the vendor), and the right key back makes calls work again.
TEST_F(RotationTest, AVendorKeyFileReachesTheNextRequest) {
  JobSpec spec;
  spec.vendor = sandbox::kQbraid;
  const std::string name = absl::StrCat("vendors/qbraid/jobs/", harness_.emulator().AddJob(spec));
  ASSERT_TRUE(Get(kSteadyToken, name).ok());
  Write(PathFor("qbraid-key"), kWrongVendorKey);
  // The vendor's 401 to the service's own key is INTERNAL / VENDOR_AUTH_FAILED.
  auto took =
      TimeUntil([&] { return Get(kSteadyToken, name).error_code() == grpc::StatusCode::INTERNAL; });
  ASSERT_TRUE(took.has_value()) << "the old vendor key was still sent after " << kReloadBound;
  EXPECT_EQ(ErrorInfoOf(Get(kSteadyToken, name)).reason(), "VENDOR_AUTH_FAILED");
  Write(PathFor("qbraid-key"), kQbraidKey);
  EXPECT_TRUE(TimeUntil([&] { return Get(kSteadyToken, name).ok(); }).has_value());
  // An empty key file is refused: the key in use stays.
  Write(PathFor("qbraid-key"), "\n");
  absl::SleepFor(absl::Seconds(3));
  EXPECT_TRUE(Get(kSteadyToken, name).ok());
}

// TLS: certificates made at test time with two CAs. A rotation to a certificate of the second
// CA serves new connections within the bound; a connection opened before keeps working; a key
// that does not match its certificate is refused and the certificate in use stays.
struct Pki {
  std::string dir = TestTempDir();
  // A CA `ca` and a server certificate for 127.0.0.1 it signed, as <name>.pem / <name>.key.
  bool Make(const std::string& ca, const std::string& name) {
    const std::string p = absl::StrCat(dir, "/jobfacade-rotation-");
    const std::string commands = absl::StrCat(
        "set -e; cd ", dir, "; ",
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=",
        ca, " -keyout ", p, ca, ".key -out ", p, ca, ".pem; ",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost "
        "-keyout ",
        p, name, ".key -out ", p, name, ".csr; ", "printf 'subjectAltName=IP:127.0.0.1\\n' > ", p,
        name, ".ext; ", "openssl x509 -req -in ", p, name, ".csr -CA ", p, ca, ".pem -CAkey ", p,
        ca, ".key -CAcreateserial -days 1 -extfile ", p, name, ".ext -out ", p, name, ".pem");
    const std::string command = absl::StrCat("bash -c \"", commands, "\" >/dev/null 2>&1");
    return std::system(command.c_str()) == 0;
  }
};

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& ca) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
}

bool Serves(const std::shared_ptr<grpc::Channel>& channel) {
  return CheckHealth(channel, "", absl::Seconds(2)).status.ok();
}

TEST(TlsRotationTest, ANewCertificateServesNewConnectionsAndOpenOnesKeepTheirs) {
  Pki pki;
  ASSERT_TRUE(pki.Make("ca-one", "server-one"));
  ASSERT_TRUE(pki.Make("ca-two", "server-two"));
  const std::string cert = PathFor("tls-cert"), key = PathFor("tls-key");
  Write(cert, Read(PathFor("server-one.pem")));
  Write(key, Read(PathFor("server-one.key")));
  const std::string ca_one = Read(PathFor("ca-one.pem")), ca_two = Read(PathFor("ca-two.pem"));
  HarnessOptions options;
  options.env["JOBFACADE_TLS_CERT_FILE"] = cert;
  options.env["JOBFACADE_TLS_KEY_FILE"] = key;
  options.env["JOBFACADE_HEALTH_LISTEN"] = "127.0.0.1:0";
  options.secrets = {};
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  auto before = TlsChannel(harness.address(), ca_one);
  ASSERT_TRUE(Serves(before));
  EXPECT_FALSE(Serves(TlsChannel(harness.address(), ca_two)));

  // A key alone, of the other certificate: refused as a set, the first certificate stays.
  Write(key, Read(PathFor("server-two.key")));
  absl::SleepFor(absl::Seconds(4));  // a reloader poll and a provider refresh
  EXPECT_TRUE(Serves(TlsChannel(harness.address(), ca_one)));
  // Now the certificate that goes with it.
  Write(cert, Read(PathFor("server-two.pem")));
  auto took = TimeUntil([&] { return Serves(TlsChannel(harness.address(), ca_two)); });
  ASSERT_TRUE(took.has_value()) << "the new certificate was not served within " << kReloadBound;
  std::cout << "TLS certificate reloaded after " << *took << "\n";
  EXPECT_FALSE(Serves(TlsChannel(harness.address(), ca_one)));
  EXPECT_TRUE(Serves(before));  // the connection opened before the rotation

  // A certificate file that turns unreadable keeps the certificate in use.
  ASSERT_EQ(std::remove(cert.c_str()), 0);
  absl::SleepFor(absl::Seconds(4));
  EXPECT_TRUE(Serves(TlsChannel(harness.address(), ca_two)));
  EXPECT_THAT(harness.process().Stderr(),
              HasSubstr("setting file not applied; the last good value stays in use"));
}

}  // namespace
}  // namespace jobfacade::testing
