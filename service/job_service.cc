// gRPC handlers: a reactor per call whose cancellation reaches the vendor request in flight.
#include "service/job_service.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"
#include "adapters/registry.h"
#include "service/grpc_status.h"
#include "service/log.h"

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

// One WatchJob stream: the hub's sink on one side, gRPC's one-write-at-a-time stream on the
// other. Jobs queue while a write is out; the final status goes after the last of them.
class WatchCall final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchCall(WatchHub* hub, Metrics* metrics, const Clock& clock, std::string peer,
            CallCounter* calls)
      : hub_(hub),
        metrics_(metrics),
        clock_(clock),
        start_(clock.Now()),
        peer_(std::move(peer)),
        calls_(calls),
        sink_(std::make_shared<Sink>(this)) {
    calls_->Add(1);
  }

  void set_name(std::string name) { name_ = std::move(name); }

  // Finishes at once with `status`.
  WatchCall* Refuse(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    end_ = status;
    FinishLocked();
    return this;
  }

  void Start(const WatchTarget& target, absl::Time end_at) {
    absl::StatusOr<WatchHub::WatchId> id = hub_->Add(target, sink_, end_at);
    if (!id.ok()) {
      absl::MutexLock lock(&mu_);
      if (!end_.has_value()) end_ = id.status();
      if (!writing_) FinishLocked();
      return;
    }
    bool left = false;
    {
      absl::MutexLock lock(&mu_);
      id_ = *id;
      left = cancelled_;
    }
    if (left) hub_->Remove(*id);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {  // the stream is broken: the caller went away
      queue_.clear();
      if (!end_.has_value()) end_ = absl::CancelledError("the caller went away");
    }
    if (!queue_.empty()) return WriteNextLocked();
    if (end_.has_value()) FinishLocked();
  }

  void OnCancel() override {
    WatchHub::WatchId id = 0;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      id = id_;
      if (!end_.has_value()) {
        end_ = MakeError(absl::StatusCode::kCancelled, reason::kCancelled,
                         "the caller cancelled the watch or its deadline passed");
      }
      queue_.clear();
      if (!writing_) FinishLocked();
    }
    if (id != 0) hub_->Remove(id);
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&sink_->mu);
      sink_->call = nullptr;
    }
    WatchHub::WatchId id = 0;
    {
      absl::MutexLock lock(&mu_);
      id = id_;
    }
    if (id != 0 && hub_ != nullptr) hub_->Remove(id);
    CallCounter* calls = calls_;
    delete this;
    calls->Add(-1);
  }

 private:
  // What the hub holds: it outlives the call and stops forwarding once the call is done.
  struct Sink final : WatchSink {
    explicit Sink(WatchCall* call) : call(call) {}
    void OnJob(const std::shared_ptr<const v1::Job>& job) override {
      absl::MutexLock lock(&mu);
      if (call != nullptr) call->Push(job);
    }
    void OnEnd(const absl::Status& status) override {
      absl::MutexLock lock(&mu);
      if (call != nullptr) call->End(status);
    }
    absl::Mutex mu;
    WatchCall* call ABSL_GUARDED_BY(mu);
  };

  void Push(const std::shared_ptr<const v1::Job>& job) {
    absl::MutexLock lock(&mu_);
    if (finished_ || end_.has_value()) return;
    queue_.push_back(job);
    if (!writing_) WriteNextLocked();
  }

  void End(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (end_.has_value()) return;
    end_ = status;
    if (!writing_ && queue_.empty()) FinishLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::shared_ptr<const v1::Job> job = std::move(queue_.front());
    queue_.pop_front();
    buffer_.Clear();
    bool own_buffer = false;
    if (!grpc::SerializationTraits<v1::Job>::Serialize(*job, &buffer_, &own_buffer).ok()) {
      queue_.clear();
      end_ = MakeError(absl::StatusCode::kInternal, reason::kInternal,
                       "the job could not be serialised");
      return FinishLocked();
    }
    writing_ = true;
    StartWrite(&buffer_);
  }

  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    const absl::Status status = end_.value_or(absl::OkStatus());
    const absl::Duration latency = clock_.Now() - start_;
    if (metrics_ != nullptr) metrics_->RecordRpc("WatchJob", status.code(), latency);
    const std::string reason = ErrorReason(status);
    Log("INFO", absl::StrCat("rpc method=WatchJob name=", name_.empty() ? "-" : name_,
                             " code=", absl::StatusCodeToString(status.code()),
                             reason.empty() ? "" : absl::StrCat(" reason=", reason),
                             " latency_ms=", absl::ToInt64Milliseconds(latency), " peer=", peer_));
    Finish(ToGrpcStatus(status));
  }

  WatchHub* const hub_;
  Metrics* const metrics_;
  const Clock& clock_;
  const absl::Time start_;
  const std::string peer_;
  CallCounter* const calls_;
  std::string name_;
  const std::shared_ptr<Sink> sink_;
  absl::Mutex mu_;
  WatchHub::WatchId id_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  std::deque<std::shared_ptr<const v1::Job>> queue_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer buffer_ ABSL_GUARDED_BY(mu_);
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
    : operations_(operations),
      options_(std::move(options)),
      connections_(options_.max_connection_age, options_.max_connection_age_grace) {}

void ConnectionAges::Seen(const std::string& peer, absl::Time now) {
  if (max_age_ == absl::InfiniteDuration()) return;
  // Most calls come on a connection this thread has just noted: skip the shared map then.
  // (By id, not address: a new instance may take the address of one that is gone.)
  thread_local std::string last_peer;
  thread_local uint64_t last_owner = 0;
  if (last_owner == id_ && last_peer == peer) return;
  {
    absl::MutexLock lock(&mu_);
    FirstSeenLocked(peer, now);
  }
  last_peer = peer;
  last_owner = id_;
}

absl::Time ConnectionAges::WatchEnd(const std::string& peer, absl::Time now) {
  if (max_age_ == absl::InfiniteDuration()) return absl::InfiniteFuture();
  absl::Time first_seen;
  {
    absl::MutexLock lock(&mu_);
    first_seen = FirstSeenLocked(peer, now);
  }
  const absl::Time end = first_seen + max_age_ * 9 / 10;
  return end > now ? end : now + std::max(grace_ / 2, absl::Seconds(1));
}

absl::Time ConnectionAges::FirstSeenLocked(const std::string& peer, absl::Time now) {
  auto [it, added] = first_seen_.try_emplace(peer, now);
  if (added && first_seen_.size() >= prune_at_) {
    // No connection outlives its jittered maximum age plus the grace.
    const absl::Time oldest = now - (max_age_ * 11 / 10 + grace_ + absl::Minutes(1));
    absl::erase_if(first_seen_, [oldest](const auto& entry) { return entry.second < oldest; });
    prune_at_ = std::max<size_t>(1024, 2 * first_seen_.size());
    return first_seen_.at(peer);
  }
  return it->second;
}

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
  connections_.Seen(context->peer(), clock().Now());
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
  auto* call =
      new WatchCall(options_.watches, options_.metrics, clock(), context->peer(), &watch_calls_);
  absl::StatusOr<RpcContext> prepared = Prepare(context);
  if (!prepared.ok()) return call->Refuse(prepared.status());
  v1::WatchJobRequest parsed;
  if (absl::Status status = ParseRequest(*request, &parsed); !status.ok()) {
    return call->Refuse(status);
  }
  call->set_name(parsed.name());
  absl::StatusOr<WatchTarget> target = operations_->ResolveWatch(*prepared, parsed.name());
  if (!target.ok()) return call->Refuse(target.status());
  if (options_.watches == nullptr) {
    return call->Refuse(
        MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown, "the server is stopping"));
  }
  call->Start(*target, connections_.WatchEnd(context->peer(), clock().Now()));
  return call;
}

}  // namespace jobfacade
