// The upstream followers of WatchJob. Every vendor call starts from a scheduler task, never
// under the hub's lock, and every answer comes back through OnRead / OnStreamEvent /
// OnStreamEnd, which take the lock, decide, and call the watchers after letting it go.
#include "service/watch_hub.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "service/job_operations.h"

namespace jobfacade {

struct WatchHub::Watcher {
  explicit Watcher(std::shared_ptr<WatchSink> sink) : sink(std::move(sink)) {}
  const std::shared_ptr<WatchSink> sink;
  // Orders the calls of one sink: the newest job version wins, OnEnd comes last.
  absl::Mutex mu;
  uint64_t delivered ABSL_GUARDED_BY(mu) = 0;
  bool ended ABSL_GUARDED_BY(mu) = false;
  Scheduler::TaskId expiry = 0;  // under the hub's lock
};

struct WatchHub::Upstream {
  Key key;
  WatchTarget target;
  std::map<WatchId, std::shared_ptr<Watcher>> watchers;
  std::shared_ptr<const v1::Job> job;  // the last job read
  uint64_t version = 0;                // bumped with each change sent
  absl::Duration interval;             // the next poll's delay while nothing changes
  Scheduler::TaskId timer = 0;         // the pending read
  Scheduler::TaskId stream_timer = 0;  // the pending stream opening
  bool reading = false;
  bool read_again = false;  // an event came while a read was out
  // The next read was asked for by the stream (an event, or its end), not by the poll timer:
  // finding nothing new then says nothing about how fast the job moves.
  bool event_read = false;
  bool stream_open = false;
  bool stream_off = false;  // refused or broken: polled from now on
  int stream_ends = 0;      // streams that ended while the job went on
  bool stopped = false;
  // Fired when the upstream stops: aborts its read or stream in flight.
  std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();
};

namespace {

bool Changed(const v1::Job& before, const v1::Job& after) {
  return before.state() != after.state() || before.state_message() != after.state_message() ||
         before.queue_position() != after.queue_position();
}

}  // namespace

bool IsTransientWatchError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

WatchHub::WatchHub(JobReader* reader, Scheduler* scheduler, WatchOptions options)
    : reader_(reader), scheduler_(scheduler), options_(options) {}

WatchHub::~WatchHub() {
  Shutdown(
      MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown, "the server is stopping"));
}

absl::StatusOr<WatchHub::WatchId> WatchHub::Add(const WatchTarget& target,
                                                std::shared_ptr<WatchSink> sink,
                                                absl::Time end_at) {
  auto watcher = std::make_shared<Watcher>(std::move(sink));
  std::shared_ptr<const v1::Job> job;
  uint64_t version = 0;
  WatchId id = 0;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return shutdown_status_;
    if (static_cast<int64_t>(by_watch_.size()) >= options_.max_watches) {
      return MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyWatches,
                       absl::StrCat("this replica already has ", options_.max_watches,
                                    " open watches (JOBFACADE_WATCH_MAX); retry on another"));
    }
    Key key{target.name, target.identity};
    std::shared_ptr<Upstream>& up = upstreams_[key];
    if (up == nullptr) {
      up = std::make_shared<Upstream>();
      up->key = std::move(key);
      up->target = target;
      up->interval = options_.poll_min;
      ScheduleRead(up, absl::ZeroDuration());
    }
    id = next_id_++;
    if (end_at != absl::InfiniteFuture()) {
      watcher->expiry = scheduler_->RunAt(end_at, [this, id] { Expire(id); });
    }
    up->watchers.emplace(id, watcher);
    by_watch_.emplace(id, up);
    job = up->job;
    version = up->version;
  }
  if (job != nullptr) {
    absl::MutexLock lock(&watcher->mu);
    if (!watcher->ended && version > watcher->delivered) {
      watcher->delivered = version;
      watcher->sink->OnJob(job);
    }
  }
  return id;
}

std::shared_ptr<WatchHub::Watcher> WatchHub::Detach(WatchId id) {
  std::shared_ptr<Watcher> watcher;
  std::shared_ptr<Upstream> stopped;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_watch_.find(id);
    if (it == by_watch_.end()) return nullptr;
    std::shared_ptr<Upstream> up = std::move(it->second);
    by_watch_.erase(it);
    ++ended_;
    if (auto w = up->watchers.find(id); w != up->watchers.end()) {
      watcher = std::move(w->second);
      up->watchers.erase(w);
      if (watcher->expiry != 0) scheduler_->Cancel(watcher->expiry);
      watcher->expiry = 0;
    }
    if (up->watchers.empty()) {
      StopLocked(up);
      stopped = std::move(up);
    }
  }
  if (stopped != nullptr) stopped->cancellation->Cancel();
  return watcher;
}

void WatchHub::Remove(WatchId id) { Detach(id); }

void WatchHub::Shutdown(const absl::Status& status) {
  std::vector<std::shared_ptr<Upstream>> stopped;
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      shut_down_ = true;
      shutdown_status_ = status;
    }
    while (!upstreams_.empty()) {
      std::shared_ptr<Upstream> up = upstreams_.begin()->second;
      for (auto& [id, watcher] : StopLocked(up)) watchers.push_back(std::move(watcher));
      stopped.push_back(std::move(up));
    }
  }
  for (const auto& up : stopped) up->cancellation->Cancel();
  for (const auto& watcher : watchers) {
    absl::MutexLock lock(&watcher->mu);
    if (watcher->ended) continue;
    watcher->ended = true;
    watcher->sink->OnEnd(status);
  }
}

WatchHub::Stats WatchHub::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats;
  stats.open = static_cast<int64_t>(by_watch_.size());
  stats.upstreams = static_cast<int64_t>(upstreams_.size());
  stats.streams = streams_;
  stats.reads = reads_;
  stats.ended = ended_;
  return stats;
}

std::map<WatchHub::WatchId, std::shared_ptr<WatchHub::Watcher>> WatchHub::StopLocked(
    const std::shared_ptr<Upstream>& up) {
  up->stopped = true;
  if (auto it = upstreams_.find(up->key); it != upstreams_.end() && it->second == up) {
    upstreams_.erase(it);
  }
  if (up->timer != 0) {
    scheduler_->Cancel(up->timer);
    up->timer = 0;
  }
  if (up->stream_timer != 0) {
    if (scheduler_->Cancel(up->stream_timer)) {  // the stream was never opened
      up->stream_open = false;
      --streams_;
    }
    up->stream_timer = 0;
  }
  for (const auto& [id, watcher] : up->watchers) {
    if (by_watch_.erase(id) > 0) ++ended_;
    if (watcher->expiry != 0) scheduler_->Cancel(watcher->expiry);
  }
  return std::move(up->watchers);
}

void WatchHub::Expire(WatchId id) {
  std::shared_ptr<Watcher> watcher = Detach(id);
  if (watcher == nullptr) return;
  absl::MutexLock lock(&watcher->mu);
  if (watcher->ended) return;
  watcher->ended = true;
  watcher->sink->OnEnd(MakeError(absl::StatusCode::kUnavailable, reason::kShuttingDown,
                                 "the connection reached its maximum age; re-open the watch"));
}

void WatchHub::ScheduleRead(const std::shared_ptr<Upstream>& up, absl::Duration delay) {
  if (up->timer != 0) scheduler_->Cancel(up->timer);
  up->timer = scheduler_->RunAt(scheduler_->Now() + delay, [this, up] {
    CallContext ctx;
    {
      absl::MutexLock lock(&mu_);
      up->timer = 0;
      if (up->stopped) return;
      if (up->reading) {
        up->read_again = true;
        return;
      }
      up->reading = true;
      ++reads_;
      ctx.deadline = scheduler_->Now() + options_.read_timeout;
      ctx.cancellation = up->cancellation;
      ctx.caller_key = up->target.caller_key;
    }
    reader_->Read(up->target.adapter, ctx, up->target.id, v1::JOB_VIEW_BASIC,
                  [this, up](absl::StatusOr<v1::Job> result) { OnRead(up, std::move(result)); });
  });
}

void WatchHub::OpenStream(const std::shared_ptr<Upstream>& up) {
  if (up->timer != 0) {
    scheduler_->Cancel(up->timer);
    up->timer = 0;
  }
  up->stream_open = true;
  ++streams_;
  up->stream_timer = scheduler_->RunAt(scheduler_->Now(), [this, up] {
    CallContext ctx;
    {
      absl::MutexLock lock(&mu_);
      up->stream_timer = 0;
      if (up->stopped) {
        up->stream_open = false;
        --streams_;
        return;
      }
      ctx.cancellation = up->cancellation;
      ctx.caller_key = up->target.caller_key;
    }
    up->target.adapter->FollowEvents(
        ctx, up->target.id, [this, up](absl::string_view type) { OnStreamEvent(up, type); },
        [this, up](absl::Status status) { OnStreamEnd(up, status); });
  });
}

void WatchHub::OnRead(const std::shared_ptr<Upstream>& up, absl::StatusOr<v1::Job> result) {
  std::map<WatchId, std::shared_ptr<Watcher>> watchers;  // to be sent the change
  std::shared_ptr<const v1::Job> job;
  uint64_t version = 0;
  std::optional<absl::Status> end;
  bool stop = false;
  {
    absl::MutexLock lock(&mu_);
    up->reading = false;
    if (up->stopped) return;
    const bool read_again = std::exchange(up->read_again, false);
    if (result.ok()) {
      if (up->job == nullptr || Changed(*up->job, *result)) {
        up->job = std::make_shared<const v1::Job>(*std::move(result));
        ++up->version;
        up->interval = options_.poll_min;
        watchers = up->watchers;
      } else if (!up->event_read) {
        up->interval = std::min(up->interval * 2, options_.poll_max);
      }
      up->event_read = false;
      job = up->job;
      version = up->version;
      if (IsTerminal(job->state())) {
        end = absl::OkStatus();
      } else if (up->stream_open) {
        // The stream says when to read again.
        if (read_again) ScheduleRead(up, absl::ZeroDuration());
      } else if (up->target.event_stream && !up->stream_off &&
                 streams_ < options_.max_event_streams) {
        OpenStream(up);
      } else {
        ScheduleRead(up, read_again ? absl::ZeroDuration() : up->interval);
      }
    } else if (IsTransientWatchError(result.status())) {
      const absl::Duration floor = GetRetryDelay(result.status()).value_or(absl::ZeroDuration());
      ScheduleRead(up, std::max(up->interval, floor));
      up->interval = std::min(up->interval * 2, options_.poll_max);
    } else {
      end = result.status();
    }
    if (end.has_value()) {
      watchers = StopLocked(up);
      stop = true;
    }
  }
  if (stop) up->cancellation->Cancel();
  for (const auto& [id, watcher] : watchers) {
    absl::MutexLock lock(&watcher->mu);
    if (watcher->ended) continue;
    if (job != nullptr && version > watcher->delivered) {
      watcher->delivered = version;
      watcher->sink->OnJob(job);
    }
    if (end.has_value()) {
      watcher->ended = true;
      watcher->sink->OnEnd(*end);
    }
  }
}

void WatchHub::OnStreamEvent(const std::shared_ptr<Upstream>& up, absl::string_view type) {
  // Heartbeats say the stream is alive; progress moves nothing a Job carries.
  if (type == "heartbeat" || type == "progress") return;
  absl::MutexLock lock(&mu_);
  if (up->stopped || !up->stream_open) return;
  up->event_read = true;
  if (up->reading) {
    up->read_again = true;
  } else {
    ScheduleRead(up, absl::ZeroDuration());
  }
}

void WatchHub::OnStreamEnd(const std::shared_ptr<Upstream>& up, const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (up->stream_open) {
    up->stream_open = false;
    --streams_;
  }
  if (up->stopped) return;
  // A stream refused or broken is not tried again for this job; one the vendor closed while
  // the job went on is re-opened a few times. Either way the job is read now: the stream may
  // have closed because it ended.
  if (!status.ok() || ++up->stream_ends > options_.max_stream_reopens) up->stream_off = true;
  up->event_read = true;
  if (up->reading) {
    up->read_again = true;
  } else {
    ScheduleRead(up, absl::ZeroDuration());
  }
}

}  // namespace jobfacade
