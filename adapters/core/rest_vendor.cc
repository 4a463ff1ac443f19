// RestAdapter: the one path every REST vendor's calls take. It checks the id, builds the
// request with the vendor's pure builder, sends it with the caller's deadline and cancellation,
// maps a non-2xx answer to the contract's error and hands a 2xx one to the vendor's reader.
#include "adapters/core/rest_vendor.h"

#include <utility>

#include "adapters/core/errors.h"
#include "adapters/core/sse.h"
#include "adapters/core/vendor_request.h"

namespace jobfacade {
namespace {

// An event stream that sends nothing, not even a heartbeat, for this long is taken as broken.
constexpr absl::Duration kEventStreamStallTime = absl::Seconds(60);

// Feeds a stream's body to an SSE parser and hands on each event's type.
class EventSink final : public http::BodySink {
 public:
  explicit EventSink(VendorAdapter::EventCallback on_event)
      : on_event_(std::move(on_event)),
        parser_([this](const SseEvent& event) { on_event_(event.type); }) {}
  bool OnData(absl::string_view bytes) override { return parser_.Feed(bytes); }

 private:
  VendorAdapter::EventCallback on_event_;
  SseParser parser_;
};

absl::string_view OperationName(VendorOperation op) {
  switch (op) {
    case VendorOperation::kGet:
      return "get";
    case VendorOperation::kList:
      return "list";
    case VendorOperation::kCancel:
      return "cancel";
    case VendorOperation::kDelete:
      return "delete";
    case VendorOperation::kCreate:
      return "create";
    case VendorOperation::kResult:
      return "result";
  }
  return "other";
}

// What every request of a call carries: its deadline and cancellation, the caller's request
// id and trace context, and the counter of its attempts.
void StampRequest(const CallContext& ctx, absl::string_view operation, http::Request* request) {
  request->deadline = ctx.deadline;
  request->cancellation = ctx.cancellation;
  request->operation = operation;
  request->trace = ctx.trace;
  if (!ctx.request_id.empty()) request->headers.emplace_back("X-Request-Id", ctx.request_id);
  if (!ctx.traceparent.empty()) request->headers.emplace_back("traceparent", ctx.traceparent);
}

class RestAdapter final : public VendorAdapter {
 public:
  RestAdapter(const RestVendor& vendor, http::HttpClient* http, VendorConfig config)
      : vendor_(vendor), api_(vendor.api()), http_(http), config_(std::move(config)) {}

  absl::string_view vendor() const override { return vendor_.name(); }

  void GetJob(const CallContext& ctx, absl::string_view job_id, v1::JobView view,
              Callback<v1::Job> done) override {
    if (absl::Status bad = CheckJobId(vendor_.name(), job_id); !bad.ok()) {
      return std::move(done)(bad);
    }
    const Endpoint endpoint = EndpointFor(ctx);
    Send(ctx, VendorOperation::kGet, endpoint.key, api_.get_job(endpoint, job_id),
         [read = api_.read_job, view,
          done = std::move(done)](absl::StatusOr<http::Response> response) mutable {
           if (!response.ok()) return std::move(done)(response.status());
           std::move(done)(WithHttpStatus(read(response->body, view), response->status));
         });
  }

  void ListJobs(const CallContext& ctx, const ListRequest& request,
                Callback<ListResult> done) override {
    const Endpoint endpoint = EndpointFor(ctx);
    Send(ctx, VendorOperation::kList, endpoint.key, api_.list_jobs(endpoint, request),
         [read = api_.read_job_list, request,
          done = std::move(done)](absl::StatusOr<http::Response> response) mutable {
           if (!response.ok()) return std::move(done)(response.status());
           std::move(done)(WithHttpStatus(read(*response, request), response->status));
         });
  }

  void CancelJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) override {
    ChangeState(ctx, VendorOperation::kCancel, job_id, std::move(done));
  }

  void DeleteJob(const CallContext& ctx, absl::string_view job_id, StatusCallback done) override {
    ChangeState(ctx, VendorOperation::kDelete, job_id, std::move(done));
  }

  void CreateJob(const CallContext& ctx, const CreateRequest& request,
                 Callback<v1::Job> done) override {
    if (api_.create_job == nullptr || api_.read_created_job == nullptr) {
      return VendorAdapter::CreateJob(ctx, request, std::move(done));
    }
    const Endpoint endpoint = EndpointFor(ctx);
    absl::StatusOr<http::Request> built = api_.create_job(endpoint, request);
    if (!built.ok()) return std::move(done)(built.status());
    StampRequest(ctx, OperationName(VendorOperation::kCreate), &*built);
    http_->Send(
        *std::move(built),
        [call = MakeVendorCall(vendor_.name(), VendorOperation::kCreate, ctx, endpoint.key),
         read = api_.read_created_job, conflict = api_.read_create_conflict,
         done = std::move(done)](http::Response response) mutable {
          if (conflict != nullptr && response.error == http::TransportError::kNone &&
              response.status == 409) {
            absl::StatusOr<v1::Job> existing = conflict(response);
            if (existing.ok()) return std::move(done)(std::move(existing));
          }
          if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
            return std::move(done)(error);
          }
          absl::StatusOr<v1::Job> job = read(response);
          if (!job.ok() && ErrorReason(job.status()) == reason::kVendorBadResponse) {
            // The vendor said yes but not to what: the job may well exist.
            return std::move(done)(WithHttpStatus(
                SubmissionUnconfirmed(call.vendor, "the answer to the submission is unreadable"),
                response.status));
          }
          if (!job.ok()) {
            return std::move(done)(WithHttpStatus(
                RedactVendorMessage(std::move(job).status(), call.secrets), response.status));
          }
          std::move(done)(std::move(job));
        });
  }

  void GetJobResult(const CallContext& ctx, const v1::Job& job, v1::JobView view,
                    Callback<v1::JobResult> done) override {
    if (api_.get_result == nullptr || api_.read_result == nullptr) {
      return VendorAdapter::GetJobResult(ctx, job, view, std::move(done));
    }
    if (absl::Status bad = CheckJobId(vendor_.name(), job.vendor_job_id()); !bad.ok()) {
      return std::move(done)(bad);
    }
    const Endpoint endpoint = EndpointFor(ctx);
    auto on_result = [this, ctx, endpoint, job, view, read = api_.read_result,
                      done = std::move(done)](absl::StatusOr<http::Response> response) mutable {
      if (!response.ok()) return std::move(done)(response.status());
      absl::StatusOr<v1::JobResult> result =
          WithHttpStatus(read(*response, job, view), response->status);
      if (!result.ok() || api_.get_result_cost == nullptr || result->has_cost()) {
        return std::move(done)(std::move(result));
      }
      // The cost is a second read; without it the result is still the result.
      Send(ctx, VendorOperation::kResult, endpoint.key, api_.get_result_cost(endpoint, job),
           [read_cost = api_.read_result_cost, result = *std::move(result),
            done = std::move(done)](absl::StatusOr<http::Response> response) mutable {
             if (response.ok() && read_cost != nullptr) {
               if (std::optional<v1::Cost> cost = read_cost(*response)) {
                 *result.mutable_cost() = *std::move(cost);
               }
             }
             std::move(done)(std::move(result));
           });
    };
    Send(ctx, VendorOperation::kResult, endpoint.key, api_.get_result(endpoint, job),
         std::move(on_result));
  }

  void FollowEvents(const CallContext& ctx, absl::string_view job_id, EventCallback on_event,
                    StatusCallback done) override {
    if (api_.stream_job == nullptr) {
      return VendorAdapter::FollowEvents(ctx, job_id, std::move(on_event), std::move(done));
    }
    if (absl::Status bad = CheckJobId(vendor_.name(), job_id); !bad.ok()) {
      return std::move(done)(bad);
    }
    const Endpoint endpoint = EndpointFor(ctx);
    absl::StatusOr<http::Request> request = api_.stream_job(endpoint, job_id);
    if (!request.ok()) return std::move(done)(request.status());
    StampRequest(ctx, "stream", &*request);
    request->default_timeout = absl::InfiniteDuration();  // open as long as the job runs
    request->low_speed_time = kEventStreamStallTime;
    request->body_sink = std::make_shared<EventSink>(std::move(on_event));
    http_->Send(*std::move(request),
                [call = MakeVendorCall(vendor_.name(), VendorOperation::kGet, ctx, endpoint.key),
                 done = std::move(done)](http::Response response) mutable {
                  std::move(done)(CheckVendorResponse(call, response));
                });
  }

 private:
  using ResponseCallback = absl::AnyInvocable<void(absl::StatusOr<http::Response>) &&>;

  Endpoint EndpointFor(const CallContext& ctx) const {
    return Endpoint{config_.base_url, EffectiveKey(ctx, config_)};
  }

  void ChangeState(const CallContext& ctx, VendorOperation op, absl::string_view job_id,
                   StatusCallback done) {
    if (absl::Status bad = CheckJobId(vendor_.name(), job_id); !bad.ok()) {
      return std::move(done)(bad);
    }
    const Endpoint endpoint = EndpointFor(ctx);
    absl::StatusOr<http::Request> request = op == VendorOperation::kCancel
                                                ? api_.cancel_job(endpoint, job_id)
                                                : api_.delete_job(endpoint, job_id);
    Send(ctx, op, endpoint.key, std::move(request),
         [read = api_.read_state_change,
          done = std::move(done)](absl::StatusOr<http::Response> response) mutable {
           if (!response.ok()) return std::move(done)(response.status());
           if (read == nullptr) return std::move(done)(absl::OkStatus());
           std::move(done)(WithHttpStatus(read(*response), response->status));
         });
  }

  // Sends `request` with the call's deadline and cancellation; `done` gets the complete 2xx
  // response, or the contract error for anything else. The callback copies what it needs out
  // of the call, so it never touches the caller's context after Send returns.
  void Send(const CallContext& ctx, VendorOperation op, absl::string_view sent_key,
            absl::StatusOr<http::Request> request, ResponseCallback done) {
    if (!request.ok()) return std::move(done)(request.status());
    StampRequest(ctx, OperationName(op), &*request);
    http_->Send(*std::move(request), [call = MakeVendorCall(vendor_.name(), op, ctx, sent_key),
                                      done = std::move(done)](http::Response response) mutable {
      if (absl::Status error = CheckVendorResponse(call, response); !error.ok()) {
        return std::move(done)(error);
      }
      std::move(done)(std::move(response));
    });
  }

  const RestVendor& vendor_;
  const RestApi& api_;
  http::HttpClient* const http_;
  const VendorConfig config_;
};

}  // namespace

std::unique_ptr<VendorAdapter> RestVendor::NewAdapter(http::HttpClient* http,
                                                      VendorConfig config) const {
  return std::make_unique<RestAdapter>(*this, http, std::move(config));
}

http::Request NewRestRequest(const VendorAuth& auth, const std::string& key,
                             absl::string_view method, std::string url) {
  http::Request request;
  request.method = std::string(method);
  request.url = std::move(url);
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("User-Agent", std::string(kUserAgent));
  AddAuthHeader(auth, key, &request);
  return request;
}

}  // namespace jobfacade
