// Contract tests of the qBraid and IonQ adapters against Prism mocks of the
// vendors' own OpenAPI documents: every request the adapters send must be one
// the document accepts.
//
// Run through tests/contract/run_with_prism.js, which starts `prism mock
// --errors` on the document, sets PRISM_URL, and fails the test when Prism logs
// any request violation (so a missing auth header or an out-of-range query
// value fails even if the adapter copes with the 4xx that Prism answers).
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/core/errors.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"
#include "adapters/ionq/ionq_vendor.h"
#include "adapters/qbraid/qbraid_vendor.h"
#include "adapters/registry.h"
#include "gtest/gtest.h"
#include "tests/testing/filter_terms.h"

namespace jobfacade {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(30);
// A qBraid job QRN in the live format: device QRN (with ':'), 4 hex, "qjob", 24
// hex.
constexpr char kQbraidJobQrn[] = "aws:quera:qpu:aquila-1a2b-qjob-0123456789abcdef01234567";
constexpr char kIonqJobUuid[] = "617a1f8b-59d4-435d-aa33-695433d7155e";

// Runs one asynchronous adapter call and waits (bounded) for its callback.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  auto done = std::make_shared<absl::Notification>();
  auto result = std::make_shared<absl::StatusOr<T>>(absl::UnknownError("no callback"));
  start([done, result](absl::StatusOr<T> value) {
    *result = std::move(value);
    done->Notify();
  });
  if (!done->WaitForNotificationWithTimeout(kCallTimeout)) {
    return absl::DeadlineExceededError("the adapter did not call back in time");
  }
  return *result;
}

absl::Status AwaitStatus(absl::AnyInvocable<void(VendorAdapter::StatusCallback)> start) {
  auto done = std::make_shared<absl::Notification>();
  auto result = std::make_shared<absl::Status>(absl::UnknownError("no callback"));
  start([done, result](absl::Status status) {
    *result = std::move(status);
    done->Notify();
  });
  if (!done->WaitForNotificationWithTimeout(kCallTimeout)) {
    return absl::DeadlineExceededError("the adapter did not call back in time");
  }
  return *result;
}

struct VendorCase {
  const char* vendor;
  const char* job_id;
  // A status the vendor documents, sent as its own list filter.
  const char* vendor_status;
  // The status of the document's example job, and its canonical state.
  v1::Job::State example_state;
  // Sets every push-down filter the vendor supports, as the service would.
  void (*every_filter)(QueryParams* filter) = nullptr;
  // A device for submissions, and the vendor_options it takes.
  const char* device = "";
  void (*vendor_options)(google::protobuf::Struct* options) = nullptr;
  // Prism has no example of the result and makes one up from the schema.
  bool result_schema_only = false;
};

// qBraid filters on status, provider, search (1..255 characters) and tags (a JSON object).
void EveryQbraidFilter(QueryParams* filter) {
  using ::jobfacade::testing::StateIn;
  using ::jobfacade::testing::TermOf;
  *filter =
      QbraidVendor().PushDown({StateIn({v1::Job::COMPLETED}), TermOf(FilterField::kProvider, "aws"),
                               TermOf(FilterField::kDisplayName, std::string(255, 'b')),
                               TermOf(FilterField::kTag, "bell-state", "experiment"),
                               TermOf(FilterField::kTag, "ünï=1", "team \"q&a\"")});
}

// IonQ filters on status and target (a backend).
void EveryIonqFilter(QueryParams* filter) {
  using ::jobfacade::testing::StateIn;
  using ::jobfacade::testing::TermOf;
  *filter = IonqVendor().PushDown(
      {StateIn({v1::Job::COMPLETED}), TermOf(FilterField::kDevice, "qpu.aria-1")});
}

// Names the case in gtest's messages instead of dumping its bytes.
void PrintTo(const VendorCase& c, std::ostream* os) { *os << c.vendor << " " << c.job_id; }

class AdapterContractTest : public ::testing::TestWithParam<VendorCase> {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PRISM_URL");
    ASSERT_NE(url, nullptr) << "PRISM_URL is not set: run through tests/contract/"
                               "run_with_prism.js";
    adapter_ = MakeVendorAdapter(GetParam().vendor, &engine_,
                                 VendorConfig{/*base_url=*/url, /*api_key=*/"contract-key"});
    ASSERT_NE(adapter_, nullptr);
    ASSERT_EQ(adapter_->vendor(), GetParam().vendor);
  }

  CallContext Context() const {
    CallContext ctx;
    ctx.deadline = absl::Now() + absl::Seconds(20);
    return ctx;
  }

  void ExpectNormalised(const v1::Job& job) const {
    const std::string vendor = GetParam().vendor;
    EXPECT_EQ(job.vendor(), vendor);
    EXPECT_FALSE(job.vendor_job_id().empty());
    EXPECT_EQ(job.name(), "vendors/" + vendor + "/jobs/" + job.vendor_job_id());
    EXPECT_EQ(job.state(), GetParam().example_state) << job.vendor_state();
    EXPECT_FALSE(job.vendor_state().empty());
    EXPECT_TRUE(job.has_create_time());
  }

  http::HttpEngine engine_;
  std::unique_ptr<VendorAdapter> adapter_;
};

TEST_P(AdapterContractTest, GetJob) {
  for (v1::JobView view : {v1::JOB_VIEW_BASIC, v1::JOB_VIEW_FULL}) {
    CallContext ctx = Context();
    absl::StatusOr<v1::Job> job = Await<v1::Job>(
        [&](auto done) { adapter_->GetJob(ctx, GetParam().job_id, view, std::move(done)); });
    ASSERT_TRUE(job.ok()) << job.status();
    ExpectNormalised(*job);
    EXPECT_EQ(job->has_vendor_payload(), view == v1::JOB_VIEW_FULL);
  }
}

TEST_P(AdapterContractTest, ListJobsFirstPage) {
  CallContext ctx = Context();
  ListRequest request;
  request.page_size = 50;
  absl::StatusOr<ListResult> page =
      Await<ListResult>([&](auto done) { adapter_->ListJobs(ctx, request, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->jobs.empty());
  for (const v1::Job& job : page->jobs) ExpectNormalised(job);
  // The documents' examples are single, last pages.
  EXPECT_EQ(page->next_cursor, "");
}

// The service asks for up to 200 jobs a page; the adapter must lower that to
// what the vendor's document allows (qBraid limit 1..100).
TEST_P(AdapterContractTest, ListJobsLargestPageSize) {
  CallContext ctx = Context();
  ListRequest request;
  request.page_size = 200;
  absl::StatusOr<ListResult> page =
      Await<ListResult>([&](auto done) { adapter_->ListJobs(ctx, request, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_FALSE(page->jobs.empty());
}

TEST_P(AdapterContractTest, ListJobsWithVendorStatusFilter) {
  CallContext ctx = Context();
  ListRequest request;
  request.page_size = 10;
  request.view = v1::JOB_VIEW_FULL;
  request.filter = {{"status", GetParam().vendor_status}};
  absl::StatusOr<ListResult> page =
      Await<ListResult>([&](auto done) { adapter_->ListJobs(ctx, request, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->jobs.empty());
  EXPECT_TRUE(page->jobs[0].has_vendor_payload());
}

// Every push-down filter at once, at the edges of what the document allows.
TEST_P(AdapterContractTest, ListJobsWithEveryPushedDownFilter) {
  ASSERT_NE(GetParam().every_filter, nullptr);
  CallContext ctx = Context();
  ListRequest request;
  request.page_size = 10;
  GetParam().every_filter(&request.filter);
  absl::StatusOr<ListResult> page =
      Await<ListResult>([&](auto done) { adapter_->ListJobs(ctx, request, std::move(done)); });
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->jobs.empty());
  for (const v1::Job& job : page->jobs) ExpectNormalised(job);
}

TEST_P(AdapterContractTest, CancelJob) {
  CallContext ctx = Context();
  absl::Status status = AwaitStatus([&](VendorAdapter::StatusCallback done) {
    adapter_->CancelJob(ctx, GetParam().job_id, std::move(done));
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(AdapterContractTest, DeleteJob) {
  CallContext ctx = Context();
  absl::Status status = AwaitStatus([&](VendorAdapter::StatusCallback done) {
    adapter_->DeleteJob(ctx, GetParam().job_id, std::move(done));
  });
  EXPECT_TRUE(status.ok()) << status;
}

// A submission with every field the contract passes on: the document must accept its body.
TEST_P(AdapterContractTest, CreateJobWithEveryField) {
  CreateRequest request;
  request.request_id = "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b";
  v1::JobSpec& spec = request.spec;
  spec.set_device(GetParam().device);
  spec.set_display_name("bell pair");
  spec.set_shots(1000);
  (*spec.mutable_tags())["experiment"] = "bell";
  spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
  spec.mutable_quantum_program()->set_source(
      "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n");
  GetParam().vendor_options(spec.mutable_vendor_options());
  CallContext ctx = Context();
  absl::StatusOr<v1::Job> job = Await<v1::Job>([&](VendorAdapter::Callback<v1::Job> done) {
    adapter_->CreateJob(ctx, request, std::move(done));
  });
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->vendor(), GetParam().vendor);
  EXPECT_FALSE(job->vendor_job_id().empty());
}

// The results of the document's example job (read as the service reads it, in full): the
// request must be one the document accepts. Prism makes IonQ's probabilities up from the
// schema ({"property1": ...}, no example there), which the reader refuses as a bad answer.
TEST_P(AdapterContractTest, GetJobResultOfTheExampleJob) {
  CallContext ctx = Context();
  absl::StatusOr<v1::Job> job = Await<v1::Job>([&](VendorAdapter::Callback<v1::Job> done) {
    adapter_->GetJob(ctx, GetParam().job_id, v1::JOB_VIEW_FULL, std::move(done));
  });
  ASSERT_TRUE(job.ok()) << job.status();
  absl::StatusOr<v1::JobResult> result =
      Await<v1::JobResult>([&](VendorAdapter::Callback<v1::JobResult> done) {
        adapter_->GetJobResult(ctx, *job, v1::JOB_VIEW_FULL, std::move(done));
      });
  if (GetParam().result_schema_only) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(ErrorReason(result.status()), "VENDOR_BAD_RESPONSE") << result.status();
  } else {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->name(), job->name());
    EXPECT_FALSE(result->quantum().counts().empty());
  }
}

void QbraidOptions(google::protobuf::Struct* options) {
  (*options->mutable_fields())["noiseModel"].set_string_value("depolarizing");
}

void IonqOptions(google::protobuf::Struct* options) {
  auto& mitigation = *(*options->mutable_fields())["error_mitigation"].mutable_struct_value();
  (*mitigation.mutable_fields())["debiasing"].set_bool_value(false);
}

INSTANTIATE_TEST_SUITE_P(Qbraid, AdapterContractTest,
                         ::testing::Values(VendorCase{"qbraid", kQbraidJobQrn, "RUNNING",
                                                      v1::Job::COMPLETED, &EveryQbraidFilter,
                                                      "aws:aws:sim:sv1", &QbraidOptions, false}));
INSTANTIATE_TEST_SUITE_P(Ionq, AdapterContractTest,
                         ::testing::Values(VendorCase{"ionq", kIonqJobUuid, "started",
                                                      v1::Job::COMPLETED, &EveryIonqFilter,
                                                      "simulator", &IonqOptions, true}));

}  // namespace
}  // namespace jobfacade
