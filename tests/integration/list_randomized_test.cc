// Randomized ListJobs walks over emulator datasets: every page walk must yield exactly what a
// brute-force filter over the whole dataset yields, each job once, in the contract's order.
//
// In process for speed: the vendor emulator on a manual clock, the real HTTP engine and vendor
// adapters over HTTP on 127.0.0.1, and two JobOperations that share a page-token key (pages
// alternate between them at random, as between replicas). Each seed is its own test;
// JOBFACADE_LIST_RANDOM_ROUNDS=N runs N datasets per seed (seed s runs s, s+30, s+60, ...).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "adapters/core/clock.h"
#include "adapters/core/errors.h"
#include "adapters/core/time_util.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "service/filter.h"
#include "service/job_operations.h"
#include "tests/testing/sandbox_vendors.h"

namespace jobfacade {
namespace {

using sandbox::JobSpec;
using sandbox::VendorEmulator;

constexpr int kSeeds = 30;
constexpr char kPageTokenKey[] = "randomized-list-test-key-0123456789";
constexpr const char* kVendors[] = {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai};

// Deterministic across standard libraries (std::uniform_int_distribution is not).
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi].
  int64_t In(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return In(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(In(0, static_cast<int64_t>(items.size()) - 1))];
  }
  std::string Hex(int digits) {
    std::string out;
    for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[In(0, 15)];
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

absl::Time OrderTime(const v1::Job& job) {
  return job.has_create_time() ? FromProtoTimestamp(job.create_time()) : absl::InfiniteFuture();
}

// The contract's order: newest create_time first, ties by name ascending.
bool InContractOrder(const v1::Job& a, const v1::Job& b) {
  const absl::Time ta = OrderTime(a), tb = OrderTime(b);
  if (ta != tb) return ta > tb;
  return a.name() < b.name();
}

const std::vector<std::string>& Words() {
  static const auto* kWords = new std::vector<std::string>{
      "",       "",       "Bell state", "bell-2",        "GHZ sweep",  "ghz", "QFT 8 qubits",
      "Grover", "vqe H2", "VQE h2 run", "Analog quench", "shot noise", "Bell"};
  return *kWords;
}

// One random job of `vendor`, created at `created`, in a random state at `now`.
JobSpec RandomJob(Random& rng, const std::string& vendor, absl::Time created, absl::Time now) {
  JobSpec spec;
  spec.vendor = vendor;
  spec.created_at = created;
  spec.name = rng.Pick(Words());
  if (rng.Chance(70)) {
    static const auto* kKeys = new std::vector<std::string>{"experiment", "round", "team"};
    static const auto* kValues = new std::vector<std::string>{"bell", "ghz", "1", "2", "a", "B"};
    for (int i = rng.In(1, 3); i > 0; --i) spec.tags[rng.Pick(*kKeys)] = rng.Pick(*kValues);
  }
  // The phase at `now` follows from the phase lengths; the job is at least a second old.
  const absl::Duration age = now - created;
  const int phase = static_cast<int>(rng.In(0, 5));
  const absl::Duration forever = absl::InfiniteDuration();
  switch (phase) {
    case 0:  // initializing (qBraid sends no timestamps then: it gets a fixed status instead)
      spec.initializing = forever;
      break;
    case 1:  // queued
      spec.initializing = age / 4;
      spec.queued = forever;
      break;
    case 2:  // running
      spec.initializing = age / 4;
      spec.queued = age / 4;
      spec.running = forever;
      break;
    default:  // finished
      spec.initializing = age / 8;
      spec.queued = age / 8;
      spec.running = age / 8;
      spec.outcome = phase == 3   ? sandbox::JobOutcome::kCompleted
                     : phase == 4 ? sandbox::JobOutcome::kFailed
                                  : sandbox::JobOutcome::kCancelled;
      spec.failure_message = "boom";
      break;
  }
  if (vendor == sandbox::kQbraid) {
    static const auto* kDevices = new std::vector<std::string>{
        "aws:aws:sim:sv1",         "aws:quera:qpu:aquila", "qbraid:qbraid:sim:qir-sv",
        "azure:pasqal:sim:emu-tn", "ibm:ibm:qpu:brisbane", "aws:ionq:qpu:forte-1"};
    static const auto* kTypes = new std::vector<std::string>{"gate_model", "analog", "annealing"};
    spec.device = rng.Pick(*kDevices);
    spec.id = absl::StrCat(spec.device, "-", rng.Hex(4), "-qjob-", rng.Hex(24));
    if (rng.Chance(15)) spec.provider = rng.Chance(50) ? "QuEra" : "AWS";
    spec.provider_as_object = rng.Chance(30);
    spec.omit_unset_keys = rng.Chance(30);
    spec.legacy_batch_key = rng.Chance(20);
    spec.extra_keys = rng.Chance(70);
    spec.fraction_digits = static_cast<int>(rng.Pick(std::vector<int64_t>{-1, 0, 3, 6}));
    spec.job_type = rng.Pick(*kTypes);
    if (phase == 0) {
      spec.initializing = absl::ZeroDuration();
      spec.fixed_status = rng.Chance(50) ? "INITIALIZING" : "VALIDATING";
    } else if (rng.Chance(10)) {
      static const auto* kOdd = new std::vector<std::string>{"HOLD", "UNKNOWN", "CANCELLING"};
      spec.fixed_status = rng.Pick(*kOdd);
    }
  } else if (vendor == sandbox::kIonq) {
    static const auto* kBackends =
        new std::vector<std::string>{"simulator", "qpu.aria-1", "qpu.forte-1", "qpu.harmony"};
    static const auto* kTypes =
        new std::vector<std::string>{"ionq.circuit.v1", "ionq.multi-circuit.v1"};
    spec.device = rng.Pick(*kBackends);
    spec.id = absl::StrCat(rng.Hex(8), "-", rng.Hex(4), "-", rng.Hex(4), "-", rng.Hex(4), "-",
                           rng.Hex(12));
    spec.job_type = rng.Pick(*kTypes);
    if (rng.Chance(8)) spec.fixed_status = "running";  // v0.3's running state
  } else {
    static const auto* kAgents = new std::vector<std::string>{"", "researcher", "writer"};
    spec.device = rng.Pick(*kAgents);
    spec.id = absl::StrCat("run_", rng.Hex(12));
    spec.fraction_digits = static_cast<int>(rng.Pick(std::vector<int64_t>{-1, 0, 3, 6}));
    spec.zone_suffix = rng.Pick(std::vector<std::string>{"Z", "+00:00", ""});
  }
  return spec;
}

std::string Quote(const std::string& text) { return absl::StrCat("\"", text, "\""); }

// A random filter of the language over the values the dataset holds, or "" (a third of the
// time). Comparisons of one field may be OR-ed; terms are AND-ed.
std::string RandomFilter(Random& rng, const std::vector<v1::Job>& jobs) {
  if (rng.Chance(33)) return "";
  std::vector<std::string> terms;
  for (int n = static_cast<int>(rng.In(1, 3)); n > 0; --n) {
    const v1::Job& sample = jobs[static_cast<size_t>(rng.In(0, jobs.size() - 1))];
    std::vector<std::string> any;
    const int alternatives = rng.Chance(25) ? 2 : 1;
    const int field = static_cast<int>(rng.In(0, 8));
    std::string tag_key;
    for (int a = 0; a < alternatives; ++a) {
      const v1::Job& job = a == 0 ? sample : jobs[static_cast<size_t>(rng.In(0, jobs.size() - 1))];
      switch (field) {
        case 0:
        case 1:
          any.push_back(absl::StrCat("state = ", v1::Job::State_Name(job.state())));
          break;
        case 2:
          any.push_back(absl::StrCat("vendor = ", Quote(job.vendor())));
          break;
        case 3: {
          std::string provider = job.provider();
          if (rng.Chance(30)) provider = absl::AsciiStrToUpper(provider);
          any.push_back(absl::StrCat("provider = ", Quote(provider)));
          break;
        }
        case 4:
          any.push_back(absl::StrCat("device = ", Quote(job.device())));
          break;
        case 5:
          any.push_back(absl::StrCat("job_type = ", Quote(job.job_type())));
          break;
        case 6: {
          // One tag key per term (OR joins comparisons of one field only).
          if (a == 0) {
            tag_key = "experiment";
            if (!job.tags().empty()) {
              auto it = job.tags().begin();
              std::advance(it, rng.In(0, job.tags().size() - 1));
              tag_key = it->first;
            }
          }
          auto it = job.tags().find(tag_key);
          any.push_back(absl::StrCat("tags.", tag_key, " = ",
                                     Quote(it != job.tags().end() ? it->second : "bell")));
          break;
        }
        case 7: {
          const std::string& name = job.display_name();
          if (name.size() < 3) {
            any.push_back(R"(display_name : "e")");
          } else {
            const size_t from = static_cast<size_t>(rng.In(0, name.size() - 2));
            const size_t length = static_cast<size_t>(rng.In(1, name.size() - from));
            any.push_back(absl::StrCat("display_name ", rng.Chance(80) ? ":" : "=", " ",
                                       Quote(name.substr(from, length))));
          }
          break;
        }
        default: {
          static const auto* kOps = new std::vector<std::string>{">=", ">", "<", "<=", "="};
          any.push_back(absl::StrCat("create_time ", rng.Pick(*kOps), " ",
                                     Quote(FormatRfc3339(OrderTime(job)))));
          break;
        }
      }
    }
    terms.push_back(any.size() == 1 ? any[0] : absl::StrCat("(", absl::StrJoin(any, " OR "), ")"));
  }
  return absl::StrJoin(terms, " AND ");
}

int PageSize(Random& rng) {
  if (rng.Chance(5)) return 0;     // the default, 50
  if (rng.Chance(5)) return 1000;  // lowered to 200
  if (rng.Chance(15)) return static_cast<int>(rng.In(1, 5));
  return static_cast<int>(rng.In(6, 200));
}

class ListRandomizedTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = false;
    auto emulator = VendorEmulator::Start(options);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    for (auto* ops : {&replica_a_, &replica_b_}) {
      JobOperations::AdapterMap adapters;
      for (const char* vendor : kVendors) adapters.emplace(vendor, Adapter(vendor));
      *ops = std::make_unique<JobOperations>(std::move(adapters), kPageTokenKey);
    }
    for (const char* vendor : kVendors) reference_[vendor] = Adapter(vendor);
  }

  std::unique_ptr<VendorAdapter> Adapter(const std::string& vendor) {
    VendorConfig config;
    config.base_url = emulator_->base_url(vendor);
    if (vendor == sandbox::kQbraid) config.api_key = "sandbox-qbraid-key";
    if (vendor == sandbox::kIonq) config.api_key = "sandbox-ionq-key";
    return MakeVendorAdapter(vendor, &engine_, config);
  }

  static RpcContext Deadline() {
    RpcContext ctx;
    ctx.deadline = absl::Now() + absl::Seconds(30);
    return ctx;
  }

  // Seeds hundreds of jobs per vendor whose creation times come from a small pool, so times
  // tie within and across vendors.
  void SeedDataset(Random& rng) {
    emulator_->ClearJobs();
    const absl::Time now = clock_.Now();
    const absl::Duration step = rng.Pick(std::vector<absl::Duration>{
        absl::Seconds(1), absl::Seconds(7), absl::Minutes(10), absl::Hours(5)});
    const int pool = static_cast<int>(rng.In(5, 120));
    for (const char* vendor : kVendors) {
      for (int i = static_cast<int>(rng.In(150, 350)); i > 0; --i) {
        const absl::Time created = now - step * (1 + rng.In(0, pool - 1));
        emulator_->AddJob(RandomJob(rng, vendor, created, now));
      }
    }
  }

  // Every job of `vendor` from one full listing through its adapter, FULL view.
  std::vector<v1::Job> FullListing(const std::string& vendor) {
    std::vector<v1::Job> jobs;
    ListRequest request;
    request.page_size = 100;
    request.view = v1::JOB_VIEW_FULL;
    for (int pages = 0; pages < 100; ++pages) {
      absl::Notification done;
      absl::StatusOr<ListResult> result;
      reference_[vendor]->ListJobs(Deadline().ForVendor(vendor), request,
                                   [&](absl::StatusOr<ListResult> r) {
                                     result = std::move(r);
                                     done.Notify();
                                   });
      done.WaitForNotification();
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      for (v1::Job& job : result->jobs) jobs.push_back(std::move(job));
      if (result->next_cursor.empty()) break;
      request.cursor = result->next_cursor;
    }
    return jobs;
  }

  v1::Job GetJob(const std::string& name) {
    v1::GetJobRequest request;
    request.set_name(name);
    request.set_view(v1::JOB_VIEW_FULL);
    absl::Notification done;
    absl::StatusOr<v1::Job> job;
    replica_a_->GetJob(Deadline(), request, [&](absl::StatusOr<v1::Job> r) {
      job = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : v1::Job();
  }

  absl::StatusOr<v1::ListJobsResponse> List(JobOperations& ops,
                                            const v1::ListJobsRequest& request) {
    absl::Notification done;
    absl::StatusOr<v1::ListJobsResponse> out;
    ops.ListJobs(Deadline(), request, [&](absl::StatusOr<v1::ListJobsResponse> r) {
      out = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return out;
  }

  void RunDataset(uint64_t seed);

  ManualClock clock_;
  std::unique_ptr<VendorEmulator> emulator_;
  http::HttpEngine engine_;
  std::map<std::string, std::unique_ptr<VendorAdapter>> reference_;
  std::unique_ptr<JobOperations> replica_a_;
  std::unique_ptr<JobOperations> replica_b_;
};

void ListRandomizedTest::RunDataset(uint64_t seed) {
  SCOPED_TRACE(absl::StrCat("dataset seed ", seed));
  Random rng(seed);
  SeedDataset(rng);

  // The whole dataset, normalised, from one full listing per vendor: it must hold every
  // seeded job once, and agree with GetJob.
  std::vector<v1::Job> all;
  std::map<std::string, v1::Job> by_name;
  for (const char* vendor : kVendors) {
    std::vector<v1::Job> jobs = FullListing(vendor);
    std::set<std::string> ids;
    for (const v1::Job& job : jobs) ids.insert(job.vendor_job_id());
    const std::vector<std::string> seeded = emulator_->JobIds(vendor);
    ASSERT_EQ(jobs.size(), seeded.size()) << vendor;
    ASSERT_EQ(ids, std::set<std::string>(seeded.begin(), seeded.end())) << vendor;
    for (v1::Job& job : jobs) {
      ASSERT_TRUE(job.has_create_time()) << job.name();
      by_name[job.name()] = job;
      all.push_back(std::move(job));
    }
  }
  for (int i = 0; i < 5; ++i) {
    const v1::Job& job = all[static_cast<size_t>(rng.In(0, all.size() - 1))];
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(GetJob(job.name()), job))
        << job.name();
  }
  std::sort(all.begin(), all.end(), InContractOrder);

  for (int walk = 0; walk < 4; ++walk) {
    const std::string filter_text = RandomFilter(rng, all);
    const std::string parent =
        rng.Chance(60) ? "vendors/-" : absl::StrCat("vendors/", kVendors[rng.In(0, 2)]);
    const v1::JobView view = rng.Chance(20) ? v1::JOB_VIEW_FULL : v1::JOB_VIEW_BASIC;
    SCOPED_TRACE(absl::StrCat("walk ", walk, ": parent ", parent, ", filter [", filter_text,
                              "], view ", v1::JobView_Name(view)));
    absl::StatusOr<Filter> filter = ParseFilter(filter_text);
    ASSERT_TRUE(filter.ok()) << filter.status();

    // Brute force: the filter over the whole dataset, in the contract's order.
    std::vector<std::string> expected;
    for (const v1::Job& job : all) {
      if (parent != "vendors/-" && parent != absl::StrCat("vendors/", job.vendor())) continue;
      if (filter->Matches(job)) expected.push_back(job.name());
    }

    v1::ListJobsRequest request;
    request.set_parent(parent);
    request.set_filter(filter_text);
    request.set_view(view);
    std::vector<std::string> names;
    int pages = 0;
    for (;; ++pages) {
      ASSERT_LT(pages, 5000) << "the walk does not end";
      request.set_page_size(PageSize(rng));
      absl::StatusOr<v1::ListJobsResponse> page =
          List(rng.Chance(50) ? *replica_a_ : *replica_b_, request);
      ASSERT_TRUE(page.ok()) << page.status();
      EXPECT_EQ(page->unreachable_size(), 0);
      const int limit = request.page_size() == 0 ? 50 : std::min(request.page_size(), 200);
      EXPECT_LE(page->jobs_size(), limit);
      for (const v1::Job& job : page->jobs()) {
        names.push_back(job.name());
        auto it = by_name.find(job.name());
        ASSERT_NE(it, by_name.end()) << job.name();
        v1::Job want = it->second;
        if (view != v1::JOB_VIEW_FULL) want.clear_vendor_payload();
        EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(job, want))
            << job.DebugString() << "\nwant\n"
            << want.DebugString();
      }
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    ASSERT_EQ(names.size(), expected.size()) << pages + 1 << " pages";
    for (size_t i = 0; i < names.size(); ++i) {
      ASSERT_EQ(names[i], expected[i]) << "job " << i << " of " << names.size();
    }
  }

  // One more walk over vendors/- while vendors fail now and then (HTTP 503 on a list request).
  // A vendor named unreachable is asked again from where it stood, so every job still comes
  // exactly once and each vendor's jobs keep their order; only when every vendor failed does
  // the call fail, and the caller retries it with the same token.
  {
    const std::string filter_text = RandomFilter(rng, all);
    SCOPED_TRACE(absl::StrCat("walk with vendor failures, filter [", filter_text, "]"));
    absl::StatusOr<Filter> filter = ParseFilter(filter_text);
    ASSERT_TRUE(filter.ok()) << filter.status();
    std::vector<std::string> expected;
    for (const v1::Job& job : all) {
      if (filter->Matches(job)) expected.push_back(job.name());
    }
    v1::ListJobsRequest request;
    request.set_parent("vendors/-");
    request.set_filter(filter_text);
    std::vector<std::string> names;
    int unreachable_pages = 0;
    int failed_calls = 0;
    for (int pages = 0;; ++pages) {
      ASSERT_LT(pages, 5000) << "the walk does not end";
      if (rng.Chance(30)) {
        sandbox::FaultSpec fault;
        fault.vendor = kVendors[rng.In(0, 2)];
        fault.route = "list";
        fault.status = 503;
        fault.count = static_cast<int>(rng.In(1, 2));
        emulator_->InjectFault(fault);
      }
      request.set_page_size(PageSize(rng));
      absl::StatusOr<v1::ListJobsResponse> page =
          List(rng.Chance(50) ? *replica_a_ : *replica_b_, request);
      if (!page.ok()) {
        EXPECT_EQ(page.status().code(), absl::StatusCode::kUnavailable) << page.status();
        EXPECT_EQ(ErrorReason(page.status()), "VENDOR_UNAVAILABLE");
        ++failed_calls;
        continue;  // the same request again
      }
      if (page->unreachable_size() > 0) ++unreachable_pages;
      for (const std::string& u : page->unreachable()) {
        EXPECT_TRUE(u == "vendors/qbraid" || u == "vendors/ionq" || u == "vendors/praisonai") << u;
      }
      for (const v1::Job& job : page->jobs()) names.push_back(job.name());
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    emulator_->ClearFaults();
    std::vector<std::string> sorted_names = names;
    std::sort(sorted_names.begin(), sorted_names.end());
    std::vector<std::string> sorted_expected = expected;
    std::sort(sorted_expected.begin(), sorted_expected.end());
    ASSERT_EQ(sorted_names, sorted_expected)
        << unreachable_pages << " pages with unreachable vendors, " << failed_calls
        << " failed calls";
    for (const char* vendor : kVendors) {
      const std::string prefix = absl::StrCat("vendors/", vendor, "/");
      std::vector<std::string> got, want;
      for (const std::string& n : names) {
        if (absl::StartsWith(n, prefix)) got.push_back(n);
      }
      for (const std::string& n : expected) {
        if (absl::StartsWith(n, prefix)) want.push_back(n);
      }
      EXPECT_EQ(got, want) << vendor;
    }
    if (unreachable_pages == 0) EXPECT_EQ(names, expected);
  }
}

TEST_P(ListRandomizedTest, WalksYieldTheBruteForceAnswerOnceInOrder) {
  int rounds = 1;
  if (const char* env = std::getenv("JOBFACADE_LIST_RANDOM_ROUNDS"); env != nullptr) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &rounds) && rounds > 0) << env;
  }
  for (int round = 0; round < rounds; ++round) {
    RunDataset(static_cast<uint64_t>(GetParam() + round * kSeeds));
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ListRandomizedTest, ::testing::Range(1, kSeeds + 1));

}  // namespace
}  // namespace jobfacade
