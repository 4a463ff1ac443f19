// Server-Sent Events parsing, after the WHATWG HTML standard's "event stream interpretation".
#include "adapters/core/sse.h"

#include "absl/strings/strip.h"

namespace jobfacade {

bool SseParser::Feed(absl::string_view bytes) {
  if (broken_) return false;
  if (!bom_checked_ && !bytes.empty()) {
    // The BOM may itself arrive split; it is 3 bytes, so wait for them.
    line_.append(bytes.data(), bytes.size());
    if (line_.size() < 3 && absl::string_view("\xEF\xBB\xBF").substr(0, line_.size()) == line_) {
      return true;
    }
    bom_checked_ = true;
    std::string pending = std::move(line_);
    line_.clear();
    absl::string_view rest = pending;
    absl::ConsumePrefix(&rest, "\xEF\xBB\xBF");
    return Feed(rest);
  }
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\r' && c != '\n') continue;
    if (c == '\n' && after_cr_ && i == start && line_.empty()) {
      // The LF of a CRLF whose CR ended the previous line.
      after_cr_ = false;
      start = i + 1;
      continue;
    }
    if (line_.size() + (i - start) > max_line_bytes_) {  // however it arrived
      broken_ = true;
      return false;
    }
    line_.append(bytes.data() + start, i - start);
    Line(line_);
    line_.clear();
    if (broken_) return false;
    after_cr_ = c == '\r';
    start = i + 1;
  }
  if (start < bytes.size()) {
    after_cr_ = false;
    line_.append(bytes.data() + start, bytes.size() - start);
    if (line_.size() > max_line_bytes_) {
      broken_ = true;
      return false;
    }
  }
  return true;
}

void SseParser::Line(absl::string_view line) {
  if (line.empty()) return Dispatch();
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  absl::string_view field = line;
  absl::string_view value;
  if (const size_t colon = line.find(':'); colon != absl::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    absl::ConsumePrefix(&value, " ");
  }
  if (field == "event") {
    type_.assign(value.data(), value.size());
  } else if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value.data(), value.size());
    has_data_ = true;
    if (data_.size() > max_line_bytes_) broken_ = true;
  } else if (field == "id") {
    if (value.find('\0') == absl::string_view::npos) last_id_.assign(value.data(), value.size());
  }
  // "retry" and unknown fields are ignored.
}

void SseParser::Dispatch() {
  // An event with no data line is not dispatched, as in a browser; its type is dropped.
  if (has_data_) {
    SseEvent event;
    if (!type_.empty()) event.type = std::move(type_);
    event.data = std::move(data_);
    event.id = last_id_;
    on_event_(event);
  }
  type_.clear();
  data_.clear();
  has_data_ = false;
}

}  // namespace jobfacade
