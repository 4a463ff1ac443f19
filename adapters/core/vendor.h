// What a vendor declares about itself. The service layer knows vendors only through this
// interface and the registry (adapters/registry.h); everything that knows a vendor's API lives
// in that vendor's folder under adapters/.
#ifndef JOBFACADE_ADAPTERS_CORE_VENDOR_H_
#define JOBFACADE_ADAPTERS_CORE_VENDOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "adapters/core/list_filter.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {
namespace http {
class HttpClient;
}
namespace sandbox {
class Personality;
struct PersonalityOptions;
}  // namespace sandbox

// The settings a vendor is configured by (API.md, "Configuration"). Each is an environment
// variable and a flag (its lower-case name).
struct VendorSettingNames {
  std::string api_key;   // "<VENDOR>_API_KEY"; its file form is api_key + "_FILE"
  std::string base_url;  // "<VENDOR>_BASE_URL"
  // The base URL used when none is set. Empty: the vendor has no public endpoint, and setting
  // its base URL is what enables it (a key alone does not).
  std::string default_base_url;
};

// How a vendor key travels: `header: scheme key` ("Authorization: apiKey KEY"), or just
// `header: key` when `scheme` is empty ("X-API-KEY: KEY"). No key, no header.
struct VendorAuth {
  std::string header;
  std::string scheme;
};

// How a vendor can be followed live (WatchJob): by polling GetJob, or through an event stream
// of its own that says when to read the job again.
enum class WatchMode { kPoll, kEventStream };

// What CreateJob takes for a vendor (API.md, "Creating jobs and reading results"). The service
// checks a spec against these before anything is sent.
struct SubmissionRules {
  // Programs are agent runs (AgentRun); else quantum programs, which need a device and 1 to
  // 1,000,000 shots.
  bool agent_runs = false;
  // The quantum program formats the vendor takes; any other is UNIMPLEMENTED /
  // UNSUPPORTED_BY_VENDOR.
  std::vector<v1::QuantumProgram::Format> formats;
  // The vendor keeps user tags (qBraid tags, IonQ metadata).
  bool tags = true;
  // The vendor de-duplicates submissions by the request id itself (PraisonAI's
  // Idempotency-Key): a submission whose outcome is unknown is looked up by sending it again.
  // Otherwise the service looks for a job tagged kRequestIdTag in the vendor's listing.
  bool deduplicates = false;
};

struct VendorSpec {
  std::string name;          // the {vendor} of job names, lower case
  std::string display_name;  // for people
  VendorSettingNames settings;
  VendorAuth auth;
  // Every status text the normaliser recognises and its state; a text not listed is
  // STATE_UNSPECIFIED. Compared ignoring ASCII case when `statuses_ignore_case`.
  std::vector<StatusText> statuses;
  bool statuses_ignore_case = false;
  // The largest page the vendor's list endpoint serves.
  int max_page_size = 100;
  WatchMode watch = WatchMode::kPoll;
  SubmissionRules submission;
};

class Vendor {
 public:
  virtual ~Vendor() = default;

  virtual const VendorSpec& spec() const = 0;
  const std::string& name() const { return spec().name; }

  // The canonical state of a raw status text, from spec().statuses.
  v1::Job::State StateOf(absl::string_view status) const;

  // The list query parameters that apply part of `terms` (ANDed) at the vendor. The promise is
  // a superset: every job matching `terms` is in what the vendor returns; the service applies
  // the whole filter afterwards, so results do not depend on what was pushed down.
  virtual QueryParams PushDown(const std::vector<FilterTerm>& terms) const = 0;

  // The adapter that talks to the vendor through `http` (which must outlive it).
  virtual std::unique_ptr<VendorAdapter> NewAdapter(http::HttpClient* http,
                                                    VendorConfig config) const = 0;

  // The vendor's sandbox personality (adapters/<vendor>/<vendor>_sandbox.cc): the routes, auth,
  // error envelopes, job payloads and demo jobs that the emulator (adapters/sandbox/) serves
  // for it in sandbox mode. nullptr (the default) for a vendor without one, which sandbox mode
  // then leaves unconfigured.
  virtual std::unique_ptr<sandbox::Personality> NewSandboxPersonality(
      const sandbox::PersonalityOptions& options) const;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_VENDOR_H_
