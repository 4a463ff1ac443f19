// jobfacade.v1.JobService on gRPC's callback API: handlers parse, route and return at once.
#ifndef JOBFACADE_SERVICE_JOB_SERVICE_H_
#define JOBFACADE_SERVICE_JOB_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jobfacade/v1/job_service.grpc.pb.h"
#include "service/config.h"
#include "service/job_operations.h"
#include "service/metrics.h"

namespace jobfacade {

// Unary calls started and not yet done, so that shutdown can wait for them alone.
class CallCounter {
 public:
  void Add(int delta) {
    absl::MutexLock lock(&mu_);
    count_ += delta;
  }
  int count() const {
    absl::MutexLock lock(&mu_);
    return count_;
  }
  // True when the count is zero by `deadline`.
  bool WaitForZero(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto zero = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ == 0; };
    return mu_.AwaitWithDeadline(absl::Condition(&zero), deadline);
  }

 private:
  mutable absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

struct JobServiceOptions {
  // Empty: no caller authentication. Reloadable: the tokens file's new content reaches the next
  // call.
  Reloadable<std::vector<CallerToken>> auth_tokens;
  bool allow_caller_keys = false;
  Metrics* metrics = nullptr;  // may be null
  // The deadline of a call that carries none, so nothing waits on a vendor forever.
  absl::Duration default_deadline = absl::Seconds(30);
  // Deadlines and latencies are measured on it; null means Clock::Real().
  const Clock* clock = nullptr;
  // Where WatchJob's watches live; null: WatchJob answers UNAVAILABLE / SHUTTING_DOWN.
  WatchHub* watches = nullptr;
  // The server's JOBFACADE_MAX_CONNECTION_AGE and _GRACE: a watch ends UNAVAILABLE /
  // SHUTTING_DOWN before its connection is closed under it (ConnectionAges).
  absl::Duration max_connection_age = absl::InfiniteDuration();
  absl::Duration max_connection_age_grace = absl::Seconds(30);
};

// When each caller connection was first seen (by gRPC peer address), so that a watch can end
// before its connection reaches its maximum age. A connection's first call is seen within
// moments of its start; an entry older than any connection can live is dropped.
class ConnectionAges {
 public:
  ConnectionAges(absl::Duration max_age, absl::Duration grace)
      : max_age_(max_age), grace_(grace), id_(NextId()) {}
  // When a watch opened `now` on `peer`'s connection must end: 90% of the maximum age after
  // the connection was first seen (gRPC sends GOAWAY from 90% on), or, on a connection
  // already past that point, half the grace (at least 1 s) from now. InfiniteFuture when
  // connections have no maximum age.
  absl::Time WatchEnd(const std::string& peer, absl::Time now);
  // Notes a call on `peer`'s connection.
  void Seen(const std::string& peer, absl::Time now);

 private:
  absl::Time FirstSeenLocked(const std::string& peer, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }
  const absl::Duration max_age_;
  const absl::Duration grace_;
  const uint64_t id_;  // tells instances apart in Seen's per-thread memory
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::Time> first_seen_ ABSL_GUARDED_BY(mu_);
  size_t prune_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

// What one call's log line says besides its outcome (API.md, "Logs and metrics").
struct CallRecord {
  absl::string_view method;
  bool audit = false;              // CancelJob, DeleteJob, CreateJob
  absl::string_view target_field;  // "name" or "parent"
  std::string target;              // the request's name or parent, once parsed
  std::string request_id;
  std::string peer;
  std::string caller;  // the token's id, when tokens are configured and one matched
  std::shared_ptr<http::RequestTrace> trace;
};

// Writes the call's `rpc` line at info. `vendor_attempts` is left out for watches.
void LogCall(const CallRecord& record, const absl::Status& status, absl::Duration latency,
             bool with_vendor_attempts);

// True for a peer gRPC names on the loopback interface (ipv4:127.x, ipv6:[::1], a v4-mapped
// 127.x, unix:).
bool IsLoopbackPeer(absl::string_view peer);
// A W3C traceparent header that is well-formed (version 00..fe, non-zero ids), else false.
bool IsValidTraceparent(absl::string_view value);

// Every method on gRPC's raw callback API: the handlers get the request's bytes and parse them
// themselves, so that a request that cannot be parsed (a malformed message, invalid UTF-8 in a
// string field) is the contract's INVALID_ARGUMENT / INVALID_REQUEST. gRPC's typed handlers
// answer those with an empty UNIMPLEMENTED, which a client reads as a missing method.
using RawJobService = v1::JobService::WithRawCallbackMethod_GetJob<
    v1::JobService::WithRawCallbackMethod_ListJobs<v1::JobService::WithRawCallbackMethod_CancelJob<
        v1::JobService::WithRawCallbackMethod_DeleteJob<
            v1::JobService::WithRawCallbackMethod_WatchJob<
                v1::JobService::WithRawCallbackMethod_CreateJob<
                    v1::JobService::WithRawCallbackMethod_GetJobResult<
                        v1::JobService::Service>>>>>>>;

class JobServiceImpl final : public RawJobService {
 public:
  JobServiceImpl(JobOperations* operations, JobServiceOptions options);

  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJob(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* CreateJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetJobResult(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;

  // Waits until no unary call is in flight, or `deadline`; true when none is.
  bool WaitForUnaryCalls(absl::Time deadline) { return unary_calls_.WaitForZero(deadline); }
  int UnaryCallsInFlight() const { return unary_calls_.count(); }
  // Waits until every WatchJob stream is done (its final status sent), or `deadline`; true when
  // none is left. Shutdown ends the watches first, then waits here before it cancels what is
  // left, so that their callers read SHUTTING_DOWN rather than gRPC's own cancellation.
  bool WaitForWatches(absl::Time deadline) { return watch_calls_.WaitForZero(deadline); }

 private:
  const Clock& clock() const { return options_.clock != nullptr ? *options_.clock : Clock::Real(); }
  // Fills `record` with the call's request id (echoed in the initial metadata), peer and
  // caller; checks the caller's token and whether it may `write`; builds the RPC context
  // (deadline, caller keys, request id, traceparent).
  absl::StatusOr<RpcContext> Prepare(grpc::CallbackServerContext* context, bool write,
                                     CallRecord* record) const;

  JobOperations* operations_;
  JobServiceOptions options_;
  CallCounter unary_calls_;
  CallCounter watch_calls_;
  mutable ConnectionAges connections_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_JOB_SERVICE_H_
