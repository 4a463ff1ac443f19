// PraisonAI's sandbox personality taking submissions and serving results, over real HTTP on a
// manual clock; and the adapter's CreateJob and GetJobResult against it.
#include "adapters/praisonai/praisonai_sandbox.h"

#include <httplib.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/core/clock.h"
#include "adapters/core/json.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "adapters/sandbox/emulator.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/adapters/core/adapter_test_util.h"
#include "tests/testing/status_matchers.h"

namespace jobfacade::sandbox {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::jobfacade::testing::Awaiter;
using ::jobfacade::testing::IsError;
using json::Struct;
using json::Value;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr char kKey[] = "3f2b8a4e-6c1d-4e7a-9b0f-5d2c8e1a7b64";
constexpr char kPrompt[] = "Summarise the news";

struct Answer {
  int status = 0;  // 0: no HTTP answer
  std::string body;
  httplib::Headers headers;

  Struct Json() const {
    absl::StatusOr<Struct> parsed = json::ParseObject(body);
    EXPECT_TRUE(parsed.ok()) << "not a JSON object: " << body;
    return parsed.value_or(Struct());
  }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::vector<std::string> Keys(const Struct& s) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : s.fields()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string Str(const Struct& s, const std::string& key) {
  return json::GetString(s, key).value_or("<absent or not a string>");
}

bool IsNullAt(const Struct& s, const std::string& key) {
  const Value* v = json::Find(s, key);
  return v != nullptr && v->kind_case() == Value::kNullValue;
}

Struct Object(const std::string& text) {
  absl::StatusOr<Struct> parsed = json::ParseObject(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.value_or(Struct());
}

class PraisonaiSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*demo_jobs=*/false); }

  void Start(bool demo_jobs) {
    client_.reset();
    emulator_.reset();
    VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = demo_jobs;
    options.threads = 4;
    absl::StatusOr<std::unique_ptr<VendorEmulator>> started =
        VendorEmulator::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
    client_->set_read_timeout(20, 0);
  }

  std::string Runs() {
    return emulator_->base_url(kPraisonai).substr(emulator_->root_url().size()) + "/api/v1/runs";
  }

  Answer Send(const std::string& method, const std::string& path, const httplib::Headers& headers,
              const std::string& body = "") {
    httplib::Result r = method == "POST" ? client_->Post(path, headers, body, "application/json")
                        : method == "DELETE" ? client_->Delete(path, headers)
                                             : client_->Get(path, headers);
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.body = r->body;
    a.headers = r->headers;
    return a;
  }

  Answer Submit(const std::string& body, const std::string& key = kKey) {
    httplib::Headers headers;
    if (!key.empty()) headers.emplace("Idempotency-Key", key);
    return Send("POST", Runs(), headers, body);
  }

  Answer Result(const std::string& id) { return Send("GET", Runs() + "/" + id + "/result", {}); }
  Answer Status(const std::string& id) { return Send("GET", Runs() + "/" + id, {}); }

  // The 422's issues, each checked to be pydantic's {type, loc, msg, input}.
  std::vector<Struct> Issues(const Answer& a) {
    EXPECT_EQ(a.status, 422) << a.body;
    std::vector<Struct> issues;
    const Struct body = a.Json();
    const json::ListValue* detail = json::GetList(body, "detail");
    EXPECT_NE(detail, nullptr) << a.body;
    if (detail == nullptr) return issues;
    for (const Value& item : detail->values()) {
      EXPECT_THAT(Keys(item.struct_value()), ElementsAre("input", "loc", "msg", "type"));
      issues.push_back(item.struct_value());
    }
    return issues;
  }

  static std::string Loc(const Struct& issue) { return json::ToJson(*json::Find(issue, "loc")); }

  ManualClock clock_;
  std::unique_ptr<VendorEmulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(PraisonaiSandboxTest, ASubmissionIsAcceptedAsAQueuedRun) {
  Answer a = Submit(R"({"prompt":"Summarise the news","session_id":"s-1","agent_file":"a.yaml"})");
  ASSERT_EQ(a.status, 202) << a.body;
  const Struct s = a.Json();
  EXPECT_THAT(Keys(s), ElementsAre("created_at", "job_id", "poll_url", "status", "stream_url"));
  const std::string id = Str(s, "job_id");
  EXPECT_THAT(emulator_->JobIds(kPraisonai), ElementsAre(id));
  EXPECT_EQ(Str(s, "status"), "queued");
  EXPECT_EQ(Str(s, "created_at"), "2026-01-01T00:00:00.000000Z");  // the manual clock's now
  const std::string poll_url = absl::StrCat(emulator_->base_url(kPraisonai), "/api/v1/runs/", id);
  EXPECT_EQ(Str(s, "poll_url"), poll_url);
  EXPECT_EQ(Str(s, "stream_url"), poll_url + "/stream");
  EXPECT_EQ(a.Header("Location"), poll_url);
  EXPECT_EQ(a.Header("Retry-After"), "2");

  const Struct run = Status(id).Json();
  EXPECT_EQ(Str(run, "agent_id"), "a.yaml");
  EXPECT_EQ(Str(run, "session_id"), "s-1");
}

TEST_F(PraisonaiSandboxTest, ARepeatedKeyAnswersTheSameRunAsItIsNow) {
  const std::string id = Str(Submit(R"({"prompt":"first"})").Json(), "job_id");
  clock_.Advance(absl::Seconds(8));  // running now

  Answer again = Submit(R"({"prompt":"second","session_id":"other"})");
  ASSERT_EQ(again.status, 202) << again.body;
  const Struct s = again.Json();
  EXPECT_EQ(Str(s, "job_id"), id);
  EXPECT_EQ(Str(s, "status"), "running");
  EXPECT_TRUE(IsNullAt(s, "session_id"));         // the new body is ignored
  EXPECT_NE(json::Find(s, "progress"), nullptr);  // the whole status object
  EXPECT_EQ(again.Header("Location"),
            absl::StrCat(emulator_->base_url(kPraisonai), "/api/v1/runs/", id));
  EXPECT_THAT(emulator_->JobIds(kPraisonai), ElementsAre(id));

  // The body's key counts too; the header's wins over it.
  Answer by_body = Submit(absl::StrCat(R"({"prompt":"x","idempotency_key":")", kKey, R"("})"), "");
  EXPECT_EQ(Str(by_body.Json(), "job_id"), id);
  Answer header_wins =
      Submit(absl::StrCat(R"({"prompt":"x","idempotency_key":")", kKey, R"("})"), "another-key");
  EXPECT_NE(Str(header_wins.Json(), "job_id"), id);
  EXPECT_THAT(emulator_->JobIds(kPraisonai), SizeIs(2));
  // Without any key every submission is a new run.
  Submit(R"({"prompt":"x"})", "");
  Submit(R"({"prompt":"x"})", "");
  EXPECT_THAT(emulator_->JobIds(kPraisonai), SizeIs(4));
}

TEST_F(PraisonaiSandboxTest, TheResultIsThereOnceTheRunSucceeded) {
  const std::string id = Str(Submit(R"({"prompt":"Summarise the news"})").Json(), "job_id");
  Answer queued = Result(id);
  EXPECT_EQ(queued.status, 409);
  EXPECT_EQ(Str(queued.Json(), "detail"), "Job is not complete. Current status: queued");
  clock_.Advance(absl::Seconds(8));
  EXPECT_EQ(Str(Result(id).Json(), "detail"), "Job is not complete. Current status: running");

  clock_.Advance(absl::Seconds(10));
  Answer done = Result(id);
  ASSERT_EQ(done.status, 200) << done.body;
  const Struct s = done.Json();
  EXPECT_THAT(Keys(s),
              ElementsAre("completed_at", "created_at", "duration_seconds", "error", "job_id",
                          "metrics", "result", "result_url", "started_at", "status"));
  EXPECT_EQ(Str(s, "job_id"), id);
  EXPECT_EQ(Str(s, "status"), "succeeded");
  EXPECT_EQ(Str(s, "result"), absl::StrCat("sandbox run of: ", kPrompt));
  EXPECT_TRUE(IsNullAt(s, "error"));
  EXPECT_TRUE(IsNullAt(s, "result_url"));
  EXPECT_TRUE(IsNullAt(s, "metrics"));
  EXPECT_EQ(json::GetNumber(s, "duration_seconds"), 10.0);
  EXPECT_EQ(Str(s, "started_at"), "2026-01-01T00:00:06.000000Z");
  EXPECT_EQ(Str(s, "completed_at"), "2026-01-01T00:00:16.000000Z");

  EXPECT_EQ(Result("run_000000000000").status, 404);
  EXPECT_EQ(Str(Result("run_000000000000").Json(), "detail"), "Job not found: run_000000000000");
}

TEST_F(PraisonaiSandboxTest, TheEchoedPromptIsCutWithoutSplittingACharacter) {
  std::string prompt;
  for (int i = 0; i < 150; ++i) prompt += "\xC3\xA9";  // é, two bytes each
  const std::string id =
      Str(Submit(absl::StrCat(R"({"prompt":")", prompt, R"("})")).Json(), "job_id");
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Str(Result(id).Json(), "result"),
            absl::StrCat("sandbox run of: ", prompt.substr(0, 200)));
}

TEST_F(PraisonaiSandboxTest, FailedAndCancelledRunsHaveAResultWithoutOne) {
  JobSpec failing;
  failing.vendor = kPraisonai;
  failing.outcome = JobOutcome::kFailed;
  failing.failure_message = "Job timed out after 3600s";
  const std::string failed = emulator_->AddJob(failing);
  const std::string cancelled = Str(Submit(R"({"prompt":"p"})").Json(), "job_id");
  EXPECT_EQ(Send("POST", Runs() + "/" + cancelled + "/cancel", {}).status, 200);
  clock_.Advance(absl::Minutes(1));

  const Struct f = Result(failed).Json();
  EXPECT_EQ(Str(f, "status"), "failed");
  EXPECT_TRUE(IsNullAt(f, "result"));
  EXPECT_EQ(Str(f, "error"), "Job timed out after 3600s");
  EXPECT_NE(json::GetNumber(f, "duration_seconds"), std::nullopt);

  Answer c = Result(cancelled);
  ASSERT_EQ(c.status, 200) << c.body;
  const Struct s = c.Json();
  EXPECT_EQ(Str(s, "status"), "cancelled");
  EXPECT_TRUE(IsNullAt(s, "result"));
  EXPECT_TRUE(IsNullAt(s, "error"));
  // Cancelled while queued: it never ran.
  EXPECT_TRUE(IsNullAt(s, "started_at"));
  EXPECT_TRUE(IsNullAt(s, "duration_seconds"));
  EXPECT_EQ(Str(s, "completed_at"), "2026-01-01T00:00:00.000000Z");
}

TEST_F(PraisonaiSandboxTest, ADeletedRunFreesItsKey) {
  const std::string id = Str(Submit(R"({"prompt":"p"})").Json(), "job_id");
  clock_.Advance(absl::Minutes(1));
  EXPECT_EQ(Send("DELETE", Runs() + "/" + id, {}).status, 204);
  const std::string again = Str(Submit(R"({"prompt":"p"})").Json(), "job_id");
  EXPECT_NE(again, id);
  EXPECT_THAT(emulator_->JobIds(kPraisonai), ElementsAre(again));
}

TEST_F(PraisonaiSandboxTest, ASucceededDemoRunServesAResult) {
  Start(/*demo_jobs=*/true);
  Answer a = Result(kDemoPraisonaiSucceededJob);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(Str(a.Json(), "status"), "succeeded");
  EXPECT_FALSE(Str(a.Json(), "result").empty());
  EXPECT_EQ(Result(kDemoPraisonaiRunningJob).status, 409);
}

TEST_F(PraisonaiSandboxTest, ABodyPydanticRefusesIs422AndMakesNoRun) {
  {
    const std::string body = R"({"session_id":"s","timeout":5})";
    std::vector<Struct> issues = Issues(Submit(body));
    ASSERT_THAT(issues, SizeIs(1));
    EXPECT_EQ(Str(issues[0], "type"), "missing");
    EXPECT_EQ(Loc(issues[0]), R"(["body","prompt"])");
    EXPECT_EQ(Str(issues[0], "msg"), "Field required");
    EXPECT_TRUE(MessageDifferencer::Equals(*json::GetObject(issues[0], "input"), Object(body)));
  }
  {
    std::vector<Struct> issues = Issues(Submit(R"({"prompt":7,"timeout":"soon"})"));
    ASSERT_THAT(issues, SizeIs(2));
    EXPECT_EQ(Str(issues[0], "type"), "string_type");
    EXPECT_EQ(Loc(issues[0]), R"(["body","prompt"])");
    EXPECT_EQ(Str(issues[1], "type"), "int_parsing");
    EXPECT_EQ(Loc(issues[1]), R"(["body","timeout"])");
    EXPECT_EQ(Str(issues[1], "input"), "soon");
  }
  EXPECT_EQ(Str(Issues(Submit(R"({"prompt":"p","timeout":1.5})"))[0], "type"), "int_from_float");
  EXPECT_EQ(Str(Issues(Submit(R"({"prompt":"p","timeout":[1]})"))[0], "type"), "int_type");
  EXPECT_EQ(Str(Issues(Submit(R"(["p"])"))[0], "type"), "model_attributes_type");
  EXPECT_EQ(Str(Issues(Submit(R"({"prompt":)"))[0], "type"), "json_invalid");
  EXPECT_EQ(Str(Issues(Submit(""))[0], "type"), "missing");
  EXPECT_THAT(emulator_->JobIds(kPraisonai), ::testing::IsEmpty());

  // Valid: an integral timeout in any form pydantic takes, or none.
  for (const std::string body :
       {R"({"prompt":"p","timeout":30})", R"({"prompt":"p","timeout":"30"})",
        R"({"prompt":"p","timeout":null})", R"({"prompt":""})"}) {
    EXPECT_EQ(Submit(body, "").status, 202) << body;
  }
}

// The adapter's own requests, answered by the sandbox: one run per request id, and its text.
TEST_F(PraisonaiSandboxTest, TheAdapterSubmitsOnceAndReadsTheResult) {
  http::HttpEngine engine;
  std::unique_ptr<VendorAdapter> adapter = MakeVendorAdapter(
      kPraisonai, &engine, VendorConfig{emulator_->base_url(kPraisonai), std::string()});
  ASSERT_NE(adapter, nullptr);
  CallContext ctx;
  ctx.deadline = absl::Now() + absl::Seconds(20);
  CreateRequest request;
  request.request_id = kKey;
  request.spec.set_device("agents.yaml");
  request.spec.mutable_agent_run()->set_prompt(kPrompt);
  request.spec.mutable_agent_run()->set_session_id("s-1");
  auto create = [&] {
    Awaiter<v1::Job> created;
    adapter->CreateJob(ctx, request, created.Callback());
    return created.Wait();
  };
  absl::StatusOr<v1::Job> first = create();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->state(), v1::Job::QUEUED);
  EXPECT_EQ(first->job_type(), "agent_run");
  absl::StatusOr<v1::Job> second = create();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->name(), first->name());
  EXPECT_EQ(second->device(), "agents.yaml");  // read from the status object this time
  EXPECT_THAT(emulator_->JobIds(kPraisonai), ElementsAre(first->vendor_job_id()));

  auto result = [&] {
    Awaiter<v1::JobResult> awaiter;
    adapter->GetJobResult(ctx, *first, v1::JOB_VIEW_BASIC, awaiter.Callback());
    return awaiter.Wait();
  };
  EXPECT_THAT(result(), IsError(absl::StatusCode::kFailedPrecondition, "RESULT_NOT_AVAILABLE"));
  clock_.Advance(absl::Seconds(20));
  absl::StatusOr<v1::JobResult> done = result();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->name(), first->name());
  EXPECT_EQ(done->state(), v1::Job::COMPLETED);
  EXPECT_EQ(done->agent().text(), absl::StrCat("sandbox run of: ", kPrompt));

  // A spec the builder refuses sends nothing.
  request.spec.mutable_quantum_program();
  EXPECT_THAT(create(), IsError(absl::StatusCode::kInvalidArgument, "INVALID_JOB_SPEC"));
  EXPECT_THAT(emulator_->JobIds(kPraisonai), SizeIs(1));
}

}  // namespace
}  // namespace jobfacade::sandbox
