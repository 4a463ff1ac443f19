// A gRPC load driver for the benchmark: keeps N calls in flight on the callback API for a fixed
// time (or number of calls) and prints one JSON object: calls, calls/s, latency percentiles,
// answers by gRPC status code, and the driver's own CPU time.
//
//   grpc_load --target 127.0.0.1:50051 --method GetJob --name vendors/ionq/jobs/ID
//             --concurrency 32 --duration 10s [--warmup 2s] [--channels 4] [--deadline 30s]
//   grpc_load ... --method ListJobs --name vendors/- --page-size 50
//   grpc_load ... --calls 10000 --concurrency 10000 --distinct 10000 --name vendors/ionq/jobs/j-
//       (10,000 calls at once, each of its own job)
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/cpu_time.h"
#include "jobfacade/v1/job_service.grpc.pb.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "the jobfacade server");
ABSL_FLAG(std::string, method, "GetJob", "GetJob or ListJobs");
ABSL_FLAG(std::string, name, "", "the job name (GetJob) or parent (ListJobs)");
ABSL_FLAG(int, page_size, 50, "ListJobs page size");
ABSL_FLAG(int, concurrency, 1, "calls kept in flight");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "how long to measure (without --calls)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "calls made before measuring, not counted");
ABSL_FLAG(int64_t, calls, 0, "measure exactly this many calls instead of a duration");
ABSL_FLAG(int, channels, 1, "gRPC channels (each its own HTTP/2 connection)");
ABSL_FLAG(int64_t, distinct, 0,
          "when positive, GetJob names are --name followed by the call's number modulo this");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(30), "deadline of each call");

namespace {

using jobfacade::v1::JobService;

using jobfacade::bench::CpuSeconds;

class Load {
 public:
  Load(std::vector<std::unique_ptr<JobService::Stub>> stubs) : stubs_(std::move(stubs)) {}

  // Runs until `stop_at`, or until `max_calls` calls have started when it is positive.
  void Run(int concurrency, absl::Time stop_at, int64_t max_calls, bool record) {
    stop_at_ = stop_at;
    max_calls_ = max_calls;
    record_ = record;
    started_ = 0;
    {
      absl::MutexLock lock(&mu_);
      active_ = concurrency;
    }
    for (int i = 0; i < concurrency; ++i) Next(i);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* active) { return *active == 0; }, &active_));
  }

  std::vector<double> latencies_us;
  std::map<std::string, int64_t> codes;

 private:
  void Next(int slot) {
    const int64_t number = started_.fetch_add(1);
    const bool go_on = absl::Now() < stop_at_ && (max_calls_ <= 0 || number < max_calls_);
    if (!go_on) {
      absl::MutexLock lock(&mu_);
      --active_;
      return;
    }
    auto call = std::make_shared<Call>();
    call->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_deadline)));
    call->start = absl::Now();
    JobService::Stub* stub = stubs_[slot % stubs_.size()].get();
    auto done = [this, slot, call](grpc::Status status) {
      const absl::Duration latency = absl::Now() - call->start;
      if (record_) {
        absl::MutexLock lock(&mu_);
        latencies_us.push_back(absl::ToDoubleMicroseconds(latency));
        ++codes[CodeName(status.error_code())];
      }
      Next(slot);
    };
    if (absl::GetFlag(FLAGS_method) == "ListJobs") {
      call->list_request.set_parent(absl::GetFlag(FLAGS_name));
      call->list_request.set_page_size(absl::GetFlag(FLAGS_page_size));
      stub->async()->ListJobs(&call->context, &call->list_request, &call->list_response, done);
    } else {
      const int64_t distinct = absl::GetFlag(FLAGS_distinct);
      call->get_request.set_name(distinct > 0
                                     ? absl::StrCat(absl::GetFlag(FLAGS_name), number % distinct)
                                     : absl::GetFlag(FLAGS_name));
      stub->async()->GetJob(&call->context, &call->get_request, &call->job, done);
    }
  }

  static std::string CodeName(grpc::StatusCode code) {
    return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  }

  struct Call {
    grpc::ClientContext context;
    absl::Time start;
    jobfacade::v1::GetJobRequest get_request;
    jobfacade::v1::Job job;
    jobfacade::v1::ListJobsRequest list_request;
    jobfacade::v1::ListJobsResponse list_response;
  };

  std::vector<std::unique_ptr<JobService::Stub>> stubs_;
  absl::Time stop_at_;
  int64_t max_calls_ = 0;
  bool record_ = false;
  std::atomic<int64_t> started_{0};
  absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<std::unique_ptr<JobService::Stub>> stubs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_channels)); ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
    args.SetInt("grpc.channel_id", i);                   // keeps channels apart
    args.SetMaxReceiveMessageSize(64 << 20);
    stubs.push_back(JobService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials(), args)));
  }
  Load load(std::move(stubs));
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  if (absl::GetFlag(FLAGS_warmup) > absl::ZeroDuration()) {
    load.Run(std::min(concurrency, 64), absl::Now() + absl::GetFlag(FLAGS_warmup), 0, false);
  }
  const int64_t calls = absl::GetFlag(FLAGS_calls);
  const double cpu_before = CpuSeconds();
  const absl::Time start = absl::Now();
  load.Run(concurrency, calls > 0 ? absl::InfiniteFuture() : start + absl::GetFlag(FLAGS_duration),
           calls, true);
  const absl::Duration elapsed = absl::Now() - start;
  const double cpu = CpuSeconds() - cpu_before;
  std::vector<double>& lat = load.latencies_us;
  std::sort(lat.begin(), lat.end());
  std::vector<std::string> codes;
  for (const auto& [code, count] : load.codes)
    codes.push_back(absl::StrCat("\"", code, "\": ", count));
  const double seconds = absl::ToDoubleSeconds(elapsed);
  std::printf(
      "{\"calls\": %zu, \"seconds\": %.3f, \"calls_per_second\": %.1f, \"p50_us\": %.1f, "
      "\"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, \"driver_cpu_seconds\": %.3f, "
      "\"codes\": {%s}}\n",
      lat.size(), seconds, seconds > 0 ? lat.size() / seconds : 0.0, Percentile(lat, 0.50),
      Percentile(lat, 0.90), Percentile(lat, 0.99), lat.empty() ? 0.0 : lat.back(), cpu,
      absl::StrJoin(codes, ", ").c_str());
  return 0;
}
