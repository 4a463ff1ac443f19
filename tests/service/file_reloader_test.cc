// FileReloader on real files, polled by hand: what changed is applied, what did not is left
// alone, and an unreadable or refused file keeps the last good value.
#include "service/file_reloader.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/page_token.h"
#include "service/tls_credentials.h"
#include "tests/testing/manual_scheduler.h"
#include "tests/testing/temp_dir.h"

namespace jobfacade {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string PathFor(const std::string& name) {
  return absl::StrCat(::jobfacade::testing::TestTempDir(), "/jobfacade-reloader-", name);
}

// Replaces the file in one step, as a Kubernetes Secret update does.
void Write(const std::string& path, const std::string& content) {
  const std::string staged = path + ".new";
  std::ofstream(staged, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(std::rename(staged.c_str(), path.c_str()), 0) << path;
}

// Records what a group was given; refuses contents that start with "bad".
struct Recorder {
  std::vector<std::vector<std::string>> applied;
  FileReloader::Apply Apply() {
    return [this](const std::vector<std::string>& contents) -> absl::Status {
      for (const std::string& c : contents) {
        if (c.rfind("bad", 0) == 0) return absl::InvalidArgumentError("SETTING: refused");
      }
      applied.push_back(contents);
      return absl::OkStatus();
    };
  }
};

TEST(FileReloaderTest, AppliesAtWatchThenOnlyWhatChanged) {
  const std::string path = PathFor("a");
  Write(path, "one");
  Recorder recorder;
  FileReloader reloader;
  reloader.Watch({{"A_FILE", path}}, recorder.Apply());
  EXPECT_THAT(recorder.applied, ElementsAre(ElementsAre("one")));
  reloader.Poll();
  reloader.Poll();
  EXPECT_EQ(recorder.applied.size(), 1u);  // nothing changed
  Write(path, "two");
  reloader.Poll();
  EXPECT_THAT(recorder.applied, ElementsAre(ElementsAre("one"), ElementsAre("two")));
}

TEST(FileReloaderTest, AnUnreadableFileKeepsTheLastGoodValueUntilItIsBack) {
  const std::string path = PathFor("b");
  Write(path, "one");
  Recorder recorder;
  FileReloader reloader;
  reloader.Watch({{"B_FILE", path}}, recorder.Apply());
  ASSERT_EQ(std::remove(path.c_str()), 0);
  reloader.Poll();
  reloader.Poll();
  EXPECT_EQ(recorder.applied.size(), 1u);  // nothing applied while it is missing
  Write(path, "one");                      // back as it was: nothing to apply
  reloader.Poll();
  EXPECT_EQ(recorder.applied.size(), 1u);
  Write(path, "three");
  reloader.Poll();
  EXPECT_THAT(recorder.applied.back(), ElementsAre("three"));
}

TEST(FileReloaderTest, ARefusedContentIsNotAppliedAndIsTriedAgainOnlyWhenItChanges) {
  const std::string path = PathFor("c");
  Write(path, "one");
  Recorder recorder;
  FileReloader reloader;
  reloader.Watch({{"C_FILE", path}}, recorder.Apply());
  Write(path, "bad content");
  reloader.Poll();
  EXPECT_EQ(recorder.applied.size(), 1u);
  Write(path, "four");
  reloader.Poll();
  EXPECT_THAT(recorder.applied.back(), ElementsAre("four"));
}

TEST(FileReloaderTest, AGroupIsAppliedWholeOrNotAtAll) {
  const std::string key = PathFor("key"), previous = PathFor("previous");
  Write(key, "k1");
  Write(previous, "k0");
  Recorder recorder;
  FileReloader reloader;
  reloader.Watch({{"KEY_FILE", key}, {"PREVIOUS_FILE", previous}}, recorder.Apply());
  Write(previous, "k1");
  Write(key, "k2");
  reloader.Poll();
  EXPECT_THAT(recorder.applied.back(), ElementsAre("k2", "k1"));
  // One file of the group missing: neither changes.
  ASSERT_EQ(std::remove(previous.c_str()), 0);
  Write(key, "k3");
  reloader.Poll();
  EXPECT_THAT(recorder.applied.back(), ElementsAre("k2", "k1"));
  Write(previous, "k2");
  reloader.Poll();
  EXPECT_THAT(recorder.applied.back(), ElementsAre("k3", "k2"));
}

// Started on a scheduler, the reloader polls by itself every interval, and not at all before.
TEST(FileReloaderTest, StartedItPollsEveryIntervalOnTheScheduler) {
  const std::string path = PathFor("d");
  Write(path, "one");
  ManualScheduler scheduler;  // outlives the reloader
  Recorder recorder;
  FileReloader reloader;
  reloader.Watch({{"D_FILE", path}}, recorder.Apply());
  reloader.Start(&scheduler, absl::Seconds(2));
  Write(path, "two");
  scheduler.Advance(absl::Seconds(1));
  EXPECT_EQ(recorder.applied.size(), 1u);
  scheduler.Advance(absl::Seconds(1));
  EXPECT_THAT(recorder.applied.back(), ElementsAre("two"));
  Write(path, "three");
  scheduler.Advance(absl::Seconds(2));
  EXPECT_THAT(recorder.applied.back(), ElementsAre("three"));
  EXPECT_EQ(scheduler.pending(), 1u);  // the next poll, and only it
}

// Destroyed, it applies nothing more, whether its next poll was cancelled or still comes.
TEST(FileReloaderTest, NothingIsAppliedAfterTheReloaderIsGone) {
  const std::string path = PathFor("e");
  Write(path, "one");
  ManualScheduler scheduler;
  Recorder recorder;
  {
    FileReloader reloader;
    reloader.Watch({{"E_FILE", path}}, recorder.Apply());
    reloader.Start(&scheduler, absl::Seconds(2));
  }
  Write(path, "two");
  scheduler.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder.applied.size(), 1u);
  EXPECT_EQ(scheduler.pending(), 0u);
}

// With nothing to watch there is nothing to poll.
TEST(FileReloaderTest, NothingWatchedSchedulesNothing) {
  ManualScheduler scheduler;
  FileReloader reloader;
  reloader.Start(&scheduler, absl::Seconds(2));
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(PageTokenRotationTest, TokensOfThePreviousKeyStayValidAndOlderOnesDoNot) {
  PageTokenCodec codec("key-one-0123456789abcdef");
  PageTokenState state;
  state.binding.parent = "vendors/-";
  const std::string first = codec.Encode(state);
  codec.SetKeys("key-two-0123456789abcdef", "key-one-0123456789abcdef");
  const std::string second = codec.Encode(state);
  EXPECT_NE(first, second);  // signed with the new key
  EXPECT_TRUE(codec.Decode(first, state.binding).ok());
  EXPECT_TRUE(codec.Decode(second, state.binding).ok());
  codec.SetKeys("key-three-0123456789abcdef", "key-two-0123456789abcdef");
  EXPECT_FALSE(codec.Decode(first, state.binding).ok());
  EXPECT_TRUE(codec.Decode(second, state.binding).ok());
}

// Certificates made now with openssl: a key that belongs to another certificate is refused
// naming the key's setting.
TEST(TlsMaterialTest, TheKeyMustMatchTheCertificate) {
  const std::string dir = ::jobfacade::testing::TestTempDir();
  for (const char* name : {"one", "two"}) {
    const std::string command = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=localhost -keyout ",
        dir, "/jobfacade-tls-", name, ".key -out ", dir, "/jobfacade-tls-", name,
        ".pem >/dev/null 2>&1");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  auto read = [&](const std::string& file) {
    std::ifstream in(absl::StrCat(dir, "/jobfacade-tls-", file), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_TRUE(CheckTlsMaterial(read("one.pem"), read("one.key"), "").ok());
  EXPECT_TRUE(CheckTlsMaterial(read("one.pem"), read("one.key"), read("two.pem")).ok());
  absl::Status mismatch = CheckTlsMaterial(read("one.pem"), read("two.key"), "");
  EXPECT_THAT(std::string(mismatch.message()), HasSubstr("JOBFACADE_TLS_KEY_FILE"));
  EXPECT_THAT(std::string(CheckTlsMaterial("junk", read("one.key"), "").message()),
              HasSubstr("JOBFACADE_TLS_CERT_FILE"));
  EXPECT_THAT(std::string(CheckTlsMaterial(read("one.pem"), "junk", "").message()),
              HasSubstr("JOBFACADE_TLS_KEY_FILE"));
  EXPECT_THAT(std::string(CheckTlsMaterial(read("one.pem"), read("one.key"), "junk").message()),
              HasSubstr("JOBFACADE_TLS_CLIENT_CA_FILE"));
}

}  // namespace
}  // namespace jobfacade
