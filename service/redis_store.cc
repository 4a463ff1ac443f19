// RedisIdempotencyStore: a queue of commands and the one thread that runs them.
#include "service/redis_store.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <deque>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "adapters/core/errors.h"

namespace jobfacade {
namespace {

// Replaces the record when its owner is still ARGV[1]: KEYS[1], ARGV[2] the new record, ARGV[3]
// its TTL in milliseconds. 1 when replaced.
constexpr char kReplaceScript[] = R"lua(
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or (record['owner'] or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
)lua";

// Deletes the record when its owner is still ARGV[1]. 1 when deleted.
constexpr char kReleaseScript[] = R"lua(
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, record = pcall(cjson.decode, current)
if not ok or (record['owner'] or '') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
)lua";

absl::Status Unavailable(absl::string_view why) {
  return MakeError(absl::StatusCode::kUnavailable, reason::kIdempotencyStoreUnavailable,
                   absl::StrCat("the idempotency store (redis) cannot be reached: ", why,
                                "; nothing was submitted"));
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  explicit RedisIdempotencyStore(RedisStoreOptions options)
      : options_(std::move(options)), thread_([this] { Run(); }) {}

  ~RedisIdempotencyStore() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    // What never ran is answered, so no call waits for ever.
    for (Queued& queued : queue_) queued.task(nullptr, "the server is stopping");
  }

  void Claim(const std::string& key, const SubmissionRecord& record, absl::Duration ttl,
             Callback<ClaimResult> done) override {
    Enqueue([this, key, value = SerializeRecord(record), record, ttl, done = std::move(done)](
                redisContext* c, absl::string_view why) mutable {
      if (c == nullptr) return std::move(done)(Unavailable(why));
      // SET NX, or the record there now; once more if it expired in between.
      for (int attempt = 0; attempt < 2; ++attempt) {
        Reply set = Command(c, {"SET", key, value, "NX", "PX", Millis(ttl)});
        if (set == nullptr) return std::move(done)(Unavailable(down_why_));
        if (set->type == REDIS_REPLY_STATUS) return std::move(done)(ClaimResult{true, record});
        absl::StatusOr<std::optional<SubmissionRecord>> held = Read(c, key);
        if (!held.ok()) return std::move(done)(held.status());
        if (held->has_value()) return std::move(done)(ClaimResult{false, **held});
      }
      std::move(done)(Unavailable("the record changed twice while it was claimed"));
    });
  }

  void Replace(const std::string& key, const std::string& expected_owner,
               const SubmissionRecord& record, absl::Duration ttl, Callback<bool> done) override {
    Enqueue([this, key, expected_owner, value = SerializeRecord(record), ttl,
             done = std::move(done)](redisContext* c, absl::string_view why) mutable {
      if (c == nullptr) return std::move(done)(Unavailable(why));
      std::move(done)(Script(c, kReplaceScript, key, {expected_owner, value, Millis(ttl)}));
    });
  }

  void Get(const std::string& key, Callback<std::optional<SubmissionRecord>> done) override {
    Enqueue([this, key, done = std::move(done)](redisContext* c, absl::string_view why) mutable {
      if (c == nullptr) return std::move(done)(Unavailable(why));
      std::move(done)(Read(c, key));
    });
  }

  void Release(const std::string& key, const std::string& expected_owner,
               Callback<bool> done) override {
    Enqueue([this, key, expected_owner, done = std::move(done)](redisContext* c,
                                                                absl::string_view why) mutable {
      if (c == nullptr) return std::move(done)(Unavailable(why));
      std::move(done)(Script(c, kReleaseScript, key, {expected_owner}));
    });
  }

 private:
  // Runs on the store's thread with the connection, or with nullptr when there is none.
  // `why` says why there is none.
  using Task = absl::AnyInvocable<void(redisContext* c, absl::string_view why)>;

  static std::string Millis(absl::Duration d) {
    return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
  }

  void Enqueue(Task task) {
    {
      absl::MutexLock lock(&mu_);
      if (!stopping_ && queue_.size() < options_.max_queued) {
        queue_.push_back(Queued{std::move(task), absl::Now()});
        return;
      }
    }
    task(nullptr, "too many commands waiting");
  }

  void Run() {
    while (true) {
      Queued next;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || !queue_.empty();
        };
        mu_.Await(absl::Condition(&ready));
        if (stopping_) return;
        next = std::move(queue_.front());
        queue_.pop_front();
      }
      if (absl::Now() - next.queued > options_.max_queue_wait) {
        next.task(nullptr, "it is too slow to answer");
        continue;
      }
      redisContext* c = Connection();
      next.task(c, down_why_);
    }
  }

  // The connection, connecting (AUTH, SELECT) when there is none; nullptr while Redis is
  // down (for retry_after after a failure, so that calls are answered at once).
  redisContext* Connection() {
    if (context_ != nullptr) return context_.get();
    const absl::Time now = absl::Now();
    if (now < retry_at_) return nullptr;
    const timeval timeout = absl::ToTimeval(options_.timeout);
    Context c(redisConnectWithTimeout(options_.host.c_str(), options_.port, timeout));
    if (c == nullptr || c->err != 0) {
      return Down(c == nullptr ? "out of memory" : c->errstr);
    }
    redisSetTimeout(c.get(), timeout);
    context_ = std::move(c);
    if (!options_.password.empty()) {
      Reply auth = Command(context_.get(), {"AUTH", options_.password});
      if (auth == nullptr || auth->type == REDIS_REPLY_ERROR) return Down("AUTH was refused");
    }
    if (options_.db != 0) {
      Reply select = Command(context_.get(), {"SELECT", absl::StrCat(options_.db)});
      if (select == nullptr || select->type == REDIS_REPLY_ERROR) return Down("SELECT failed");
    }
    return context_.get();
  }

  redisContext* Down(absl::string_view why) {
    down_why_ = std::string(why);  // before the reset: `why` may be the context's errstr
    context_.reset();
    retry_at_ = absl::Now() + options_.retry_after;
    return nullptr;
  }

  // One command; nullptr (and the connection dropped) when it failed on the wire. An error
  // reply is a reply.
  Reply Command(redisContext* c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    Reply reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (reply == nullptr) {
      Down(c->errstr[0] != '\0' ? c->errstr : "the connection failed");
    }
    return reply;
  }

  absl::StatusOr<std::optional<SubmissionRecord>> Read(redisContext* c, const std::string& key) {
    Reply get = Command(c, {"GET", key});
    if (get == nullptr) return Unavailable(down_why_);
    if (get->type == REDIS_REPLY_NIL) return std::optional<SubmissionRecord>();
    if (get->type != REDIS_REPLY_STRING) return Unavailable("GET answered an error");
    std::optional<SubmissionRecord> record = ParseRecord(absl::string_view(get->str, get->len));
    if (!record.has_value()) {
      return MakeError(absl::StatusCode::kInternal, reason::kInternal,
                       "the idempotency record of this request_id is unreadable");
    }
    return record;
  }

  absl::StatusOr<bool> Script(redisContext* c, const char* script, const std::string& key,
                              std::vector<std::string> args) {
    std::vector<std::string> command = {"EVAL", script, "1", key};
    for (std::string& arg : args) command.push_back(std::move(arg));
    Reply reply = Command(c, command);
    if (reply == nullptr) return Unavailable(down_why_);
    if (reply->type != REDIS_REPLY_INTEGER) return Unavailable("a script answered an error");
    return reply->integer == 1;
  }

  const RedisStoreOptions options_;
  absl::Mutex mu_;
  struct Queued {
    Task task;
    absl::Time queued;
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The thread's own (and the destructor's, after the join).
  Context context_;
  absl::Time retry_at_ = absl::InfinitePast();
  std::string down_why_;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace

std::unique_ptr<IdempotencyStore> NewRedisIdempotencyStore(RedisStoreOptions options) {
  return std::make_unique<RedisIdempotencyStore>(std::move(options));
}

}  // namespace jobfacade
