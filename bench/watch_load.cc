// The watch benchmark's driver: opens --watches WatchJob streams spread over --jobs job names
// and --channels connections, waits until every one has sent its first job, prints "ready",
// keeps them open for --hold, then cancels them and prints one JSON object: watches opened,
// first jobs received, further jobs, how the streams ended, and the time it took to open them.
//
//   watch_load --target 127.0.0.1:50051 --name vendors/ionq/jobs/w- --jobs 100
//              --watches 10000 --channels 8 --hold 30s
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "jobfacade/v1/job_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "the jobfacade server");
ABSL_FLAG(std::string, name, "vendors/ionq/jobs/w-", "job names: this followed by 0..jobs-1");
ABSL_FLAG(int, jobs, 100, "distinct jobs watched");
ABSL_FLAG(int, watches, 10000, "watches opened");
ABSL_FLAG(int, channels, 8, "gRPC channels (each its own HTTP/2 connection)");
ABSL_FLAG(absl::Duration, hold, absl::Seconds(30), "how long the watches stay open");
ABSL_FLAG(absl::Duration, open_timeout, absl::Seconds(60), "bound on opening them all");

namespace {

using jobfacade::v1::Job;
using jobfacade::v1::JobService;
using jobfacade::v1::WatchJobRequest;

struct Totals {
  std::atomic<int64_t> first{0};
  std::atomic<int64_t> later{0};
  absl::Mutex mu;
  std::map<std::string, int64_t> ends ABSL_GUARDED_BY(mu);
  int64_t done ABSL_GUARDED_BY(mu) = 0;
};

class Watch final : public grpc::ClientReadReactor<Job> {
 public:
  Watch(JobService::Stub* stub, const std::string& name, Totals* totals) : totals_(totals) {
    request_.set_name(name);
    stub->async()->WatchJob(&ctx_, &request_, this);
    StartRead(&job_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    (messages_++ == 0 ? totals_->first : totals_->later).fetch_add(1);
    StartRead(&job_);
  }
  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&totals_->mu);
    ++totals_->ends[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
    ++totals_->done;
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  Totals* const totals_;
  grpc::ClientContext ctx_;
  WatchJobRequest request_;
  Job job_;
  int64_t messages_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int watches = absl::GetFlag(FLAGS_watches);
  const int jobs = std::max(1, absl::GetFlag(FLAGS_jobs));
  std::vector<std::unique_ptr<JobService::Stub>> stubs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments args;
    args.SetInt("jobfacade.bench.channel", i);  // a connection of its own
    stubs.push_back(JobService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  Totals totals;
  const absl::Time start = absl::Now();
  std::vector<std::unique_ptr<Watch>> open;
  open.reserve(watches);
  for (int i = 0; i < watches; ++i) {
    open.push_back(std::make_unique<Watch>(
        stubs[i % stubs.size()].get(), absl::StrCat(absl::GetFlag(FLAGS_name), i % jobs), &totals));
  }
  const absl::Time open_by = start + absl::GetFlag(FLAGS_open_timeout);
  while (totals.first.load() < watches && absl::Now() < open_by) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Duration to_open = absl::Now() - start;
  std::printf("ready %lld\n", static_cast<long long>(totals.first.load()));
  std::fflush(stdout);
  absl::SleepFor(absl::GetFlag(FLAGS_hold));
  for (auto& w : open) w->Cancel();
  {
    absl::MutexLock lock(&totals.mu);
    auto all_done = [&]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(totals.mu) { return totals.done == watches; };
    totals.mu.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(30));
  }
  std::string ends;
  {
    absl::MutexLock lock(&totals.mu);
    for (const auto& [code, n] : totals.ends) {
      absl::StrAppend(&ends, ends.empty() ? "" : ",", "\"", code, "\":", n);
    }
  }
  std::printf(
      "{\"watches\":%d,\"jobs\":%d,\"first_jobs\":%lld,\"later_jobs\":%lld,"
      "\"seconds_to_open\":%.3f,\"ends\":{%s}}\n",
      watches, jobs, static_cast<long long>(totals.first.load()),
      static_cast<long long>(totals.later.load()), absl::ToDoubleSeconds(to_open), ends.c_str());
  std::fflush(stdout);
  return totals.first.load() == watches ? 0 : 1;
}
