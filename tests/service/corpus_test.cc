// Replays the seed corpora of the filter parser and the page-token decoder (the seeds of their
// fuzz targets) through the shared fuzz entries: every seed must be handled cleanly, and seeds
// named valid-* / invalid-* must be accepted / rejected.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/service/fuzz_entries.h"

namespace jobfacade {
namespace {

struct Seed {
  std::string name;
  std::string bytes;
};

std::vector<Seed> ReadCorpus(const std::string& folder) {
  const std::filesystem::path dir =
      std::filesystem::path(JOBFACADE_SOURCE_DIR) / "tests/service/corpus" / folder;
  std::vector<Seed> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
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

// The libFuzzer entries run the same checks and return 0 on every seed.
TEST(CorpusTest, FuzzEntriesAcceptEverySeed) {
  for (const Seed& seed : ReadCorpus("filter")) {
    EXPECT_EQ(
        FilterFuzzEntry(reinterpret_cast<const uint8_t*>(seed.bytes.data()), seed.bytes.size()), 0);
  }
  for (const Seed& seed : ReadCorpus("page_token")) {
    EXPECT_EQ(
        PageTokenFuzzEntry(reinterpret_cast<const uint8_t*>(seed.bytes.data()), seed.bytes.size()),
        0);
  }
}

}  // namespace
}  // namespace jobfacade
