// qBraid's declaration. GET /jobs filters on status, provider, search (a case-insensitive
// keyword over name and QRN, 1 to 255 characters) and tags (a JSON object; every pair must
// match).
#include "adapters/qbraid/qbraid_vendor.h"

#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/core/json.h"
#include "adapters/qbraid/qbraid_normalizer.h"
#include "adapters/qbraid/qbraid_requests.h"
#include "adapters/qbraid/qbraid_sandbox.h"

namespace jobfacade {
namespace {

constexpr size_t kMaxSearchBytes = 255;

// `tags` as qBraid reads it: one JSON object of string values, keys in a fixed order.
std::string TagsJson(const std::map<std::string, std::string>& tags) {
  std::string out = "{";
  for (const auto& [key, value] : tags) {
    absl::StrAppend(&out, out.size() > 1 ? "," : "", json::ToJson(json::Str(key)), ":",
                    json::ToJson(json::Str(value)));
  }
  return absl::StrCat(out, "}");
}

class Qbraid final : public RestVendor {
 public:
  const VendorSpec& spec() const override {
    static const VendorSpec* kSpec = new VendorSpec{
        "qbraid",
        "qBraid",
        {"QBRAID_API_KEY", "QBRAID_BASE_URL", "https://api-v2.qbraid.com/api/v1"},
        {"X-API-KEY", ""},
        {{"INITIALIZING", v1::Job::INITIALIZING},
         {"VALIDATING", v1::Job::INITIALIZING},
         {"QUEUED", v1::Job::QUEUED},
         {"RUNNING", v1::Job::RUNNING},
         {"CANCELLING", v1::Job::CANCELLING},
         {"CANCELLED", v1::Job::CANCELLED},
         {"COMPLETED", v1::Job::COMPLETED},
         {"FAILED", v1::Job::FAILED},
         {"HOLD", v1::Job::ON_HOLD},
         {"UNKNOWN", v1::Job::STATE_UNSPECIFIED}},
        /*statuses_ignore_case=*/true,
        /*max_page_size=*/kQbraidMaxPageSize,
        WatchMode::kPoll,
        SubmissionRules{
            /*agent_runs=*/false,
            {v1::QuantumProgram::FORMAT_OPENQASM2, v1::QuantumProgram::FORMAT_OPENQASM3},
            /*tags=*/true,
            // qBraid has no idempotency key: a lost submission is found by its request-id tag.
            /*deduplicates=*/false,
        },
    };
    return *kSpec;
  }

  // Each parameter takes the first term that qualifies: two terms on one field are both
  // applied by the service afterwards, and either alone already gives a superset.
  QueryParams PushDown(const std::vector<FilterTerm>& terms) const override {
    std::optional<std::string> status, provider, search;
    std::map<std::string, std::string> tags;
    for (const FilterTerm& term : terms) {
      if (!IsUniformTerm(term)) continue;
      const FilterComparison& first = term.any_of.front();
      switch (first.field) {
        case FilterField::kState:
          if (!status.has_value()) status = SingleVendorStatus(spec().statuses, term);
          break;
        case FilterField::kProvider:
          if (!provider.has_value()) {
            std::optional<std::string> value = SharedValue(term, /*lower=*/true);
            if (value.has_value() && !value->empty()) provider = std::move(value);
          }
          break;
        case FilterField::kTag:
          if (tags.count(first.tag_key) == 0) {
            std::optional<std::string> value = SharedValue(term);
            if (value.has_value() && IsPlainStringTag(*value)) tags[first.tag_key] = *value;
          }
          break;
        case FilterField::kDisplayName:
          // Both `:` and `=` imply "contains", and the search is a case-insensitive contains
          // over name and id: a superset either way.
          if (!search.has_value()) {
            std::optional<std::string> text = SharedValue(term);
            if (text.has_value() && !text->empty() && text->size() <= kMaxSearchBytes) {
              search = std::move(text);
            }
          }
          break;
        default:
          break;  // qBraid filters nothing else
      }
    }
    QueryParams params;
    if (status.has_value()) params.emplace_back("status", *status);
    if (provider.has_value()) params.emplace_back("provider", *provider);
    if (search.has_value()) params.emplace_back("search", *search);
    if (!tags.empty()) params.emplace_back("tags", TagsJson(tags));
    return params;
  }

  const RestApi& api() const override {
    static constexpr RestApi kApi = {&QbraidGetJobRequest,
                                     &QbraidListJobsRequest,
                                     &QbraidCancelJobRequest,
                                     &QbraidDeleteJobRequest,
                                     &NormalizeQbraidJob,
                                     &ReadQbraidJobList,
                                     &ReadQbraidStateChange,
                                     /*stream_job=*/nullptr,
                                     &QbraidCreateJobRequest,
                                     &ReadQbraidCreatedJob,
                                     /*read_create_conflict=*/nullptr,
                                     &QbraidGetResultRequest,
                                     &ReadQbraidResult};
    return kApi;
  }

  std::unique_ptr<sandbox::Personality> NewSandboxPersonality(
      const sandbox::PersonalityOptions& options) const override {
    return sandbox::NewQbraidPersonality(options);
  }
};

}  // namespace

const Vendor& QbraidVendor() {
  static const Qbraid* kVendor = new Qbraid();
  return *kVendor;
}

}  // namespace jobfacade
