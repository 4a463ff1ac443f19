// The terminal-job cache and shared reads, on injected time: through JobOperations against an
// in-memory adapter whose answers can be held, and the cache on its own for its bounds.
#include "service/job_cache.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "gtest/gtest.h"
#include "service/job_operations.h"
#include "tests/testing/fake_vendor_adapter.h"
#include "tests/testing/manual_scheduler.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade {
namespace {

using ::jobfacade::testing::FakeAdapter;
using ::jobfacade::testing::IsError;

// One call's outcome, once it came.
template <typename T>
struct Outcome {
  std::optional<absl::StatusOr<T>> result;
  bool done() const { return result.has_value(); }
  const absl::StatusOr<T>& get() const { return *result; }
};

class JobCacheTest : public ::testing::Test {
 protected:
  JobCacheTest() { Make(JobCacheOptions{}); }

  void Make(JobCacheOptions cache) {
    ops_.reset();
    auto fake = std::make_unique<FakeAdapter>("ionq");
    ionq_ = fake.get();
    JobOperations::AdapterMap adapters;
    adapters.emplace("ionq", std::move(fake));
    JobOperationsOptions options;
    options.cache = cache;
    options.scheduler = &scheduler_;
    ops_ =
        std::make_unique<JobOperations>(std::move(adapters), std::string(32, 'k'), clock_, options);
  }

  RpcContext Context(absl::Duration timeout = absl::Seconds(30), std::string key = "") {
    RpcContext ctx;
    ctx.deadline = scheduler_.Now() + timeout;
    if (!key.empty()) ctx.caller_keys["ionq"] = key;
    return ctx;
  }

  std::shared_ptr<Outcome<v1::Job>> Get(const std::string& id, const RpcContext& ctx,
                                        v1::JobView view = v1::JOB_VIEW_BASIC) {
    v1::GetJobRequest request;
    request.set_name("vendors/ionq/jobs/" + id);
    request.set_view(view);
    auto out = std::make_shared<Outcome<v1::Job>>();
    ops_->GetJob(ctx, request, [out](absl::StatusOr<v1::Job> r) { out->result = std::move(r); });
    return out;
  }
  absl::StatusOr<v1::Job> GetNow(const std::string& id, v1::JobView view = v1::JOB_VIEW_BASIC,
                                 std::string key = "") {
    auto out = Get(id, Context(absl::Seconds(30), std::move(key)), view);
    EXPECT_TRUE(out->done());
    return out->done() ? out->get() : absl::UnknownError("no answer");
  }
  std::shared_ptr<Outcome<v1::Job>> Cancel(const std::string& id, const RpcContext& ctx) {
    v1::CancelJobRequest request;
    request.set_name("vendors/ionq/jobs/" + id);
    auto out = std::make_shared<Outcome<v1::Job>>();
    ops_->CancelJob(ctx, request, [out](absl::StatusOr<v1::Job> r) { out->result = std::move(r); });
    return out;
  }
  absl::Status DeleteNow(const std::string& id) {
    v1::DeleteJobRequest request;
    request.set_name("vendors/ionq/jobs/" + id);
    absl::Status out = absl::UnknownError("no answer");
    ops_->DeleteJob(Context(), request, [&](absl::Status s) { out = std::move(s); });
    return out;
  }

  ManualScheduler scheduler_;
  SchedulerClock clock_{scheduler_};
  FakeAdapter* ionq_ = nullptr;
  std::unique_ptr<JobOperations> ops_;
};

TEST_F(JobCacheTest, ATerminalJobIsReadFromTheVendorOnceInEveryView) {
  ionq_->Add("done", v1::Job::COMPLETED);
  auto first = GetNow("done", v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_vendor_payload());
  auto full = GetNow("done", v1::JOB_VIEW_FULL);
  ASSERT_TRUE(full.ok()) << full.status();
  // The vendor's job was kept as read, so a FULL view is served from the cache too.
  EXPECT_EQ(full->vendor_payload().fields().at("id").string_value(), "done");
  auto basic = GetNow("done", v1::JOB_VIEW_BASIC);
  ASSERT_TRUE(basic.ok());
  EXPECT_FALSE(basic->has_vendor_payload());
  EXPECT_EQ(basic->state(), v1::Job::COMPLETED);
  EXPECT_EQ(ionq_->gets, 1);
  EXPECT_EQ(ops_->CacheStats().hits, 2);
  EXPECT_EQ(ops_->CacheStats().misses, 1);
  EXPECT_EQ(ops_->CacheStats().entries, 1);
}

TEST_F(JobCacheTest, AJobThatIsNotTerminalIsReadEveryTime) {
  ionq_->Add("run", v1::Job::RUNNING);
  EXPECT_EQ(GetNow("run")->state(), v1::Job::RUNNING);
  ionq_->SetState("run", v1::Job::COMPLETED);
  EXPECT_EQ(GetNow("run")->state(), v1::Job::COMPLETED);
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(GetNow("run")->state(), v1::Job::COMPLETED);
  EXPECT_EQ(ionq_->gets, 2);  // now it is terminal, and kept
  EXPECT_EQ(ops_->CacheStats().misses, 2);
}

TEST_F(JobCacheTest, ACallerSuppliedKeyNeverReadsAJobCachedUnderAnotherKey) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ASSERT_TRUE(GetNow("done").ok());  // cached under the configured key
  ionq_->key_errors["stranger"] = MakeError(absl::StatusCode::kPermissionDenied,
                                            reason::kVendorPermissionDenied, "not your job");
  EXPECT_THAT(GetNow("done", v1::JOB_VIEW_BASIC, "stranger"),
              IsError(absl::StatusCode::kPermissionDenied, "VENDOR_PERMISSION_DENIED"));
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ionq_->last_caller_key, "stranger");
  // A key that may read it gets its own entry, and the configured key still has its own.
  ASSERT_TRUE(GetNow("done", v1::JOB_VIEW_BASIC, "owner").ok());
  ASSERT_TRUE(GetNow("done", v1::JOB_VIEW_BASIC, "owner").ok());
  ASSERT_TRUE(GetNow("done").ok());
  EXPECT_EQ(ionq_->gets, 3);
  EXPECT_EQ(ops_->CacheStats().entries, 2);
}

TEST_F(JobCacheTest, AJobDeletedThroughTheServiceIsNotServedFromTheCache) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ASSERT_TRUE(GetNow("done").ok());
  ASSERT_TRUE(GetNow("done", v1::JOB_VIEW_BASIC, "owner").ok());
  EXPECT_EQ(ops_->CacheStats().entries, 2);
  // The delete's own state check is served from the cache.
  ASSERT_TRUE(DeleteNow("done").ok());
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ionq_->deletes, 1);
  EXPECT_EQ(ops_->CacheStats().entries, 0);  // under every key
  EXPECT_THAT(GetNow("done"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_THAT(GetNow("done", v1::JOB_VIEW_BASIC, "owner"),
              IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(ionq_->gets, 4);
}

TEST_F(JobCacheTest, AReadInFlightDuringADeleteDoesNotCacheTheDeletedJob) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ionq_->defer_gets = true;
  auto before = Get("done", Context());  // reads the job before it is deleted
  ionq_->defer_gets = false;
  // Another key's read and delete go through while that read is still out.
  ASSERT_TRUE(GetNow("done", v1::JOB_VIEW_BASIC, "owner").ok());
  v1::DeleteJobRequest request;
  request.set_name("vendors/ionq/jobs/done");
  absl::Status deleted = absl::UnknownError("no answer");
  RpcContext owner = Context(absl::Seconds(30), "owner");
  ops_->DeleteJob(owner, request, [&](absl::Status s) { deleted = s; });
  ASSERT_TRUE(deleted.ok()) << deleted;
  ASSERT_TRUE(ionq_->AnswerOne());
  ASSERT_TRUE(before->done());
  EXPECT_EQ(before->get()->state(), v1::Job::COMPLETED);  // it was read before the delete
  EXPECT_EQ(ops_->CacheStats().entries, 0);
  EXPECT_THAT(GetNow("done"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
}

TEST_F(JobCacheTest, AReadAfterADeleteDoesNotJoinARequestSentBeforeIt) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ionq_->defer_gets = true;
  auto before = Get("done", Context());  // out at the vendor, which has read COMPLETED
  ionq_->defer_gets = false;
  // The owner deletes it with a key of its own, so the delete does not wait for that read.
  v1::DeleteJobRequest request;
  request.set_name("vendors/ionq/jobs/done");
  absl::Status deleted = absl::UnknownError("no answer");
  ops_->DeleteJob(Context(absl::Seconds(30), "owner"), request,
                  [&](absl::Status s) { deleted = s; });
  ASSERT_TRUE(deleted.ok()) << deleted;
  // A read made after the delete is asked of the vendor, not answered by the earlier request.
  EXPECT_THAT(GetNow("done"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
  EXPECT_EQ(ionq_->gets, 3);
  EXPECT_EQ(ops_->CoalescedReads(), 0);
  ASSERT_TRUE(ionq_->AnswerOne());
  EXPECT_EQ(before->get()->state(), v1::Job::COMPLETED);
  EXPECT_EQ(ops_->CacheStats().entries, 0);
}

TEST_F(JobCacheTest, AReadLeftBehindByAFreshReadDoesNotCacheAJobDeletedMeanwhile) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  ionq_->defer_cancels = true;
  auto cancel = Cancel("run", Context());
  ASSERT_TRUE(ionq_->AnswerOne());  // RUNNING: the cancel is sent
  ionq_->SetState("run", v1::Job::CANCELLED);
  auto reader = Get("run", Context());  // a slow read that sees CANCELLED
  ASSERT_TRUE(ionq_->AnswerOne());      // the cancel is accepted; the cancel's fresh read goes out
  ASSERT_TRUE(ionq_->AnswerNewest());   // and is answered first (CANCELLING)
  ASSERT_TRUE(cancel->done());
  EXPECT_FALSE(reader->done());
  ionq_->SetState("run", v1::Job::CANCELLED);
  ionq_->defer_gets = false;
  ASSERT_TRUE(DeleteNow("run").ok());
  ASSERT_TRUE(ionq_->AnswerOne());  // the slow read comes back after the delete
  EXPECT_EQ(reader->get()->state(), v1::Job::CANCELLED);
  EXPECT_EQ(ops_->CacheStats().entries, 0);
  EXPECT_THAT(GetNow("run"), IsError(absl::StatusCode::kNotFound, "JOB_NOT_FOUND"));
}

TEST_F(JobCacheTest, CancelOfACachedFinishedJobMakesNoVendorRequest) {
  ionq_->Add("done", v1::Job::COMPLETED);
  ionq_->Add("gone", v1::Job::CANCELLED);
  ASSERT_TRUE(GetNow("done").ok());
  ASSERT_TRUE(GetNow("gone").ok());
  EXPECT_THAT(Cancel("done", Context())->get(),
              IsError(absl::StatusCode::kFailedPrecondition, "JOB_ALREADY_TERMINAL"));
  auto cancelled = Cancel("gone", Context());
  ASSERT_TRUE(cancelled->get().ok());
  EXPECT_EQ(cancelled->get()->state(), v1::Job::CANCELLED);
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ionq_->cancels, 0);
}

TEST_F(JobCacheTest, AnEntryIsServedForTheTtlOnly) {
  JobCacheOptions options;
  options.ttl = absl::Minutes(10);
  Make(options);
  ionq_->Add("done", v1::Job::COMPLETED);
  ASSERT_TRUE(GetNow("done").ok());
  scheduler_.Advance(absl::Minutes(10) - absl::Seconds(1));
  ASSERT_TRUE(GetNow("done").ok());
  EXPECT_EQ(ionq_->gets, 1);
  scheduler_.Advance(absl::Seconds(1));
  ASSERT_TRUE(GetNow("done").ok());
  EXPECT_EQ(ionq_->gets, 2);  // expired, read again (and kept again)
  ASSERT_TRUE(GetNow("done").ok());
  EXPECT_EQ(ionq_->gets, 2);
}

TEST_F(JobCacheTest, ASizeOfZeroDisablesTheCache) {
  JobCacheOptions options;
  options.max_jobs = 0;
  Make(options);
  ionq_->Add("done", v1::Job::COMPLETED);
  ASSERT_TRUE(GetNow("done").ok());
  ASSERT_TRUE(GetNow("done").ok());
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ops_->CacheStats().hits + ops_->CacheStats().misses, 0);
}

TEST_F(JobCacheTest, ConcurrentReadsOfOneJobShareOneVendorRequest) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  std::vector<std::shared_ptr<Outcome<v1::Job>>> calls;
  for (int i = 0; i < 100; ++i) {
    calls.push_back(Get("run", Context(), i % 2 == 0 ? v1::JOB_VIEW_BASIC : v1::JOB_VIEW_FULL));
  }
  EXPECT_EQ(ionq_->gets, 1);
  EXPECT_EQ(ionq_->get_contexts[0].deadline, scheduler_.Now() + absl::Seconds(30));
  EXPECT_EQ(ops_->CoalescedReads(), 99);
  ASSERT_TRUE(ionq_->AnswerOne());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(calls[i]->done()) << i;
    ASSERT_TRUE(calls[i]->get().ok()) << i;
    EXPECT_EQ(calls[i]->get()->state(), v1::Job::RUNNING);
    EXPECT_EQ(calls[i]->get()->has_vendor_payload(), i % 2 == 1) << i;
  }
  // The request had finished: a job that is not terminal is read again.
  ionq_->SetState("run", v1::Job::QUEUED);
  auto later = Get("run", Context());
  EXPECT_EQ(ionq_->gets, 2);
  ASSERT_TRUE(ionq_->AnswerOne());
  EXPECT_EQ(later->get()->state(), v1::Job::QUEUED);
}

TEST_F(JobCacheTest, ReadsWithDifferentKeysDoNotShareARequest) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  auto configured = Get("run", Context());
  auto own = Get("run", Context(absl::Seconds(30), "mine"));
  auto own_again = Get("run", Context(absl::Seconds(30), "mine"));
  EXPECT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ionq_->get_contexts[1].caller_key.value_or(""), "mine");
  EXPECT_EQ(ops_->CoalescedReads(), 1);
  while (ionq_->AnswerOne()) {
  }
  EXPECT_TRUE(configured->get().ok());
  EXPECT_TRUE(own->get().ok());
  EXPECT_TRUE(own_again->get().ok());
}

TEST_F(JobCacheTest, ACallerWhoCancelsLeavesAtOnceAndTheLastOneEndsTheRequest) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  RpcContext first = Context();
  RpcContext second = Context();
  auto a = Get("run", first);
  auto b = Get("run", second);
  const CallContext& shared = ionq_->get_contexts[0];
  // The shared request has a cancellation of its own, not the first caller's.
  EXPECT_NE(shared.cancellation, first.cancellation);
  first.cancellation->Cancel();
  ASSERT_TRUE(a->done());
  EXPECT_THAT(a->get(), IsError(absl::StatusCode::kCancelled, "CANCELLED"));
  EXPECT_FALSE(b->done());
  EXPECT_FALSE(shared.cancellation->IsCancelled());
  second.cancellation->Cancel();
  EXPECT_THAT(b->get(), IsError(absl::StatusCode::kCancelled, "CANCELLED"));
  EXPECT_TRUE(shared.cancellation->IsCancelled());
  // The abandoned request's late answer reaches nobody; a new read makes a new request.
  ASSERT_TRUE(ionq_->AnswerOne());
  auto c = Get("run", Context());
  EXPECT_EQ(ionq_->gets, 2);
  ASSERT_TRUE(ionq_->AnswerOne());
  EXPECT_TRUE(c->get().ok());
}

TEST_F(JobCacheTest, ACallerWhoseDeadlineComesFirstLeavesAtItsDeadline) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  auto patient = Get("run", Context(absl::Seconds(10)));
  auto hasty = Get("run", Context(absl::Seconds(2)));
  scheduler_.Advance(absl::Seconds(2) - absl::Milliseconds(1));
  EXPECT_FALSE(hasty->done());
  scheduler_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(hasty->done());
  EXPECT_THAT(hasty->get(), IsError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"));
  EXPECT_FALSE(patient->done());
  ASSERT_TRUE(ionq_->AnswerOne());
  ASSERT_TRUE(patient->done());
  EXPECT_TRUE(patient->get().ok());
  EXPECT_EQ(scheduler_.pending(), 0u);
}

TEST_F(JobCacheTest, CallersWithALaterDeadlineGoOnWhenTheSharedRequestRunsOutOfTime) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  const absl::Time start = scheduler_.Now();
  auto first = Get("run", Context(absl::Seconds(2)));
  auto later = Get("run", Context(absl::Seconds(10)));
  auto latest = Get("run", Context(absl::Seconds(20)));
  EXPECT_EQ(ionq_->gets, 1);
  EXPECT_EQ(ionq_->get_contexts[0].deadline, start + absl::Seconds(2));
  EXPECT_EQ(scheduler_.pending(), 0u);  // nobody leaves before the request's deadline
  scheduler_.Advance(absl::Seconds(2));
  // The request, made with the first caller's deadline, times out.
  ionq_->next_get_answer = MakeError(absl::StatusCode::kDeadlineExceeded, reason::kDeadlineExceeded,
                                     "ionq: deadline exceeded");
  ASSERT_TRUE(ionq_->AnswerOne());
  ASSERT_TRUE(first->done());
  EXPECT_THAT(first->get(), IsError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"));
  // The other two go on with one new request, made with the latest deadline.
  EXPECT_FALSE(later->done());
  EXPECT_FALSE(latest->done());
  ASSERT_EQ(ionq_->gets, 2);
  EXPECT_EQ(ionq_->get_contexts[1].deadline, start + absl::Seconds(20));
  EXPECT_EQ(ops_->CoalescedReads(), 2);
  scheduler_.Advance(absl::Seconds(8));
  ASSERT_TRUE(later->done());
  EXPECT_THAT(later->get(), IsError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED"));
  EXPECT_FALSE(latest->done());
  ASSERT_TRUE(ionq_->AnswerOne());
  ASSERT_TRUE(latest->done());
  EXPECT_EQ(latest->get()->state(), v1::Job::RUNNING);
}

TEST_F(JobCacheTest, TheReadAfterACancelIsNotAnsweredByARequestSentBeforeIt) {
  ionq_->Add("run", v1::Job::RUNNING);
  ionq_->defer_gets = true;
  ionq_->defer_cancels = true;
  auto cancel = Cancel("run", Context());
  ASSERT_TRUE(ionq_->AnswerOne());  // its state check: RUNNING, so the cancel is sent
  EXPECT_EQ(ionq_->cancels, 1);
  auto reader = Get("run", Context());  // reads the job while the cancel is out
  ASSERT_TRUE(ionq_->AnswerOne());      // the vendor accepts the cancel
  EXPECT_EQ(ionq_->gets, 3);            // the cancel's own read did not join the reader's
  ASSERT_TRUE(ionq_->AnswerOne());
  EXPECT_EQ(reader->get()->state(), v1::Job::RUNNING);
  EXPECT_FALSE(cancel->done());
  ASSERT_TRUE(ionq_->AnswerOne());
  ASSERT_TRUE(cancel->get().ok()) << cancel->get().status();
  EXPECT_EQ(cancel->get()->state(), v1::Job::CANCELLING);
}

TEST_F(JobCacheTest, AReadAlreadyCancelledMakesNoVendorRequest) {
  ionq_->Add("run", v1::Job::RUNNING);
  RpcContext ctx = Context();
  ctx.cancellation->Cancel();
  auto out = Get("run", ctx);
  ASSERT_TRUE(out->done());
  EXPECT_THAT(out->get(), IsError(absl::StatusCode::kCancelled, "CANCELLED"));
  EXPECT_EQ(ionq_->gets, 0);
}

v1::Job Finished(const std::string& id, int payload_bytes = 0) {
  v1::Job job;
  job.set_name("vendors/ionq/jobs/" + id);
  job.set_state(v1::Job::COMPLETED);
  if (payload_bytes > 0) {
    (*job.mutable_vendor_payload()->mutable_fields())["blob"].set_string_value(
        std::string(payload_bytes, 'x'));
  }
  return job;
}

TEST(TerminalJobCacheTest, TheLeastRecentlyUsedJobGoesFirst) {
  ManualClock clock;
  TerminalJobCache cache(JobCacheOptions{2, 1 << 20, absl::Minutes(10)}, clock);
  cache.Insert("a", "", Finished("a"));
  cache.Insert("b", "", Finished("b"));
  EXPECT_TRUE(cache.Find("a", "", v1::JOB_VIEW_BASIC).has_value());  // a is now the newest use
  cache.Insert("c", "", Finished("c"));
  EXPECT_TRUE(cache.Find("a", "", v1::JOB_VIEW_BASIC).has_value());
  EXPECT_FALSE(cache.Find("b", "", v1::JOB_VIEW_BASIC).has_value());
  EXPECT_TRUE(cache.Find("c", "", v1::JOB_VIEW_BASIC).has_value());
  EXPECT_EQ(cache.stats().entries, 2);
}

TEST(TerminalJobCacheTest, TheByteBoundCountsTheVendorPayload) {
  ManualClock clock;
  TerminalJobCache cache(JobCacheOptions{1000, 100 * 1000, absl::Minutes(10)}, clock);
  for (int i = 0; i < 10; ++i) cache.Insert(absl::StrCat("j", i), "", Finished("j", 20 * 1000));
  const TerminalJobCache::Stats stats = cache.stats();
  EXPECT_LE(stats.bytes, 100 * 1000);
  EXPECT_GE(stats.entries, 3);
  EXPECT_LE(stats.entries, 4);
  EXPECT_TRUE(cache.Find("j9", "", v1::JOB_VIEW_BASIC).has_value());
  EXPECT_FALSE(cache.Find("j0", "", v1::JOB_VIEW_BASIC).has_value());
  // A job larger than the whole bound is not kept, and evicts nothing.
  cache.Insert("huge", "", Finished("huge", 200 * 1000));
  EXPECT_FALSE(cache.Find("huge", "", v1::JOB_VIEW_BASIC).has_value());
  EXPECT_EQ(cache.stats().entries, stats.entries);
  auto full = cache.Find("j9", "", v1::JOB_VIEW_FULL);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->vendor_payload().fields().at("blob").string_value().size(), 20u * 1000);
}

TEST(TerminalJobCacheTest, IdentitiesAreSeparateAndEraseDropsThemAll) {
  ManualClock clock;
  TerminalJobCache cache(JobCacheOptions{}, clock);
  cache.Insert("a", "", Finished("a"));
  cache.Insert("a", CredentialIdentity(std::string("k1")), Finished("a"));
  EXPECT_FALSE(cache.Find("a", CredentialIdentity(std::string("k2")), v1::JOB_VIEW_BASIC));
  EXPECT_TRUE(cache.Find("a", CredentialIdentity(std::string("k1")), v1::JOB_VIEW_BASIC));
  cache.Erase("a");
  EXPECT_FALSE(cache.Find("a", "", v1::JOB_VIEW_BASIC));
  EXPECT_FALSE(cache.Find("a", CredentialIdentity(std::string("k1")), v1::JOB_VIEW_BASIC));
  EXPECT_EQ(cache.stats().entries, 0);
  EXPECT_EQ(cache.stats().bytes, 0);
}

TEST(CredentialIdentityTest, HoldsADigestNotTheKey) {
  EXPECT_EQ(CredentialIdentity(std::nullopt), "");
  const std::string identity = CredentialIdentity(std::string("secret-key"));
  EXPECT_EQ(identity.find("secret"), std::string::npos);
  EXPECT_EQ(identity.size(), 4u + 64u);
  EXPECT_NE(identity, CredentialIdentity(std::string("secret-kez")));
}

}  // namespace
}  // namespace jobfacade
