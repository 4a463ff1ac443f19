// Minimal structured logging to stderr. Callers never pass secrets (keys, tokens, bodies).
#ifndef JOBFACADE_SERVICE_LOG_H_
#define JOBFACADE_SERVICE_LOG_H_

#include <cstdio>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jobfacade {

inline void Log(absl::string_view level, absl::string_view message) {
  const std::string now =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::fprintf(stderr, "%s jobfacade %.*s %.*s\n", now.c_str(), static_cast<int>(level.size()),
               level.data(), static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_LOG_H_
