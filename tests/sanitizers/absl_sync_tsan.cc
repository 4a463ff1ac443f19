// ThreadSanitizer annotations for Debian's uninstrumented Abseil synchronization library: without
// them TSan cannot see absl::Mutex, CondVar or Notification and reports every access they guard
// as a race. Linked into every executable of a JOBFACADE_SANITIZE=thread build, nowhere else.
//
// Each function below replaces the library's definition (the executable exports its own, so
// gRPC and Abseil reach it too), tells TSan what the real function does to the mutex, and calls
// the real one found with dlsym(RTLD_NEXT). While the real function runs TSan ignores the
// thread's memory accesses and synchronisation, exactly as Abseil's own annotations do in a TSan
// build of the library: Abseil evaluates absl::Condition callbacks of waiting threads on
// whichever thread holds the mutex.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

#define JF_STRINGIFY_INNER(x) #x
#define JF_STRINGIFY(x) JF_STRINGIFY_INNER(x)

// The library's definition of absl::<inline namespace>::`tail` (mangled; `is_const` for const
// member functions).
void* Real(bool is_const, const char* tail) {
  std::string name = is_const ? "_ZNK4absl" : "_ZN4absl";
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  const std::string ns = JF_STRINGIFY(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  name += std::to_string(ns.size()) + ns;
#endif
  name += tail;
  void* real = dlsym(RTLD_NEXT, name.c_str());
  if (real == nullptr) {
    std::fprintf(stderr, "absl_sync_tsan: the Abseil library has no %s\n", name.c_str());
    std::abort();
  }
  return real;
}

// A static pointer to the real function, looked up once.
#define JF_REAL(type, is_const, tail) \
  static const auto real = reinterpret_cast<type>(Real(is_const, tail))

constexpr unsigned kRead = __tsan_mutex_read_lock;

// How many replaced functions the thread is inside: the library calls some of them itself
// (AwaitWithTimeout calls AwaitWithDeadline, a Notification waits with LockWhen), and only the
// outermost call is annotated.
thread_local int depth = 0;

class Outermost {
 public:
  Outermost() : outermost_(depth++ == 0) {}
  ~Outermost() { --depth; }
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// A lock of `mu` by `lock`. A timed lock that gives up still holds the mutex on return
// (Abseil's contract), so it is a lock either way.
template <typename Lock>
auto Locking(void* mu, unsigned flags, Lock lock) {
  Outermost outermost;
  if (!outermost) return lock();
  __tsan_mutex_pre_lock(mu, flags);
  auto result = lock();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

template <typename TryLock>
bool TryLocking(void* mu, unsigned flags, TryLock try_lock) {
  Outermost outermost;
  if (!outermost) return try_lock();
  __tsan_mutex_pre_lock(mu, flags | __tsan_mutex_try_lock);
  const bool locked = try_lock();
  __tsan_mutex_post_lock(
      mu, flags | (locked ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

template <typename Unlock>
void Unlocking(void* mu, unsigned flags, Unlock unlock) {
  Outermost outermost;
  if (!outermost) return unlock();
  __tsan_mutex_pre_unlock(mu, flags);
  unlock();
  __tsan_mutex_post_unlock(mu, flags);
}

// An unlock of `mu` and a lock again, around `wait` (CondVar waits, Mutex::Await). Await may
// not release the mutex at all; it is annotated as if it always did, which changes nothing for
// other threads.
template <typename Wait>
auto Reacquiring(void* mu, unsigned flags, Wait wait) {
  Outermost outermost;
  if (!outermost) return wait();
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  auto result = wait();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

using MutexFn = void (*)(Mutex*);
using TryFn = bool (*)(Mutex*);
using WhenFn = void (*)(Mutex*, const Condition&);
using WhenTimeoutFn = bool (*)(Mutex*, const Condition&, Duration);
using WhenDeadlineFn = bool (*)(Mutex*, const Condition&, Time);

void Mutex::Lock() {
  JF_REAL(MutexFn, false, "5Mutex4LockEv");
  Locking(this, 0, [&] { return (real(this), 0); });
}

void Mutex::ReaderLock() {
  JF_REAL(MutexFn, false, "5Mutex10ReaderLockEv");
  Locking(this, kRead, [&] { return (real(this), 0); });
}

void Mutex::Unlock() {
  JF_REAL(MutexFn, false, "5Mutex6UnlockEv");
  Unlocking(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  JF_REAL(MutexFn, false, "5Mutex12ReaderUnlockEv");
  Unlocking(this, kRead, [&] { real(this); });
}

bool Mutex::TryLock() {
  JF_REAL(TryFn, false, "5Mutex7TryLockEv");
  return TryLocking(this, 0, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  JF_REAL(TryFn, false, "5Mutex13ReaderTryLockEv");
  return TryLocking(this, kRead, [&] { return real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  JF_REAL(WhenFn, false, "5Mutex8LockWhenERKNS0_9ConditionE");
  Locking(this, 0, [&] { return (real(this, cond), 0); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  JF_REAL(WhenFn, false, "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Locking(this, kRead, [&] { return (real(this, cond), 0); });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  JF_REAL(WhenTimeoutFn, false, "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Locking(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  JF_REAL(WhenTimeoutFn, false,
          "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Locking(this, kRead, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  JF_REAL(WhenDeadlineFn, false, "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  JF_REAL(WhenDeadlineFn, false, "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, kRead, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  JF_REAL(WhenFn, false, "5Mutex5AwaitERKNS0_9ConditionE");
  Reacquiring(this, 0, [&] { return (real(this, cond), 0); });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  JF_REAL(WhenTimeoutFn, false, "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Reacquiring(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  JF_REAL(WhenDeadlineFn, false, "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Reacquiring(this, 0, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  JF_REAL(void (*)(CondVar*, Mutex*), false, "7CondVar4WaitEPNS0_5MutexE");
  Reacquiring(mu, 0, [&] { return (real(this, mu), 0); });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  JF_REAL(bool (*)(CondVar*, Mutex*, Duration), false,
          "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return Reacquiring(mu, 0, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  JF_REAL(bool (*)(CondVar*, Mutex*, Time), false,
          "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return Reacquiring(mu, 0, [&] { return real(this, mu, deadline); });
}

// A notification is a release by Notify and an acquire by every wait that saw it. The inline
// HasBeenNotified() reads the flag with an acquire load that TSan sees, so Notify also releases
// on the flag's own address: the flag follows the mutex in the object (checked below as far as
// the public type allows).
static_assert(sizeof(Notification) == 2 * sizeof(Mutex),
              "absl::Notification is no longer a Mutex followed by an atomic flag");

void Notification::Notify() {
  JF_REAL(void (*)(Notification*), false, "12Notification6NotifyEv");
  Outermost outermost;
  if (outermost) {
    __tsan_release(this);
    __tsan_release(reinterpret_cast<char*>(this) + sizeof(Mutex));
  }
  real(this);
}

void Notification::WaitForNotification() const {
  JF_REAL(void (*)(const Notification*), true, "12Notification19WaitForNotificationEv");
  Outermost outermost;
  real(this);
  if (outermost) __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  JF_REAL(bool (*)(const Notification*, Duration), true,
          "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  Outermost outermost;
  const bool notified = real(this, timeout);
  if (notified && outermost) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  JF_REAL(bool (*)(const Notification*, Time), true,
          "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  Outermost outermost;
  const bool notified = real(this, deadline);
  if (notified && outermost) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
