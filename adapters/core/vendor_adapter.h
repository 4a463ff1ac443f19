// The one small interface every vendor adapter implements; the service talks only to this.
#ifndef JOBFACADE_ADAPTERS_CORE_VENDOR_ADAPTER_H_
#define JOBFACADE_ADAPTERS_CORE_VENDOR_ADAPTER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "adapters/core/cancellation.h"
#include "adapters/core/list_filter.h"
#include "adapters/core/reloadable.h"
#include "adapters/http/http_engine.h"
#include "jobfacade/v1/job_service.pb.h"

namespace jobfacade {

// What one RPC hands to the adapter calls it makes.
struct CallContext {
  // The caller's gRPC deadline; vendor requests time out by then.
  absl::Time deadline = absl::InfiniteFuture();
  // Fired when the caller cancels its RPC; aborts vendor requests in flight. May be null.
  std::shared_ptr<Cancellation> cancellation;
  // A vendor key the caller supplied for this call only (JOBFACADE_ALLOW_CALLER_KEYS);
  // replaces the configured key. A vendor 401 is then UNAUTHENTICATED instead of INTERNAL.
  std::optional<std::string> caller_key;
  // Sent to the vendor as X-Request-Id and traceparent when not empty (already validated).
  std::string request_id;
  std::string traceparent;
  // Counts the vendor requests made for the call. May be null.
  std::shared_ptr<http::RequestTrace> trace;
};

struct ListRequest {
  int page_size = 50;  // 1..200; the adapter lowers it to the vendor's maximum
  std::string cursor;  // the adapter's own cursor from a previous ListResult; empty = first
  v1::JobView view = v1::JOB_VIEW_BASIC;
  // The vendor's own list query parameters for the part of the filter it applies itself
  // (Vendor::PushDown); the adapter appends them to its list URL.
  QueryParams filter;
};

struct ListResult {
  std::vector<v1::Job> jobs;  // in the vendor's list order (newest first)
  std::string next_cursor;    // empty when this was the last vendor page
  // Listed items left out because no id could be read from them (the service logs and counts
  // them); the rest of the page is still served.
  int skipped = 0;
};

// The tag (qBraid) or metadata key (IonQ) that carries a submission's request_id at the
// vendor, so that a submission whose answer was lost can be found again.
inline constexpr absl::string_view kRequestIdTag = "jobfacade-request-id";

// One submission (CreateJob), already checked by the service against the vendor's
// SubmissionRules.
struct CreateRequest {
  v1::JobSpec spec;
  // The AIP-155 request id (a UUID): qBraid tag and IonQ metadata kRequestIdTag.
  std::string request_id;
  // The key a vendor that de-duplicates by itself keeps (PraisonAI's Idempotency-Key); empty:
  // request_id. The vendor's keys are shared by all its callers, so a call made with the
  // caller's own vendor key sends one derived from that key's identity and the request id.
  std::string vendor_key;
};

// Connection settings of one vendor.
struct VendorConfig {
  std::string base_url;  // without a trailing slash
  // Empty: no auth header (a loopback server that needs none). Reloadable: a key file's new
  // content reaches the next request.
  Reloadable<std::string> api_key;
};

class VendorAdapter {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>) &&>;
  using StatusCallback = absl::AnyInvocable<void(absl::Status) &&>;

  virtual ~VendorAdapter() = default;

  // The vendor's registry name (Vendor::name()).
  virtual absl::string_view vendor() const = 0;

  // Every method runs `done` exactly once, on an engine thread or inline on the caller's
  // thread, with a contract error (adapters/core/errors.h) on failure.
  virtual void GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
                      Callback<v1::Job> done) = 0;
  virtual void ListJobs(const CallContext& ctx, const ListRequest& request,
                        Callback<ListResult> done) = 0;
  // Sends the vendor's own cancel request. The contract's safety rules (never cancel a
  // finished job) are the service's job, not the adapter's.
  virtual void CancelJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) = 0;
  // Sends the vendor's own delete request; the service checks the state first.
  virtual void DeleteJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) = 0;

  // Follows the job's event stream (a vendor whose spec says WatchMode::kEventStream):
  // `on_event` gets the type of each event as it arrives ("status", "progress", "heartbeat",
  // "result", ...; comment lines are not events), on an engine thread, and must not block.
  // `done` runs once when the stream is over: OK when the vendor closed it, else the contract
  // error (the stream refused, broken or stalled). ctx.cancellation closes it. The default:
  // UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR at once.
  using EventCallback = absl::AnyInvocable<void(absl::string_view event_type)>;
  virtual void FollowEvents(const CallContext& ctx, absl::string_view job_id,
                            EventCallback on_event, StatusCallback done);

  // Submits a job once: never retried after the request may have reached the vendor (only a
  // refused connection is). The created job as the vendor reported it; a refusal is
  // INVALID_ARGUMENT / VENDOR_REJECTED_REQUEST, an unknown outcome UNAVAILABLE /
  // SUBMISSION_UNCONFIRMED. The default: UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR.
  virtual void CreateJob(const CallContext& ctx, const CreateRequest& request,
                         Callback<v1::Job> done);

  // The results of `job`, a COMPLETED job as read in JOB_VIEW_FULL (its vendor_payload tells
  // the width of a circuit, say). `view` decides the result's vendor_payload. The default:
  // UNIMPLEMENTED / UNSUPPORTED_BY_VENDOR.
  virtual void GetJobResult(const CallContext& ctx, const v1::Job& job, v1::JobView view,
                            Callback<v1::JobResult> done);
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_VENDOR_ADAPTER_H_
