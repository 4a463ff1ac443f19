// The CreateJob pieces without a server: request ids, keys and fingerprints, the records' text
// form, the memory store (claims, compare-and-set by owner, TTL, bound) and the store URL.
#include "service/submissions.h"

#include "absl/strings/str_cat.h"
#include "adapters/core/errors.h"
#include "adapters/registry.h"
#include "gtest/gtest.h"
#include "service/config.h"
#include "service/idempotency_store.h"

namespace jobfacade {
namespace {

TEST(RequestIdTest, UuidsAreKeptInLowerCaseAndAnythingElseIsRefused) {
  EXPECT_EQ(*NormalizeRequestId("3F2B8C1E-9A47-4D2E-8B6F-0C1D2E3F4A5B"),
            "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b");
  for (const char* bad :
       {"", "3f2b8c1e9a474d2e8b6f0c1d2e3f4a5b", "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5",
        "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5bb", "3f2b8c1e-9a47-4d2e-8b6f_0c1d2e3f4a5b",
        "zf2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b", "{3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a}"}) {
    absl::StatusOr<std::string> id = NormalizeRequestId(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorReason(id.status()), "INVALID_REQUEST_ID");
  }
  const std::string made = NewUuid();
  EXPECT_EQ(*NormalizeRequestId(made), made);
  EXPECT_EQ(made[14], '4');  // version 4
  EXPECT_NE(NewUuid(), made);
}

TEST(SubmissionKeyTest, TheKeyAndFingerprintTellRequestsApart) {
  const std::string id = "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b";
  EXPECT_NE(SubmissionKey(id, "vendors/ionq", ""), SubmissionKey(id, "vendors/qbraid", ""));
  EXPECT_NE(SubmissionKey(id, "vendors/ionq", ""), SubmissionKey(id, "vendors/ionq", "key:ab"));
  EXPECT_EQ(SubmissionKey(id, "vendors/ionq", ""), SubmissionKey(id, "vendors/ionq", ""));

  v1::JobSpec spec;
  spec.set_shots(10);
  for (int i = 0; i < 20; ++i) (*spec.mutable_tags())[absl::StrCat("k", i)] = "v";
  v1::JobSpec same;
  same.set_shots(10);
  for (int i = 19; i >= 0; --i) (*same.mutable_tags())[absl::StrCat("k", i)] = "v";
  EXPECT_EQ(SubmissionFingerprint("vendors/ionq", spec),
            SubmissionFingerprint("vendors/ionq", same));
  same.set_shots(11);
  EXPECT_NE(SubmissionFingerprint("vendors/ionq", spec),
            SubmissionFingerprint("vendors/ionq", same));
  EXPECT_NE(SubmissionFingerprint("vendors/ionq", spec),
            SubmissionFingerprint("vendors/qbraid", spec));
}

TEST(VendorDedupKeyTest, TheConfiguredKeySendsTheIdAndCallersKeysADerivedUuid) {
  const std::string id = "3f2b8c1e-9a47-4d2e-8b6f-0c1d2e3f4a5b";
  EXPECT_EQ(VendorDedupKey("", id), id);
  const std::string a = VendorDedupKey("key:aa", id);
  const std::string b = VendorDedupKey("key:bb", id);
  EXPECT_NE(a, id);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, VendorDedupKey("key:aa", id));
  EXPECT_TRUE(NormalizeRequestId(a).ok()) << a;  // UUID-shaped, as the vendor may expect
}

TEST(SubmissionRecordTest, TheTextFormKeepsEveryField) {
  SubmissionRecord record;
  record.fingerprint = "abc";
  record.owner = "owner-1";
  record.lease_until = absl::FromUnixMillis(1767225600123);
  record.first_attempt = absl::FromUnixMillis(1767225500000);
  v1::Job job;
  job.set_name("vendors/ionq/jobs/x");
  record.job = job.SerializeAsString();
  std::optional<SubmissionRecord> back = ParseRecord(SerializeRecord(record));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->fingerprint, "abc");
  EXPECT_EQ(back->owner, "owner-1");
  EXPECT_EQ(back->lease_until, record.lease_until);
  EXPECT_EQ(back->first_attempt, record.first_attempt);
  EXPECT_EQ(back->job, record.job);
  EXPECT_TRUE(back->created());

  SubmissionRecord pending;
  pending.fingerprint = "f";
  back = ParseRecord(SerializeRecord(pending));
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->created());
  EXPECT_EQ(back->lease_until, absl::InfinitePast());
  for (const char* bad :
       {"", "[]", "{}", R"({"fingerprint":""})", R"({"fingerprint":"f","job":"%%"})"}) {
    EXPECT_FALSE(ParseRecord(bad).has_value()) << bad;
  }
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  SubmissionRecord Pending(const std::string& owner) {
    SubmissionRecord r;
    r.fingerprint = "fp";
    r.owner = owner;
    r.lease_until = clock_.Now() + absl::Seconds(5);
    return r;
  }
  IdempotencyStore::ClaimResult Claim(const std::string& key, const SubmissionRecord& r) {
    IdempotencyStore::ClaimResult out;
    store_.Claim(key, r, absl::Hours(1), [&](absl::StatusOr<IdempotencyStore::ClaimResult> c) {
      ASSERT_TRUE(c.ok());
      out = *c;
    });
    return out;
  }
  bool Replace(const std::string& key, const std::string& owner, const SubmissionRecord& r) {
    bool out = false;
    store_.Replace(key, owner, r, absl::Hours(1), [&](absl::StatusOr<bool> done) { out = *done; });
    return out;
  }
  std::optional<SubmissionRecord> Get(const std::string& key) {
    std::optional<SubmissionRecord> out;
    store_.Get(key, [&](absl::StatusOr<std::optional<SubmissionRecord>> r) { out = *r; });
    return out;
  }

  ManualClock clock_;
  MemoryIdempotencyStore store_{clock_, 3};
};

TEST_F(MemoryStoreTest, TheFirstClaimWinsAndOnlyTheOwnerMayChangeTheRecord) {
  EXPECT_TRUE(Claim("k", Pending("a")).claimed);
  IdempotencyStore::ClaimResult second = Claim("k", Pending("b"));
  EXPECT_FALSE(second.claimed);
  EXPECT_EQ(second.record.owner, "a");
  SubmissionRecord done = Pending("a");
  done.job = "job";
  EXPECT_FALSE(Replace("k", "b", done));
  EXPECT_TRUE(Replace("k", "a", done));
  EXPECT_EQ(Get("k")->job, "job");
  bool released = true;
  store_.Release("k", "b", [&](absl::StatusOr<bool> r) { released = *r; });
  EXPECT_FALSE(released);
  store_.Release("k", "a", [&](absl::StatusOr<bool> r) { released = *r; });
  EXPECT_TRUE(released);
  EXPECT_FALSE(Get("k").has_value());
  EXPECT_FALSE(Replace("k", "a", done));  // gone: nothing to replace
}

TEST_F(MemoryStoreTest, RecordsExpireAndOnlyFinishedOnesMakeRoom) {
  EXPECT_TRUE(Claim("k", Pending("a")).claimed);
  clock_.Advance(absl::Minutes(59));
  EXPECT_TRUE(Get("k").has_value());
  clock_.Advance(absl::Minutes(2));
  EXPECT_FALSE(Get("k").has_value());

  // The bound is 3: three submissions in flight fill the store, and a fourth is refused rather
  // than one of them forgotten.
  for (const char* key : {"1", "2", "3"}) EXPECT_TRUE(Claim(key, Pending("a")).claimed);
  absl::Status refused;
  store_.Claim("4", Pending("a"), absl::Hours(1),
               [&](absl::StatusOr<IdempotencyStore::ClaimResult> c) { refused = c.status(); });
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReason(refused), "IDEMPOTENCY_STORE_UNAVAILABLE");
  EXPECT_EQ(store_.size(), 3);
  // A created record makes room.
  SubmissionRecord done = Pending("a");
  done.job = "job";
  ASSERT_TRUE(Replace("2", "a", done));
  EXPECT_TRUE(Claim("4", Pending("a")).claimed);
  EXPECT_FALSE(Get("2").has_value());
  EXPECT_TRUE(Get("1").has_value());
  EXPECT_TRUE(Get("3").has_value());
}

TEST(CheckJobSpecTest, EachVendorsRulesApply) {
  const Vendor* ionq = FindVendor("ionq");
  const Vendor* praisonai = FindVendor("praisonai");
  ASSERT_NE(ionq, nullptr);
  ASSERT_NE(praisonai, nullptr);
  v1::JobSpec spec;
  spec.set_device("simulator");
  spec.set_shots(1000000);
  spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_OPENQASM3);
  spec.mutable_quantum_program()->set_source("OPENQASM 3.0;");
  EXPECT_TRUE(CheckJobSpec(spec, *ionq).ok());
  spec.set_shots(1);
  EXPECT_TRUE(CheckJobSpec(spec, *ionq).ok());
  absl::Status wrong_vendor = CheckJobSpec(spec, *praisonai);
  EXPECT_EQ(ErrorReason(wrong_vendor), "INVALID_JOB_SPEC");
  spec.mutable_quantum_program()->set_format(v1::QuantumProgram::FORMAT_UNSPECIFIED);
  EXPECT_EQ(ErrorReason(CheckJobSpec(spec, *ionq)), "INVALID_JOB_SPEC");

  v1::JobSpec agent;
  agent.mutable_agent_run()->set_prompt("hi");
  EXPECT_TRUE(CheckJobSpec(agent, *praisonai).ok());
  agent.set_shots(5);
  EXPECT_EQ(ErrorReason(CheckJobSpec(agent, *praisonai)), "INVALID_JOB_SPEC");
  agent.set_shots(0);
  agent.mutable_agent_run()->mutable_timeout()->set_seconds(-1);
  EXPECT_EQ(ErrorReason(CheckJobSpec(agent, *praisonai)), "INVALID_JOB_SPEC");
}

TEST(IdempotencyStoreUrlTest, MemoryAndRedisUrlsAreReadAndTheRestRefused) {
  EXPECT_FALSE(ParseIdempotencyStore("S", "memory")->redis);
  auto url = ParseIdempotencyStore("S", "redis://:s3cret@redis.default:6380/2");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->redis);
  EXPECT_EQ(url->host, "redis.default");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->password, "s3cret");
  EXPECT_EQ(url->db, 2);
  url = ParseIdempotencyStore("S", "redis://127.0.0.1:6379");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->password, "");
  EXPECT_EQ(url->db, 0);
  for (const char* bad : {"", "Memory", "redis://", "redis://host", "redis://host:0",
                          "redis://host:99999", "redis://:@host:1", "redis://pw@host:1",
                          "redis://host:1/x", "rediss://host:1", "http://host:1"}) {
    auto parsed = ParseIdempotencyStore("JOBFACADE_IDEMPOTENCY_STORE", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("JOBFACADE_IDEMPOTENCY_STORE"), std::string::npos);
  }
  // The password never shows in the message.
  auto refused = ParseIdempotencyStore("S", "redis://:hunter2-secret@host:1/notanumber");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace jobfacade
