// The HTTP engine alone under load, for the GetJob benchmark: keeps N requests in flight to one
// URL through jobfacade's HttpEngine (libcurl) for a fixed time and prints one JSON object with
// the requests, requests/s and the process's CPU per request. Beside jobfacade's uncached GetJob
// and gRPC's floor, it says how much of a call is the vendor request itself.
//
//   engine_load --url http://127.0.0.1:8080/fast/v0.4/jobs/ID --concurrency 32 --duration 8s

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/http/http_engine.h"
#include "bench/cpu_time.h"

ABSL_FLAG(std::string, url, "", "the URL to GET");
ABSL_FLAG(std::string, header, "", "one request header, as Name: value");
ABSL_FLAG(int, concurrency, 1, "requests kept in flight");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(8), "how long to measure");

namespace {

using jobfacade::bench::CpuSeconds;

class Load {
 public:
  Load(jobfacade::http::HttpEngine* engine, absl::Time stop_at)
      : engine_(engine), stop_at_(stop_at) {}

  void Next() {
    if (absl::Now() >= stop_at_) {
      if (--open_ == 0) done_.Notify();
      return;
    }
    jobfacade::http::Request request;
    request.url = absl::GetFlag(FLAGS_url);
    const std::string header = absl::GetFlag(FLAGS_header);
    if (const size_t colon = header.find(':'); colon != std::string::npos) {
      request.headers.emplace_back(header.substr(0, colon), header.substr(colon + 2));
    }
    request.deadline = absl::Now() + absl::Seconds(30);
    engine_->Send(std::move(request), [this](jobfacade::http::Response response) {
      if (response.error == jobfacade::http::TransportError::kNone && response.status == 200) {
        ok_.fetch_add(1);
      } else {
        failed_.fetch_add(1);
      }
      Next();
    });
  }

  void Start(int concurrency) {
    open_ = concurrency;
    for (int i = 0; i < concurrency; ++i) Next();
  }

  void Wait() { done_.WaitForNotification(); }
  int64_t ok() const { return ok_.load(); }
  int64_t failed() const { return failed_.load(); }

 private:
  jobfacade::http::HttpEngine* const engine_;
  const absl::Time stop_at_;
  std::atomic<int> open_{0};
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> failed_{0};
  absl::Notification done_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  jobfacade::http::HttpEngine engine;
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const double cpu0 = CpuSeconds();
  const absl::Time start = absl::Now();
  Load load(&engine, start + duration);
  load.Start(absl::GetFlag(FLAGS_concurrency));
  load.Wait();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds() - cpu0;
  const int64_t requests = load.ok() + load.failed();
  std::printf(
      "{\"calls\": %lld, \"calls_per_second\": %.1f, \"cpu_us_per_call\": %.1f, "
      "\"codes\": {\"HTTP 200\": %lld%s}}\n",
      static_cast<long long>(requests), requests / seconds,
      requests > 0 ? cpu * 1e6 / requests : 0.0, static_cast<long long>(load.ok()),
      load.failed() > 0 ? (std::string(", \"failed\": ") + std::to_string(load.failed())).c_str()
                        : "");
  return load.failed() > 0 ? 1 : 0;
}
