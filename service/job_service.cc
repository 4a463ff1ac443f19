// gRPC handlers: a reactor per call whose cancellation reaches the vendor request in flight.
#include "service/job_service.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"
#include "adapters/registry.h"
#include "service/grpc_status.h"

namespace jobfacade {
namespace {

// A unary reactor that forwards the caller's cancellation to the vendor requests of the call.
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(std::shared_ptr<Cancellation> cancellation, Metrics* metrics, absl::string_view method,
            CallCounter* calls, const Clock& clock)
      : cancellation_(std::move(cancellation)),
        metrics_(metrics),
        method_(method),
        clock_(clock),
        start_(clock.Now()),
        calls_(calls) {
    calls_->Add(1);
  }

  void OnCancel() override { cancellation_->Cancel(); }
  void OnDone() override {
    calls_->Add(-1);
    delete this;
  }

  void FinishWith(const absl::Status& status) {
    if (metrics_ != nullptr) metrics_->RecordRpc(method_, status.code(), clock_.Now() - start_);
    Finish(ToGrpcStatus(status));
  }

 private:
  std::shared_ptr<Cancellation> cancellation_;
  Metrics* metrics_;
  absl::string_view method_;
  const Clock& clock_;
  absl::Time start_;
  CallCounter* calls_;
};

std::string MetadataValue(const grpc::CallbackServerContext* context, absl::string_view key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Parses a request's bytes into `message`; INVALID_ARGUMENT / INVALID_REQUEST when they are
// not a valid `Message` (protobuf also refuses invalid UTF-8 in a proto3 string field).
template <typename Message>
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, Message* message) {
  grpc::ByteBuffer copy(bytes);  // Deserialize consumes its buffer; the copy shares the slices
  grpc::Status status = grpc::SerializationTraits<Message>::Deserialize(&copy, message);
  if (status.ok()) return absl::OkStatus();
  ErrorDetails details;
  details.field = "request";
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest,
                   absl::StrCat("the request is not a valid ", Message::descriptor()->full_name(),
                                " (malformed protobuf, or a string field that is not UTF-8)"),
                   details);
}

// Starts a unary call: parses the request and prepares the context, or finishes at once with
// the error; the response is serialised into `response_bytes` before the call finishes.
template <typename Request, typename Response, typename Start>
grpc::ServerUnaryReactor* RunUnary(absl::string_view method, Metrics* metrics, CallCounter* calls,
                                   const Clock& clock, const absl::StatusOr<RpcContext>& prepared,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes, Start start) {
  auto cancellation = prepared.ok() ? prepared->cancellation : std::make_shared<Cancellation>();
  auto* call = new UnaryCall(cancellation, metrics, method, calls, clock);
  if (!prepared.ok()) {
    call->FinishWith(prepared.status());
    return call;
  }
  auto request = std::make_shared<Request>();
  if (absl::Status parsed = ParseRequest(*request_bytes, request.get()); !parsed.ok()) {
    call->FinishWith(parsed);
    return call;
  }
  start(*prepared, *request, [call, request, response_bytes](absl::StatusOr<Response> result) {
    absl::Status status = result.status();
    if (result.ok()) {
      bool own_buffer = false;
      grpc::Status serialized =
          grpc::SerializationTraits<Response>::Serialize(*result, response_bytes, &own_buffer);
      if (!serialized.ok()) {
        status = MakeError(absl::StatusCode::kInternal, reason::kInternal,
                           "the response could not be serialised");
      }
    }
    call->FinishWith(status);
  });
  return call;
}

}  // namespace

JobServiceImpl::JobServiceImpl(JobOperations* operations, JobServiceOptions options)
    : operations_(operations), options_(std::move(options)) {}

absl::StatusOr<RpcContext> JobServiceImpl::Prepare(grpc::CallbackServerContext* context) const {
  if (!options_.auth_tokens.empty()) {
    const std::string header = MetadataValue(context, "authorization");
    absl::string_view token = header;
    bool ok = false;
    if (absl::ConsumePrefix(&token, "Bearer ") || absl::ConsumePrefix(&token, "bearer ")) {
      for (const std::string& allowed : options_.auth_tokens) {
        // Every token is compared, so timing does not reveal which one came close.
        ok |= ConstantTimeEquals(token, allowed);
      }
    }
    if (!ok) {
      return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated,
                       "missing or invalid bearer token in the authorization metadata");
    }
  }
  RpcContext ctx;
  const auto deadline = context->deadline();
  ctx.deadline = VendorDeadline(deadline == std::chrono::system_clock::time_point::max()
                                    ? absl::InfiniteFuture()
                                    : absl::FromChrono(deadline),
                                clock().Now(), options_.default_deadline);
  if (options_.allow_caller_keys) {
    for (const Vendor* vendor : Vendors()) {
      std::string key = MetadataValue(context, absl::StrCat("x-", vendor->name(), "-api-key"));
      if (!key.empty()) ctx.caller_keys.emplace(vendor->name(), std::move(key));
    }
  }
  return ctx;
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return RunUnary<v1::GetJobRequest, v1::Job>(
      "GetJob", options_.metrics, &unary_calls_, clock(), Prepare(context), request, response,
      [this](const RpcContext& ctx, const v1::GetJobRequest& r, auto done) {
        operations_->GetJob(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return RunUnary<v1::ListJobsRequest, v1::ListJobsResponse>(
      "ListJobs", options_.metrics, &unary_calls_, clock(), Prepare(context), request, response,
      [this](const RpcContext& ctx, const v1::ListJobsRequest& r, auto done) {
        operations_->ListJobs(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RunUnary<v1::CancelJobRequest, v1::Job>(
      "CancelJob", options_.metrics, &unary_calls_, clock(), Prepare(context), request, response,
      [this](const RpcContext& ctx, const v1::CancelJobRequest& r, auto done) {
        operations_->CancelJob(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::DeleteJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RunUnary<v1::DeleteJobRequest, google::protobuf::Empty>(
      "DeleteJob", options_.metrics, &unary_calls_, clock(), Prepare(context), request, response,
      [this](const RpcContext& ctx, const v1::DeleteJobRequest& r, auto done) {
        operations_->DeleteJob(ctx, r, [done = std::move(done)](absl::Status s) mutable {
          if (s.ok()) return done(google::protobuf::Empty());
          done(std::move(s));
        });
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  // A request that cannot be parsed is INVALID_REQUEST like on every method; otherwise
  // UNIMPLEMENTED until the watch feature lands.
  class Refused final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
   public:
    explicit Refused(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
    void OnDone() override { delete this; }
  };
  v1::WatchJobRequest parsed;
  absl::Status status = ParseRequest(*request, &parsed);
  if (status.ok()) {
    status = MakeError(absl::StatusCode::kUnimplemented, reason::kNotImplemented,
                       "WatchJob is not implemented by this server version");
  }
  return new Refused(status);
}

}  // namespace jobfacade
