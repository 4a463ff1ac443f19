// PraisonAI's declaration. GET /api/v1/runs filters on status. It has no public endpoint:
// setting PRAISONAI_BASE_URL is what enables it, and a loopback server needs no key. Its runs
// have an event stream (GET /api/v1/runs/{id}/stream). It takes agent runs without tags, and
// de-duplicates them itself by the Idempotency-Key header.
#include "adapters/praisonai/praisonai_vendor.h"

#include <string>
#include <utility>

#include "adapters/praisonai/praisonai_normalizer.h"
#include "adapters/praisonai/praisonai_requests.h"
#include "adapters/praisonai/praisonai_sandbox.h"

namespace jobfacade {
namespace {

class Praisonai final : public RestVendor {
 public:
  const VendorSpec& spec() const override {
    static const VendorSpec* kSpec = new VendorSpec{
        "praisonai",
        "PraisonAI",
        {"PRAISONAI_API_KEY", "PRAISONAI_BASE_URL", ""},
        {"Authorization", "Bearer"},
        {{"queued", v1::Job::QUEUED},
         {"running", v1::Job::RUNNING},
         {"cancelled", v1::Job::CANCELLED},
         {"succeeded", v1::Job::COMPLETED},
         {"failed", v1::Job::FAILED}},
        /*statuses_ignore_case=*/true,
        /*max_page_size=*/kPraisonaiMaxPageSize,
        WatchMode::kEventStream,
        SubmissionRules{/*agent_runs=*/true, /*formats=*/{}, /*tags=*/false,
                        /*deduplicates=*/true},
    };
    return *kSpec;
  }

  QueryParams PushDown(const std::vector<FilterTerm>& terms) const override {
    for (const FilterTerm& term : terms) {
      if (!IsUniformTerm(term) || term.any_of.front().field != FilterField::kState) continue;
      if (std::optional<std::string> status = SingleVendorStatus(spec().statuses, term)) {
        return {{"status", *status}};
      }
    }
    return {};
  }

  const RestApi& api() const override {
    static constexpr RestApi kApi = {&PraisonaiGetJobRequest,
                                     &PraisonaiListJobsRequest,
                                     &PraisonaiCancelJobRequest,
                                     &PraisonaiDeleteJobRequest,
                                     &NormalizePraisonaiJob,
                                     &ReadPraisonaiJobList,
                                     nullptr,
                                     &PraisonaiStreamJobRequest,
                                     &PraisonaiCreateJobRequest,
                                     &ReadPraisonaiCreatedJob,
                                     &ReadPraisonaiCreateConflict,
                                     &PraisonaiGetResultRequest,
                                     &ReadPraisonaiResult};
    return kApi;
  }

  std::unique_ptr<sandbox::Personality> NewSandboxPersonality(
      const sandbox::PersonalityOptions& options) const override {
    return sandbox::NewPraisonaiPersonality(options);
  }
};

}  // namespace

const Vendor& PraisonaiVendor() {
  static const Praisonai* kVendor = new Praisonai();
  return *kVendor;
}

}  // namespace jobfacade
