// HttpEngine: libcurl's multi interface on one loop thread, fed through a
// mutex-guarded mailbox. The loop waits in epoll and hands curl only the sockets that are ready
// (curl_multi_socket_action), so a wake-up costs the same with ten transfers open or ten
// thousand.
#include "adapters/http/http_engine.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace jobfacade::http {
namespace {

// The loop sleeps this long at most when nothing is due; a Send, a cancel and
// curl's own timers end the wait sooner, so the value only bounds idle
// wake-ups.
constexpr int kIdlePollMs = 60 * 1000;
// Socket events taken from epoll per wake-up.
constexpr int kMaxEvents = 256;
// Easy handles kept for reuse after their transfer ended: a reset handle keeps
// its buffers, so a request does not allocate them again.
constexpr size_t kMaxIdleHandles = 64;
// Each transfer's receive buffer (curl's default is 16 KB). Job documents are a few KB, and a
// buffer lives as long as its transfer: with 10,000 requests in flight the default alone holds
// 160 MB. A larger body only takes more reads.
constexpr long kReceiveBufferBytes = 4096;
constexpr size_t kMaxErrorMessageChars = 256;
// Header-value fragments at least this long are scrubbed from error messages.
constexpr size_t kMinRedactedTokenChars = 6;

constexpr char kUserAgent[] = "jobfacade-http/0.1";
// A timeout this long before the transfer's own timeout is taken as a low-speed abort.
constexpr absl::Duration kLowSpeedMargin = absl::Milliseconds(200);

// curl's millisecond timeouts: 0 means none, so an infinite duration maps to 0
// and anything finite to at least 1 ms.
long ToCurlMillis(absl::Duration duration) {
  if (duration == absl::InfiniteDuration()) return 0;
  const int64_t millis = absl::ToInt64Milliseconds(absl::Ceil(duration, absl::Milliseconds(1)));
  return static_cast<long>(std::clamp<int64_t>(millis, 1, std::numeric_limits<long>::max()));
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsSupportedMethod(absl::string_view method) {
  return method == "GET" || method == "POST" || method == "PUT" || method == "DELETE";
}

// A line break or NUL in a header would let a value smuggle extra header lines.
bool IsSafeHeaderText(absl::string_view text) {
  return text.find_first_of(absl::string_view("\r\n\0", 3)) == absl::string_view::npos;
}

bool HasHeader(const Request& request, absl::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(), [&](const auto& header) {
    return absl::EqualsIgnoreCase(header.first, name);
  });
}

TransportError MapCurlCode(CURLcode code, bool body_too_large) {
  switch (code) {
    case CURLE_OK:
      return TransportError::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportError::kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return TransportError::kTls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2_STREAM:
      return TransportError::kConnectionLost;
    case CURLE_FILESIZE_EXCEEDED:
      return TransportError::kResponseTooLarge;
    case CURLE_WRITE_ERROR:
      return body_too_large ? TransportError::kResponseTooLarge : TransportError::kOther;
    default:
      return TransportError::kOther;
  }
}

// curl's messages name hosts and ports, not headers; scrubbing header values
// anyway keeps a future curl message (or a proxy's reply quoted in one) from
// leaking an API key into logs.
std::string SafeErrorMessage(CURLcode code, const char* error_buffer, const Request& request) {
  std::string message = curl_easy_strerror(code);
  if (error_buffer[0] != '\0') absl::StrAppend(&message, ": ", error_buffer);
  for (const auto& [name, value] : request.headers) {
    std::vector<absl::string_view> secrets = absl::StrSplit(value, ' ');
    secrets.push_back(value);
    for (absl::string_view secret : secrets) {
      if (secret.size() >= kMinRedactedTokenChars) {
        absl::StrReplaceAll({{secret, "[redacted]"}}, &message);
      }
    }
  }
  if (message.size() > kMaxErrorMessageChars) message.resize(kMaxErrorMessageChars);
  return message;
}

// One request from Send to completion. Owned by the mailbox, then by the loop's
// active map.
struct Transfer {
  Transfer(uint64_t id, Request request, ResponseCallback done)
      : id(id), request(std::move(request)), done(std::move(done)) {}
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);  // the engine takes it back before, when it can
    if (header_list != nullptr) curl_slist_free_all(header_list);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  const uint64_t id;
  Request request;  // owns the body curl sends from (POSTFIELDS does not copy)
  ResponseCallback done;
  Response response;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool body_too_large = false;
  bool sink_refused = false;  // the request's BodySink asked to stop
  // False from a status line until the blank line ending its header block.
  bool headers_complete = false;
  Cancellation::CallbackId cancel_id = 0;
  // When the transfer started and when curl's own timeout ends it (for telling a low-speed
  // abort from the deadline: curl reports both as CURLE_OPERATION_TIMEDOUT).
  absl::Time timeout_at = absl::InfiniteFuture();
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->request.body_sink != nullptr) {
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (transfer->request.body_sink->OnData(absl::string_view(data, bytes))) return bytes;
      transfer->sink_refused = true;
      return 0;
    }
  }
  std::string& body = transfer->response.body;
  if (bytes > transfer->request.max_response_bytes - body.size()) {
    transfer->body_too_large = true;
    return 0;  // anything but `bytes` aborts the transfer with
               // CURLE_WRITE_ERROR
  }
  body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  auto& headers = transfer->response.headers;
  absl::string_view line(data, bytes);
  // curl reports every response (1xx, proxy CONNECT replies, the final one);
  // only the last one's headers describe the body.
  if (absl::StartsWith(line, "HTTP/")) {
    headers.clear();
    transfer->headers_complete = false;
    return bytes;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (line.empty()) {
    transfer->headers_complete = true;
    return bytes;
  }
  if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    if (!headers.empty()) {
      absl::StrAppend(&headers.back().second, " ", absl::StripAsciiWhitespace(line));
    }
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  headers.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
                       std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return bytes;
}

// What other threads hand to the loop. Cancellation callbacks hold it by
// shared_ptr because Cancellation::Cancel may run one after the request
// completed or the engine was destroyed; they then find the id unknown or the
// mailbox closed.
struct Mailbox {
  explicit Mailbox(int wake_fd) : wake_fd(wake_fd) {}

  void PostCancel(uint64_t id) {
    bool wake = false;
    {
      absl::MutexLock lock(&mu);
      if (closed) return;
      cancelled.push_back(id);
      wake = MarkWakeLocked();
    }
    if (wake) Wake();
  }

  // True when the loop must be woken: it may be asleep in epoll_wait and nobody
  // woke it since it last emptied the mailbox. Posts from the loop thread itself
  // never need it, the loop empties the mailbox before it waits again.
  bool MarkWakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (wake_pending || std::this_thread::get_id() == loop_thread) return false;
    wake_pending = true;
    return true;
  }

  void Wake() const {
    const uint64_t one = 1;
    // Only fails when the counter is saturated, and then the loop is woken anyway.
    [[maybe_unused]] const ssize_t written = write(wake_fd, &one, sizeof(one));
  }

  absl::Mutex mu;
  // An eventfd the loop waits on. Only written while !closed, or by Shutdown:
  // the engine closes it after the loop has ended.
  const int wake_fd;
  std::thread::id loop_thread ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  bool wake_pending ABSL_GUARDED_BY(mu) = false;
  // Timer tasks (HttpEngine as a Scheduler), due on absl::Now().
  scheduler_internal::TaskSet timers ABSL_GUARDED_BY(mu);
  bool timers_stopped ABSL_GUARDED_BY(mu) = false;
  bool timer_running ABSL_GUARDED_BY(mu) = false;
  std::vector<std::unique_ptr<Transfer>> submitted ABSL_GUARDED_BY(mu);
  std::vector<uint64_t> cancelled ABSL_GUARDED_BY(mu);
};

Response ErrorResponse(TransportError error, std::string message) {
  Response response;
  response.error = error;
  response.error_message = std::move(message);
  return response;
}

}  // namespace

class HttpEngine::Impl {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : Clock::Real()) {
    InitCurlOnce();
    multi_ = curl_multi_init();
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    mailbox_ = std::make_shared<Mailbox>(wake_fd);
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.fd = wake_fd;
    if (multi_ == nullptr || epoll_fd_ < 0 || wake_fd < 0 ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd, &wake_event) != 0) {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->closed = true;  // every Send fails at once
      return;
    }
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_cached_connections);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, static_cast<void*>(this));
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, static_cast<void*>(this));
    loop_ = std::thread([this] { Run(); });
  }

  ~Impl() {
    Shutdown();
    for (CURL* easy : idle_easy_) curl_easy_cleanup(easy);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    if (mailbox_->wake_fd >= 0) close(mailbox_->wake_fd);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  // Separate from ~Impl so `done` callbacks run while the engine is still
  // whole: they may call Send, which then completes with kCancelled on the loop
  // thread.
  void Shutdown() {
    {
      absl::MutexLock lock(&mailbox_->mu);
      if (!mailbox_->closed) {
        mailbox_->closed = true;
        mailbox_->Wake();
      }
    }
    if (loop_.joinable()) loop_.join();
    StopTimers();  // tasks still pending never run
  }

  void Send(Request request, ResponseCallback done) {
    if (!IsSupportedMethod(request.method)) {
      std::move(done)(ErrorResponse(TransportError::kOther, "unsupported HTTP method"));
      return;
    }
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value)) {
        std::move(done)(
            ErrorResponse(TransportError::kOther, "invalid request header name or value"));
        return;
      }
    }
    if (request.cancellation != nullptr && request.cancellation->IsCancelled()) {
      std::move(done)(ErrorResponse(TransportError::kCancelled, "cancelled before start"));
      return;
    }
    if (request.deadline <= clock_.Now()) {
      std::move(done)(
          ErrorResponse(TransportError::kTimeout, "deadline passed before the request"));
      return;
    }
    auto transfer =
        std::make_unique<Transfer>(next_id_.fetch_add(1), std::move(request), std::move(done));
    in_flight_.fetch_add(1);
    bool wake = false;
    {
      absl::MutexLock lock(&mailbox_->mu);
      if (!mailbox_->closed) {
        mailbox_->submitted.push_back(std::move(transfer));
        wake = mailbox_->MarkWakeLocked();
        transfer = nullptr;
      }
    }
    if (transfer == nullptr) {
      if (wake) mailbox_->Wake();
      return;
    }
    // Shutting down: most likely a `done` callback chaining a request during
    // ~HttpEngine.
    Complete(std::move(transfer),
             ErrorResponse(TransportError::kCancelled, "HTTP engine shut down"));
  }

  size_t in_flight() const { return in_flight_.load(); }

  Scheduler::TaskId RunAt(absl::Time when, Scheduler::Task task) {
    Scheduler::TaskId id = 0;
    bool wake = false;
    {
      absl::MutexLock lock(&mailbox_->mu);
      if (!mailbox_->timers_stopped) {
        // The loop may be asleep until a later time: wake it when this task comes first.
        const bool first = when < mailbox_->timers.next_due();
        id = mailbox_->timers.Add(when, std::move(task));
        wake = first && mailbox_->MarkWakeLocked();
        task = nullptr;
      }
    }
    if (wake) mailbox_->Wake();
    // A stopped engine drops the task, unlocked (its captures may schedule or cancel), and
    // still hands out an id no Cancel will find.
    if (id == 0) {
      task = nullptr;
      id = stopped_timer_ids_.fetch_add(1);
    }
    return id;
  }

  bool Cancel(Scheduler::TaskId id) {
    Scheduler::Task removed;  // released after the lock
    absl::MutexLock lock(&mailbox_->mu);
    removed = mailbox_->timers.Remove(id);
    return removed != nullptr;
  }

  void StopTimers() {
    std::map<std::pair<absl::Time, Scheduler::TaskId>, Scheduler::Task> dropped;
    absl::MutexLock lock(&mailbox_->mu);
    mailbox_->timers_stopped = true;
    dropped = mailbox_->timers.TakeAll();
    if (std::this_thread::get_id() != mailbox_->loop_thread) {
      mailbox_->mu.Await(absl::Condition(
          +[](bool* running) { return !*running; }, &mailbox_->timer_running));
    }
    // `dropped` is released after the lock (declared before it).
  }

 private:
  // Runs the timer tasks that are due, one at a time, without the lock.
  void RunDueTimers() {
    while (true) {
      absl::Time due;
      Scheduler::Task task;
      {
        absl::MutexLock lock(&mailbox_->mu);
        if (!mailbox_->timers.PopDue(absl::Now(), &due, &task)) return;
        mailbox_->timer_running = true;
      }
      std::move(task)();
      task = nullptr;
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->timer_running = false;
    }
  }

  // curl asks for a socket to be watched (or no longer): epoll follows.
  static int OnSocket(CURL*, curl_socket_t socket, int what, void* user, void* registered) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      // The socket may already be closed, which removed it from epoll too.
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
      curl_multi_assign(self->multi_, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.data.fd = socket;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) event.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) event.events |= EPOLLOUT;
    const int op = registered != nullptr ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(self->epoll_fd_, op, socket, &event) != 0) {
      // A closed socket's number came back for a new one: epoll forgot the old.
      const int retry = errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
      if (epoll_ctl(self->epoll_fd_, retry, socket, &event) != 0) return -1;
    }
    curl_multi_assign(self->multi_, socket, self);  // any non-null mark: registered
    return 0;
  }

  // curl's single timer: -1 stops it, 0 means at once.
  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (timeout_ms < 0) {
      self->timer_set_ = false;
    } else {
      self->timer_set_ = true;
      self->timer_due_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  // How long epoll may wait: until curl's timer or the first timer task, at most kIdlePollMs.
  // Rounded up: waking before anything is due would only spin.
  int WaitMillis(absl::Time next_task) const {
    int64_t millis = kIdlePollMs;
    if (timer_set_) {
      const auto left = timer_due_ - std::chrono::steady_clock::now();
      millis = std::min<int64_t>(
          millis, std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    }
    if (next_task != absl::InfiniteFuture()) {
      const absl::Duration left = next_task - absl::Now();
      millis = std::min<int64_t>(
          millis,
          std::max<int64_t>(0, absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)))));
    }
    return static_cast<int>(millis);
  }

  void RunTimerIfDue() {
    if (!timer_set_ || std::chrono::steady_clock::now() < timer_due_) return;
    timer_set_ = false;  // curl sets it again when it needs it
    int running = 0;
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  }

  void Run() {
    {
      absl::MutexLock lock(&mailbox_->mu);
      mailbox_->loop_thread = std::this_thread::get_id();
    }
    bool closed = false;
    epoll_event events[kMaxEvents];
    while (!closed) {
      std::vector<std::unique_ptr<Transfer>> submitted;
      std::vector<uint64_t> cancelled;
      {
        absl::MutexLock lock(&mailbox_->mu);
        submitted.swap(mailbox_->submitted);
        cancelled.swap(mailbox_->cancelled);
        closed = mailbox_->closed;
        mailbox_->wake_pending = false;
      }
      for (auto& transfer : submitted) {
        if (closed) {
          Complete(std::move(transfer),
                   ErrorResponse(TransportError::kCancelled, "HTTP engine shut down"));
        } else {
          Start(std::move(transfer));
        }
      }
      if (closed) break;
      for (uint64_t id : cancelled) {
        auto it = active_.find(id);
        if (it == active_.end()) continue;  // already completed: its `done` has run
        std::unique_ptr<Transfer> transfer = std::move(it->second);
        active_.erase(it);
        curl_multi_remove_handle(multi_, transfer->easy);
        Complete(std::move(transfer), ErrorResponse(TransportError::kCancelled, "cancelled"));
      }
      // Requests started above get curl's timer set to 0: they go out now, before the wait.
      RunTimerIfDue();
      CollectFinished();
      RunDueTimers();
      absl::Time next_task;
      {
        absl::MutexLock lock(&mailbox_->mu);
        // A `done` or a task above may have posted from this thread, which does not wake the
        // loop.
        if (!mailbox_->submitted.empty() || !mailbox_->cancelled.empty() || mailbox_->closed) {
          continue;
        }
        next_task = mailbox_->timers.next_due();
      }
      const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, WaitMillis(next_task));
      for (int i = 0; i < ready; ++i) {
        const int fd = events[i].data.fd;
        if (fd == mailbox_->wake_fd) {
          uint64_t count = 0;
          [[maybe_unused]] const ssize_t got = read(fd, &count, sizeof(count));
          continue;
        }
        int flags = 0;
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) flags |= CURL_CSELECT_IN;
        if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
        if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
        int running = 0;
        curl_multi_socket_action(multi_, fd, flags, &running);
      }
      RunTimerIfDue();
      CollectFinished();
    }
    // Shutdown: Send now completes new requests on its caller, so only active_
    // is left.
    auto remaining = std::move(active_);
    active_.clear();
    for (auto& [id, transfer] : remaining) {
      curl_multi_remove_handle(multi_, transfer->easy);
      Complete(std::move(transfer),
               ErrorResponse(TransportError::kCancelled, "HTTP engine shut down"));
    }
  }

  // Callbacks run after curl_multi_info_read is drained: its messages die with
  // their handles.
  void CollectFinished() {
    std::vector<std::pair<std::unique_ptr<Transfer>, CURLcode>> finished;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      char* raw = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
      curl_multi_remove_handle(multi_, easy);
      auto it = active_.find(reinterpret_cast<Transfer*>(raw)->id);
      if (it == active_.end()) continue;
      finished.emplace_back(std::move(it->second), code);
      active_.erase(it);
    }
    for (auto& [transfer, code] : finished) Finish(std::move(transfer), code);
  }

  void Start(std::unique_ptr<Transfer> transfer) {
    absl::Duration timeout = transfer->request.default_timeout;
    if (transfer->request.deadline != absl::InfiniteFuture()) {
      timeout = transfer->request.deadline - clock_.Now();
      if (timeout <= absl::ZeroDuration()) {
        Complete(std::move(transfer),
                 ErrorResponse(TransportError::kTimeout, "deadline passed before the request"));
        return;
      }
    }
    transfer->timeout_at = clock_.Now() + timeout;
    if (!Configure(*transfer, ToCurlMillis(timeout))) {
      Complete(std::move(transfer),
               ErrorResponse(TransportError::kOther, "could not set up the transfer"));
      return;
    }
    if (const auto& cancellation = transfer->request.cancellation) {
      transfer->cancel_id =
          cancellation->Add([mailbox = mailbox_, id = transfer->id] { mailbox->PostCancel(id); });
      if (transfer->cancel_id == 0) {
        // Cancelled since Send: Add ran the callback, whose id will match
        // nothing.
        Complete(std::move(transfer), ErrorResponse(TransportError::kCancelled, "cancelled"));
        return;
      }
    }
    const CURLMcode added = curl_multi_add_handle(multi_, transfer->easy);
    if (added != CURLM_OK) {
      Complete(std::move(transfer),
               ErrorResponse(TransportError::kOther, curl_multi_strerror(added)));
      return;
    }
    const uint64_t id = transfer->id;
    active_.emplace(id, std::move(transfer));
  }

  bool Configure(Transfer& transfer, long timeout_ms) {
    CURL* easy = nullptr;
    if (!idle_easy_.empty()) {
      easy = idle_easy_.back();
      idle_easy_.pop_back();
      // curl refuses a new buffer size while the handle still holds its buffer (it does after
      // an HTTP/2 transfer), and the reset put the size back to its default: that handle goes.
      if (curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes) != CURLE_OK) {
        curl_easy_cleanup(easy);
        easy = nullptr;
      }
    }
    if (easy == nullptr) {
      easy = curl_easy_init();
      if (easy == nullptr ||
          curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes) != CURLE_OK) {
        if (easy != nullptr) curl_easy_cleanup(easy);
        return false;
      }
    }
    transfer.easy = easy;
    const Request& request = transfer.request;
    bool ok = true;
    auto set = [&](CURLoption option, auto value) {
      ok = ok && curl_easy_setopt(easy, option, value) == CURLE_OK;
    };
    set(CURLOPT_URL, request.url.c_str());
    set(CURLOPT_PRIVATE, static_cast<void*>(&transfer));
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str());
    set(CURLOPT_CONNECTTIMEOUT_MS, ToCurlMillis(options_.connect_timeout));
    set(CURLOPT_TIMEOUT_MS, timeout_ms);
    const absl::Duration low_speed_time = request.low_speed_time.value_or(options_.low_speed_time);
    if (low_speed_time > absl::ZeroDuration() && low_speed_time != absl::InfiniteDuration()) {
      set(CURLOPT_LOW_SPEED_LIMIT, 1L);
      set(CURLOPT_LOW_SPEED_TIME,
          static_cast<long>(std::max<int64_t>(1, absl::ToInt64Seconds(low_speed_time))));
    }
    set(CURLOPT_ERRORBUFFER, transfer.error_buffer);
    set(CURLOPT_WRITEFUNCTION, &OnBody);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
    set(CURLOPT_HEADERFUNCTION, &OnHeader);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
    // Fails early when Content-Length already says too much; OnBody covers the
    // rest.
    if (request.body_sink == nullptr &&
        request.max_response_bytes <=
            static_cast<uint64_t>(std::numeric_limits<curl_off_t>::max())) {
      set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_response_bytes));
    }
    set(CURLOPT_USERAGENT,
        kUserAgent);  // a User-Agent request header overrides it

    const bool sends_body =
        request.method == "POST" || request.method == "PUT" || !request.body.empty();
    if (request.method == "GET") {
      set(CURLOPT_HTTPGET, 1L);
    } else if (request.method != "POST") {
      set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method == "GET") {
      // Over https a new request waits for the handshake of a connection being set up: when
      // ALPN picks HTTP/2, a burst then shares that connection instead of opening one each.
      // Plain http never multiplexes, and waiting there would queue requests behind a slow one.
      if (absl::StartsWithIgnoreCase(request.url, "https:")) set(CURLOPT_PIPEWAIT, 1L);
    } else {
      // libcurl silently sends a request again when the reused connection it went out on dies
      // before any answer ("Connection died, retrying a fresh connect"), a POST too: a cancel
      // or delete the vendor may already have acted on would go out twice. A request on a
      // fresh connection is never re-sent that way; closing it afterwards keeps these rare
      // one-off connections out of the pool, so it never holds more than the GETs need.
      set(CURLOPT_FRESH_CONNECT, 1L);
      set(CURLOPT_FORBID_REUSE, 1L);
    }
    if (sends_body) {
      // POSTFIELDS with an explicit size also sends "Content-Length: 0" for an
      // empty body.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set(CURLOPT_POSTFIELDS, request.body.data());
    }

    curl_slist* list = nullptr;
    auto append = [&](const std::string& line) {
      curl_slist* grown = curl_slist_append(list, line.c_str());
      if (grown == nullptr) {
        ok = false;
        return;
      }
      list = grown;
    };
    for (const auto& [name, value] : request.headers) {
      // "Name;" is curl's spelling of a header sent with an empty value.
      append(value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value));
    }
    // A 100-continue round trip only adds latency for the small bodies vendors
    // take.
    if (!HasHeader(request, "Expect")) append("Expect:");
    // Without this curl labels every body as a form.
    if (sends_body && !HasHeader(request, "Content-Type")) append("Content-Type:");
    transfer.header_list = list;
    set(CURLOPT_HTTPHEADER, list);
    return ok;
  }

  void Finish(std::unique_ptr<Transfer> transfer, CURLcode code) {
    if (code != CURLE_OK && transfer->sink_refused) {
      Complete(std::move(transfer),
               ErrorResponse(TransportError::kCancelled, "stopped by the body's reader"));
      return;
    }
    if (code != CURLE_OK) {
      TransportError error = MapCurlCode(code, transfer->body_too_large);
      // A timeout well before curl's overall timeout was the low-speed limit.
      if (error == TransportError::kTimeout &&
          clock_.Now() < transfer->timeout_at - kLowSpeedMargin) {
        error = TransportError::kStalled;
      }
      std::string message = error == TransportError::kResponseTooLarge
                                ? absl::StrCat("response body exceeds ",
                                               transfer->request.max_response_bytes, " bytes")
                                : SafeErrorMessage(code, transfer->error_buffer, transfer->request);
      Complete(std::move(transfer), ErrorResponse(error, std::move(message)));
      return;
    }
    long version = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_HTTP_VERSION, &version);
    const bool http1 = version == CURL_HTTP_VERSION_1_0 || version == CURL_HTTP_VERSION_1_1;
    if (http1 && !transfer->headers_complete) {
      // curl 7.88 reports success when the peer closes in the middle of the
      // header block.
      Complete(std::move(transfer),
               ErrorResponse(TransportError::kConnectionLost,
                             "connection closed before the response headers ended"));
      return;
    }
    long status = 0;
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    Response response = std::move(transfer->response);
    response.status = static_cast<int>(status);
    response.received_at = clock_.Now();
    Complete(std::move(transfer), std::move(response));
  }

  // Runs `done` with no engine lock held, so it may call Send or Cancel freely.
  void Complete(std::unique_ptr<Transfer> transfer, Response response) {
    if (transfer->cancel_id != 0) transfer->request.cancellation->Remove(transfer->cancel_id);
    // Handles only exist on the loop thread, out of the multi handle by now.
    if (transfer->easy != nullptr && idle_easy_.size() < kMaxIdleHandles) {
      curl_easy_reset(transfer->easy);
      idle_easy_.push_back(transfer->easy);
      transfer->easy = nullptr;
    }
    ResponseCallback done = std::move(transfer->done);
    transfer.reset();
    in_flight_.fetch_sub(1);
    std::move(done)(std::move(response));
  }

  const Options options_;
  const Clock& clock_;
  CURLM* multi_ = nullptr;
  int epoll_fd_ = -1;
  // curl's timer (OnTimer), loop thread only.
  bool timer_set_ = false;
  std::chrono::steady_clock::time_point timer_due_;
  std::vector<CURL*> idle_easy_;  // loop thread only
  std::shared_ptr<Mailbox> mailbox_;
  std::atomic<uint64_t> next_id_{1};
  // Ids handed out by RunAt once timers stopped, far above any TaskSet id.
  std::atomic<Scheduler::TaskId> stopped_timer_ids_{uint64_t{1} << 62};
  std::atomic<size_t> in_flight_{0};
  // Loop thread only.
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> active_;
  std::thread loop_;
};

absl::string_view TransportErrorName(TransportError error) {
  switch (error) {
    case TransportError::kNone:
      return "NONE";
    case TransportError::kConnectFailed:
      return "CONNECT_FAILED";
    case TransportError::kTimeout:
      return "TIMEOUT";
    case TransportError::kTls:
      return "TLS";
    case TransportError::kConnectionLost:
      return "CONNECTION_LOST";
    case TransportError::kResponseTooLarge:
      return "RESPONSE_TOO_LARGE";
    case TransportError::kCancelled:
      return "CANCELLED";
    case TransportError::kOther:
      return "OTHER";
    case TransportError::kStalled:
      return "STALLED";
    case TransportError::kCircuitOpen:
      return "CIRCUIT_OPEN";
    case TransportError::kOverloaded:
      return "OVERLOADED";
  }
  return "UNKNOWN";
}

std::optional<std::string> Response::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

HttpEngine::HttpEngine() : HttpEngine(Options()) {}
HttpEngine::HttpEngine(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpEngine::~HttpEngine() { impl_->Shutdown(); }

void HttpEngine::Send(Request request, ResponseCallback done) {
  impl_->Send(std::move(request), std::move(done));
}

size_t HttpEngine::in_flight() const { return impl_->in_flight(); }

absl::Time HttpEngine::Now() const { return absl::Now(); }

Scheduler::TaskId HttpEngine::RunAt(absl::Time when, Task task) {
  return impl_->RunAt(when, std::move(task));
}

bool HttpEngine::Cancel(TaskId id) { return impl_->Cancel(id); }

void HttpEngine::StopTimers() { impl_->StopTimers(); }

}  // namespace jobfacade::http
