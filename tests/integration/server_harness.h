// Integration-test harness: an in-process vendor emulator on a manual clock, the real
// jobfacade binary as a child process pointed at it, and a gRPC stub to call it.
#ifndef JOBFACADE_TESTS_INTEGRATION_SERVER_HARNESS_H_
#define JOBFACADE_TESTS_INTEGRATION_SERVER_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "google/rpc/error_details.pb.h"
#include "jobfacade/v1/job_service.grpc.pb.h"
#include "tests/testing/sandbox_vendors.h"
#include "tests/testing/subprocess.h"

namespace jobfacade::testing {

inline constexpr char kQbraidKey[] = "qbraid-test-key-5f2a9c";
inline constexpr char kIonqKey[] = "ionq-test-key-8d41be";
inline constexpr char kPraisonaiKey[] = "praisonai-test-key-c07e13";
inline constexpr char kPageTokenKey[] = "integration-page-token-key-0123456789";

struct HarnessOptions {
  bool qbraid = true;
  bool ionq = true;
  bool praisonai = true;
  int emulator_threads = 64;
  // An emulator the test owns (on a clock of its own), shared by several servers; null: the
  // harness starts one on clock().
  sandbox::VendorEmulator* emulator = nullptr;
  // Extra or overriding environment variables of the server process.
  std::map<std::string, std::string> env;
  std::vector<std::string> args;
  // The server binary under the build folder; a test server built from the same main and
  // libraries with one more vendor registered (tests/fakes/acme) is "tests/fakes/acme/...".
  std::string binary = "service/jobfacade";
  // Values that must never appear in the server's log, besides the harness's own keys and
  // whatever the server's environment holds in *_KEY / *TOKEN* settings and *_FILE files.
  std::vector<std::string> secrets;
};

// Each line of `log` is one JSON object with string fields time, level and msg, and none holds
// any of `secrets`: a gtest failure for every line that breaks either rule.
void ExpectJsonLogWithout(const std::string& log, const std::vector<std::string>& secrets);

class ServerHarness {
 public:
  explicit ServerHarness(HarnessOptions options = {});
  // Stops the server, then checks everything it logged (ExpectJsonLogWithout) unless the
  // server was told to log text.
  ~ServerHarness();

  // False (with the reason in `error`) when the emulator or the server did not come up.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  sandbox::VendorEmulator& emulator() { return *emulator_; }
  ManualClock& clock() { return clock_; }
  v1::JobService::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  Subprocess& process() { return process_; }
  const std::string& address() const { return address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  // JOBFACADE_HEALTH_LISTEN's address, when the server was given one.
  const std::string& health_address() const { return health_address_; }

  // Sends `signal` to the server process without waiting for it.
  void Signal(int signal);
  // Waits up to `timeout` for the server process to exit; its waitpid status, or nullopt.
  std::optional<int> WaitForExit(absl::Duration timeout);

 private:
  void StartEmulator(const HarnessOptions& options);

  ManualClock clock_;
  std::unique_ptr<sandbox::VendorEmulator> own_emulator_;
  sandbox::VendorEmulator* emulator_ = nullptr;
  Subprocess process_;
  std::string address_;
  std::string metrics_address_;
  std::string health_address_;
  std::vector<std::string> secrets_;
  bool json_log_ = true;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::JobService::Stub> stub_;
  std::string error_;
};

// A ClientContext with a deadline (every test call is bounded).
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10));

// The ErrorInfo of a failed call; fails the test when there is not exactly one.
google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status);
// The BadRequest / RetryInfo details of a failed call, when present.
std::optional<google::rpc::BadRequest> BadRequestOf(const grpc::Status& status);
std::optional<google::rpc::RetryInfo> RetryInfoOf(const grpc::Status& status);

// An HTTP GET of the server's metrics text.
std::string FetchMetrics(const std::string& address);

// What a failed call carried, read without asserting anything (safe on any thread, and for
// statuses made by the client library itself, which have no details).
struct ErrorSummary {
  bool has_details = false;                   // a google.rpc.Status was attached
  std::string reason;                         // the first ErrorInfo's reason, else ""
  std::optional<absl::Duration> retry_delay;  // RetryInfo, when present
};
ErrorSummary SummarizeError(const grpc::Status& status);

// grpc.health.v1.HealthCheckResponse.ServingStatus values.
inline constexpr int kHealthUnknown = 0;
inline constexpr int kHealthServing = 1;
inline constexpr int kHealthNotServing = 2;

// One grpc.health.v1.Health/Check of `service`: the call's status and, when it succeeded, the
// serving status it reported.
struct HealthAnswer {
  grpc::Status status;
  int serving_status = kHealthUnknown;
};
HealthAnswer CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service,
                         absl::Duration timeout = absl::Seconds(5));

// The resident set size of process `pid` in KiB (VmRSS in /proc/PID/status); -1 if unknown.
int64_t ResidentKb(pid_t pid);

// The open file descriptors of process `pid` (-1 if unknown), how many are sockets, and how
// many of those are TCP sockets bound to one of `local_ports` (for the server: its listeners and
// the connections callers opened to them; the rest are its own outgoing connections, in
// whatever state).
struct FdCount {
  int total = -1;
  int sockets = 0;
  int on_local_ports = 0;
};
FdCount CountFdsByPort(pid_t pid, const std::vector<int>& local_ports);

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_INTEGRATION_SERVER_HARNESS_H_
