// gRPC handlers: a reactor per call whose cancellation reaches the vendor request in flight.
#include "service/job_service.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"
#include "adapters/registry.h"
#include "service/grpc_status.h"
#include "service/log.h"
#include "service/submissions.h"

namespace jobfacade {
namespace {

// A unary reactor that forwards the caller's cancellation to the vendor requests of the call.
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  UnaryCall(Metrics* metrics, absl::string_view method, CallCounter* calls, const Clock& clock)
      : metrics_(metrics), clock_(clock), start_(clock.Now()), calls_(calls) {
    record_.method = method;
    calls_->Add(1);
  }

  CallRecord& record() { return record_; }
  void set_cancellation(std::shared_ptr<Cancellation> cancellation) {
    cancellation_ = std::move(cancellation);
  }

  void OnCancel() override {
    if (cancellation_ != nullptr) cancellation_->Cancel();
  }
  void OnDone() override {
    calls_->Add(-1);
    delete this;
  }

  void FinishWith(const absl::Status& status) {
    const absl::Duration latency = clock_.Now() - start_;
    if (metrics_ != nullptr) metrics_->RecordRpc(record_.method, status.code(), latency);
    LogCall(record_, status, latency, /*with_vendor_attempts=*/true);
    Finish(ToGrpcStatus(status));
  }

 private:
  // Set before the call is started; OnCancel can only come after that.
  std::shared_ptr<Cancellation> cancellation_;
  CallRecord record_;
  Metrics* metrics_;
  const Clock& clock_;
  absl::Time start_;
  CallCounter* calls_;
};

// One WatchJob stream: the hub's sink on one side, gRPC's one-write-at-a-time stream on the
// other. Jobs queue while a write is out; the final status goes after the last of them.
class WatchCall final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  WatchCall(WatchHub* hub, Metrics* metrics, const Clock& clock, CallCounter* calls)
      : hub_(hub),
        metrics_(metrics),
        clock_(clock),
        start_(clock.Now()),
        calls_(calls),
        sink_(std::make_shared<Sink>(this)) {
    record_.method = "WatchJob";
    record_.target_field = "name";
    calls_->Add(1);
  }

  // Filled before the watch starts; read when it ends.
  CallRecord& record() { return record_; }

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
    LogCall(record_, status, latency, /*with_vendor_attempts=*/false);
    Finish(ToGrpcStatus(status));
  }

  WatchHub* const hub_;
  Metrics* const metrics_;
  const Clock& clock_;
  const absl::Time start_;
  CallCounter* const calls_;
  CallRecord record_;
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

// A caller's x-request-id is kept when it is 1 to 128 printable ASCII characters without
// spaces; otherwise the call gets one of its own.
bool IsValidRequestId(absl::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// The connection is TLS (gRPC's transport security type is "ssl").
bool IsSecure(const grpc::CallbackServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return false;
  for (const grpc::string_ref& type : auth->FindPropertyValues("transport_security_type")) {
    if (type == "ssl") return true;
  }
  return false;
}

// `vendors/{vendor}/...` -> the vendor; empty when the target names none.
absl::string_view VendorOf(absl::string_view target) {
  if (!absl::ConsumePrefix(&target, "vendors/")) return "";
  return target.substr(0, target.find('/'));
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
// The name or parent a request is about, for its log line.
absl::string_view TargetField(const v1::ListJobsRequest&) { return "parent"; }
absl::string_view TargetField(const v1::CreateJobRequest&) { return "parent"; }
template <typename Request>
absl::string_view TargetField(const Request&) {
  return "name";
}
const std::string& Target(const v1::ListJobsRequest& request) { return request.parent(); }
const std::string& Target(const v1::CreateJobRequest& request) { return request.parent(); }
template <typename Request>
const std::string& Target(const Request& request) {
  return request.name();
}

// What a unary method is: its name, whether it changes jobs (write tokens only, audit lines).
struct UnaryMethod {
  absl::string_view name;
  bool writes = false;
};

template <typename Request, typename Response, typename Prepare, typename Start>
grpc::ServerUnaryReactor* RunUnary(UnaryMethod method, Metrics* metrics, CallCounter* calls,
                                   const Clock& clock, Prepare prepare,
                                   const grpc::ByteBuffer* request_bytes,
                                   grpc::ByteBuffer* response_bytes, Start start) {
  auto* call = new UnaryCall(metrics, method.name, calls, clock);
  CallRecord& record = call->record();
  record.audit = method.writes;
  // Parsed first, so that even a refused call's line says what it was about.
  auto request = std::make_shared<Request>();
  const absl::Status parsed = ParseRequest(*request_bytes, request.get());
  record.target_field = TargetField(*request);
  if (parsed.ok()) record.target = Target(*request);
  absl::StatusOr<RpcContext> prepared = prepare(method.writes, &record);
  if (!prepared.ok()) {
    call->FinishWith(prepared.status());
    return call;
  }
  if (!parsed.ok()) {
    call->FinishWith(parsed);
    return call;
  }
  call->set_cancellation(prepared->cancellation);
  record.trace = prepared->trace;
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

bool IsLoopbackPeer(absl::string_view peer) {
  return absl::StartsWith(peer, "ipv4:127.") || absl::StartsWith(peer, "ipv6:[::1]:") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") || absl::StartsWith(peer, "unix:");
}

bool IsValidTraceparent(absl::string_view value) {
  // version "-" trace-id "-" parent-id "-" flags: 2, 32, 16 and 2 lower-case hex digits.
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  auto hex = [](absl::string_view part) {
    return std::all_of(part.begin(), part.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
  };
  auto zero = [](absl::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return c == '0'; });
  };
  const absl::string_view version = value.substr(0, 2), trace = value.substr(3, 32),
                          parent = value.substr(36, 16), flags = value.substr(53, 2);
  return hex(version) && hex(trace) && hex(parent) && hex(flags) && version != "ff" &&
         !zero(trace) && !zero(parent);
}

void LogCall(const CallRecord& record, const absl::Status& status, absl::Duration latency,
             bool with_vendor_attempts) {
  if (!LogEnabled(LogLevel::kInfo)) return;
  LogLine line(LogLevel::kInfo, "rpc");
  line.Str("method", record.method);
  if (!record.target_field.empty()) line.Str(record.target_field, record.target);
  line.Str("code", absl::StatusCodeToString(status.code()));
  if (const std::string reason = ErrorReason(status); !reason.empty()) line.Str("reason", reason);
  line.Num("latency_ms", absl::ToDoubleMilliseconds(latency));
  if (const absl::string_view vendor = VendorOf(record.target); !vendor.empty()) {
    line.Str("vendor", vendor);
  }
  if (with_vendor_attempts) {
    line.Int("vendor_attempts",
             record.trace != nullptr ? record.trace->attempts.load(std::memory_order_relaxed) : 0);
  }
  line.Str("request_id", record.request_id);
  line.Str("peer", record.peer);
  if (!record.caller.empty()) line.Str("caller", record.caller);
  if (record.audit) line.Bool("audit", true);
}

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

absl::StatusOr<RpcContext> JobServiceImpl::Prepare(grpc::CallbackServerContext* context, bool write,
                                                   CallRecord* record) const {
  RpcContext ctx;
  ctx.request_id = MetadataValue(context, "x-request-id");
  if (!IsValidRequestId(ctx.request_id)) ctx.request_id = NewUuid();
  context->AddInitialMetadata("x-request-id", ctx.request_id);
  record->request_id = ctx.request_id;
  record->peer = context->peer();
  if (std::string traceparent = MetadataValue(context, "traceparent");
      IsValidTraceparent(traceparent)) {
    ctx.traceparent = std::move(traceparent);
  }
  if (const std::shared_ptr<const std::vector<CallerToken>> tokens = options_.auth_tokens.Get();
      !tokens->empty()) {
    const std::string header = MetadataValue(context, "authorization");
    absl::string_view token = header;
    const CallerToken* matched = nullptr;
    if (absl::ConsumePrefix(&token, "Bearer ") || absl::ConsumePrefix(&token, "bearer ")) {
      for (const CallerToken& allowed : *tokens) {
        // Every token is compared, so timing does not reveal which one came close.
        if (ConstantTimeEquals(token, allowed.token)) matched = &allowed;
      }
    }
    if (matched == nullptr) {
      return MakeError(absl::StatusCode::kUnauthenticated, reason::kUnauthenticated,
                       "missing or invalid bearer token in the authorization metadata");
    }
    record->caller = matched->id;
    if (write && !matched->may_write) {
      return MakeError(absl::StatusCode::kPermissionDenied, reason::kCallerNotAllowed,
                       absl::StrCat("this caller's token is read-only; ", record->method,
                                    " needs a write token"));
    }
  }
  connections_.Seen(context->peer(), clock().Now());
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
    // A vendor key in the clear on the network is a key given away.
    if (!ctx.caller_keys.empty() && !IsLoopbackPeer(context->peer()) && !IsSecure(*context)) {
      return MakeError(absl::StatusCode::kUnauthenticated, reason::kCallerKeyNeedsTls,
                       "a caller-supplied vendor key needs a TLS connection (or a loopback one); "
                       "the key was not used");
    }
  }
  return ctx;
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJob(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  return RunUnary<v1::GetJobRequest, v1::Job>(
      UnaryMethod{"GetJob", false}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::GetJobRequest& r, auto done) {
        operations_->GetJob(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::ListJobs(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return RunUnary<v1::ListJobsRequest, v1::ListJobsResponse>(
      UnaryMethod{"ListJobs", false}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::ListJobsRequest& r, auto done) {
        operations_->ListJobs(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::CancelJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RunUnary<v1::CancelJobRequest, v1::Job>(
      UnaryMethod{"CancelJob", true}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::CancelJobRequest& r, auto done) {
        operations_->CancelJob(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::DeleteJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RunUnary<v1::DeleteJobRequest, google::protobuf::Empty>(
      UnaryMethod{"DeleteJob", true}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::DeleteJobRequest& r, auto done) {
        operations_->DeleteJob(ctx, r, [done = std::move(done)](absl::Status s) mutable {
          if (s.ok()) return done(google::protobuf::Empty());
          done(std::move(s));
        });
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::CreateJob(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) {
  return RunUnary<v1::CreateJobRequest, v1::Job>(
      UnaryMethod{"CreateJob", true}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::CreateJobRequest& r, auto done) {
        operations_->CreateJob(ctx, r, std::move(done));
      });
}

grpc::ServerUnaryReactor* JobServiceImpl::GetJobResult(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return RunUnary<v1::GetJobResultRequest, v1::JobResult>(
      UnaryMethod{"GetJobResult", false}, options_.metrics, &unary_calls_, clock(),
      [this, context](bool write, CallRecord* record) { return Prepare(context, write, record); },
      request, response,
      [this](const RpcContext& ctx, const v1::GetJobResultRequest& r, auto done) {
        operations_->GetJobResult(ctx, r, std::move(done));
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* JobServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  auto* call = new WatchCall(options_.watches, options_.metrics, clock(), &watch_calls_);
  v1::WatchJobRequest parsed;
  const absl::Status parse_status = ParseRequest(*request, &parsed);
  if (parse_status.ok()) call->record().target = parsed.name();
  absl::StatusOr<RpcContext> prepared = Prepare(context, /*write=*/false, &call->record());
  if (!prepared.ok()) return call->Refuse(prepared.status());
  if (!parse_status.ok()) return call->Refuse(parse_status);
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
