// An incremental parser of Server-Sent Events (the WHATWG "text/event-stream" format): bytes go
// in as they arrive, in pieces of any size, and each complete event comes out once its blank
// line has arrived. Lines may end in LF, CR or CRLF, also when a CRLF is split across pieces.
#ifndef JOBFACADE_ADAPTERS_CORE_SSE_H_
#define JOBFACADE_ADAPTERS_CORE_SSE_H_

#include <cstddef>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"

namespace jobfacade {

struct SseEvent {
  std::string type = "message";  // the `event:` field; "message" when the event names none
  std::string data;              // the `data:` lines joined by "\n"
  std::string id;                // the last `id:` seen on the stream (it persists across events)
};

class SseParser {
 public:
  using EventCallback = absl::AnyInvocable<void(const SseEvent&)>;

  // `max_line_bytes` bounds one line (and one event's data): a stream that goes past it is
  // broken, and Feed returns false from then on.
  explicit SseParser(EventCallback on_event, size_t max_line_bytes = 64 << 10)
      : on_event_(std::move(on_event)), max_line_bytes_(max_line_bytes) {}

  // Parses the next piece of the stream, running the callback for each event it completes.
  // False once the stream broke a bound (nothing more is parsed).
  bool Feed(absl::string_view bytes);

  // Comment lines (":" ...) seen so far: heartbeats that carry no event.
  size_t comments() const { return comments_; }

 private:
  void Line(absl::string_view line);
  void Dispatch();

  EventCallback on_event_;
  const size_t max_line_bytes_;
  std::string line_;          // the line being read
  bool after_cr_ = false;     // the last byte was a CR, so an LF next ends nothing
  bool bom_checked_ = false;  // a leading U+FEFF is dropped once
  bool broken_ = false;
  std::string type_;
  std::string data_;
  bool has_data_ = false;
  std::string last_id_;
  size_t comments_ = 0;
};

}  // namespace jobfacade

#endif  // JOBFACADE_ADAPTERS_CORE_SSE_H_
