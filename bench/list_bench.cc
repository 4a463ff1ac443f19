// Latency of one ListJobs page through the real jobfacade binary over gRPC while every vendor
// answers after 100 ms: vendors/- must cost about one vendor round trip, not three.
//
//   build/bench/list_bench [--benchmark_filter=REGEX]
//
// The server runs against the in-process vendor emulator (tests/integration/server_harness.h).
// Each benchmark makes one call per repetition; p50 and p90 are over the repetitions.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/integration/server_harness.h"
#include "tests/testing/sandbox_vendors.h"

namespace jobfacade {
namespace {

constexpr absl::Duration kVendorLatency = absl::Milliseconds(100);
constexpr int kJobsPerVendor = 300;
constexpr int kRepetitions = 30;

testing::ServerHarness* harness = nullptr;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}
double P50(const std::vector<double>& v) { return Percentile(v, 0.5); }
double P90(const std::vector<double>& v) { return Percentile(v, 0.9); }

// Every vendor's jobs interleave in time, so a page of 50 across vendors takes about 17 jobs of
// each: one vendor page per vendor (IonQ serves 25 at most).
void SeedJobs() {
  const absl::Time now = harness->clock().Now();
  const char* vendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};
  for (int i = 0; i < kJobsPerVendor; ++i) {
    for (int k = 0; k < 3; ++k) {
      sandbox::JobSpec spec;
      spec.vendor = vendors[k];
      spec.created_at = now - absl::Seconds(3 * i + k + 60);
      spec.name = absl::StrCat("bench ", i);
      spec.running = i % 4 == 0 ? absl::InfiniteDuration() : absl::Seconds(10);
      harness->emulator().AddJob(spec);
    }
  }
}

int64_t VendorListRequests() { return harness->emulator().stats("*").Count("GET", "list"); }

void ListPage(benchmark::State& state, const std::string& parent, int page_size,
              const std::string& filter) {
  v1::ListJobsRequest request;
  request.set_parent(parent);
  request.set_page_size(page_size);
  request.set_filter(filter);
  int jobs = 0;
  int64_t vendor_requests = 0;
  for (auto _ : state) {
    const int64_t before = VendorListRequests();
    auto context = testing::Context(absl::Seconds(10));
    v1::ListJobsResponse response;
    const grpc::Status status = harness->stub().ListJobs(context.get(), request, &response);
    if (!status.ok() || response.unreachable_size() > 0) {
      state.SkipWithError(status.ok() ? "a vendor was unreachable"
                                      : status.error_message().c_str());
      break;
    }
    jobs = response.jobs_size();
    vendor_requests += VendorListRequests() - before;
  }
  state.counters["jobs"] = jobs;
  state.counters["vendor_requests"] =
      benchmark::Counter(static_cast<double>(vendor_requests), benchmark::Counter::kAvgIterations);
}

// The console output, plus the ratio of each benchmark's p50 to the one-vendor page's p50.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (the library's own flag reaches only its default reporter).
  RatioReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "p50") {
        p50_[run.run_name.function_name] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto one = p50_.find("one_vendor/qbraid/page50");
    if (one == p50_.end() || one->second <= 0) return;
    std::printf("\np50 relative to one page of one vendor (%.1f ms):\n", one->second);
    for (const auto& [name, p50] : p50_) {
      std::printf("  %-44s %7.1f ms  x%.2f\n", name.c_str(), p50, p50 / one->second);
    }
  }

 private:
  std::map<std::string, double> p50_;
};

void Register(const char* name, const std::string& parent, int page_size,
              const std::string& filter) {
  benchmark::RegisterBenchmark(name, ListPage, parent, page_size, filter)
      ->Iterations(1)
      ->Repetitions(kRepetitions)
      ->ComputeStatistics("p50", P50)
      ->ComputeStatistics("p90", P90)
      ->ReportAggregatesOnly(true)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace jobfacade

int main(int argc, char** argv) {
  using namespace jobfacade;  // NOLINT: a benchmark's main
  benchmark::Initialize(&argc, argv);
  testing::ServerHarness server;
  if (!server.ok()) {
    std::fprintf(stderr, "list_bench: %s\n", server.error().c_str());
    return 1;
  }
  harness = &server;
  SeedJobs();
  server.emulator().SetLatency("*", kVendorLatency);
  // Connections to the vendors are opened once, as in a server that has been running.
  {
    v1::ListJobsRequest warm;
    warm.set_parent("vendors/-");
    for (int i = 0; i < 2; ++i) {
      auto context = testing::Context(absl::Seconds(10));
      v1::ListJobsResponse response;
      if (!server.stub().ListJobs(context.get(), warm, &response).ok()) {
        std::fprintf(stderr, "list_bench: warm-up call failed\n");
        return 1;
      }
    }
  }
  Register("one_vendor/qbraid/page50", "vendors/qbraid", 50, "");
  Register("all_vendors/page50", "vendors/-", 50, "");
  Register("all_vendors/page50/filter_state_running", "vendors/-", 50, "state = RUNNING");
  // About 67 IonQ jobs in a page of 200: three IonQ pages of 25, one after the other.
  Register("all_vendors/page200", "vendors/-", 200, "");
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
