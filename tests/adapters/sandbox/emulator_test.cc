// Tests of the vendor emulator over real HTTP: auth, shapes, states, lists,
// cancel/delete, faults, latency, statistics, the control API and the
// stand-alone binary.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/json.h"
#include "adapters/core/time_util.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/fakes/self_signed_cert.h"
#include "tests/testing/sandbox_vendors.h"
#include "tests/testing/stopwatch.h"

extern char** environ;

namespace jobfacade::sandbox {
namespace {

using ::jobfacade::testing::Stopwatch;

using fakes::SelfSignedCert;

using json::Struct;
using json::Value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kQbraidKey[] = "test-qbraid-key";
constexpr char kIonqKey[] = "test-ionq-key";

std::string PercentEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

struct Answer {
  int status = 0;  // 0: no HTTP response at all
  httplib::Error error = httplib::Error::Success;
  std::string body;
  httplib::Headers headers;

  Struct Json() const {
    auto parsed = json::ParseObject(body);
    EXPECT_TRUE(parsed.ok()) << "not a JSON object: " << body.substr(0, 200);
    return parsed.ok() ? *parsed : Struct();
  }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Answer Send(httplib::Client& client, const std::string& method, const std::string& path,
            const httplib::Headers& headers, const std::string& body = "") {
  auto call = [&]() -> httplib::Result {
    if (method == "GET") return client.Get(path, headers);
    if (method == "POST") return client.Post(path, headers, body, "application/json");
    if (method == "PUT") return client.Put(path, headers, body, "application/json");
    return client.Delete(path, headers);
  };
  httplib::Result r = call();
  Answer a;
  if (!r) {
    a.error = r.error();
    return a;
  }
  a.status = r->status;
  a.body = r->body;
  a.headers = r->headers;
  return a;
}

std::vector<std::string> Keys(const Struct& s) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : s.fields()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  return keys;
}

const Struct& Obj(const Struct& s, const std::string& key) {
  static const Struct* kEmpty = new Struct();
  const Struct* o = json::GetObject(s, key);
  EXPECT_NE(o, nullptr) << "no object " << key << " in " << json::ToJson(s);
  return o != nullptr ? *o : *kEmpty;
}

std::vector<Struct> List(const Struct& s, const std::string& key) {
  std::vector<Struct> out;
  const json::ListValue* list = json::GetList(s, key);
  EXPECT_NE(list, nullptr) << "no list " << key;
  if (list == nullptr) return out;
  for (const Value& v : list->values()) out.push_back(v.struct_value());
  return out;
}

std::string Str(const Struct& s, const std::string& key) {
  return json::GetString(s, key).value_or("<absent or not a string>");
}

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { Restart(BaseOptions()); }

  VendorEmulator::Options BaseOptions() {
    VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = false;
    options.vendors[kQbraid].api_key = kQbraidKey;
    options.vendors[kIonq].api_key = kIonqKey;
    options.threads = 16;
    return options;
  }

  void Restart(VendorEmulator::Options options) {
    client_.reset();
    emulator_.reset();
    auto started = VendorEmulator::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = NewClient();
  }

  std::unique_ptr<httplib::Client> NewClient() {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
    client->set_url_encode(false);
    client->set_read_timeout(20, 0);
    return client;
  }

  // The vendor's path prefix, taken from base_url().
  std::string Prefix(const std::string& vendor) {
    std::string url = emulator_->base_url(vendor);
    return url.substr(emulator_->root_url().size());
  }

  httplib::Headers Auth(const std::string& vendor) {
    if (vendor == kQbraid) return {{"X-API-KEY", kQbraidKey}};
    if (vendor == kIonq) return {{"Authorization", absl::StrCat("apiKey ", kIonqKey)}};
    return {};
  }

  Answer Call(const std::string& method, const std::string& vendor, const std::string& path,
              const std::string& body = "") {
    return Send(*client_, method, Prefix(vendor) + path, Auth(vendor), body);
  }

  std::string JobPath(const std::string& vendor, const std::string& id) {
    return absl::StrCat(vendor == kPraisonai ? "/api/v1/runs/" : "/jobs/", PercentEncode(id));
  }

  Answer GetJob(const std::string& vendor, const std::string& id) {
    return Call("GET", vendor, JobPath(vendor, id));
  }

  Answer Cancel(const std::string& vendor, const std::string& id) {
    if (vendor == kIonq) return Call("PUT", vendor, JobPath(vendor, id) + "/status/cancel");
    return Call("POST", vendor, JobPath(vendor, id) + "/cancel");
  }

  Answer Delete(const std::string& vendor, const std::string& id) {
    return Call("DELETE", vendor, JobPath(vendor, id));
  }

  // The job object inside whatever envelope the vendor uses.
  Struct JobBody(const std::string& vendor, const std::string& id) {
    Answer a = GetJob(vendor, id);
    EXPECT_EQ(a.status, 200) << a.body;
    Struct s = a.Json();
    if (vendor == kQbraid) return Obj(s, "data");
    return s;
  }

  std::string StatusOf(const std::string& vendor, const std::string& id) {
    return Str(JobBody(vendor, id), "status");
  }

  std::string Add(JobSpec spec) { return emulator_->AddJob(spec); }

  JobSpec Spec(const std::string& vendor, absl::Duration age = absl::ZeroDuration()) {
    JobSpec spec;
    spec.vendor = vendor;
    spec.created_at = clock_.Now() - age;
    return spec;
  }

  ManualClock clock_;
  std::unique_ptr<VendorEmulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

// --- Auth
// ---------------------------------------------------------------------------------

TEST_F(EmulatorTest, QbraidAuthNeedsTheKeyInAnyHeaderCase) {
  const std::string path = Prefix(kQbraid) + "/jobs";
  Answer none = Send(*client_, "GET", path, {});
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(json::GetBool(none.Json(), "success"), false);
  EXPECT_EQ(Str(Obj(none.Json(), "error"), "code"), "NO_VALID_AUTHENTICATION");

  Answer wrong = Send(*client_, "GET", path, {{"X-API-KEY", "nope"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(Str(Obj(wrong.Json(), "error"), "code"), "INVALID_API_KEY");
  EXPECT_FALSE(Str(wrong.Json(), "message").empty());

  EXPECT_EQ(Send(*client_, "GET", path, {{"X-API-KEY", kQbraidKey}}).status, 200);
  EXPECT_EQ(Send(*client_, "GET", path, {{"x-api-key", kQbraidKey}}).status, 200);
  EXPECT_EQ(Send(*client_, "GET", path, {{"X-API-Key", kQbraidKey}}).status, 200);
}

TEST_F(EmulatorTest, IonqAuthNeedsApiKeyScheme) {
  const std::string path = Prefix(kIonq) + "/jobs";
  for (const httplib::Headers& bad :
       {httplib::Headers{}, httplib::Headers{{"Authorization", "apiKey wrong"}},
        httplib::Headers{{"Authorization", absl::StrCat("Bearer ", kIonqKey)}},
        httplib::Headers{{"Authorization", kIonqKey}}}) {
    Answer a = Send(*client_, "GET", path, bad);
    EXPECT_EQ(a.status, 401);
    Struct s = a.Json();
    EXPECT_EQ(Str(s, "error"), "Unauthorized Error");
    EXPECT_EQ(json::GetInt(s, "statusCode"), 401);
    EXPECT_FALSE(Str(s, "message").empty());
  }
  EXPECT_EQ(Send(*client_, "GET", path, Auth(kIonq)).status, 200);
}

TEST_F(EmulatorTest, PraisonaiOpenByDefaultAndKeyedWhenConfigured) {
  EXPECT_EQ(Send(*client_, "GET", Prefix(kPraisonai) + "/api/v1/runs", {}).status, 200);

  VendorEmulator::Options options = BaseOptions();
  options.vendors[kPraisonai].api_key = "praison-secret";
  Restart(options);
  const std::string path = Prefix(kPraisonai) + "/api/v1/runs";
  for (const httplib::Headers& bad :
       {httplib::Headers{}, httplib::Headers{{"Authorization", "Bearer wrong"}},
        httplib::Headers{{"X-API-Key", "wrong"}}}) {
    Answer a = Send(*client_, "GET", path, bad);
    EXPECT_EQ(a.status, 401);
    EXPECT_EQ(Str(a.Json(), "error"), "Unauthorized");
  }
  EXPECT_EQ(Send(*client_, "GET", path, {{"Authorization", "Bearer praison-secret"}}).status, 200);
  EXPECT_EQ(Send(*client_, "GET", path, {{"X-API-Key", "praison-secret"}}).status, 200);
}

// --- Shapes
// ---------------------------------------------------------------------------------

TEST_F(EmulatorTest, QbraidGetHasEnvelopeAndRequiredKeys) {
  JobSpec spec = Spec(kQbraid, absl::Hours(1));
  spec.device = "aws:aws:sim:sv1";
  spec.name = "Bell";
  const std::string id = Add(spec);
  EXPECT_THAT(id, ::testing::MatchesRegex("aws:aws:sim:sv1-[0-9a-f]{4}-qjob-[0-9a-f]{24}"));

  Answer a = GetJob(kQbraid, id);
  ASSERT_EQ(a.status, 200);
  EXPECT_THAT(a.Header("Content-Type"), HasSubstr("application/json"));
  Struct s = a.Json();
  EXPECT_EQ(json::GetBool(s, "success"), true);
  const Struct& data = Obj(s, "data");
  for (const char* key : {"shots", "deviceQrn", "jobQrn", "vendor", "provider", "status",
                          "experimentType", "estimatedCost"}) {
    EXPECT_NE(json::Find(data, key), nullptr) << key;
  }
  EXPECT_EQ(Str(data, "jobQrn"), id);
  EXPECT_EQ(Str(data, "vendor"), "aws");
  EXPECT_EQ(Str(data, "provider"), "aws");
  EXPECT_EQ(Str(data, "status"), "COMPLETED");
  EXPECT_EQ(Str(data, "name"), "Bell");
  const Struct& stamps = Obj(data, "timeStamps");
  EXPECT_TRUE(ParseVendorTimestamp(Str(stamps, "createdAt")).has_value());
  EXPECT_TRUE(ParseVendorTimestamp(Str(stamps, "endedAt")).has_value());
}

TEST_F(EmulatorTest, QbraidTrapsAreServed) {
  JobSpec spec = Spec(kQbraid, absl::Minutes(1));
  spec.device = "aws:quera:qpu:aquila";
  spec.queued = absl::Hours(1);
  spec.provider_as_object = true;
  spec.omit_unset_keys = true;
  spec.legacy_batch_key = true;
  spec.fraction_digits = 6;
  const std::string queued = Add(spec);
  Struct data = JobBody(kQbraid, queued);
  EXPECT_EQ(Str(data, "status"), "QUEUED");
  EXPECT_EQ(Str(Obj(data, "provider"), "provider"), "QuEra");
  EXPECT_EQ(json::Find(data, "statusMsg"), nullptr);
  EXPECT_EQ(json::Find(data, "cost"), nullptr);
  EXPECT_EQ(json::Find(data, "metadata"), nullptr);
  EXPECT_NE(json::Find(data, "batchJobQrn"), nullptr);
  EXPECT_EQ(json::Find(data, "groupJobQrn"), nullptr);
  EXPECT_NE(json::Find(data, "_id"), nullptr);
  EXPECT_NE(json::Find(data, "jobVrn"), nullptr);
  EXPECT_THAT(Str(Obj(data, "timeStamps"), "createdAt"),
              ::testing::MatchesRegex(
                  R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z)"));

  JobSpec plain = Spec(kQbraid, absl::Hours(2));
  plain.batch_id = "qbraid:qbraid:sim:qir-sv-0000-qgroup-1";
  Struct other = JobBody(kQbraid, Add(plain));
  EXPECT_EQ(Str(other, "groupJobQrn"), "qbraid:qbraid:sim:qir-sv-0000-qgroup-1");
  EXPECT_TRUE(json::IsNull(json::Find(other, "statusMsg")));
  EXPECT_NE(json::Find(other, "statusMsg"), nullptr);
  EXPECT_THAT(Str(Obj(other, "timeStamps"), "createdAt"),
              ::testing::MatchesRegex(
                  R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)"));
}

TEST_F(EmulatorTest, IonqGetHasEveryRequiredKeyOfTheSchema) {
  std::ifstream in(std::string(JOBFACADE_SHARED_DIR) + "/vendor-apis/ionq/openapi-v0.4.json");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto spec_doc = json::ParseObject(text.str());
  ASSERT_TRUE(spec_doc.ok());
  const Struct& base_job = Obj(Obj(Obj(*spec_doc, "components"), "schemas"), "BaseJob");
  const json::ListValue* required = json::GetList(base_job, "required");
  ASSERT_NE(required, nullptr);
  ASSERT_GT(required->values_size(), 10);

  JobSpec running = Spec(kIonq, absl::Minutes(1));
  running.running = absl::Hours(1);
  JobSpec failed = Spec(kIonq, absl::Hours(1));
  failed.outcome = JobOutcome::kFailed;
  failed.failure_code = "CompilationError";
  failed.failure_message = "bad gate";
  for (const std::string& id : {Add(running), Add(failed), Add(Spec(kIonq))}) {
    EXPECT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-["
                                            "89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    Struct job = JobBody(kIonq, id);
    for (const Value& key : required->values()) {
      EXPECT_NE(json::Find(job, key.string_value()), nullptr) << key.string_value();
    }
    EXPECT_THAT(Str(job, "submitted_at"),
                ::testing::MatchesRegex(
                    R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z)"));
  }
  Struct f = JobBody(kIonq, Add(failed));
  EXPECT_EQ(Str(Obj(f, "failure"), "code"), "CompilationError");
  EXPECT_EQ(Str(Obj(f, "failure"), "message"), "bad gate");
}

TEST_F(EmulatorTest, PraisonaiStatusHasEveryKey) {
  JobSpec spec = Spec(kPraisonai);
  spec.zone_suffix = "";
  const std::string id = Add(spec);
  EXPECT_THAT(id, ::testing::MatchesRegex("run_[0-9a-f]{12}"));
  Struct s = JobBody(kPraisonai, id);
  EXPECT_THAT(Keys(s),
              ElementsAre("agent_id", "completed_at", "created_at", "error", "job_id", "progress",
                          "retry_after", "run_id", "session_id", "started_at", "status"));
  EXPECT_TRUE(json::IsNull(json::Find(s, "progress")));
  EXPECT_THAT(Str(s, "created_at"),
              ::testing::MatchesRegex(
                  R"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})"));
}

TEST_F(EmulatorTest, NotFoundEnvelopes) {
  Answer q = GetJob(kQbraid, "aws:aws:sim:sv1-0000-qjob-000000000000000000000000");
  EXPECT_EQ(q.status, 404);
  EXPECT_EQ(json::GetBool(q.Json(), "success"), false);
  EXPECT_EQ(Str(q.Json(), "message"), "Job not found");
  EXPECT_EQ(Str(Obj(q.Json(), "error"), "code"), "NOT_FOUND");

  Answer i = GetJob(kIonq, "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(i.status, 404);
  EXPECT_EQ(Str(i.Json(), "error"), "Not Found Error");
  EXPECT_EQ(json::GetInt(i.Json(), "statusCode"), 404);

  Answer p = GetJob(kPraisonai, "run_x");
  EXPECT_EQ(p.status, 404);
  EXPECT_EQ(Str(p.Json(), "detail"), "Job not found: run_x");

  VendorEmulator::Options options = BaseOptions();
  options.vendors[kQbraid].documented_errors = true;
  Restart(options);
  Answer fast = GetJob(kQbraid, "nope");
  EXPECT_EQ(fast.status, 404);
  EXPECT_EQ(fast.body, R"({"detail":"Job not found"})");
}

TEST_F(EmulatorTest, PercentEncodedAndPlainQrnsBothWork) {
  const std::string id = Add(Spec(kQbraid));
  EXPECT_EQ(Send(*client_, "GET", Prefix(kQbraid) + "/jobs/" + id, Auth(kQbraid)).status, 200);
  EXPECT_EQ(
      Send(*client_, "GET", Prefix(kQbraid) + "/jobs/" + PercentEncode(id), Auth(kQbraid)).status,
      200);
}

// --- States on the clock
// -------------------------------------------------------------------

TEST_F(EmulatorTest, QbraidStatesFollowTheClock) {
  JobSpec spec = Spec(kQbraid);
  spec.initializing = absl::Seconds(10);
  spec.queued = absl::Seconds(30);
  spec.running = absl::Seconds(20);
  spec.queue_position = 3;
  spec.cost = 1.25;
  const std::string id = Add(spec);

  Struct s = JobBody(kQbraid, id);
  EXPECT_EQ(Str(s, "status"), "INITIALIZING");
  EXPECT_TRUE(json::IsNull(json::Find(s, "timeStamps")));
  EXPECT_NE(json::Find(s, "timeStamps"), nullptr);

  clock_.Advance(absl::Seconds(10));
  s = JobBody(kQbraid, id);
  EXPECT_EQ(Str(s, "status"), "QUEUED");
  EXPECT_EQ(json::GetInt(s, "queuePosition"), 3);
  EXPECT_EQ(Keys(Obj(s, "timeStamps")), std::vector<std::string>{"createdAt"});
  clock_.Advance(absl::Seconds(25));
  s = JobBody(kQbraid, id);
  EXPECT_EQ(json::GetInt(s, "queuePosition"), 1);

  clock_.Advance(absl::Seconds(5));
  s = JobBody(kQbraid, id);
  EXPECT_EQ(Str(s, "status"), "RUNNING");
  EXPECT_TRUE(json::IsNull(json::Find(s, "queuePosition")));
  EXPECT_TRUE(json::IsNull(json::Find(s, "cost")));

  clock_.Advance(absl::Seconds(20));
  s = JobBody(kQbraid, id);
  EXPECT_EQ(Str(s, "status"), "COMPLETED");
  EXPECT_EQ(json::GetNumber(s, "cost"), 1.25);
  EXPECT_EQ(json::GetInt(Obj(s, "timeStamps"), "executionDuration"), 20000);
  EXPECT_EQ(ParseVendorTimestamp(Str(Obj(s, "timeStamps"), "endedAt")), clock_.Now());

  JobSpec failing = Spec(kQbraid);
  failing.outcome = JobOutcome::kFailed;
  failing.failure_message = "link error";
  const std::string failed = Add(failing);
  clock_.Advance(absl::Minutes(1));
  s = JobBody(kQbraid, failed);
  EXPECT_EQ(Str(s, "status"), "FAILED");
  EXPECT_EQ(Str(s, "statusMsg"), "link error");
}

TEST_F(EmulatorTest, IonqStatesFollowTheClock) {
  JobSpec spec = Spec(kIonq);
  spec.initializing = absl::Seconds(5);
  spec.queued = absl::Seconds(5);
  spec.running = absl::Seconds(4);
  const std::string id = Add(spec);
  EXPECT_EQ(StatusOf(kIonq, id), "submitted");
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(StatusOf(kIonq, id), "ready");
  clock_.Advance(absl::Seconds(5));
  Struct s = JobBody(kIonq, id);
  EXPECT_EQ(Str(s, "status"), "started");
  EXPECT_EQ(ParseVendorTimestamp(Str(s, "started_at")), clock_.Now());
  EXPECT_TRUE(json::IsNull(json::Find(s, "completed_at")));
  clock_.Advance(absl::Seconds(4));
  s = JobBody(kIonq, id);
  EXPECT_EQ(Str(s, "status"), "completed");
  EXPECT_EQ(json::GetInt(s, "execution_duration_ms"), 4000);
  EXPECT_FALSE(json::IsNull(json::Find(s, "results")));
  EXPECT_TRUE(json::IsNull(json::Find(s, "failure")));
}

TEST_F(EmulatorTest, PraisonaiStatesAndProgressFollowTheClock) {
  JobSpec spec = Spec(kPraisonai);
  spec.initializing = absl::ZeroDuration();
  spec.queued = absl::Seconds(10);
  spec.running = absl::Seconds(100);
  const std::string id = Add(spec);
  Struct s = JobBody(kPraisonai, id);
  EXPECT_EQ(Str(s, "status"), "queued");
  EXPECT_EQ(json::GetInt(s, "retry_after"), 2);
  clock_.Advance(absl::Seconds(30));
  s = JobBody(kPraisonai, id);
  EXPECT_EQ(Str(s, "status"), "running");
  EXPECT_EQ(json::GetNumber(Obj(s, "progress"), "percentage"), 20.0);
  clock_.Advance(absl::Seconds(50));
  s = JobBody(kPraisonai, id);
  EXPECT_EQ(json::GetNumber(Obj(s, "progress"), "percentage"), 70.0);
  clock_.Advance(absl::Seconds(30));
  s = JobBody(kPraisonai, id);
  EXPECT_EQ(Str(s, "status"), "succeeded");
  EXPECT_TRUE(json::IsNull(json::Find(s, "retry_after")));
  EXPECT_TRUE(json::IsNull(json::Find(s, "error")));

  JobSpec failing = Spec(kPraisonai);
  failing.outcome = JobOutcome::kFailed;
  failing.failure_message = "Agent execution timeout";
  const std::string failed = Add(failing);
  clock_.Advance(absl::Minutes(5));
  s = JobBody(kPraisonai, failed);
  EXPECT_EQ(Str(s, "status"), "failed");
  EXPECT_EQ(Str(s, "error"), "Agent execution timeout");
}

// --- Lists
// -----------------------------------------------------------------------------------

// Seeds `n` jobs with distinct ages plus a few sharing one creation time;
// returns the ids in the expected list order (newest first, ties by id
// ascending).
std::vector<std::string> SeedMany(VendorEmulator& emulator, const std::string& vendor,
                                  absl::Time now, int n) {
  std::vector<std::pair<absl::Time, std::string>> jobs;
  for (int i = 0; i < n; ++i) {
    JobSpec spec;
    spec.vendor = vendor;
    spec.created_at = now - absl::Seconds(i < 3 ? 100 : i * 7);  // three share a time
    jobs.emplace_back(*spec.created_at, emulator.AddJob(spec));
  }
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> ids;
  for (auto& [t, id] : jobs) ids.push_back(id);
  return ids;
}

TEST_F(EmulatorTest, QbraidPagesYieldEveryJobOnceNewestFirst) {
  const std::vector<std::string> expected = SeedMany(*emulator_, kQbraid, clock_.Now(), 23);
  std::vector<std::string> seen;
  for (int page = 1;; ++page) {
    Answer a = Call("GET", kQbraid, absl::StrCat("/jobs?limit=5&page=", page));
    ASSERT_EQ(a.status, 200) << a.body;
    Struct s = a.Json();
    const Struct& p = Obj(s, "pagination");
    EXPECT_EQ(json::GetInt(p, "page"), page);
    EXPECT_EQ(json::GetInt(p, "limit"), 5);
    EXPECT_EQ(json::GetInt(p, "total"), 23);
    EXPECT_EQ(json::GetInt(p, "totalPages"), 5);
    EXPECT_EQ(json::GetBool(p, "hasPrev"), page > 1);
    EXPECT_TRUE(ParseVendorTimestamp(Str(Obj(s, "meta"), "timestamp")).has_value());
    for (const Struct& job : List(s, "data")) seen.push_back(Str(job, "jobQrn"));
    if (!*json::GetBool(p, "hasNext")) break;
    ASSERT_LT(page, 10);
  }
  EXPECT_EQ(seen, expected);
  Answer beyond = Call("GET", kQbraid, "/jobs?limit=5&page=9");
  EXPECT_TRUE(List(beyond.Json(), "data").empty());
  Answer all = Call("GET", kQbraid, "/jobs");
  EXPECT_EQ(json::GetInt(Obj(all.Json(), "pagination"), "limit"), 50);
  EXPECT_EQ(List(all.Json(), "data").size(), 23u);
}

TEST_F(EmulatorTest, IonqCursorYieldsEveryJobOnceAndSurvivesDeletion) {
  const std::vector<std::string> expected = SeedMany(*emulator_, kIonq, clock_.Now(), 30);
  std::vector<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    std::string path = "/jobs?limit=4";
    if (!next.empty()) path += "&next=" + next;
    Answer a = Call("GET", kIonq, path);
    ASSERT_EQ(a.status, 200) << a.body;
    Struct s = a.Json();
    for (const Struct& job : List(s, "jobs")) seen.push_back(Str(job, "id"));
    ASSERT_NE(json::Find(s, "next"), nullptr);
    next = json::GetString(s, "next").value_or("");
    if (pages == 2) {
      // The job the cursor names goes away between pages; the walk still
      // continues.
      ASSERT_FALSE(next.empty());
      EXPECT_EQ(Delete(kIonq, next).status, 200);
    }
    ASSERT_LT(++pages, 20);
  } while (!next.empty());
  std::vector<std::string> want = expected;
  want.erase(want.begin() + 12);  // the deleted one was first on page 4
  EXPECT_EQ(seen, want);

  // Default and maximum page size is 25.
  EXPECT_EQ(List(Call("GET", kIonq, "/jobs").Json(), "jobs").size(), 25u);
  EXPECT_EQ(List(Call("GET", kIonq, "/jobs?limit=100").Json(), "jobs").size(), 25u);
  EXPECT_EQ(Call("GET", kIonq, "/jobs?limit=0").status, 400);
  EXPECT_EQ(Call("GET", kIonq, "/jobs?next=not-a-cursor").status, 400);
}

TEST_F(EmulatorTest, PraisonaiPagesYieldEveryJobOnce) {
  const std::vector<std::string> expected = SeedMany(*emulator_, kPraisonai, clock_.Now(), 11);
  std::vector<std::string> seen;
  for (int page = 1; page <= 4; ++page) {
    Struct s = Call("GET", kPraisonai, absl::StrCat("/api/v1/runs?page_size=3&page=", page)).Json();
    EXPECT_EQ(json::GetInt(s, "total"), 11);
    EXPECT_EQ(json::GetInt(s, "page"), page);
    EXPECT_EQ(json::GetInt(s, "page_size"), 3);
    for (const Struct& job : List(s, "jobs")) {
      for (const char* key : {"job_id", "status", "created_at", "session_id"}) {
        EXPECT_NE(json::Find(job, key), nullptr) << key;
      }
      seen.push_back(Str(job, "job_id"));
    }
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(json::GetInt(Call("GET", kPraisonai, "/api/v1/runs").Json(), "page_size"), 20);
}

// Many jobs share few creation times, so page boundaries fall inside runs of
// equal times: every vendor's pages still follow (created desc, id asc), and
// IonQ's cursor on a tied job neither skips nor repeats one.
TEST_F(EmulatorTest, TiesAreListedByIdAscendingAcrossPageBoundaries) {
  const absl::Time now = clock_.Now();
  for (const std::string vendor : {kQbraid, kIonq, kPraisonai}) {
    std::vector<std::pair<absl::Time, std::string>> jobs;
    for (int i = 0; i < 40; ++i) {
      JobSpec spec;
      spec.vendor = vendor;
      spec.created_at = now - absl::Seconds(60 * (i % 4));
      jobs.emplace_back(*spec.created_at, emulator_->AddJob(spec));
    }
    std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::string> expected;
    for (const auto& job : jobs) expected.push_back(job.second);
    EXPECT_EQ(emulator_->JobIds(vendor), expected) << vendor;

    std::vector<std::string> seen;
    if (vendor == kIonq) {
      std::string next;
      for (int pages = 0; pages < 40; ++pages) {
        Struct s =
            Call("GET", kIonq, "/jobs?limit=3" + (next.empty() ? "" : "&next=" + next)).Json();
        for (const Struct& job : List(s, "jobs")) seen.push_back(Str(job, "id"));
        next = json::GetString(s, "next").value_or("");
        if (next.empty()) break;
      }
    } else {
      const bool qbraid = vendor == kQbraid;
      for (int page = 1; page <= 6; ++page) {
        Struct s =
            Call("GET", vendor,
                 absl::StrCat(qbraid ? "/jobs?limit=7&page=" : "/api/v1/runs?page_size=7&page=",
                              page))
                .Json();
        for (const Struct& job : List(s, qbraid ? "data" : "jobs"))
          seen.push_back(Str(job, qbraid ? "jobQrn" : "job_id"));
      }
    }
    EXPECT_EQ(seen, expected) << vendor;
  }
}

TEST_F(EmulatorTest, QbraidListFilters) {
  auto add = [&](const std::string& device, const std::string& name, absl::Duration age,
                 std::map<std::string, std::string> tags, bool provider_object = false) {
    JobSpec spec = Spec(kQbraid, age);
    spec.device = device;
    spec.name = name;
    spec.tags = std::move(tags);
    spec.provider_as_object = provider_object;
    spec.queued = absl::Minutes(30);
    return Add(spec);
  };
  const std::string done_aws = add("aws:aws:sim:sv1", "Bell state", absl::Hours(2),
                                   {{"experiment", "bell"}, {"round", "1"}});
  const std::string done_quera = add("aws:quera:qpu:aquila", "Analog", absl::Hours(3),
                                     {{"experiment", "bell"}}, /*provider_object=*/true);
  const std::string queued = add("qbraid:qbraid:sim:qir-sv", "Sweep BELL", absl::Minutes(5),
                                 {{"experiment", "ghz"}, {"round", "1"}});

  auto ids = [&](const std::string& query) {
    Answer a = Call("GET", kQbraid, "/jobs?" + query);
    EXPECT_EQ(a.status, 200) << query << " " << a.body;
    std::set<std::string> out;
    for (const Struct& job : List(a.Json(), "data")) out.insert(Str(job, "jobQrn"));
    return out;
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(ids("status=QUEUED"), Set{queued});
  EXPECT_EQ(ids("status=COMPLETED"), (Set{done_aws, done_quera}));
  EXPECT_EQ(ids("statusGroup=returned"), (Set{done_aws, done_quera}));
  EXPECT_EQ(ids("statusGroup=pending"), Set{queued});
  EXPECT_EQ(ids("statusGroup=all").size(), 3u);
  EXPECT_EQ(ids("statusGroup=returned&status=QUEUED"), Set{queued});  // status wins
  EXPECT_EQ(ids("provider=quera"), Set{done_quera});                  // provider object
  EXPECT_EQ(ids("provider=AWS"), Set{done_aws});
  EXPECT_EQ(ids("vendor=qbraid"), Set{queued});
  EXPECT_EQ(ids("vendor=all").size(), 3u);
  EXPECT_EQ(ids("search=bell"), (Set{done_aws, queued}));  // name, case-insensitive
  EXPECT_EQ(ids("search=" + PercentEncode("quera:qpu")), Set{done_quera});  // QRN
  EXPECT_EQ(ids("tags=" + PercentEncode(R"({"experiment":"bell"})")), (Set{done_aws, done_quera}));
  EXPECT_EQ(ids("tags=" + PercentEncode(R"({"experiment":"bell","round":1})")), Set{done_aws});
  EXPECT_EQ(ids("tags=" + PercentEncode(R"({"round":"2"})")), Set{});
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?tags=" + PercentEncode("[1]")).status, 400);
}

TEST_F(EmulatorTest, QbraidRejectsBadQueryWith422) {
  for (const char* query : {"limit=0", "limit=101", "limit=abc", "page=0", "page=x"}) {
    Answer a = Call("GET", kQbraid, std::string("/jobs?") + query);
    EXPECT_EQ(a.status, 422) << query;
    std::vector<Struct> detail = List(a.Json(), "detail");
    ASSERT_EQ(detail.size(), 1u) << query;
    const json::ListValue* loc = json::GetList(detail[0], "loc");
    ASSERT_NE(loc, nullptr);
    ASSERT_EQ(loc->values_size(), 2);
    EXPECT_EQ(loc->values(0).string_value(), "query");
    EXPECT_EQ(loc->values(1).string_value(),
              std::string(query).substr(0, 4) == "page" ? "page" : "limit");
    EXPECT_FALSE(Str(detail[0], "msg").empty());
    EXPECT_FALSE(Str(detail[0], "type").empty());
  }
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?limit=1").status, 200);
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?limit=100").status, 200);
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?status=DONE").status, 422);
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?statusGroup=finished").status, 422);
  EXPECT_EQ(Call("GET", kQbraid, "/jobs?search=").status, 422);
}

TEST_F(EmulatorTest, IonqListFilters) {
  auto add = [&](const std::string& backend, absl::Duration age, absl::Duration running) {
    JobSpec spec = Spec(kIonq, age);
    spec.device = backend;
    spec.running = running;
    return Add(spec);
  };
  const std::string sim = add("simulator", absl::Hours(1), absl::Seconds(1));
  const std::string forte = add("qpu.forte-1", absl::Hours(2), absl::Seconds(1));
  const std::string aria = add("qpu.aria-1", absl::Minutes(2), absl::Hours(1));
  auto ids = [&](const std::string& query) {
    Answer a = Call("GET", kIonq, "/jobs?" + query);
    EXPECT_EQ(a.status, 200) << query << " " << a.body;
    std::vector<std::string> out;
    for (const Struct& job : List(a.Json(), "jobs")) out.push_back(Str(job, "id"));
    return out;
  };
  EXPECT_THAT(ids("status=completed"), ElementsAre(sim, forte));
  EXPECT_THAT(ids("status=started"), ElementsAre(aria));
  EXPECT_THAT(ids("target=simulator"), ElementsAre(sim));
  EXPECT_THAT(ids("target=qpu.aria-1,qpu.forte-1"), ElementsAre(aria, forte));
  EXPECT_THAT(ids("ids=" + forte + "&ids=" + aria), ElementsAre(aria, forte));
  Answer bad_status = Call("GET", kIonq, "/jobs?status=running");
  EXPECT_EQ(bad_status.status, 400);
  EXPECT_EQ(Str(bad_status.Json(), "error"), "Bad Request");
  EXPECT_EQ(json::GetInt(bad_status.Json(), "statusCode"), 400);
  EXPECT_EQ(Call("GET", kIonq, "/jobs?page_size=5").status, 400);
}

TEST_F(EmulatorTest, PraisonaiListFiltersAndValidation) {
  JobSpec a = Spec(kPraisonai, absl::Hours(1));
  a.session_id = "alpha";
  JobSpec b = Spec(kPraisonai, absl::Minutes(1));
  b.queued = absl::Hours(1);
  const std::string done = Add(a);
  const std::string queued = Add(b);
  auto ids = [&](const std::string& query) {
    std::vector<std::string> out;
    for (const Struct& job :
         List(Call("GET", kPraisonai, "/api/v1/runs?" + query).Json(), "jobs")) {
      out.push_back(Str(job, "job_id"));
    }
    return out;
  };
  EXPECT_THAT(ids("status=succeeded"), ElementsAre(done));
  EXPECT_THAT(ids("status=queued"), ElementsAre(queued));
  EXPECT_THAT(ids("session_id=alpha"), ElementsAre(done));
  Answer bad = Call("GET", kPraisonai, "/api/v1/runs?status=done");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Str(bad.Json(), "detail"), HasSubstr("done"));
  EXPECT_EQ(Call("GET", kPraisonai, "/api/v1/runs?page_size=101").status, 422);
  EXPECT_EQ(Call("GET", kPraisonai, "/api/v1/runs?page=0").status, 422);
}

TEST_F(EmulatorTest, PraisonaiTrailingSlashRedirects) {
  const std::string id = Add(Spec(kPraisonai));
  Answer list = Call("GET", kPraisonai, "/api/v1/runs/?page=2");
  EXPECT_EQ(list.status, 307);
  EXPECT_EQ(list.Header("Location"),
            absl::StrCat(emulator_->root_url(), "/praisonai/api/v1/runs?page=2"));
  Answer job = Call("GET", kPraisonai, "/api/v1/runs/" + id + "/");
  EXPECT_EQ(job.status, 307);
  EXPECT_EQ(job.Header("Location"),
            absl::StrCat(emulator_->base_url(kPraisonai), "/api/v1/runs/", id));
}

// Collects a streamed body on its own thread.
class StreamReader {
 public:
  StreamReader(std::unique_ptr<httplib::Client> client, std::string path, httplib::Headers headers)
      : client_(std::move(client)) {
    done_ = std::async(std::launch::async, [this, path, headers] {
      auto r = client_->Get(path, headers, [this](const char* data, size_t n) {
        absl::MutexLock lock(&mu_);
        text_.append(data, n);
        return true;
      });
      return r ? r->status : 0;
    });
  }
  std::string text() {
    absl::MutexLock lock(&mu_);
    return text_;
  }
  // Waits (bounded, real time) until the stream holds `needle` `count` times.
  bool WaitFor(const std::string& needle, int count = 1) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (absl::Now() < give_up) {
      {
        absl::MutexLock lock(&mu_);
        int seen = 0;
        for (size_t pos = text_.find(needle); pos != std::string::npos;
             pos = text_.find(needle, pos + 1)) {
          ++seen;
        }
        if (seen >= count) return true;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }
  std::future<int>& done() { return done_; }

 private:
  std::unique_ptr<httplib::Client> client_;
  absl::Mutex mu_;
  std::string text_;
  std::future<int> done_;
};

TEST_F(EmulatorTest, PraisonaiStreamSendsEventsUntilTheRunEnds) {
  VendorEmulator::Options options = BaseOptions();
  options.vendors[kPraisonai].heartbeat = absl::Milliseconds(50);
  Restart(options);
  JobSpec spec = Spec(kPraisonai);
  spec.initializing = absl::ZeroDuration();
  spec.queued = absl::Seconds(10);
  spec.running = absl::Seconds(100);
  const std::string id = Add(spec);

  StreamReader stream(NewClient(), Prefix(kPraisonai) + JobPath(kPraisonai, id) + "/stream", {});
  ASSERT_TRUE(stream.WaitFor("event: status\ndata: "));
  EXPECT_THAT(stream.text(), HasSubstr(R"("status":"queued")"));
  ASSERT_TRUE(stream.WaitFor("event: heartbeat\n"));

  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(stream.WaitFor("event: status\n", 2));
  EXPECT_THAT(stream.text(), HasSubstr(R"("status":"running")"));
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(stream.WaitFor("event: progress\n"));
  EXPECT_THAT(stream.text(), HasSubstr(R"("percentage":50)"));
  EXPECT_EQ(stream.done().wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(stream.WaitFor("event: result\n"));
  EXPECT_THAT(stream.text(), HasSubstr(R"("status":"succeeded")"));
  EXPECT_EQ(stream.done().get(), 200);  // the server closed the stream
  EXPECT_EQ(emulator_->stats(kPraisonai).Count("GET", "stream"), 1);
}

TEST_F(EmulatorTest, PraisonaiStreamEndsWithCancelledOrError) {
  JobSpec spec = Spec(kPraisonai, absl::Minutes(1));
  spec.running = absl::Hours(1);
  const std::string id = Add(spec);
  StreamReader stream(NewClient(), Prefix(kPraisonai) + JobPath(kPraisonai, id) + "/stream", {});
  ASSERT_TRUE(stream.WaitFor(R"("status":"running")"));
  EXPECT_EQ(Cancel(kPraisonai, id).status, 200);
  ASSERT_TRUE(stream.WaitFor("event: cancelled\n"));
  EXPECT_EQ(stream.done().get(), 200);

  JobSpec failing = Spec(kPraisonai, absl::Hours(1));
  failing.outcome = JobOutcome::kFailed;
  failing.failure_message = "Agent execution timeout";
  const std::string failed = Add(failing);
  StreamReader finished(NewClient(), Prefix(kPraisonai) + JobPath(kPraisonai, failed) + "/stream",
                        {});
  EXPECT_EQ(finished.done().get(), 200);
  EXPECT_THAT(finished.text(), HasSubstr("event: error\ndata: "));
  EXPECT_THAT(finished.text(), HasSubstr("Agent execution timeout"));

  EXPECT_EQ(Call("GET", kPraisonai, "/api/v1/runs/run_missing/stream").status, 404);
}

// --- Cancel and delete
// -------------------------------------------------------------------------

TEST_F(EmulatorTest, QbraidCancelRules) {
  JobSpec spec = Spec(kQbraid);
  spec.initializing = absl::Seconds(10);
  spec.running = absl::Hours(1);
  const std::string id = Add(spec);

  Answer early = Cancel(kQbraid, id);
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(Str(Obj(early.Json(), "error"), "code"), "JOB_CANCEL_CONFLICT");
  EXPECT_THAT(Str(early.Json(), "message"), HasSubstr("try again in a few moments"));
  EXPECT_EQ(StatusOf(kQbraid, id), "INITIALIZING");

  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(StatusOf(kQbraid, id), "RUNNING");
  Answer ok = Cancel(kQbraid, id);
  EXPECT_EQ(ok.status, 202);
  const Struct data = Obj(ok.Json(), "data");
  EXPECT_EQ(Str(data, "message"), "Job cancellation initiated successfully");
  EXPECT_EQ(Str(data, "jobQrn"), id);
  EXPECT_EQ(Str(data, "status"), "CANCELLING");
  EXPECT_EQ(StatusOf(kQbraid, id), "CANCELLING");
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(StatusOf(kQbraid, id), "CANCELLING");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(StatusOf(kQbraid, id), "CANCELLED");
  EXPECT_EQ(Cancel(kQbraid, id).status, 400);

  const std::string done = Add(Spec(kQbraid, absl::Hours(1)));
  Answer terminal = Cancel(kQbraid, done);
  EXPECT_EQ(terminal.status, 400);
  EXPECT_EQ(json::GetBool(terminal.Json(), "success"), false);
  EXPECT_EQ(StatusOf(kQbraid, done), "COMPLETED");
  EXPECT_EQ(Cancel(kQbraid, "missing").status, 404);
}

TEST_F(EmulatorTest, IonqCancelsInAnyStateEvenCompleted) {
  const std::string done = Add(Spec(kIonq, absl::Hours(1)));
  EXPECT_EQ(StatusOf(kIonq, done), "completed");
  Answer a = Cancel(kIonq, done);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(Str(a.Json(), "id"), done);
  EXPECT_EQ(Str(a.Json(), "status"), "canceled");
  EXPECT_EQ(StatusOf(kIonq, done), "canceled");

  JobSpec spec = Spec(kIonq, absl::Minutes(1));
  spec.running = absl::Hours(1);
  const std::string running = Add(spec);
  EXPECT_EQ(StatusOf(kIonq, running), "started");
  EXPECT_EQ(Cancel(kIonq, running).status, 200);
  EXPECT_EQ(StatusOf(kIonq, running), "canceled");
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(StatusOf(kIonq, running), "canceled");
  EXPECT_EQ(Cancel(kIonq, "00000000-0000-4000-8000-000000000000").status, 404);
}

TEST_F(EmulatorTest, PraisonaiCancelRules) {
  JobSpec spec = Spec(kPraisonai, absl::Minutes(1));
  spec.running = absl::Hours(1);
  const std::string running = Add(spec);
  Answer a = Cancel(kPraisonai, running);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(Str(a.Json(), "status"), "cancelled");
  EXPECT_EQ(Str(a.Json(), "job_id"), running);
  EXPECT_EQ(StatusOf(kPraisonai, running), "cancelled");

  const std::string done = Add(Spec(kPraisonai, absl::Hours(1)));
  Answer late = Cancel(kPraisonai, done);
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(Str(late.Json(), "detail"), "Job is already complete. Status: succeeded");
}

TEST_F(EmulatorTest, DeleteRulesPerVendor) {
  // qBraid deletes in any state, even RUNNING.
  JobSpec running_q = Spec(kQbraid, absl::Minutes(1));
  running_q.running = absl::Hours(1);
  const std::string q = Add(running_q);
  EXPECT_EQ(StatusOf(kQbraid, q), "RUNNING");
  Answer dq = Delete(kQbraid, q);
  EXPECT_EQ(dq.status, 200);
  EXPECT_EQ(Str(Obj(dq.Json(), "data"), "message"), "Job deleted successfully");
  EXPECT_EQ(GetJob(kQbraid, q).status, 404);
  EXPECT_EQ(Delete(kQbraid, q).status, 404);
  EXPECT_TRUE(List(Call("GET", kQbraid, "/jobs").Json(), "data").empty());

  // IonQ too.
  JobSpec running_i = Spec(kIonq, absl::Minutes(1));
  running_i.running = absl::Hours(1);
  const std::string i = Add(running_i);
  Answer di = Delete(kIonq, i);
  EXPECT_EQ(di.status, 200);
  EXPECT_EQ(Str(di.Json(), "id"), i);
  EXPECT_EQ(Str(di.Json(), "status"), "deleted");
  EXPECT_EQ(GetJob(kIonq, i).status, 404);
  EXPECT_TRUE(List(Call("GET", kIonq, "/jobs").Json(), "jobs").empty());

  // PraisonAI refuses while queued or running.
  JobSpec running_p = Spec(kPraisonai, absl::Minutes(1));
  running_p.running = absl::Hours(1);
  const std::string p = Add(running_p);
  Answer refused = Delete(kPraisonai, p);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(Str(refused.Json(), "detail"), "Cannot delete a running job. Cancel it first.");
  EXPECT_EQ(StatusOf(kPraisonai, p), "running");
  EXPECT_EQ(Cancel(kPraisonai, p).status, 200);
  Answer dp = Delete(kPraisonai, p);
  EXPECT_EQ(dp.status, 204);
  EXPECT_TRUE(dp.body.empty());
  EXPECT_EQ(GetJob(kPraisonai, p).status, 404);
  EXPECT_TRUE(List(Call("GET", kPraisonai, "/api/v1/runs").Json(), "jobs").empty());
}

TEST_F(EmulatorTest, RawJobsAreServedVerbatim) {
  const std::string raw = R"({"success":true,"data":{"jobQrn":"x","status":"HOLD","odd":[1,2]}})";
  emulator_->PutRawJob(kQbraid, "x", raw);
  Answer a = GetJob(kQbraid, "x");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, raw);
  EXPECT_EQ(Cancel(kQbraid, "x").status, 404);  // nothing seeded behind it
  emulator_->PutRawJob(kQbraid, "x", "");
  EXPECT_EQ(GetJob(kQbraid, "x").status, 404);

  // A raw body over a seeded job changes only GET.
  JobSpec spec = Spec(kPraisonai);
  spec.queued = absl::Hours(1);
  const std::string id = Add(spec);
  emulator_->PutRawJob(kPraisonai, id, "not json at all");
  EXPECT_EQ(GetJob(kPraisonai, id).body, "not json at all");
  EXPECT_EQ(Cancel(kPraisonai, id).status, 200);
}

TEST_F(EmulatorTest, FixedStatusIsReportedUntilCancelled) {
  JobSpec spec = Spec(kQbraid, absl::Hours(1));
  spec.fixed_status = "HOLD";
  const std::string id = Add(spec);
  EXPECT_EQ(StatusOf(kQbraid, id), "HOLD");
  EXPECT_EQ(List(Call("GET", kQbraid, "/jobs?status=HOLD").Json(), "data").size(), 1u);
}

// Sends one raw request (with "Connection: close") and returns everything the
// server sent within three seconds.
std::string RawExchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, n);
  close(fd);
  return answer;
}

TEST_F(EmulatorTest, BodylessPutAndPostWithoutContentLengthAreAnswered) {
  JobSpec spec = Spec(kIonq, absl::Minutes(1));
  spec.running = absl::Hours(1);
  const std::string id = Add(spec);
  const std::string answer =
      RawExchange(emulator_->port(),
                  absl::StrCat("PUT ", Prefix(kIonq), "/jobs/", id, "/status/cancel HTTP/1.1\r\n",
                               "Host: 127.0.0.1\r\nAuthorization: apiKey ", kIonqKey,
                               "\r\nConnection: close\r\n\r\n"));
  EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr(R"("status":"canceled")"));

  JobSpec running = Spec(kPraisonai, absl::Minutes(1));
  running.running = absl::Hours(1);
  const std::string run = Add(running);
  EXPECT_THAT(
      RawExchange(emulator_->port(), absl::StrCat("POST ", Prefix(kPraisonai), "/api/v1/runs/", run,
                                                  "/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                                  "Connection: close\r\n\r\n")),
      ::testing::StartsWith("HTTP/1.1 200"));
}

// --- Faults
// ------------------------------------------------------------------------------------

TEST_F(EmulatorTest, HttpStatusFaultWithHeadersAndCount) {
  const std::string id = Add(Spec(kIonq));
  FaultSpec fault;
  fault.vendor = kIonq;
  fault.status = 429;
  fault.headers = {{"Retry-After", "3"}};
  fault.count = 2;
  emulator_->InjectFault(fault);
  for (int i = 0; i < 2; ++i) {
    Answer a = GetJob(kIonq, id);
    EXPECT_EQ(a.status, 429);
    EXPECT_EQ(a.Header("Retry-After"), "3");
    EXPECT_EQ(json::GetInt(a.Json(), "statusCode"),
              429);  // IonQ's own envelope
  }
  EXPECT_EQ(GetJob(kIonq, id).status, 200);

  // Scoped by vendor, job, method and route; -1 lasts until cleared.
  FaultSpec scoped;
  scoped.vendor = kQbraid;
  scoped.method = "POST";
  scoped.route = "cancel";
  scoped.status = 503;
  scoped.body = "<html>Service Unavailable</html>";
  scoped.content_type = "text/html";
  emulator_->InjectFault(scoped);
  JobSpec spec = Spec(kQbraid, absl::Minutes(1));
  spec.running = absl::Hours(1);
  const std::string q = Add(spec);
  EXPECT_EQ(GetJob(kQbraid, q).status, 200);
  for (int i = 0; i < 3; ++i) {
    Answer a = Cancel(kQbraid, q);
    EXPECT_EQ(a.status, 503);
    EXPECT_EQ(a.body, "<html>Service Unavailable</html>");
    EXPECT_THAT(a.Header("Content-Type"), HasSubstr("text/html"));
  }
  emulator_->ClearFaults();
  EXPECT_EQ(Cancel(kQbraid, q).status, 202);

  FaultSpec one_job;
  one_job.job_id = id;
  one_job.status = 500;
  emulator_->InjectFault(one_job);
  EXPECT_EQ(GetJob(kIonq, id).status, 500);
  EXPECT_EQ(GetJob(kQbraid, q).status, 200);
}

TEST_F(EmulatorTest, ConnectionFaultsLeaveNoResponse) {
  const std::string id = Add(Spec(kQbraid));
  for (FaultKind kind : {FaultKind::kReset, FaultKind::kClose, FaultKind::kTruncate}) {
    FaultSpec fault;
    fault.kind = kind;
    fault.count = 1;
    emulator_->InjectFault(fault);
    auto client = NewClient();
    Answer a = Send(*client, "GET", Prefix(kQbraid) + JobPath(kQbraid, id), Auth(kQbraid));
    EXPECT_EQ(a.status, 0) << static_cast<int>(kind) << " " << a.body;
    EXPECT_NE(a.error, httplib::Error::Success);
  }
  EXPECT_EQ(GetJob(kQbraid, id).status, 200);

  // The truncated body is a real prefix of the real answer.
  const std::string full = GetJob(kQbraid, id).body;
  FaultSpec truncate;
  truncate.kind = FaultKind::kTruncate;
  truncate.count = 1;
  emulator_->InjectFault(truncate);
  std::string received;
  auto client = NewClient();
  auto r = client->Get(Prefix(kQbraid) + JobPath(kQbraid, id), Auth(kQbraid),
                       [&](const char* data, size_t n) {
                         received.append(data, n);
                         return true;
                       });
  EXPECT_FALSE(r);
  EXPECT_FALSE(received.empty());
  EXPECT_LT(received.size(), full.size());
  EXPECT_EQ(full.substr(0, received.size()), received);
}

TEST_F(EmulatorTest, BodyFaultsAreSentVerbatim) {
  const std::string id = Add(Spec(kPraisonai));
  const std::string garbage = std::string("\xff\xfe{\"job_id\":\x80", 13);
  FaultSpec fault;
  fault.kind = FaultKind::kBody;
  fault.status = 200;
  fault.body = garbage;
  fault.count = 1;
  emulator_->InjectFault(fault);
  Answer a = GetJob(kPraisonai, id);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, garbage);

  FaultSpec big;
  big.kind = FaultKind::kBody;
  big.status = 200;
  big.body = std::string(10 << 20, 'x');
  big.count = 1;
  emulator_->InjectFault(big);
  Answer b = GetJob(kPraisonai, id);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body.size(), size_t{10 << 20});
}

// What a raw socket read until the server stopped: the bytes, and how the
// connection ended.
struct RawOutcome {
  std::string received;
  bool reset = false;  // ECONNRESET
  bool eof = false;    // orderly close
  bool timed_out = false;
};

// Sends one raw HTTP request on a fresh connection and reads until the server
// ends it (bounded to 10 s).
RawOutcome SendRaw(int port, const std::string& request) {
  RawOutcome out;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
    close(fd);
    return out;
  }
  char buf[65536];
  while (true) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      out.received.append(buf, n);
      continue;
    }
    if (n == 0) {
      out.eof = true;
    } else if (errno == ECONNRESET) {
      out.reset = true;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      out.timed_out = true;
    }
    break;
  }
  close(fd);
  return out;
}

// The value of header `name` in a raw response head ("" when absent).
std::string RawHeader(const std::string& response, const std::string& name) {
  const std::string head = response.substr(0, response.find("\r\n\r\n"));
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos && absl::EqualsIgnoreCase(line.substr(0, colon), name)) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

std::string RawBody(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

TEST_F(EmulatorTest, ResetMidBodySendsHeadersAndPartOfTheBodyThenRst) {
  const std::string id = Add(Spec(kQbraid));
  const std::string full = GetJob(kQbraid, id).body;
  ASSERT_GT(full.size(), 100u);
  const std::string request =
      absl::StrCat("GET ", Prefix(kQbraid), JobPath(kQbraid, id),
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: ", kQbraidKey, "\r\n\r\n");
  for (FaultKind kind : {FaultKind::kResetMidBody, FaultKind::kTruncate}) {
    SCOPED_TRACE(FaultKindName(kind));
    FaultSpec fault;
    fault.vendor = kQbraid;
    fault.job_id = id;
    fault.kind = kind;
    fault.count = 1;
    emulator_->InjectFault(fault);
    RawOutcome raw = SendRaw(emulator_->port(), request);
    EXPECT_TRUE(absl::StartsWith(raw.received, "HTTP/1.1 200")) << raw.received.substr(0, 80);
    EXPECT_EQ(RawHeader(raw.received, "Content-Length"), absl::StrCat(full.size()));
    const std::string body = RawBody(raw.received);
    EXPECT_FALSE(body.empty());
    EXPECT_LT(body.size(), full.size());
    EXPECT_EQ(full.substr(0, body.size()), body);
    // The one difference: how the connection ends.
    EXPECT_EQ(raw.reset, kind == FaultKind::kResetMidBody);
    EXPECT_EQ(raw.eof, kind == FaultKind::kTruncate);
    EXPECT_FALSE(raw.timed_out);
  }
  EXPECT_EQ(emulator_->stats(kQbraid).Count("GET", "get"), 3);
}

TEST_F(EmulatorTest, ResetBeforeAnswerIsAnRstWithNothingSent) {
  const std::string id = Add(Spec(kIonq));
  FaultSpec fault;
  fault.kind = FaultKind::kReset;
  fault.count = 1;
  emulator_->InjectFault(fault);
  RawOutcome raw = SendRaw(
      emulator_->port(),
      absl::StrCat("GET ", Prefix(kIonq), JobPath(kIonq, id), " HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(raw.reset);
  EXPECT_EQ(raw.received, "");
}

TEST_F(EmulatorTest, TruncatedJsonIsAWholeResponseWithHalfTheBody) {
  const std::string id = Add(Spec(kPraisonai));
  const std::string full = GetJob(kPraisonai, id).body;
  FaultSpec fault;
  fault.vendor = kPraisonai;
  fault.kind = FaultKind::kTruncatedJson;
  fault.count = 1;
  emulator_->InjectFault(fault);
  Answer a = GetJob(kPraisonai, id);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, full.substr(0, full.size() / 2));
  EXPECT_FALSE(json::Parse(a.body).ok());
  EXPECT_EQ(GetJob(kPraisonai, id).body, full);  // count 1
}

TEST_F(EmulatorTest, FieldValueReplacesTheFieldInEveryJobObject) {
  JobSpec spec = Spec(kQbraid, absl::Minutes(5));
  const std::string first = Add(spec);
  const std::string second = Add(spec);
  FaultSpec status_number;
  status_number.vendor = kQbraid;
  status_number.kind = FaultKind::kFieldValue;
  status_number.field = "status";
  status_number.raw_value = "42";
  emulator_->InjectFault(status_number);
  Struct job = JobBody(kQbraid, first);
  EXPECT_EQ(json::GetInt(job, "status"), 42);
  EXPECT_EQ(Str(job, "jobQrn"), first);  // the rest is untouched
  const std::vector<Struct> listed = List(Call("GET", kQbraid, "/jobs").Json(), "data");
  ASSERT_EQ(listed.size(), 2u);
  for (const Struct& item : listed) EXPECT_EQ(json::GetInt(item, "status"), 42);
  emulator_->ClearFaults();

  // A nested member, and a value that is an object where a string belongs.
  FaultSpec created_object = status_number;
  created_object.job_id = second;
  created_object.field = "timeStamps.createdAt";
  created_object.raw_value = R"({"$date":1767225600000})";
  emulator_->InjectFault(created_object);
  const Struct hit = JobBody(kQbraid, second);
  const Struct& stamps = Obj(hit, "timeStamps");
  EXPECT_EQ(json::GetInt(Obj(stamps, "createdAt"), "$date"), 1767225600000);
  emulator_->ClearFaults();
  // Several members at once.
  FaultSpec both = created_object;
  both.field = "createdAt,timeStamps.createdAt";
  both.raw_value = "{}";
  emulator_->InjectFault(both);
  const Struct both_hit = JobBody(kQbraid, second);
  EXPECT_NE(json::GetObject(both_hit, "createdAt"), nullptr);
  EXPECT_NE(json::GetObject(Obj(both_hit, "timeStamps"), "createdAt"), nullptr);
  const Struct other = JobBody(kQbraid, first);  // another job: not hit
  EXPECT_TRUE(json::GetString(Obj(other, "timeStamps"), "createdAt").has_value());

  // Bytes that are not UTF-8 arrive verbatim; IonQ jobs are the document itself.
  const std::string ionq = Add(Spec(kIonq));
  FaultSpec bad_utf8;
  bad_utf8.vendor = kIonq;
  bad_utf8.kind = FaultKind::kFieldValue;
  bad_utf8.field = "name";
  bad_utf8.raw_value = "\"Bell \xff\xfe state\"";
  bad_utf8.count = 1;
  emulator_->InjectFault(bad_utf8);
  Answer a = GetJob(kIonq, ionq);
  EXPECT_EQ(a.status, 200);
  EXPECT_THAT(a.body, HasSubstr("\"name\":\"Bell \xff\xfe state\""));
}

TEST_F(EmulatorTest, LargeBodyHasTheAskedSizeAndStaysTheSameJson) {
  const std::string id = Add(Spec(kQbraid));
  const Struct normal = JobBody(kQbraid, id);
  FaultSpec big;
  big.vendor = kQbraid;
  big.kind = FaultKind::kLargeBody;
  big.body_size = int64_t{10} << 20;
  big.count = 1;
  emulator_->InjectFault(big);
  Answer a = GetJob(kQbraid, id);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body.size(), size_t{10} << 20);
  Struct padded = a.Json();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Obj(padded, "data"), normal));

  // A body that is not an object grows with spaces.
  FaultSpec on_error = big;
  on_error.body_size = 4096;
  emulator_->InjectFault(on_error);
  Answer missing = GetJob(kQbraid, "no-such-job");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body.size(), 4096u);
  EXPECT_TRUE(json::ParseObject(missing.body).ok());
}

TEST_F(EmulatorTest, HtmlPagesWithAnErrorOrA200) {
  const std::string id = Add(Spec(kIonq));
  for (int status : {502, 200}) {
    FaultSpec html;
    html.vendor = kIonq;
    html.kind = FaultKind::kHtmlPage;
    html.status = status;
    html.count = 1;
    emulator_->InjectFault(html);
    Answer a = GetJob(kIonq, id);
    EXPECT_EQ(a.status, status);
    EXPECT_THAT(a.Header("Content-Type"), HasSubstr("text/html"));
    EXPECT_THAT(a.body, HasSubstr("<html"));
    EXPECT_FALSE(json::Parse(a.body).ok());
  }
}

TEST_F(EmulatorTest, RedirectPointsElsewhereAndAFollowerShowsInTheStats) {
  const std::string id = Add(Spec(kPraisonai));
  FaultSpec redirect;
  redirect.vendor = kPraisonai;
  redirect.kind = FaultKind::kRedirect;
  redirect.status = 302;
  redirect.count = 1;
  emulator_->InjectFault(redirect);
  Answer a = GetJob(kPraisonai, id);
  EXPECT_EQ(a.status, 302);
  const std::string moved_path = "/praisonai/moved/api/v1/runs/" + id;
  EXPECT_EQ(a.Header("Location"), absl::StrCat("http://localhost:", emulator_->port(), moved_path));
  EXPECT_EQ(emulator_->stats(kPraisonai).Count("GET", "other"), 0);
  EXPECT_EQ(Send(*client_, "GET", moved_path, {}).status, 404);
  EXPECT_EQ(emulator_->stats(kPraisonai).Count("GET", "other"), 1);

  redirect.location = "http://127.0.0.2:1/elsewhere";
  redirect.status = 200;  // not a redirect status: 302 is sent
  emulator_->InjectFault(redirect);
  Answer b = GetJob(kPraisonai, id);
  EXPECT_EQ(b.status, 302);
  EXPECT_EQ(b.Header("Location"), "http://127.0.0.2:1/elsewhere");
}

TEST_F(EmulatorTest, RetryAfterAsSecondsOrAsAnHttpDate) {
  const std::string id = Add(Spec(kQbraid));
  FaultSpec limited;
  limited.vendor = kQbraid;
  limited.status = 429;
  limited.retry_after = absl::Milliseconds(1200);
  limited.count = 1;
  emulator_->InjectFault(limited);
  Answer seconds = GetJob(kQbraid, id);
  EXPECT_EQ(seconds.status, 429);
  EXPECT_EQ(seconds.Header("Retry-After"), "2");  // rounded up, never earlier

  limited.retry_after = absl::Seconds(30);
  limited.retry_after_http_date = true;
  emulator_->InjectFault(limited);
  const absl::Time before = absl::Now();
  Answer dated = GetJob(kQbraid, id);
  EXPECT_EQ(dated.status, 429);
  absl::Time when;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", dated.Header("Retry-After"),
                              absl::UTCTimeZone(), &when, &error))
      << dated.Header("Retry-After") << ": " << error;
  EXPECT_GE(when, before + absl::Seconds(30) - absl::Seconds(1));
  EXPECT_LE(when, absl::Now() + absl::Seconds(31));
  // On any answered fault, not only error statuses.
  FaultSpec html;
  html.kind = FaultKind::kHtmlPage;
  html.status = 503;
  html.retry_after = absl::Seconds(3);
  html.count = 1;
  emulator_->InjectFault(html);
  EXPECT_EQ(GetJob(kQbraid, id).Header("Retry-After"), "3");
}

TEST_F(EmulatorTest, GlobalFaultsHitEveryVendorAndJobFaultsOnlyTheirJob) {
  std::map<std::string, std::string> ids;
  for (const char* vendor : {kQbraid, kIonq, kPraisonai}) ids[vendor] = Add(Spec(vendor));
  FaultSpec everywhere;  // vendor "*", any job
  everywhere.kind = FaultKind::kTruncatedJson;
  emulator_->InjectFault(everywhere);
  for (const auto& [vendor, id] : ids) {
    Answer a = GetJob(vendor, id);
    EXPECT_EQ(a.status, 200) << vendor;
    EXPECT_FALSE(json::Parse(a.body).ok()) << vendor;
  }
  emulator_->ClearFaults();
  FaultSpec one_job;  // vendor "*", one job
  one_job.job_id = ids[kIonq];
  one_job.kind = FaultKind::kHtmlPage;
  one_job.status = 502;
  emulator_->InjectFault(one_job);
  EXPECT_EQ(GetJob(kIonq, ids[kIonq]).status, 502);
  EXPECT_EQ(GetJob(kQbraid, ids[kQbraid]).status, 200);
  EXPECT_EQ(GetJob(kPraisonai, ids[kPraisonai]).status, 200);
}

TEST_F(EmulatorTest, RequestsRecordWhenTheyArrivedInRealTime) {
  const std::string id = Add(Spec(kIonq));
  const absl::Time start = absl::Now();
  GetJob(kIonq, id);
  absl::SleepFor(absl::Milliseconds(50));  // real spacing is what is recorded
  GetJob(kIonq, id);
  const Stats stats = emulator_->stats(kIonq);
  ASSERT_EQ(stats.recent.size(), 2u);
  EXPECT_GE(stats.recent[0].received, start);
  EXPECT_GE(stats.recent[1].received - stats.recent[0].received, absl::Milliseconds(50));
  EXPECT_LE(stats.recent[1].received, absl::Now());
}

TEST_F(EmulatorTest, TlsIsServedOnlyToClientsThatTrustTheCertificate) {
  auto cert = SelfSignedCert::Create();
  ASSERT_TRUE(cert.ok()) << cert.status();
  VendorEmulator::Options options = BaseOptions();
  options.tls_cert_file = cert->cert_path();
  options.tls_key_file = cert->key_path();
  Restart(options);
  EXPECT_TRUE(absl::StartsWith(emulator_->root_url(), "https://127.0.0.1:"));
  EXPECT_TRUE(absl::StartsWith(emulator_->base_url(kIonq), "https://127.0.0.1:"));
  const std::string path = Prefix(kIonq) + "/jobs";

  httplib::SSLClient untrusting("127.0.0.1", emulator_->port());
  untrusting.enable_server_certificate_verification(true);
  auto refused = untrusting.Get(path.c_str(), Auth(kIonq));
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.error(), httplib::Error::SSLServerVerification);

  httplib::SSLClient trusting("127.0.0.1", emulator_->port());
  trusting.set_ca_cert_path(cert->cert_path().c_str());
  trusting.enable_server_certificate_verification(true);
  auto answered = trusting.Get(path.c_str(), Auth(kIonq));
  ASSERT_TRUE(answered) << answered.error();
  EXPECT_EQ(answered->status, 200);

  // Plain HTTP gets no HTTP answer from a TLS port.
  EXPECT_EQ(Call("GET", kIonq, "/jobs").status, 0);

  options.tls_key_file.clear();
  EXPECT_FALSE(VendorEmulator::Start(options).ok());
  options.tls_key_file = "/nonexistent/key.pem";
  EXPECT_FALSE(VendorEmulator::Start(options).ok());
}

TEST_F(EmulatorTest, StallHoldsUntilReleasedOrTimedOut) {
  const std::string id = Add(Spec(kIonq));
  FaultSpec fault;
  fault.kind = FaultKind::kStall;
  fault.stall = absl::Seconds(30);
  fault.count = 1;
  emulator_->InjectFault(fault);
  auto client = NewClient();
  auto pending = std::async(std::launch::async, [&] {
    return Send(*client, "GET", Prefix(kIonq) + JobPath(kIonq, id), Auth(kIonq));
  });
  // Wait (bounded) until the request is inside the emulator.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (emulator_->stats(kIonq).in_flight == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(emulator_->stats(kIonq).in_flight, 1);
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  emulator_->ReleaseStalls();
  EXPECT_EQ(pending.get().status, 200);

  fault.stall = absl::Milliseconds(200);
  emulator_->InjectFault(fault);
  const Stopwatch start;
  EXPECT_EQ(GetJob(kIonq, id).status, 200);
  EXPECT_GE(start.Elapsed(), absl::Milliseconds(190));
}

TEST_F(EmulatorTest, LatencyDelaysOnlyThatVendor) {
  const std::string id = Add(Spec(kIonq));
  emulator_->SetLatency(kIonq, absl::Milliseconds(800));
  Stopwatch start;
  EXPECT_EQ(GetJob(kIonq, id).status, 200);
  EXPECT_GE(start.Elapsed(), absl::Milliseconds(790));
  start = Stopwatch();
  EXPECT_EQ(Call("GET", kQbraid, "/jobs").status, 200);
  EXPECT_LT(start.Elapsed(), absl::Milliseconds(700));

  emulator_->SetLatency("*", absl::Milliseconds(150));
  start = Stopwatch();
  EXPECT_EQ(Call("GET", kPraisonai, "/api/v1/runs").status, 200);
  EXPECT_GE(start.Elapsed(), absl::Milliseconds(140));
}

// --- Stats
// -------------------------------------------------------------------------------------

TEST_F(EmulatorTest, StatsCountRoutesAuthAndConcurrency) {
  const std::string id = Add(Spec(kQbraid));
  GetJob(kQbraid, id);
  Call("GET", kQbraid, "/jobs?limit=2&page=1");
  Send(*client_, "GET", Prefix(kQbraid) + "/jobs", {});
  Delete(kQbraid, id);
  Stats s = emulator_->stats(kQbraid);
  EXPECT_EQ(s.total, 4);
  EXPECT_EQ(s.Count("GET", "get"), 1);
  EXPECT_EQ(s.Count("GET", "list"), 2);
  EXPECT_EQ(s.Count("DELETE", "delete"), 1);
  EXPECT_EQ(s.Count("POST", "cancel"), 0);  // "no cancel request was sent"
  ASSERT_EQ(s.recent.size(), 4u);
  EXPECT_EQ(s.recent[0].route, "get");
  EXPECT_EQ(s.recent[0].job_id, id);
  EXPECT_EQ(s.recent[0].status, 200);
  EXPECT_TRUE(s.recent[0].has_auth);
  EXPECT_EQ(s.recent[1].query, "limit=2&page=1");
  EXPECT_FALSE(s.recent[2].has_auth);
  EXPECT_EQ(s.recent[2].status, 401);
  EXPECT_EQ(s.recent[3].method, "DELETE");
  EXPECT_EQ(emulator_->stats(kIonq).total, 0);
  EXPECT_EQ(emulator_->stats("*").total, 4);

  emulator_->ResetStats();
  EXPECT_EQ(emulator_->stats(kQbraid).total, 0);
  EXPECT_TRUE(emulator_->stats(kQbraid).recent.empty());

  constexpr int kParallel = 8;
  emulator_->SetLatency(kIonq, absl::Milliseconds(400));
  std::vector<std::future<int>> calls;
  for (int i = 0; i < kParallel; ++i) {
    calls.push_back(std::async(std::launch::async, [this] {
      auto client = NewClient();
      return Send(*client, "GET", Prefix(kIonq) + "/jobs", Auth(kIonq)).status;
    }));
  }
  for (auto& c : calls) EXPECT_EQ(c.get(), 200);
  Stats ionq = emulator_->stats(kIonq);
  EXPECT_EQ(ionq.total, kParallel);
  EXPECT_EQ(ionq.in_flight, 0);
  EXPECT_GE(ionq.max_in_flight, 4);
  EXPECT_LE(ionq.max_in_flight, kParallel);
}

// --- Control API
// --------------------------------------------------------------------------------

TEST_F(EmulatorTest, ControlApiOverHttp) {
  auto control = [&](const std::string& method, const std::string& path,
                     const std::string& body = "") {
    return Send(*client_, method, "/_emulator/" + path, {}, body);
  };
  EXPECT_EQ(control("GET", "health").status, 200);

  Answer added = control("POST", "jobs",
                         R"({"vendor":"ionq","name":"via http","created_seconds_ago":5,)"
                         R"("queued_seconds":-1,"tags":{"k":"v"}})");
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string id = Str(added.Json(), "id");
  Struct job = JobBody(kIonq, id);
  EXPECT_EQ(Str(job, "name"), "via http");
  EXPECT_EQ(Str(job, "status"), "ready");
  EXPECT_EQ(Str(Obj(job, "metadata"), "k"), "v");
  EXPECT_EQ(List(control("GET", "jobs?vendor=ionq").Json(), "ids").size(), 1u);
  EXPECT_EQ(control("POST", "jobs", R"({"vendor":"ionq","nmae":"typo"})").status, 400);
  EXPECT_EQ(control("POST", "jobs", R"({"vendor":"acme"})").status, 400);

  EXPECT_EQ(
      control("POST", "raw_jobs", R"({"vendor":"praisonai","id":"run_raw","body":"<b>"})").status,
      200);
  EXPECT_EQ(GetJob(kPraisonai, "run_raw").body, "<b>");

  EXPECT_EQ(control("POST", "faults",
                    R"({"vendor":"ionq","kind":"http_status","status":502,"count":1,)"
                    R"("headers":{"X-Test":"1"}})")
                .status,
            200);
  Answer faulted = GetJob(kIonq, id);
  EXPECT_EQ(faulted.status, 502);
  EXPECT_EQ(faulted.Header("X-Test"), "1");
  EXPECT_EQ(GetJob(kIonq, id).status, 200);
  EXPECT_EQ(control("POST", "faults", R"({"kind":"body","body_base64":"/w==","count":-1})").status,
            200);
  EXPECT_EQ(GetJob(kIonq, id).body, "\xff");
  EXPECT_EQ(control("DELETE", "faults").status, 200);
  EXPECT_EQ(GetJob(kIonq, id).status, 200);
  EXPECT_EQ(control("POST", "faults", R"({"kind":"explode"})").status, 400);

  // The kinds that spoil the real answer, by name.
  EXPECT_EQ(control("POST", "faults",
                    R"({"vendor":"ionq","kind":"field_value","field":"status","raw_value":"7",)"
                    R"("count":1})")
                .status,
            200);
  EXPECT_EQ(json::GetInt(GetJob(kIonq, id).Json(), "status"), 7);
  EXPECT_EQ(
      control("POST", "faults",
              absl::StrCat(R"({"kind":"field_value","field":"name","count":1,)",
                           R"("raw_value_base64":")", absl::Base64Escape("\"a\xff\""), R"("})"))
          .status,
      200);
  EXPECT_THAT(GetJob(kIonq, id).body, HasSubstr("\"name\":\"a\xff\""));
  EXPECT_EQ(
      control("POST", "faults", R"({"kind":"large_body","body_size":100000,"count":1})").status,
      200);
  EXPECT_EQ(GetJob(kIonq, id).body.size(), 100000u);
  EXPECT_EQ(control("POST", "faults", R"({"kind":"truncated_json","count":1})").status, 200);
  EXPECT_FALSE(json::Parse(GetJob(kIonq, id).body).ok());
  EXPECT_EQ(control("POST", "faults", R"({"kind":"html","count":1})").status, 200);
  EXPECT_EQ(GetJob(kIonq, id).status, 502);  // the kind's default status
  EXPECT_EQ(control("POST", "faults", R"({"kind":"html","status":200,"count":1})").status, 200);
  EXPECT_THAT(GetJob(kIonq, id).body, HasSubstr("<html"));
  EXPECT_EQ(control("POST", "faults",
                    R"({"kind":"redirect","location":"http://other.example/x","count":1})")
                .status,
            200);
  Answer moved = GetJob(kIonq, id);
  EXPECT_EQ(moved.status, 302);
  EXPECT_EQ(moved.Header("Location"), "http://other.example/x");
  EXPECT_EQ(control("POST", "faults",
                    R"({"kind":"http_status","status":429,"retry_after_seconds":5,"count":1})")
                .status,
            200);
  EXPECT_EQ(GetJob(kIonq, id).Header("Retry-After"), "5");
  EXPECT_EQ(control("POST", "faults",
                    R"({"kind":"http_status","status":429,"retry_after_seconds":5,)"
                    R"("retry_after_http_date":true,"count":1})")
                .status,
            200);
  EXPECT_THAT(GetJob(kIonq, id).Header("Retry-After"), HasSubstr(" GMT"));
  EXPECT_EQ(control("POST", "faults", R"({"kind":"reset_mid_body","count":1})").status, 200);
  EXPECT_EQ(GetJob(kIonq, id).status, 0);
  EXPECT_EQ(GetJob(kIonq, id).status, 200);
  for (const char* bad :
       {R"({"kind":"field_value","raw_value":"1"})", R"({"kind":"field_value","field":"status"})",
        R"({"kind":"large_body","body_size":0})",
        R"({"kind":"http_status","retry_after_http_date":true})",
        R"({"kind":"http_status","retry_after_seconds":-1})"}) {
    EXPECT_EQ(control("POST", "faults", bad).status, 400) << bad;
  }

  EXPECT_EQ(control("POST", "latency", R"({"vendor":"ionq","ms":200})").status, 200);
  const Stopwatch start;
  GetJob(kIonq, id);
  EXPECT_GE(start.Elapsed(), absl::Milliseconds(190));
  EXPECT_EQ(control("POST", "latency", R"({"vendor":"*","ms":0})").status, 200);

  Struct stats = control("GET", "stats?vendor=ionq").Json();
  EXPECT_GE(json::GetInt(stats, "total"), 5);
  EXPECT_GE(json::GetInt(Obj(stats, "by_route"), "GET get"), 5);
  EXPECT_FALSE(List(stats, "recent").empty());
  EXPECT_EQ(control("POST", "stats/reset").status, 200);
  EXPECT_EQ(json::GetInt(control("GET", "stats?vendor=ionq").Json(), "total"), 0);

  const absl::Time before = clock_.Now();
  Answer advanced = control("POST", "clock/advance?seconds=90");
  EXPECT_EQ(advanced.status, 200);
  EXPECT_EQ(clock_.Now() - before, absl::Seconds(90));
  EXPECT_EQ(ParseVendorTimestamp(Str(advanced.Json(), "now")), clock_.Now());

  EXPECT_EQ(control("DELETE", "jobs").status, 200);
  EXPECT_EQ(GetJob(kIonq, id).status, 404);
  EXPECT_EQ(control("GET", "nothing-here").status, 404);
}

TEST_F(EmulatorTest, ClockAdvanceNeedsAManualClock) {
  VendorEmulator::Options options = BaseOptions();
  options.manual_clock = nullptr;
  options.clock = &clock_;
  Restart(options);
  EXPECT_EQ(Send(*client_, "POST", "/_emulator/clock/advance?seconds=5", {}).status, 409);
}

// --- Demo data
// -----------------------------------------------------------------------------------

TEST_F(EmulatorTest, DemoJobsCoverTheStatesAndStayCancellable) {
  VendorEmulator::Options options = BaseOptions();
  options.seed_demo_jobs = true;
  Restart(options);
  for (const char* vendor : {kQbraid, kIonq, kPraisonai}) {
    EXPECT_GE(emulator_->JobIds(vendor).size(), 6u) << vendor;
  }
  std::set<std::string> qbraid_states;
  for (const Struct& job : List(Call("GET", kQbraid, "/jobs").Json(), "data")) {
    qbraid_states.insert(Str(job, "status"));
  }
  EXPECT_EQ(qbraid_states, (std::set<std::string>{"INITIALIZING", "QUEUED", "RUNNING", "COMPLETED",
                                                  "FAILED", "CANCELLED"}));
  std::set<std::string> ionq_states;
  for (const Struct& job : List(Call("GET", kIonq, "/jobs").Json(), "jobs")) {
    ionq_states.insert(Str(job, "status"));
  }
  EXPECT_EQ(ionq_states, (std::set<std::string>{"submitted", "ready", "started", "completed",
                                                "failed", "canceled"}));
  std::set<std::string> praisonai_states;
  for (const Struct& job : List(Call("GET", kPraisonai, "/api/v1/runs").Json(), "jobs")) {
    praisonai_states.insert(Str(job, "status"));
  }
  EXPECT_EQ(praisonai_states,
            (std::set<std::string>{"queued", "running", "succeeded", "failed", "cancelled"}));

  // Some of the traps are in the demo data.
  bool provider_object = false, absent_status_msg = false, batch_key = false, group_key = false;
  for (const Struct& job : List(Call("GET", kQbraid, "/jobs").Json(), "data")) {
    provider_object |= json::GetObject(job, "provider") != nullptr;
    absent_status_msg |= json::Find(job, "statusMsg") == nullptr;
    batch_key |= json::Find(job, "batchJobQrn") != nullptr;
    group_key |= json::Find(job, "groupJobQrn") != nullptr;
  }
  EXPECT_TRUE(provider_object && absent_status_msg && batch_key && group_key);

  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(StatusOf(kQbraid, kDemoQbraidRunningJob), "RUNNING");
  EXPECT_EQ(StatusOf(kIonq, kDemoIonqRunningJob), "started");
  EXPECT_EQ(StatusOf(kPraisonai, kDemoPraisonaiRunningJob), "running");
  EXPECT_EQ(StatusOf(kQbraid, kDemoQbraidCompletedJob), "COMPLETED");
  EXPECT_EQ(StatusOf(kIonq, kDemoIonqCompletedJob), "completed");
  EXPECT_EQ(StatusOf(kPraisonai, kDemoPraisonaiSucceededJob), "succeeded");
  EXPECT_EQ(Cancel(kQbraid, kDemoQbraidRunningJob).status, 202);
  EXPECT_EQ(Cancel(kIonq, kDemoIonqRunningJob).status, 200);
  EXPECT_EQ(Cancel(kPraisonai, kDemoPraisonaiRunningJob).status, 200);
}

TEST_F(EmulatorTest, DemoInitializingJobRefusesCancelAtStart) {
  VendorEmulator::Options options = BaseOptions();
  options.seed_demo_jobs = true;
  Restart(options);
  EXPECT_EQ(Cancel(kQbraid, kDemoQbraidInitializingJob).status, 409);
}

// --- The stand-alone binary
// ------------------------------------------------------------------

TEST(EmulatorBinaryTest, PrintsItsPortServesAndExitsOnSigterm) {
  const std::string binary = std::string(JOBFACADE_BINARY_DIR) + "/tests/fakes/jobfacade-emulator";
  ASSERT_EQ(access(binary.c_str(), X_OK), 0) << binary;
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args = {binary,           "--port",        "0",          "--no-demo",
                                   "--manual-clock", "--ionq-key=k1", "--threads=4"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);

  std::string output;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (output.find('\n') == std::string::npos && absl::Now() < give_up) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      output.append(buf, n);
    }
  }
  std::smatch m;
  const std::regex line(R"(jobfacade-emulator listening on 127\.0\.0\.1:(\d+)\n)");
  ASSERT_TRUE(std::regex_match(output, m, line)) << output;
  const int port = std::stoi(m[1]);

  httplib::Client client("127.0.0.1", port);
  auto jobs = client.Get("/ionq/v0.4/jobs", {{"Authorization", "apiKey k1"}});
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->status, 200);
  EXPECT_EQ(jobs->body, R"({"jobs":[],"next":null})");
  auto advance = client.Post("/_emulator/clock/advance?seconds=1", "", "application/json");
  ASSERT_TRUE(advance);
  EXPECT_EQ(advance->status, 200);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  char rest[64];
  EXPECT_EQ(read(out[0], rest, sizeof(rest)), 0);  // nothing else was printed
  close(out[0]);
}

TEST(EmulatorBinaryTest, ServesHttpsWithASelfSignedCertificate) {
  const std::string binary = std::string(JOBFACADE_BINARY_DIR) + "/tests/fakes/jobfacade-emulator";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<std::string> args = {binary,          "--port=0",    "--no-demo",
                                   "--ionq-key=k1", "--threads=4", "--tls-self-signed"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  std::string output;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (output.find('\n') == std::string::npos && absl::Now() < give_up) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      output.append(buf, n);
    }
  }
  close(out[0]);
  std::smatch m;
  const std::regex line(R"(jobfacade-emulator listening on 127\.0\.0\.1:(\d+)\n)");
  const bool matched = std::regex_match(output, m, line);
  if (matched) {
    const int port = std::stoi(m[1]);
    httplib::SSLClient client("127.0.0.1", port);
    client.enable_server_certificate_verification(false);
    auto jobs = client.Get("/ionq/v0.4/jobs", {{"Authorization", "apiKey k1"}});
    EXPECT_TRUE(jobs) << jobs.error();
    if (jobs) {
      EXPECT_EQ(jobs->status, 200);
    }
    httplib::SSLClient verifying("127.0.0.1", port);
    verifying.enable_server_certificate_verification(true);
    EXPECT_FALSE(verifying.Get("/ionq/v0.4/jobs"));
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(matched) << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace jobfacade::sandbox
