// The logger behind service/log.h: spdlog writes the lines (its stderr sink serialises them,
// its pattern formats the time); the fields are formatted here, as JSON or as key=value.
#include "service/log.h"

#include <grpc/support/log.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "adapters/core/utf8.h"

namespace jobfacade {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kJson};
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

spdlog::level::level_enum SpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

// `%*`: the contract's level names (spdlog says "warning" where the contract says "warn").
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    absl::string_view name = "info";
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        name = "debug";
        break;
      case spdlog::level::warn:
        name = "warn";
        break;
      case spdlog::level::err:
      case spdlog::level::critical:
        name = "error";
        break;
      default:
        break;
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc,
                                                               spdlog::details::os::default_eol);
  formatter->add_flag<LevelFlag>('*');
  // RFC 3339 in UTC with microseconds; the rest of the line is the LogLine's text.
  formatter->set_pattern(format == LogFormat::kJson
                             ? R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%*",%v})"
                             : "%Y-%m-%dT%H:%M:%S.%eZ %* %v");
  return formatter;
}

spdlog::logger& Logger() {
  // Never destroyed: threads may still log while the process exits.
  static spdlog::logger* logger = [] {
    auto* made = new spdlog::logger("jobfacade", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_formatter(MakeFormatter(LogFormat::kJson));
    made->set_level(spdlog::level::info);
    made->flush_on(spdlog::level::trace);
    return made;
  }();
  return *logger;
}

// gRPC's own lines: gpr_log's severity, file and line, message.
void GprLog(gpr_log_func_args* args) {
  LogLevel level = LogLevel::kInfo;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = LogLevel::kDebug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = LogLevel::kError;
  if (!LogEnabled(level)) return;
  absl::string_view file = args->file != nullptr ? args->file : "";
  if (size_t slash = file.rfind('/'); slash != absl::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  LogLine(level, args->message != nullptr ? args->message : "")
      .Str("source", "grpc")
      .Str("file", absl::StrCat(file, ":", args->line));
}

void AppendTextValue(absl::string_view value, std::string* out) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return absl::ascii_isgraph(static_cast<unsigned char>(c)) && c != '"' && c != '=';
  });
  if (plain) {
    out->append(value.data(), value.size());
  } else {
    AppendJsonString(value, out);
  }
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("JOBFACADE_LOG_LEVEL: expected debug, info, warn or error, got \"", text, "\""));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower.empty()) return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson;
  if (lower == "json") return LogFormat::kJson;
  if (lower == "text") return LogFormat::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("JOBFACADE_LOG_FORMAT: expected json or text, got \"", text, "\""));
}

void ConfigureLogging(LogFormat format, LogLevel level) {
  g_format.store(format);
  g_level.store(static_cast<int>(level));
  Logger().set_formatter(MakeFormatter(format));
  Logger().set_level(SpdlogLevel(level));
  gpr_set_log_function(GprLog);
  // gRPC drops lines below its own verbosity (GRPC_VERBOSITY, by default ERROR) before they
  // reach GprLog; at debug, let its info lines through as well.
  if (level == LogLevel::kDebug && std::getenv("GRPC_VERBOSITY") == nullptr) {
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_INFO);
  }
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

LogLine::LogLine(LogLevel level, absl::string_view message)
    : level_(level), enabled_(LogEnabled(level)) {
  if (!enabled_) return;
  text_.reserve(256);
  if (g_format.load() == LogFormat::kJson) {
    text_.append("\"msg\":");
    AppendJsonString(message, &text_);
  } else {
    text_.append(ToValidUtf8(message));
  }
}

LogLine::~LogLine() {
  if (!enabled_) return;
  Logger().log(SpdlogLevel(level_), spdlog::string_view_t(text_.data(), text_.size()));
}

LogLine& LogLine::Str(absl::string_view key, absl::string_view value) {
  if (!enabled_) return *this;
  if (g_format.load() == LogFormat::kJson) {
    text_.push_back(',');
    AppendJsonString(key, &text_);
    text_.push_back(':');
    AppendJsonString(value, &text_);
  } else {
    absl::StrAppend(&text_, " ", key, "=");
    AppendTextValue(value, &text_);
  }
  return *this;
}

LogLine& LogLine::Int(absl::string_view key, int64_t value) {
  return Literal(key, absl::StrCat(value));
}

LogLine& LogLine::Num(absl::string_view key, double value) {
  // JSON has no NaN or infinity.
  return Literal(key, std::isfinite(value) ? absl::StrCat(value) : "null");
}

LogLine& LogLine::Bool(absl::string_view key, bool value) {
  return Literal(key, value ? "true" : "false");
}

LogLine& LogLine::Literal(absl::string_view key, absl::string_view literal) {
  if (!enabled_) return *this;
  if (g_format.load() == LogFormat::kJson) {
    text_.push_back(',');
    AppendJsonString(key, &text_);
    absl::StrAppend(&text_, ":", literal);
  } else {
    absl::StrAppend(&text_, " ", key, "=", literal);
  }
  return *this;
}

void AppendJsonString(absl::string_view value, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(value, i);
      if (length == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(value.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

}  // namespace jobfacade
