// The Server-Sent Events parser: the standard's field rules, and the same events whatever
// pieces the bytes arrive in.
#include "adapters/core/sse.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jobfacade {
namespace {

struct Seen {
  std::string type, data, id;
  bool operator==(const Seen& o) const { return type == o.type && data == o.data && id == o.id; }
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << s.type << ", \"" << s.data << "\", " << s.id << "}";
}

std::vector<Seen> ParseInPieces(const std::string& bytes, const std::vector<size_t>& cuts,
                                size_t* comments = nullptr) {
  std::vector<Seen> seen;
  SseParser parser([&](const SseEvent& e) { seen.push_back({e.type, e.data, e.id}); });
  size_t from = 0;
  for (size_t cut : cuts) {
    EXPECT_TRUE(parser.Feed(absl::string_view(bytes).substr(from, cut - from)));
    from = cut;
  }
  EXPECT_TRUE(parser.Feed(absl::string_view(bytes).substr(from)));
  if (comments != nullptr) *comments = parser.comments();
  return seen;
}

// What PraisonAI's run stream sends (sse-starlette framing, CRLF line ends, a ping comment).
const std::string kStream =
    "\xEF\xBB\xBF"
    "event: status\r\ndata: {\"status\": \"queued\", \"job_id\": \"run_0\"}\r\n\r\n"
    ": ping - 2026-12-03 10:00:00\r\n\r\n"
    "event: progress\r\ndata: {\"percentage\": 50.0, \"step\": \"\"}\r\n\r\n"
    "event: heartbeat\rdata: {\"timestamp\": \"t\"}\r\r"
    "id: 7\nevent: result\ndata: line one\ndata:line two\ndata\n\n"
    "data: no type\n\n";

const std::vector<Seen> kEvents = {
    {"status", "{\"status\": \"queued\", \"job_id\": \"run_0\"}", ""},
    {"progress", "{\"percentage\": 50.0, \"step\": \"\"}", ""},
    {"heartbeat", "{\"timestamp\": \"t\"}", ""},
    {"result", "line one\nline two\n", "7"},
    {"message", "no type", "7"},
};

TEST(SseParserTest, ParsesEveryFieldRuleOfTheStandardInOnePiece) {
  size_t comments = 0;
  EXPECT_EQ(ParseInPieces(kStream, {}, &comments), kEvents);
  EXPECT_EQ(comments, 1u);
}

TEST(SseParserTest, TheSameEventsWhereverTheStreamIsCutInTwo) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    EXPECT_EQ(ParseInPieces(kStream, {cut}), kEvents) << "cut at " << cut;
  }
}

TEST(SseParserTest, TheSameEventsWhenEveryByteArrivesAlone) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(ParseInPieces(kStream, cuts), kEvents);
}

TEST(SseParserTest, AnEventIsDispatchedOnlyOnceItsBlankLineArrives) {
  std::vector<std::string> types;
  SseParser parser([&](const SseEvent& e) { types.push_back(e.type); });
  parser.Feed("event: status\ndata: {}\n");
  EXPECT_TRUE(types.empty());
  parser.Feed("\n");
  EXPECT_EQ(types, std::vector<std::string>{"status"});
}

TEST(SseParserTest, AnEventWithoutDataIsNotDispatchedAndItsTypeDoesNotLeak) {
  std::vector<std::string> types;
  SseParser parser([&](const SseEvent& e) { types.push_back(e.type); });
  parser.Feed("event: cancelled\n\ndata: x\n\n");
  EXPECT_EQ(types, std::vector<std::string>{"message"});
}

TEST(SseParserTest, ALineBeyondTheBoundBreaksTheStream) {
  int events = 0;
  SseParser parser([&](const SseEvent&) { ++events; }, 16);
  EXPECT_FALSE(parser.Feed(std::string(17, 'x')));
  EXPECT_FALSE(parser.Feed("\n\n"));
  SseParser data_bound([&](const SseEvent&) { ++events; }, 16);
  EXPECT_FALSE(data_bound.Feed("data: 0123456789\ndata: 0123456789\n"));
  EXPECT_EQ(events, 0);
}

}  // namespace
}  // namespace jobfacade
