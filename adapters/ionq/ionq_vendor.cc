// IonQ's declaration. GET /jobs filters on status and target (a comma-separated list of
// backends, items trimmed); v0.4 cannot filter on v0.3's `running`, which still reads as
// RUNNING. Submissions are OpenQASM 3 programs (ionq.qasm3.v1) with user tags as metadata.
#include "adapters/ionq/ionq_vendor.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "adapters/ionq/ionq_normalizer.h"
#include "adapters/ionq/ionq_requests.h"
#include "adapters/ionq/ionq_sandbox.h"

namespace jobfacade {
namespace {

bool IsSingleTarget(absl::string_view device) {
  return !device.empty() && std::none_of(device.begin(), device.end(), [](char c) {
    return c == ',' || absl::ascii_isspace(static_cast<unsigned char>(c));
  });
}

class Ionq final : public RestVendor {
 public:
  const VendorSpec& spec() const override {
    static const VendorSpec* kSpec = new VendorSpec{
        "ionq",
        "IonQ",
        {"IONQ_API_KEY", "IONQ_BASE_URL", "https://api.ionq.co/v0.4"},
        {"Authorization", "apiKey"},
        {{"submitted", v1::Job::INITIALIZING},
         {"ready", v1::Job::QUEUED},
         {"started", v1::Job::RUNNING},
         {"running", v1::Job::RUNNING, /*filterable=*/false},
         {"canceled", v1::Job::CANCELLED},
         {"completed", v1::Job::COMPLETED},
         {"failed", v1::Job::FAILED}},
        /*statuses_ignore_case=*/true,
        /*max_page_size=*/kIonqMaxPageSize,
        WatchMode::kPoll,
        {/*agent_runs=*/false,
         {v1::QuantumProgram::FORMAT_OPENQASM3},
         /*tags=*/true,
         /*deduplicates=*/false},
    };
    return *kSpec;
  }

  QueryParams PushDown(const std::vector<FilterTerm>& terms) const override {
    std::optional<std::string> status, target;
    for (const FilterTerm& term : terms) {
      if (!IsUniformTerm(term)) continue;
      const FilterComparison& first = term.any_of.front();
      if (first.field == FilterField::kState && !status.has_value()) {
        status = SingleVendorStatus(spec().statuses, term);
      } else if (first.field == FilterField::kDevice && !target.has_value()) {
        std::optional<std::string> device = SharedValue(term);
        if (device.has_value() && IsSingleTarget(*device)) target = std::move(device);
      }
    }
    QueryParams params;
    if (status.has_value()) params.emplace_back("status", *status);
    if (target.has_value()) params.emplace_back("target", *target);
    return params;
  }

  const RestApi& api() const override {
    static constexpr RestApi kApi = {&IonqGetJobRequest,
                                     &IonqListJobsRequest,
                                     &IonqCancelJobRequest,
                                     &IonqDeleteJobRequest,
                                     &NormalizeIonqJob,
                                     &ReadIonqJobList,
                                     /*read_state_change=*/nullptr,
                                     /*stream_job=*/nullptr,
                                     &IonqCreateJobRequest,
                                     &ReadIonqCreatedJob,
                                     /*read_create_conflict=*/nullptr,
                                     &IonqGetResultRequest,
                                     &ReadIonqResult,
                                     &IonqGetResultCostRequest,
                                     &ReadIonqResultCost};
    return kApi;
  }

  std::unique_ptr<sandbox::Personality> NewSandboxPersonality(
      const sandbox::PersonalityOptions& options) const override {
    return sandbox::NewIonqPersonality(options);
  }
};

}  // namespace

const Vendor& IonqVendor() {
  static const Ionq* kVendor = new Ionq();
  return *kVendor;
}

}  // namespace jobfacade
