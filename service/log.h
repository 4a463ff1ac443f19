// The service's log: one line per event on stderr, a JSON object each (or text for people),
// written through spdlog. gRPC's own log lines go through it too. Nothing logged may hold a
// key, a token or a whole vendor body: callers pass only what is safe to show.
#ifndef JOBFACADE_SERVICE_LOG_H_
#define JOBFACADE_SERVICE_LOG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobfacade {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kJson, kText };

// JOBFACADE_LOG_LEVEL: debug, info, warn, error.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
// JOBFACADE_LOG_FORMAT: json, text; empty: text when stderr is a terminal, else json.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);

// Sets the format and the lowest level written, and routes gRPC's log lines through the same
// logger. Call it once at start, before gRPC is used; until then lines are JSON at info.
void ConfigureLogging(LogFormat format, LogLevel level);
bool LogEnabled(LogLevel level);

// One log line: a message and its fields in the order added, written when it goes out of
// scope. Use as a temporary: LogLine(LogLevel::kWarn, "vendor request failed").Str(...);
class LogLine {
 public:
  LogLine(LogLevel level, absl::string_view message);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Str(absl::string_view key, absl::string_view value);
  LogLine& Int(absl::string_view key, int64_t value);
  LogLine& Num(absl::string_view key, double value);
  LogLine& Bool(absl::string_view key, bool value);

 private:
  // A number, true, false or null, written as is.
  LogLine& Literal(absl::string_view key, absl::string_view literal);

  const LogLevel level_;
  const bool enabled_;
  std::string text_;  // JSON: `"msg":"...","key":value...`; text: `message key=value...`
};

// A line with a message only.
inline void Log(LogLevel level, absl::string_view message) { LogLine(level, message); }

// Appends `value` to `out` as a JSON string (quoted, escaped, invalid UTF-8 replaced).
void AppendJsonString(absl::string_view value, std::string* out);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_LOG_H_
