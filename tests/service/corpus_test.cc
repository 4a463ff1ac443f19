// Replays the seed corpora of every fuzz target (tests/fuzz/corpus/<target>) through the fuzz
// entries the targets share, so the normal build checks them too: every seed must be handled
// cleanly, and a seed's name says what must become of it (valid-* / invalid-* accepted /
// rejected; for the normalisers job-* / list-* accepted as a job / a list page, invalid-* by
// neither; anything else either way).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/service/fuzz_entries.h"

namespace jobfacade {
namespace {

struct Seed {
  std::string name;
  std::string bytes;
};

std::vector<Seed> ReadFolder(const std::filesystem::path& dir) {
  std::vector<Seed> seeds;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    seeds.push_back({entry.path().filename().string(), bytes.str()});
  }
  std::sort(seeds.begin(), seeds.end(),
            [](const Seed& a, const Seed& b) { return a.name < b.name; });
  return seeds;
}

std::vector<Seed> ReadCorpus(const std::string& target) {
  return ReadFolder(std::filesystem::path(JOBFACADE_SOURCE_DIR) / "tests/fuzz/corpus" / target);
}

// What a seed's name promises: 1 accepted, 0 rejected, -1 either.
int Expectation(const std::string& name) {
  if (absl::StartsWith(name, "valid-")) return 1;
  if (absl::StartsWith(name, "invalid-")) return 0;
  return -1;
}

TEST(CorpusTest, FilterSeedsAreHandledCleanly) {
  const std::vector<Seed> seeds = ReadCorpus("filter");
  ASSERT_GE(seeds.size(), 40u) << "the filter corpus is missing";
  int accepted = 0, rejected = 0;
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    bool ok = false;
    const absl::Status check = CheckFilterInput(seed.bytes, &ok);
    EXPECT_TRUE(check.ok()) << check;
    (ok ? accepted : rejected)++;
    if (Expectation(seed.name) >= 0) {
      EXPECT_EQ(ok, Expectation(seed.name) == 1);
    }
  }
  EXPECT_GT(accepted, 10);
  EXPECT_GT(rejected, 10);
}

TEST(CorpusTest, PageTokenSeedsAreHandledCleanly) {
  const std::vector<Seed> seeds = ReadCorpus("page_token");
  ASSERT_GE(seeds.size(), 15u) << "the page-token corpus is missing";
  int accepted = 0, rejected = 0;
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    bool ok = false;
    const absl::Status check = CheckPageTokenInput(seed.bytes, &ok);
    EXPECT_TRUE(check.ok()) << check;
    (ok ? accepted : rejected)++;
    if (Expectation(seed.name) >= 0) {
      EXPECT_EQ(ok, Expectation(seed.name) == 1);
    }
  }
  EXPECT_GT(accepted, 3);
  EXPECT_GT(rejected, 10);
}

TEST(CorpusTest, NameSeedsAreHandledCleanly) {
  const std::vector<Seed> seeds = ReadCorpus("name");
  ASSERT_GE(seeds.size(), 20u) << "the name corpus is missing";
  int accepted = 0, rejected = 0;
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    bool ok = false;
    const absl::Status check = CheckNameInput(seed.bytes, &ok);
    EXPECT_TRUE(check.ok()) << check;
    (ok ? accepted : rejected)++;
    if (Expectation(seed.name) >= 0) {
      EXPECT_EQ(ok, Expectation(seed.name) == 1);
    }
  }
  EXPECT_GE(accepted, 5);
  EXPECT_GE(rejected, 15);
}

// The check itself is not vacuous: names it must refuse and accept, judged apart from the seeds.
TEST(CorpusTest, NameCheckTellsNamesApart) {
  bool ok = true;
  ASSERT_TRUE(CheckNameInput("vendors/ionq/jobs/a b", &ok).ok());
  EXPECT_FALSE(ok);
  ASSERT_TRUE(CheckNameInput("vendors/praisonai/jobs/run_1", &ok).ok());
  EXPECT_TRUE(ok);
}

TEST(CorpusTest, SseSeedsParseTheSameInEveryCutting) {
  const std::vector<Seed> seeds = ReadCorpus("sse");
  ASSERT_GE(seeds.size(), 10u) << "the sse corpus is missing";
  size_t total = 0;
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    size_t events = 0;
    const absl::Status check = CheckSseInput(seed.bytes, &events);
    EXPECT_TRUE(check.ok()) << check;
    total += events;
  }
  EXPECT_GE(total, 10u);
}

class NormalizerCorpusTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NormalizerCorpusTest, SeedsAreHandledCleanly) {
  const std::vector<Seed> seeds = ReadCorpus(GetParam());
  ASSERT_GE(seeds.size(), 30u) << "the " << GetParam() << " corpus is missing";
  int jobs = 0, lists = 0, neither = 0;
  for (const Seed& seed : seeds) {
    SCOPED_TRACE(seed.name);
    NormalizerOutcome outcome;
    const absl::Status check = CheckNormalizerInput(GetParam(), seed.bytes, &outcome);
    EXPECT_TRUE(check.ok()) << check;
    jobs += outcome.job;
    lists += outcome.list;
    neither += !outcome.job && !outcome.list;
    if (absl::StartsWith(seed.name, "job-")) {
      EXPECT_TRUE(outcome.job);
    }
    if (absl::StartsWith(seed.name, "list-")) {
      EXPECT_TRUE(outcome.list);
    }
    if (absl::StartsWith(seed.name, "invalid-")) {
      EXPECT_FALSE(outcome.job);
      EXPECT_FALSE(outcome.list);
    }
  }
  EXPECT_GE(jobs, 10);
  EXPECT_GE(lists, 3);
  EXPECT_GE(neither, 10);
}

// Every example payload of the vendor's documentation is a seed, byte for byte (named
// <kind>-example-<file without .json>), so the fuzzer starts from real bodies.
TEST_P(NormalizerCorpusTest, EveryVendorExampleIsASeed) {
  const std::vector<Seed> examples = ReadFolder(std::filesystem::path(JOBFACADE_SHARED_DIR) /
                                                "vendor-apis" / GetParam() / "examples");
  ASSERT_FALSE(examples.empty());
  std::set<std::string> seeds;
  for (const Seed& seed : ReadCorpus(GetParam())) {
    if (absl::StrContains(seed.name, "example-")) seeds.insert(seed.bytes);
  }
  for (const Seed& example : examples) {
    EXPECT_EQ(seeds.count(example.bytes), 1u) << example.name << " is not in the corpus";
  }
}

INSTANTIATE_TEST_SUITE_P(Vendors, NormalizerCorpusTest,
                         ::testing::Values("qbraid", "ionq", "praisonai"));

// The libFuzzer entries run the same checks and return 0 on every seed.
TEST(CorpusTest, FuzzEntriesAcceptEverySeed) {
  const std::vector<std::pair<std::string, std::function<int(const uint8_t*, size_t)>>> targets = {
      {"filter", FilterFuzzEntry},       {"page_token", PageTokenFuzzEntry},
      {"name", NameFuzzEntry},           {"qbraid", QbraidNormalizerFuzzEntry},
      {"ionq", IonqNormalizerFuzzEntry}, {"praisonai", PraisonaiNormalizerFuzzEntry},
  };
  for (const auto& [target, entry] : targets) {
    for (const Seed& seed : ReadCorpus(target)) {
      SCOPED_TRACE(absl::StrCat(target, "/", seed.name));
      EXPECT_EQ(entry(reinterpret_cast<const uint8_t*>(seed.bytes.data()), seed.bytes.size()), 0);
    }
  }
}

}  // namespace
}  // namespace jobfacade
