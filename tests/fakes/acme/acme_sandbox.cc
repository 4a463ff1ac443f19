// Acme's sandbox personality: the API acme_vendor.h describes, under /acme/v1, with two demo
// jobs. It lives beside Acme's declaration and is written only against the personality
// interface, so the emulator's engine serves it in sandbox mode without knowing Acme.
#include "tests/fakes/acme/acme_sandbox.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/fakes/acme/acme_vendor.h"

namespace jobfacade::acme {
namespace {

using json::Struct;
using sandbox::JobRecord;
using sandbox::JobStore;
using sandbox::Phase;
using sandbox::Put;
using sandbox::Reply;
using sandbox::Route;
using sandbox::SandboxRequest;

Reply AcmeError(int status, absl::string_view message) {
  Struct s;
  Put(s, "error", json::Str(message));
  return sandbox::JsonReply(status, s);
}

class AcmePersonality final : public sandbox::Personality {
 public:
  explicit AcmePersonality(const sandbox::PersonalityOptions& options)
      : api_key_(options.api_key.value_or(kAcmeSandboxApiKey)) {}

  std::string vendor() const override { return std::string(kAcmeVendor); }
  std::string prefix() const override { return "/acme/v1"; }
  std::string api_key() const override { return api_key_; }

  bool HasAuthHeader(const SandboxRequest& req) const override {
    return req.HasHeader("Authorization");
  }

  Route Classify(absl::string_view path, absl::string_view method) const override {
    return sandbox::ClassifyJobRoute({"/jobs", "/stop", "POST", ""}, path, method);
  }

  std::optional<Reply> CheckAuth(const SandboxRequest& req) const override {
    if (req.Header("Authorization") == absl::StrCat("Token ", api_key_)) return std::nullopt;
    return AcmeError(401, "bad token");
  }

  Reply RouteNotFound() const override { return AcmeError(404, "no such route"); }
  Reply MethodNotAllowed() const override { return AcmeError(405, "method not allowed"); }
  Reply ErrorReply(int status) const override {
    return AcmeError(status, sandbox::ReasonPhrase(status));
  }

  Reply Answer(const Route& route, const SandboxRequest& req, JobStore& jobs,
               absl::Time now) override {
    if (route.name == "list") return List(req, jobs, now);
    JobRecord* job = jobs.Find(route.job_id);
    if (job == nullptr) return AcmeError(404, "no such job");
    if (route.name == "get") {
      Struct body;
      Put(body, "job", json::Obj(JobJson(*job, now)));
      return sandbox::JsonReply(200, body);
    }
    if (route.name == "cancel") {
      const std::string state = Status(*job, now);
      if (state == "stopped" || state == "error") return AcmeError(409, "already finished");
      // Acme stops even a done job: the service must not ask.
      job->cancelled_at = std::min(job->cancelled_at, now);
      job->fixed_status.clear();
      return sandbox::JsonReply(202, Struct());
    }
    jobs.Delete(*job);  // Acme deletes running jobs too
    Reply reply;
    reply.status = 204;
    reply.content_type = "";
    return reply;
  }

  sandbox::TimelineRules timeline_rules() const override {
    sandbox::TimelineRules rules;
    rules.queued_at_creation = true;
    return rules;
  }

  std::string StatusText(Phase phase) const override {
    switch (phase) {
      case Phase::kInitializing:
      case Phase::kQueued:
        return "pending";
      case Phase::kRunning:
        return "active";
      case Phase::kCompleted:
        return "done";
      case Phase::kFailed:
        return "error";
      case Phase::kCancelling:
      case Phase::kCancelled:
        return "stopped";
    }
    return "pending";
  }

  void CompleteSpec(sandbox::JobSpec& spec, sandbox::IdGenerator& ids) const override {
    if (spec.device.empty()) spec.device = "m1";
    if (spec.id.empty()) spec.id = absl::StrCat("a-", ids.Hex(8));
  }

  std::vector<sandbox::JobSpec> DemoJobs(absl::Time now) const override {
    sandbox::DemoJobList demo(kAcmeVendor, now);
    sandbox::JobSpec& running =
        demo.Add(kDemoAcmeRunningJob, absl::Minutes(5), absl::ZeroDuration(), absl::Seconds(1),
                 sandbox::DemoJobList::kForHours);
    running.name = "Long render";
    running.tags = {{"team", "sandbox"}};
    sandbox::JobSpec& done = demo.Add(kDemoAcmeDoneJob, absl::Hours(1), absl::ZeroDuration(),
                                      absl::Seconds(1), absl::Seconds(30));
    done.name = "Thumbnail";
    done.device = "m2";
    return demo.Take();
  }

 private:
  Struct JobJson(const JobRecord& job, absl::Time now) const {
    const sandbox::Timeline t = sandbox::TimelineAt(job, now);
    Struct s;
    Put(s, "id", json::Str(job.spec.id));
    Put(s, "state", json::Str(Status(job, now)));
    Put(s, "machine", json::Str(job.spec.device));
    Put(s, "title", json::Str(job.spec.name));
    Put(s, "created", json::Str(sandbox::FormatTimestamp(job.created, 0, "Z")));
    if (sandbox::IsTerminal(t.phase)) {
      Put(s, "finished", json::Str(sandbox::FormatTimestamp(t.ended_at, 0, "Z")));
    }
    Put(s, "labels", sandbox::StringMap(job.spec.tags));
    return s;
  }

  // Offset cursors over the newest-first list, filtered by state and machine.
  Reply List(const SandboxRequest& req, JobStore& jobs, absl::Time now) const {
    int64_t limit = 10;
    int64_t start = 0;
    if (req.HasParam("limit") && (!absl::SimpleAtoi(req.Param("limit"), &limit) || limit < 1)) {
      return AcmeError(400, "bad limit");
    }
    if (req.HasParam("cursor") && (!absl::SimpleAtoi(req.Param("cursor"), &start) || start < 0)) {
      return AcmeError(400, "bad cursor");
    }
    const std::vector<const JobRecord*> live = jobs.Live();
    std::vector<json::Value> items;
    size_t i = static_cast<size_t>(start);
    for (; i < live.size() && static_cast<int64_t>(items.size()) < limit; ++i) {
      const JobRecord& job = *live[i];
      if (req.HasParam("state") && Status(job, now) != req.Param("state")) continue;
      if (req.HasParam("machine") && job.spec.device != req.Param("machine")) continue;
      items.push_back(json::Obj(JobJson(job, now)));
    }
    Struct body;
    Put(body, "jobs", sandbox::ListOf(std::move(items)));
    Put(body, "cursor", i < live.size() ? json::Str(absl::StrCat(i)) : json::Null());
    return sandbox::JsonReply(200, body);
  }

  const std::string api_key_;
};

}  // namespace

std::unique_ptr<sandbox::Personality> NewAcmePersonality(
    const sandbox::PersonalityOptions& options) {
  return std::make_unique<AcmePersonality>(options);
}

}  // namespace jobfacade::acme
