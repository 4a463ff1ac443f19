// Push-down end to end: for random filters over random emulator jobs, listing each vendor with
// the filter's push-down and then applying Matches gives exactly the jobs Matches picks from
// the whole unfiltered listing, in the same order.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "adapters/core/clock.h"
#include "adapters/core/time_util.h"
#include "adapters/core/vendor_adapter.h"
#include "adapters/http/http_engine.h"
#include "adapters/registry.h"
#include "gtest/gtest.h"
#include "service/filter.h"
#include "tests/testing/sandbox_vendors.h"

namespace jobfacade {
namespace {

constexpr int kJobsPerVendor = 60;
constexpr int kFilters = 150;
const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& from) {
  return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
}

bool Coin(std::mt19937& rng, double p = 0.5) { return std::bernoulli_distribution(p)(rng); }

// Vocabularies shared by the seeded jobs and the filters.
const std::vector<std::string> kQbraidDevices = {"aws:aws:sim:sv1", "ionq:ionq:qpu:aria-1",
                                                 "aws:quera:qpu:aquila"};
const std::vector<std::string> kIonqDevices = {"qpu.aria-1", "simulator", "qpu.forte-1"};
const std::vector<std::string> kProviders = {"", "AWS", "QuEra", "ionq"};
const std::vector<std::string> kNames = {"Bell state", "bell", "BELL state run", "", "ghz"};
const std::vector<std::string> kTeams = {"alpha", "Alpha", "beta"};
const std::vector<std::string> kRounds = {"2", "3"};
const std::vector<std::string> kJobTypes = {"gate_model", "circuit", "analog"};
const std::vector<absl::Duration> kPhases = {absl::Minutes(1), absl::Minutes(30),
                                             absl::InfiniteDuration()};

sandbox::JobSpec RandomSpec(std::mt19937& rng, const std::string& vendor) {
  sandbox::JobSpec spec;
  spec.vendor = vendor;
  spec.created_at = kNow - absl::Minutes(std::uniform_int_distribution<int>(1, 120)(rng));
  spec.initializing = Pick(rng, kPhases);
  spec.queued = Pick(rng, kPhases);
  spec.running = Pick(rng, kPhases);
  spec.outcome = Pick(rng, std::vector<sandbox::JobOutcome>{sandbox::JobOutcome::kCompleted,
                                                            sandbox::JobOutcome::kFailed,
                                                            sandbox::JobOutcome::kCancelled});
  spec.name = Pick(rng, kNames);
  spec.job_type = Pick(rng, kJobTypes);
  if (Coin(rng, 0.7)) spec.tags["team"] = Pick(rng, kTeams);
  if (Coin(rng, 0.3)) spec.tags["round"] = Pick(rng, kRounds);
  if (vendor == sandbox::kQbraid) {
    spec.device = Pick(rng, kQbraidDevices);
    spec.provider = Pick(rng, kProviders);
    spec.provider_as_object = Coin(rng, 0.3);
    spec.fixed_status = Pick(
        rng, std::vector<std::string>{"", "", "", "HOLD", "UNKNOWN", "VALIDATING", "CANCELLING"});
  } else if (vendor == sandbox::kIonq) {
    spec.device = Pick(rng, kIonqDevices);
    if (Coin(rng, 0.15)) spec.fixed_status = "running";  // v0.3
  } else {
    spec.device = Pick(rng, std::vector<std::string>{"", "researcher"});
  }
  return spec;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string RandomTerm(std::mt19937& rng) {
  const int field = std::uniform_int_distribution<int>(0, 9)(rng);
  const int count = Coin(rng, 0.75) ? 1 : 2;
  std::vector<std::string> any_of;
  for (int i = 0; i < count; ++i) {
    switch (field) {
      case 0:
      case 1: {
        const google::protobuf::EnumDescriptor* states = v1::Job::State_descriptor();
        any_of.push_back(absl::StrCat(
            "state = ",
            states->value(std::uniform_int_distribution<int>(0, states->value_count() - 1)(rng))
                ->name()));
        break;
      }
      case 2:
        any_of.push_back(absl::StrCat(
            "provider = ", Quote(Pick(rng, std::vector<std::string>{"aws", "AWS", "quera", "ionq",
                                                                    "praisonai"}))));
        break;
      case 3:
        any_of.push_back(absl::StrCat(
            "device = ", Quote(Coin(rng) ? Pick(rng, kIonqDevices) : Pick(rng, kQbraidDevices))));
        break;
      case 4:
        any_of.push_back(absl::StrCat(
            "display_name ", Coin(rng) ? ": " : "= ",
            Quote(Pick(
                rng, std::vector<std::string>{"Bell", "bell", "state", "ghz", "Bell state", ""}))));
        break;
      case 5:
        any_of.push_back(absl::StrCat("tags.team = ", Quote(Pick(rng, kTeams))));
        break;
      case 6:
        any_of.push_back(absl::StrCat("tags.round = ", Quote(Pick(rng, kRounds))));
        break;
      case 7:
        any_of.push_back(absl::StrCat("job_type = ", Quote(Pick(rng, kJobTypes))));
        break;
      case 8:
        any_of.push_back(absl::StrCat(
            "vendor = ",
            Quote(Pick(rng, std::vector<std::string>{"qbraid", "ionq", "praisonai"}))));
        break;
      default:
        any_of.push_back(absl::StrCat(
            "create_time ", Pick(rng, std::vector<std::string>{"<", ">=", ">"}), " ",
            Quote(FormatRfc3339(kNow -
                                absl::Minutes(std::uniform_int_distribution<int>(1, 120)(rng))))));
        break;
    }
  }
  return absl::StrCat("(", absl::StrJoin(any_of, " OR "), ")");
}

class FilterEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox::VendorEmulator::Options options;
    options.manual_clock = &clock_;
    options.seed_demo_jobs = false;
    absl::StatusOr<std::unique_ptr<sandbox::VendorEmulator>> emulator =
        sandbox::VendorEmulator::Start(options);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
    for (const char* vendor : {sandbox::kQbraid, sandbox::kIonq, sandbox::kPraisonai}) {
      adapters_.push_back(MakeVendorAdapter(
          vendor, &engine_, VendorConfig{emulator_->base_url(vendor), emulator_->api_key(vendor)}));
      ASSERT_NE(adapters_.back(), nullptr);
    }
  }

  // Every job `adapter` lists with `filter` pushed down, walking all pages.
  absl::StatusOr<std::vector<v1::Job>> ListAll(VendorAdapter& adapter, const QueryParams& filter) {
    std::vector<v1::Job> jobs;
    ListRequest request;
    request.page_size = 100;
    request.filter = filter;
    for (int pages = 0; pages < 100; ++pages) {
      absl::Notification done;
      absl::StatusOr<ListResult> page = absl::UnknownError("no callback");
      CallContext ctx;
      ctx.deadline = absl::Now() + absl::Seconds(20);
      adapter.ListJobs(ctx, request, [&](absl::StatusOr<ListResult> result) {
        page = std::move(result);
        done.Notify();
      });
      if (!done.WaitForNotificationWithTimeout(absl::Seconds(30))) {
        return absl::DeadlineExceededError("no answer");
      }
      if (!page.ok()) return page.status();
      for (v1::Job& job : page->jobs) jobs.push_back(std::move(job));
      if (page->next_cursor.empty()) return jobs;
      request.cursor = page->next_cursor;
    }
    return absl::InternalError("the listing does not end");
  }

  ManualClock clock_{kNow};
  std::unique_ptr<sandbox::VendorEmulator> emulator_;
  http::HttpEngine engine_;
  std::vector<std::unique_ptr<VendorAdapter>> adapters_;
};

std::vector<std::string> NamesMatching(const Filter& filter, const std::vector<v1::Job>& jobs) {
  std::vector<std::string> names;
  for (const v1::Job& job : jobs) {
    if (filter.Matches(job)) names.push_back(job.name());
  }
  return names;
}

TEST_F(FilterEmulatorTest, PushedDownListingsGiveTheSameJobsAsFilteringEverything) {
  std::mt19937 rng(7);
  for (const auto& adapter : adapters_) {
    for (int i = 0; i < kJobsPerVendor; ++i) {
      emulator_->AddJob(RandomSpec(rng, std::string(adapter->vendor())));
    }
  }
  std::vector<std::vector<v1::Job>> everything;
  for (const auto& adapter : adapters_) {
    absl::StatusOr<std::vector<v1::Job>> all = ListAll(*adapter, QueryParams());
    ASSERT_TRUE(all.ok()) << adapter->vendor() << ": " << all.status();
    ASSERT_EQ(all->size(), static_cast<size_t>(kJobsPerVendor)) << adapter->vendor();
    everything.push_back(*std::move(all));
  }

  int matched = 0, narrowed = 0;
  for (int f = 0; f < kFilters; ++f) {
    std::vector<std::string> terms;
    const int term_count = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int t = 0; t < term_count; ++t) terms.push_back(RandomTerm(rng));
    const std::string text = absl::StrJoin(terms, " AND ");
    absl::StatusOr<Filter> filter = ParseFilter(text);
    ASSERT_TRUE(filter.ok()) << text << ": " << filter.status();
    for (size_t v = 0; v < adapters_.size(); ++v) {
      VendorAdapter& adapter = *adapters_[v];
      const std::vector<std::string> expected = NamesMatching(*filter, everything[v]);
      matched += static_cast<int>(expected.size());
      if (!filter->MayMatchVendor(adapter.vendor())) {
        EXPECT_TRUE(expected.empty()) << text;
        continue;
      }
      absl::StatusOr<std::vector<v1::Job>> pushed =
          ListAll(adapter, filter->PushDown(adapter.vendor()));
      ASSERT_TRUE(pushed.ok()) << adapter.vendor() << " `" << text << "`: " << pushed.status();
      if (pushed->size() < everything[v].size()) ++narrowed;
      EXPECT_EQ(NamesMatching(*filter, *pushed), expected)
          << adapter.vendor() << " `" << text << "`";
    }
  }
  // Neither side of the comparison may be trivially empty.
  EXPECT_GT(matched, 300);
  EXPECT_GT(narrowed, 100);
}

}  // namespace
}  // namespace jobfacade
