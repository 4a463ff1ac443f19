// Vendor faults through the real server binary: what each fault of the emulator becomes for a
// gRPC caller (Faults() below, one test per fault and vendor), retries and Retry-After, cancel
// and delete not retried, the circuit breaker, and an untrusted TLS certificate; after every
// fault the server still serves.
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/core/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/self_signed_cert.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/stopwatch.h"

namespace jobfacade::testing {
namespace {

using grpc::StatusCode;
using sandbox::FaultKind;
using sandbox::FaultSpec;
using sandbox::JobSpec;

const std::vector<std::string>& Vendors() {
  static const auto* vendors =
      new std::vector<std::string>{sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};
  return *vendors;
}

// Short backoffs keep the retried rows fast; the breaker stays shut unless a test is about it.
HarnessOptions QuietResilience() {
  HarnessOptions options;
  options.env = {
      {"JOBFACADE_CIRCUIT_FAILURE_THRESHOLD", "1000000"},
      {"JOBFACADE_RETRY_INITIAL_BACKOFF", "10ms"},
      {"JOBFACADE_RETRY_MAX_BACKOFF", "50ms"},
      // Only the stall row sends a call without a deadline; this one ends it.
      {"JOBFACADE_DEFAULT_DEADLINE", "1s"},
  };
  return options;
}

// A string is valid UTF-8 when replacing invalid sequences changes nothing.
bool IsValidUtf8(absl::string_view text) { return ToValidUtf8(text) == text; }

std::string Name(absl::string_view vendor, absl::string_view id) {
  return absl::StrCat("vendors/", vendor, "/jobs/", id);
}

// Stand-ins in a row's FaultSpec::field for each vendor's spelling of a job field.
constexpr char kIdField[] = "<id>";
constexpr char kCreateTimeField[] = "<create_time>";

std::string VendorField(absl::string_view field, absl::string_view vendor) {
  if (field == kIdField) {
    if (vendor == sandbox::kQbraid) return "jobQrn";
    return vendor == sandbox::kIonq ? "id" : "job_id";
  }
  if (field == kCreateTimeField) {
    // qBraid falls back from timeStamps.createdAt to the record's createdAt: spoil both.
    if (vendor == sandbox::kQbraid) return "timeStamps.createdAt,createdAt";
    return vendor == sandbox::kIonq ? "submitted_at" : "created_at";
  }
  return std::string(field);
}

// The method of a vendor's cancel request.
std::string CancelMethod(absl::string_view vendor) {
  return vendor == sandbox::kIonq ? "PUT" : "POST";
}

// ---------------------------------------------------------------------------------------------
// The fault table.

// The RetryInfo a row expects: none, or a delay within [min, max].
struct RetryHint {
  bool present = false;
  absl::Duration min;
  absl::Duration max;
};
const RetryHint kNoHint;
RetryHint Hint(absl::Duration exactly) { return {true, exactly, exactly}; }
// An HTTP-date has whole seconds and is read a moment after it was written.
RetryHint HintNear(absl::Duration about) {
  return {true, about - absl::Seconds(2), about + absl::Seconds(1)};
}

// ErrorInfo metadata http_status: absent, or not looked at (the body was cut off mid-way, so
// whether the status counts as having "arrived" is the server's choice).
constexpr int kNoHttpStatus = 0;
constexpr int kAnyHttpStatus = -1;

using JobCheck = void (*)(const v1::Job& job);

struct FaultCase {
  const char* name;
  FaultSpec fault;  // vendor and job_id are set by the test
  StatusCode code;
  const char* reason;  // "" with OK
  int http_status;     // ErrorInfo metadata; kNoHttpStatus or kAnyHttpStatus
  RetryHint retry;
  int attempts;              // GET requests that reached the vendor; 0: not counted
  JobCheck check = nullptr;  // with OK: what the tolerated fault did to the job
  // The GetJob's gRPC deadline; kNoDeadline leaves the call to --default_deadline.
  absl::Duration deadline = absl::Seconds(10);
};

// Names a row in test output.
void PrintTo(const FaultCase& row, std::ostream* out) { *out << row.name; }

FaultSpec Status(int status, std::optional<absl::Duration> retry_after = std::nullopt,
                 bool http_date = false) {
  FaultSpec fault;
  fault.kind = FaultKind::kHttpStatus;
  fault.status = status;
  fault.retry_after = retry_after;
  fault.retry_after_http_date = http_date;
  return fault;
}
FaultSpec Kind(FaultKind kind, int status = 500) {
  FaultSpec fault;
  fault.kind = kind;
  fault.status = status;
  return fault;
}
FaultSpec Stall(absl::Duration stall) {
  FaultSpec fault = Kind(FaultKind::kStall);
  fault.stall = stall;
  return fault;
}
FaultSpec LargeBody(int64_t bytes) {
  FaultSpec fault = Kind(FaultKind::kLargeBody);
  fault.body_size = bytes;
  return fault;
}
FaultSpec Field(std::string field, std::string raw_value) {
  FaultSpec fault = Kind(FaultKind::kFieldValue);
  fault.field = std::move(field);
  fault.raw_value = std::move(raw_value);
  return fault;
}

constexpr absl::Duration kNoDeadline = absl::InfiniteDuration();

// Retry-After beyond --retry_max_retry_after (10s) is not waited for: answered at once.
constexpr absl::Duration kLongRetryAfter = absl::Seconds(30);
constexpr bool kHttpDate = true;

// The whole mapping at a glance. Retried rows (GET on 429, 5xx and lost connections) reach the
// vendor --retry_max_attempts (3) times; everything else once.
const std::vector<FaultCase>& Faults() {
  using S = StatusCode;
  static const auto* rows = new std::vector<FaultCase>{
      // name, fault, code, reason, http_status, RetryInfo, attempts[, job check]
      {"Http429", Status(429), S::RESOURCE_EXHAUSTED, "VENDOR_RATE_LIMITED", 429,
       Hint(absl::Seconds(1)), 3},
      {"Http429RetryAfterSeconds", Status(429, kLongRetryAfter), S::RESOURCE_EXHAUSTED,
       "VENDOR_RATE_LIMITED", 429, Hint(kLongRetryAfter), 1},
      {"Http429RetryAfterHttpDate", Status(429, kLongRetryAfter, kHttpDate), S::RESOURCE_EXHAUSTED,
       "VENDOR_RATE_LIMITED", 429, HintNear(kLongRetryAfter), 1},
      {"Http500", Status(500), S::UNAVAILABLE, "VENDOR_UNAVAILABLE", 500, kNoHint, 3},
      {"Http502", Status(502), S::UNAVAILABLE, "VENDOR_UNAVAILABLE", 502, kNoHint, 3},
      {"Http503", Status(503), S::UNAVAILABLE, "VENDOR_UNAVAILABLE", 503, kNoHint, 3},
      {"Http504", Status(504), S::UNAVAILABLE, "VENDOR_UNAVAILABLE", 504, kNoHint, 3},
      {"ResetBeforeResponse", Kind(FaultKind::kReset), S::UNAVAILABLE, "VENDOR_UNAVAILABLE",
       kNoHttpStatus, kNoHint, 3},
      {"CloseBeforeResponse", Kind(FaultKind::kClose), S::UNAVAILABLE, "VENDOR_UNAVAILABLE",
       kNoHttpStatus, kNoHint, 3},
      {"ResetMidBody", Kind(FaultKind::kResetMidBody), S::UNAVAILABLE, "VENDOR_UNAVAILABLE",
       kNoHttpStatus, kNoHint, 3},
      {"CloseMidBody", Kind(FaultKind::kTruncate), S::UNAVAILABLE, "VENDOR_UNAVAILABLE",
       kNoHttpStatus, kNoHint, 3},
      // The server ends the vendor request just before the caller's deadline, so the caller
      // gets the server's DEADLINE_EXCEEDED with its ErrorInfo; without a gRPC deadline,
      // --default_deadline (1s here) ends the call.
      {"StallPastTheCallersDeadline", Stall(absl::Seconds(20)), S::DEADLINE_EXCEEDED,
       "DEADLINE_EXCEEDED", kNoHttpStatus, kNoHint, 1, nullptr, absl::Milliseconds(1500)},
      {"StallPastTheDefaultDeadline", Stall(absl::Seconds(20)), S::DEADLINE_EXCEEDED,
       "DEADLINE_EXCEEDED", kNoHttpStatus, kNoHint, 1, nullptr, kNoDeadline},
      {"TruncatedJson", Kind(FaultKind::kTruncatedJson), S::INTERNAL, "VENDOR_BAD_RESPONSE", 200,
       kNoHint, 1},
      {"LargeBody10MB", LargeBody(int64_t{10} << 20), S::INTERNAL, "VENDOR_BAD_RESPONSE",
       kAnyHttpStatus, kNoHint, 1},
      {"HtmlErrorPage502", Kind(FaultKind::kHtmlPage, 502), S::UNAVAILABLE, "VENDOR_UNAVAILABLE",
       502, kNoHint, 3},
      {"HtmlPage200", Kind(FaultKind::kHtmlPage, 200), S::INTERNAL, "VENDOR_BAD_RESPONSE", 200,
       kNoHint, 1},
      {"Redirect302ToAnotherHost", Kind(FaultKind::kRedirect, 302), S::INTERNAL,
       "VENDOR_BAD_RESPONSE", 302, kNoHint, 1},
      // A required field of the wrong type: the job cannot be named.
      {"IdAsNumber", Field(kIdField, "12345"), S::INTERNAL, "VENDOR_BAD_RESPONSE", 200, kNoHint, 1},
      // Other fields of the wrong type read as unset (API.md: they never fail the call).
      {"StatusAsNumber", Field("status", "3"), S::OK, "", kNoHttpStatus, kNoHint, 1,
       [](const v1::Job& job) {
         EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
         EXPECT_EQ(job.vendor_state(), "");
       }},
      {"CreatedAtAsObject", Field(kCreateTimeField, R"({"$date":{"$numberLong":"1767225600000"}})"),
       S::OK, "", kNoHttpStatus, kNoHint, 1,
       [](const v1::Job& job) {
         EXPECT_FALSE(job.has_create_time());
         EXPECT_EQ(job.state(), v1::Job::RUNNING);  // the rest is still read
       }},
      // Invalid UTF-8 in a string is replaced (U+FFFD), so the answer is valid protobuf.
      {"InvalidUtf8InStatus", Field("status", "\"RUN\xff\xfeNING\""), S::OK, "", kNoHttpStatus,
       kNoHint, 1,
       [](const v1::Job& job) {
         EXPECT_EQ(job.state(), v1::Job::STATE_UNSPECIFIED);
         EXPECT_TRUE(IsValidUtf8(job.vendor_state())) << job.vendor_state();
         EXPECT_THAT(job.vendor_state(), ::testing::StartsWith("RUN"));
         EXPECT_THAT(job.vendor_state(), ::testing::EndsWith("NING"));
         EXPECT_THAT(job.vendor_state(), ::testing::HasSubstr("\xef\xbf\xbd"));
       }},
  };
  return *rows;
}

// ---------------------------------------------------------------------------------------------
// Helpers.

// A job that stays RUNNING for a day of emulator time.
std::string AddRunning(ServerHarness& harness, absl::string_view vendor) {
  JobSpec spec;
  spec.vendor = std::string(vendor);
  spec.created_at = harness.clock().Now() - absl::Minutes(1);
  spec.initializing = absl::Seconds(1);
  spec.queued = absl::Seconds(1);
  spec.running = absl::Hours(24);
  return harness.emulator().AddJob(spec);
}

// A job that finished an hour ago.
std::string AddFinished(ServerHarness& harness, absl::string_view vendor) {
  JobSpec spec;
  spec.vendor = std::string(vendor);
  spec.created_at = harness.clock().Now() - absl::Hours(2);
  return harness.emulator().AddJob(spec);
}

grpc::Status GetJob(ServerHarness& harness, const std::string& name, v1::Job* job,
                    absl::Duration timeout = absl::Seconds(10)) {
  v1::GetJobRequest request;
  request.set_name(name);
  return harness.stub().GetJob(Context(timeout).get(), request, job);
}

// A GetJob that carries no gRPC deadline, so the server's --default_deadline applies. The
// test gives up (cancels) after `give_up`.
grpc::Status GetJobWithoutDeadline(ServerHarness& harness, const std::string& name, v1::Job* job,
                                   absl::Duration give_up) {
  v1::GetJobRequest request;
  request.set_name(name);
  grpc::ClientContext ctx;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status result;
  harness.stub().async()->GetJob(&ctx, &request, job, [&](grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu);
    result = std::move(status);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  if (!cv.wait_for(lock, absl::ToChronoMilliseconds(give_up), [&] { return done; })) {
    ADD_FAILURE() << "no answer within " << give_up << " for a call without a deadline";
    ctx.TryCancel();
    cv.wait(lock, [&] { return done; });  // a cancelled call always completes
  }
  return result;
}

int Health(ServerHarness& harness, const std::string& service) {
  HealthAnswer answer = CheckHealth(harness.channel(), service);
  EXPECT_TRUE(answer.status.ok()) << service << ": " << answer.status.error_message();
  return answer.serving_status;
}

// The RetryInfo delay of `status`, when there is one.
std::optional<absl::Duration> RetryDelay(const grpc::Status& status) {
  std::optional<google::rpc::RetryInfo> retry = RetryInfoOf(status);
  if (!retry.has_value()) return std::nullopt;
  return absl::Seconds(retry->retry_delay().seconds()) +
         absl::Nanoseconds(retry->retry_delay().nanos());
}

// Checks a failed call against the contract: code, the one ErrorInfo, its vendor and
// http_status metadata, no HTML or huge text in what the caller sees.
void ExpectVendorError(const grpc::Status& status, StatusCode code, const std::string& reason,
                       absl::string_view vendor, int http_status) {
  ASSERT_EQ(status.error_code(), code) << status.error_message();
  const google::rpc::ErrorInfo info = ErrorInfoOf(status);
  EXPECT_EQ(info.reason(), reason) << status.error_message();
  EXPECT_EQ(info.metadata().count("vendor") ? info.metadata().at("vendor") : "", vendor);
  if (http_status == kNoHttpStatus) {
    EXPECT_EQ(info.metadata().count("http_status"), 0u) << info.metadata().at("http_status");
  } else if (http_status != kAnyHttpStatus) {
    EXPECT_EQ(info.metadata().count("http_status") ? info.metadata().at("http_status") : "<none>",
              absl::StrCat(http_status));
  }
  EXPECT_LT(status.error_message().size(), 1024u);
  EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(status.error_message()), "<html"));
  for (const auto& [key, value] : info.metadata()) {
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(value), "<html")) << key;
  }
}

// The server answers a healthy job of `vendor` and reports itself and the vendor SERVING.
void ExpectStillServing(ServerHarness& harness, absl::string_view vendor,
                        const std::string& healthy_id) {
  v1::Job job;
  grpc::Status status = GetJob(harness, Name(vendor, healthy_id), &job);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(job.vendor_job_id(), healthy_id);
  EXPECT_EQ(Health(harness, ""), kHealthServing);
  EXPECT_EQ(Health(harness, absl::StrCat("vendors/", vendor)), kHealthServing);
}

// ---------------------------------------------------------------------------------------------
// One test per fault and vendor.

class FaultTableTest : public ::testing::TestWithParam<std::tuple<FaultCase, std::string>> {
 protected:
  FaultTableTest() : harness_(QuietResilience()) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  ServerHarness harness_;
};

TEST_P(FaultTableTest, BecomesTheContractErrorAndTheServerStillServes) {
  const FaultCase& row = std::get<0>(GetParam());
  const std::string vendor = std::get<1>(GetParam());
  const std::string faulty = AddRunning(harness_, vendor);
  const std::string healthy = AddRunning(harness_, vendor);
  FaultSpec fault = row.fault;
  fault.field = VendorField(fault.field, vendor);
  fault.vendor = vendor;
  fault.job_id = faulty;
  harness_.emulator().InjectFault(fault);

  v1::Job job;
  const Stopwatch start;
  grpc::Status status =
      row.deadline == kNoDeadline
          ? GetJobWithoutDeadline(harness_, Name(vendor, faulty), &job, absl::Seconds(10))
          : GetJob(harness_, Name(vendor, faulty), &job, row.deadline);
  const absl::Duration took = start.Elapsed();

  if (row.code == StatusCode::OK) {
    ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    EXPECT_EQ(job.vendor_job_id(), faulty);
    row.check(job);
  } else {
    ExpectVendorError(status, row.code, row.reason, vendor, row.http_status);
    const std::optional<absl::Duration> delay = RetryDelay(status);
    if (row.retry.present) {
      ASSERT_TRUE(delay.has_value()) << "no RetryInfo";
      EXPECT_GE(*delay, row.retry.min);
      EXPECT_LE(*delay, row.retry.max);
    } else {
      EXPECT_FALSE(delay.has_value()) << *delay;
    }
  }
  if (row.attempts > 0) {
    EXPECT_EQ(harness_.emulator().stats(vendor).Count("GET", "get"), row.attempts);
  }
  if (fault.kind == FaultKind::kRedirect) {
    EXPECT_EQ(harness_.emulator().stats(vendor).Count("GET", "other"), 0) << "redirect followed";
  }
  // Retry-After beyond what is waited for is answered at once; the rest well within 10 s.
  EXPECT_LT(took, fault.retry_after.has_value() ? absl::Seconds(2) : absl::Seconds(5));

  // Another job of the vendor is served while the fault still hits this one, and this one
  // once the fault is gone.
  ExpectStillServing(harness_, vendor, healthy);
  harness_.emulator().ClearFaults();
  ExpectStillServing(harness_, vendor, faulty);
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultTableTest,
                         ::testing::Combine(::testing::ValuesIn(Faults()),
                                            ::testing::ValuesIn(Vendors())),
                         [](const ::testing::TestParamInfo<FaultTableTest::ParamType>& info) {
                           return absl::StrCat(std::get<0>(info.param).name, "_",
                                               std::get<1>(info.param));
                         });

// ---------------------------------------------------------------------------------------------
// Retries, per vendor.

class RetryTest : public ::testing::TestWithParam<std::string> {
 protected:
  RetryTest() : harness_(QuietResilience()) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  ServerHarness harness_;
};

TEST_P(RetryTest, GetIsAttemptedThreeTimesOn503AndThenAnswered) {
  const std::string vendor = GetParam();
  const std::string id = AddRunning(harness_, vendor);
  FaultSpec fault = Status(503);
  fault.vendor = vendor;
  fault.count = 2;  // the third attempt gets the job
  harness_.emulator().InjectFault(fault);
  v1::Job job;
  grpc::Status status = GetJob(harness_, Name(vendor, id), &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(job.vendor_job_id(), id);
  const sandbox::Stats stats = harness_.emulator().stats(vendor);
  EXPECT_EQ(stats.Count("GET", "get"), 3);
  ASSERT_EQ(stats.recent.size(), 3u);
  EXPECT_EQ(stats.recent[0].status, 503);
  EXPECT_EQ(stats.recent[1].status, 503);
  EXPECT_EQ(stats.recent[2].status, 200);
}

TEST_P(RetryTest, CancelAndDeleteAreNotRetriedOn503OrAReset) {
  const std::string vendor = GetParam();
  const std::string running = AddRunning(harness_, vendor);
  const std::string finished = AddFinished(harness_, vendor);
  for (FaultKind kind : {FaultKind::kHttpStatus, FaultKind::kReset}) {
    SCOPED_TRACE(FaultKindName(kind));
    harness_.emulator().ResetStats();
    FaultSpec fault = kind == FaultKind::kHttpStatus ? Status(503) : Kind(kind);
    fault.vendor = vendor;
    fault.route = "cancel";
    harness_.emulator().InjectFault(fault);
    fault.route = "delete";
    harness_.emulator().InjectFault(fault);

    v1::CancelJobRequest cancel;
    cancel.set_name(Name(vendor, running));
    v1::Job job;
    ExpectVendorError(harness_.stub().CancelJob(Context().get(), cancel, &job),
                      StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE", vendor,
                      kind == FaultKind::kHttpStatus ? 503 : kNoHttpStatus);
    v1::DeleteJobRequest remove;
    remove.set_name(Name(vendor, finished));
    google::protobuf::Empty empty;
    ExpectVendorError(harness_.stub().DeleteJob(Context().get(), remove, &empty),
                      StatusCode::UNAVAILABLE, "VENDOR_UNAVAILABLE", vendor,
                      kind == FaultKind::kHttpStatus ? 503 : kNoHttpStatus);
    const sandbox::Stats stats = harness_.emulator().stats(vendor);
    EXPECT_EQ(stats.Count(CancelMethod(vendor), "cancel"), 1);
    EXPECT_EQ(stats.Count("DELETE", "delete"), 1);
    harness_.emulator().ClearFaults();
  }
  // Neither was changed, and both can still be acted on.
  v1::Job job;
  ASSERT_TRUE(GetJob(harness_, Name(vendor, running), &job).ok());
  EXPECT_EQ(job.state(), v1::Job::RUNNING);
  ExpectStillServing(harness_, vendor, finished);
}

INSTANTIATE_TEST_SUITE_P(Vendors, RetryTest, ::testing::ValuesIn(Vendors()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

class RetryAfterTest : public ::testing::TestWithParam<bool> {
 protected:
  RetryAfterTest() : harness_(QuietResilience()) {}
  void SetUp() override { ASSERT_TRUE(harness_.ok()) << harness_.error(); }

  ServerHarness harness_;
};

// The server runs on the real clock, so this waits a real second.
TEST_P(RetryAfterTest, RetryAfterOneSecondIsWaitedBeforeTheNextAttempt) {
  const std::string id = AddRunning(harness_, sandbox::kQbraid);
  FaultSpec fault = Status(429);
  fault.vendor = sandbox::kQbraid;
  fault.retry_after = absl::Seconds(1);
  fault.retry_after_http_date = GetParam();
  fault.count = 1;
  harness_.emulator().InjectFault(fault);
  v1::Job job;
  const Stopwatch start;
  grpc::Status status = GetJob(harness_, Name(sandbox::kQbraid, id), &job);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_LT(start.Elapsed(), absl::Seconds(4));
  const sandbox::Stats stats = harness_.emulator().stats(sandbox::kQbraid);
  ASSERT_EQ(stats.recent.size(), 2u);
  EXPECT_EQ(stats.recent[0].status, 429);
  EXPECT_EQ(stats.recent[1].status, 200);
  EXPECT_GE(stats.recent[1].received - stats.recent[0].received, absl::Seconds(1));
}

INSTANTIATE_TEST_SUITE_P(Forms, RetryAfterTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "HttpDate" : "Seconds");
                         });

TEST(RateLimitTest, RetryAfterBeyondTheDeadlineIsAnsweredAtOnce) {
  ServerHarness harness(QuietResilience());
  ASSERT_TRUE(harness.ok()) << harness.error();
  const std::string id = AddRunning(harness, sandbox::kIonq);
  FaultSpec fault = Status(429);
  fault.vendor = sandbox::kIonq;
  fault.retry_after = absl::Seconds(8);  // below --retry_max_retry_after, beyond the deadline
  harness.emulator().InjectFault(fault);
  v1::Job job;
  const Stopwatch start;
  grpc::Status status = GetJob(harness, Name(sandbox::kIonq, id), &job, absl::Seconds(3));
  const absl::Duration took = start.Elapsed();
  ExpectVendorError(status, StatusCode::RESOURCE_EXHAUSTED, "VENDOR_RATE_LIMITED", sandbox::kIonq,
                    429);
  EXPECT_EQ(RetryDelay(status), absl::Seconds(8));
  EXPECT_LT(took, absl::Seconds(1));
  EXPECT_EQ(harness.emulator().stats(sandbox::kIonq).Count("GET", "get"), 1);
}

// ---------------------------------------------------------------------------------------------
// The circuit breaker.

TEST(CircuitBreakerTest, OpensAfterThreeFailuresRefusesWithoutTheVendorAndRecloses) {
  constexpr absl::Duration kOpenFor = absl::Seconds(1);
  HarnessOptions options = QuietResilience();
  options.env["JOBFACADE_CIRCUIT_FAILURE_THRESHOLD"] = "3";
  options.env["JOBFACADE_CIRCUIT_OPEN_DURATION"] = "1s";
  ServerHarness harness(options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  const std::string id = AddRunning(harness, sandbox::kQbraid);
  const std::string ionq = AddRunning(harness, sandbox::kIonq);
  FaultSpec fault = Status(503);
  fault.vendor = sandbox::kQbraid;
  harness.emulator().InjectFault(fault);

  // Failing calls until the breaker opens: three failed attempts in a row.
  grpc::Status status;
  v1::Job job;
  for (int call = 0; call < 4; ++call) {
    status = GetJob(harness, Name(sandbox::kQbraid, id), &job);
    ASSERT_EQ(status.error_code(), StatusCode::UNAVAILABLE) << status.error_message();
    if (harness.emulator().stats(sandbox::kQbraid).Count("GET", "get") >= 3) break;
  }
  EXPECT_EQ(harness.emulator().stats(sandbox::kQbraid).Count("GET", "get"), 3);
  const absl::Time opened = absl::Now();

  // Open: refused at once, without a request to the vendor.
  harness.emulator().ResetStats();
  status = GetJob(harness, Name(sandbox::kQbraid, id), &job);
  ExpectVendorError(status, StatusCode::UNAVAILABLE, "VENDOR_CIRCUIT_OPEN", sandbox::kQbraid,
                    kNoHttpStatus);
  const std::optional<absl::Duration> delay = RetryDelay(status);
  ASSERT_TRUE(delay.has_value()) << "no RetryInfo";
  EXPECT_GT(*delay, absl::ZeroDuration());
  EXPECT_LE(*delay, kOpenFor);
  EXPECT_EQ(harness.emulator().stats(sandbox::kQbraid).total, 0);
  EXPECT_EQ(Health(harness, "vendors/qbraid"), kHealthNotServing);
  EXPECT_EQ(Health(harness, "vendors/ionq"), kHealthServing);
  EXPECT_EQ(Health(harness, ""), kHealthServing);
  ASSERT_TRUE(GetJob(harness, Name(sandbox::kIonq, ionq), &job).ok());  // other vendors serve

  // The vendor recovers; once the open time has passed a probe closes the breaker.
  harness.emulator().ClearFaults();
  const absl::Time give_up = absl::Now() + absl::Seconds(6);
  bool served = false;
  absl::Time first_success;
  while (!served && absl::Now() < give_up) {
    served = GetJob(harness, Name(sandbox::kQbraid, id), &job).ok();
    if (served) {
      first_success = absl::Now();
    } else {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  ASSERT_TRUE(served) << "the breaker did not close after the vendor recovered";
  EXPECT_GE(first_success - opened, kOpenFor - absl::Milliseconds(100));
  int health = kHealthUnknown;
  while (absl::Now() < give_up) {
    health = Health(harness, "vendors/qbraid");
    if (health == kHealthServing) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(health, kHealthServing);
}

// ---------------------------------------------------------------------------------------------
// TLS.

TEST(TlsFaultTest, AnUntrustedCertificateIsVendorUnavailable) {
  auto cert = fakes::SelfSignedCert::Create(/*ip_san=*/true);  // only the trust is missing
  ASSERT_TRUE(cert.ok()) << cert.status();
  ManualClock clock;
  sandbox::VendorEmulator::Options options;
  options.manual_clock = &clock;
  options.seed_demo_jobs = false;
  options.vendors[sandbox::kQbraid].api_key = kQbraidKey;
  options.threads = 4;
  options.tls_cert_file = cert->cert_path();
  options.tls_key_file = cert->key_path();
  auto tls = sandbox::VendorEmulator::Start(options);
  ASSERT_TRUE(tls.ok()) << tls.status();
  JobSpec spec;
  spec.vendor = sandbox::kQbraid;
  const std::string id = (*tls)->AddJob(spec);

  HarnessOptions harness_options = QuietResilience();
  harness_options.env["QBRAID_BASE_URL"] = (*tls)->base_url(sandbox::kQbraid);
  ServerHarness harness(harness_options);
  ASSERT_TRUE(harness.ok()) << harness.error();
  v1::Job job;
  ExpectVendorError(GetJob(harness, Name(sandbox::kQbraid, id), &job), StatusCode::UNAVAILABLE,
                    "VENDOR_UNAVAILABLE", sandbox::kQbraid, kNoHttpStatus);
  EXPECT_EQ((*tls)->stats("*").total, 0);  // no request got past the handshake

  EXPECT_EQ(Health(harness, ""), kHealthServing);
  ExpectStillServing(harness, sandbox::kIonq, AddRunning(harness, sandbox::kIonq));
}

}  // namespace
}  // namespace jobfacade::testing
