// WatchJob's engine: one upstream follower per job and credential identity, shared by every
// watcher of that job, polling with backoff (or following the vendor's event stream) and
// sending each watcher the job at once and then each change.
#ifndef JOBFACADE_SERVICE_WATCH_HUB_H_
#define JOBFACADE_SERVICE_WATCH_HUB_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/scheduler.h"
#include "adapters/core/vendor_adapter.h"
#include "jobfacade/v1/job_service.pb.h"
#include "service/job_cache.h"

namespace jobfacade {

struct WatchOptions {
  absl::Duration poll_min = absl::Seconds(1);   // JOBFACADE_WATCH_POLL_MIN
  absl::Duration poll_max = absl::Seconds(30);  // JOBFACADE_WATCH_POLL_MAX
  int max_watches = 10000;                      // JOBFACADE_WATCH_MAX
  // How long one upstream read may take.
  absl::Duration read_timeout = absl::Seconds(30);
  // Vendor event streams open at once on this replica; jobs beyond it are polled.
  int max_event_streams = 256;
  // Consecutive event streams of one job that end without the job ending before its watchers
  // fall back to polling for good.
  int max_stream_reopens = 3;
};

// One watcher, as the hub sees it: the gRPC stream (service/job_service.cc) or a test's.
// The hub calls it in order and never concurrently for one watcher: OnJob for the job at once
// and for each change, then OnEnd exactly once (OK after a terminal state). OnEnd can come
// without any OnJob (a missing job, shutdown). Neither may block or call back into the hub.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void OnJob(const std::shared_ptr<const v1::Job>& job) = 0;
  virtual void OnEnd(const absl::Status& status) = 0;
};

// What a watch follows; JobOperations::ResolveWatch makes it.
struct WatchTarget {
  VendorAdapter* adapter = nullptr;
  std::string name;  // vendors/{vendor}/jobs/{id}
  std::string id;
  std::string identity;                   // CredentialIdentity of the caller's key
  std::optional<std::string> caller_key;  // used for the upstream reads
  bool event_stream = false;              // the vendor's WatchMode is kEventStream
};

class WatchHub {
 public:
  using WatchId = uint64_t;

  // `reader` (reads through the terminal-job cache, shared with GetJob) and `scheduler` must
  // outlive the hub and everything it started: destroy it after the scheduler stopped.
  WatchHub(JobReader* reader, Scheduler* scheduler, WatchOptions options);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts watching. Fails (nothing started, `sink` never called) with RESOURCE_EXHAUSTED /
  // TOO_MANY_WATCHES at the bound, or UNAVAILABLE / SHUTTING_DOWN once Shutdown ran. The sink
  // may be called before this returns. At `end_at` (on the scheduler's clock) the watch ends
  // UNAVAILABLE / SHUTTING_DOWN: its connection is about to reach its maximum age.
  absl::StatusOr<WatchId> Add(const WatchTarget& target, std::shared_ptr<WatchSink> sink,
                              absl::Time end_at = absl::InfiniteFuture());
  // The watcher left (cancelled, deadline, gone): it is not called again. The job's upstream
  // stops with its last watcher. Unknown or ended ids are ignored.
  void Remove(WatchId id);
  // Ends every watch with `status` (UNAVAILABLE / SHUTTING_DOWN) and refuses new ones.
  void Shutdown(const absl::Status& status);

  struct Stats {
    int64_t open = 0;       // watches open now
    int64_t upstreams = 0;  // jobs followed now
    int64_t streams = 0;    // vendor event streams open now
    int64_t reads = 0;      // upstream reads started
    int64_t ended = 0;      // watches ended or left
  };
  Stats stats() const;

 private:
  struct Upstream;
  struct Watcher;
  using Key = std::pair<std::string, std::string>;  // job name, credential identity

  void StartRead(const std::shared_ptr<Upstream>& up) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnRead(const std::shared_ptr<Upstream>& up, absl::StatusOr<v1::Job> result);
  void OpenStream(const std::shared_ptr<Upstream>& up) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnStreamEvent(const std::shared_ptr<Upstream>& up, absl::string_view type);
  void OnStreamEnd(const std::shared_ptr<Upstream>& up, const absl::Status& status);
  // Takes watch `id` out of the hub (its expiry timer too), stopping its upstream when it was
  // the last watcher; the watcher, or null for an unknown id.
  std::shared_ptr<Watcher> Detach(WatchId id);
  // Ends watch `id` at its connection's maximum age.
  void Expire(WatchId id);
  void ScheduleRead(const std::shared_ptr<Upstream>& up, absl::Duration delay)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes the upstream out of the map and stops its timer, read and stream; returns its
  // watchers for the caller to end outside the lock.
  std::map<WatchId, std::shared_ptr<Watcher>> StopLocked(const std::shared_ptr<Upstream>& up)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  JobReader* const reader_;
  Scheduler* const scheduler_;
  const WatchOptions options_;

  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status shutdown_status_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::shared_ptr<Upstream>> upstreams_ ABSL_GUARDED_BY(mu_);
  std::map<WatchId, std::shared_ptr<Upstream>> by_watch_ ABSL_GUARDED_BY(mu_);
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t streams_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reads_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t ended_ ABSL_GUARDED_BY(mu_) = 0;
};

// Whether a failed upstream read keeps a watch alive (UNAVAILABLE, RESOURCE_EXHAUSTED and a
// read that ran out of time) rather than ending it as GetJob would.
bool IsTransientWatchError(const absl::Status& status);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_WATCH_HUB_H_
