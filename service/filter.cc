// The ListJobs filter language: a one-pass tokenizer and a bounded recursive-descent parser
// that report the 1-based character position of a fault, evaluation against a Job, and the
// push-down each vendor declares.
#include "service/filter.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/core/errors.h"
#include "adapters/core/json.h"
#include "adapters/core/time_util.h"
#include "adapters/registry.h"

namespace jobfacade {
namespace {

// Parentheses may nest this deep; the parser recurses once per level, so this bounds its stack.
constexpr int kMaxNesting = 8;
// How much of the caller's text an error message quotes back.
constexpr size_t kMaxEchoBytes = 40;

constexpr absl::string_view kFieldList =
    "state, vendor, provider, device, job_type, tags.KEY, display_name, create_time";

// ---------------------------------------------------------------------------------------------
// Positions and text checks

// The 1-based character (code point) position of byte `offset`; `text` up to `offset` is
// valid UTF-8 whenever this is called for a parse error.
size_t CharPosition(absl::string_view text, size_t offset) {
  size_t position = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++position;
  }
  return position;
}

absl::Status FilterError(absl::string_view text, size_t offset, absl::string_view what) {
  return InvalidArgument(reason::kInvalidFilter, "filter",
                         absl::StrCat("position ", CharPosition(text, offset), ": ", what));
}

// The length of the UTF-8 sequence at `i`, or 0 when it is malformed (overlong forms,
// surrogates and code points above U+10FFFF included). Stores the code point in `cp`.
size_t Utf8SequenceAt(absl::string_view s, size_t i, uint32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t n;
  uint32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsFilterWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// C0 controls other than the whitespace above, DEL and the C1 controls.
bool IsForbiddenControl(uint32_t cp) {
  return (cp < 0x20 && !IsFilterWhitespace(static_cast<char>(cp))) || (cp >= 0x7F && cp <= 0x9F);
}

// Rejects text that is too long, is not UTF-8, or holds control characters, before any parsing.
absl::Status CheckText(absl::string_view text) {
  if (text.size() > kMaxFilterBytes) {
    // The position of the first character that does not fit; cut on a character boundary.
    size_t cut = kMaxFilterBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return FilterError(text, cut,
                       absl::StrCat("the filter is ", text.size(), " bytes long; at most ",
                                    kMaxFilterBytes, " are allowed"));
  }
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t n = Utf8SequenceAt(text, i, cp);
    if (n == 0) return FilterError(text, i, "the filter is not valid UTF-8");
    if (IsForbiddenControl(cp)) {
      return FilterError(
          text, i,
          absl::StrCat("control character U+",
                       absl::AsciiStrToUpper(absl::StrCat(absl::Hex(cp, absl::kZeroPad4))),
                       " is not allowed"));
    }
    i += n;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

enum class TokenKind { kEnd, kWord, kString, kLParen, kRParen, kOperator, kAnd, kOr };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t begin = 0;  // byte offsets into the filter
  size_t end = 0;
  std::string text;            // a word, an unescaped string, or the operator's spelling
  std::optional<FilterOp> op;  // for kOperator; unset for operators the language lacks (!=)
};

// Characters that end a bare word.
bool IsSpecial(char c) {
  return IsFilterWhitespace(c) || c == '"' || c == '\'' || c == '(' || c == ')' || c == '=' ||
         c == ':' || c == '<' || c == '>' || c == '!';
}

class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  // Reads the token after the current one into `token`.
  absl::Status Next(Token& token) {
    while (pos_ < text_.size() && IsFilterWhitespace(text_[pos_])) ++pos_;
    token = Token();
    token.begin = pos_;
    if (pos_ == text_.size()) {
      token.end = pos_;
      return absl::OkStatus();
    }
    const char c = text_[pos_];
    switch (c) {
      case '(':
        return Single(token, TokenKind::kLParen);
      case ')':
        return Single(token, TokenKind::kRParen);
      case '"':
        return String(token);
      case '\'':
        return FilterError(text_, pos_, "strings take double quotes (\"...\")");
      case '=':
        return Operator(token, 1, FilterOp::kEq);
      case ':':
        return Operator(token, 1, FilterOp::kHas);
      case '<':
        return Peek(1) == '=' ? Operator(token, 2, FilterOp::kLe)
                              : Operator(token, 1, FilterOp::kLt);
      case '>':
        return Peek(1) == '=' ? Operator(token, 2, FilterOp::kGe)
                              : Operator(token, 1, FilterOp::kGt);
      case '!':
        if (Peek(1) == '=') return Operator(token, 2, std::nullopt);
        return FilterError(text_, pos_, "unexpected '!'; NOT is not supported");
      default:
        break;
    }
    while (pos_ < text_.size() && !IsSpecial(text_[pos_])) ++pos_;
    token.end = pos_;
    token.text = std::string(text_.substr(token.begin, pos_ - token.begin));
    token.kind = token.text == "AND"  ? TokenKind::kAnd
                 : token.text == "OR" ? TokenKind::kOr
                                      : TokenKind::kWord;
    return absl::OkStatus();
  }

 private:
  char Peek(size_t ahead) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  absl::Status Single(Token& token, TokenKind kind) {
    token.kind = kind;
    token.text = std::string(1, text_[pos_]);
    token.end = ++pos_;
    return absl::OkStatus();
  }

  absl::Status Operator(Token& token, size_t length, std::optional<FilterOp> op) {
    token.kind = TokenKind::kOperator;
    token.op = op;
    token.text = std::string(text_.substr(pos_, length));
    pos_ += length;
    token.end = pos_;
    return absl::OkStatus();
  }

  // A double-quoted literal with the escapes \" and \\ only; raw control characters (tabs and
  // newlines included) are not allowed inside.
  absl::Status String(Token& token) {
    const size_t open = pos_++;
    token.kind = TokenKind::kString;
    while (true) {
      if (pos_ >= text_.size()) {
        return FilterError(text_, open, "unterminated string: no closing '\"'");
      }
      const char c = text_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        const char escaped = Peek(1);
        if (escaped != '"' && escaped != '\\') {
          if (escaped == '\0') {
            return FilterError(text_, open, "unterminated string: no closing '\"'");
          }
          return FilterError(text_, pos_,
                             "unknown escape in string; only \\\" and \\\\ are allowed");
        }
        token.text.push_back(escaped);
        pos_ += 2;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return FilterError(text_, pos_,
                           "control characters (tabs and newlines included) are not allowed "
                           "inside a string");
      }
      token.text.push_back(c);
      ++pos_;
    }
    token.end = ++pos_;
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser

// How a token reads in an error message, bounded and free of control characters.
std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "end of filter";
    case TokenKind::kString:
      return absl::StrCat("the string \"", SanitizeForMessage(token.text, kMaxEchoBytes),
                          token.text.size() > kMaxEchoBytes ? "...\"" : "\"");
    case TokenKind::kAnd:
    case TokenKind::kOr:
      return token.text;
    default:
      return absl::StrCat("'", SanitizeForMessage(token.text, kMaxEchoBytes),
                          token.text.size() > kMaxEchoBytes ? "...'" : "'");
  }
}

absl::string_view FieldName(FilterField field) {
  switch (field) {
    case FilterField::kState:
      return "state";
    case FilterField::kVendor:
      return "vendor";
    case FilterField::kProvider:
      return "provider";
    case FilterField::kDevice:
      return "device";
    case FilterField::kJobType:
      return "job_type";
    case FilterField::kTag:
      return "tags";
    case FilterField::kDisplayName:
      return "display_name";
    case FilterField::kCreateTime:
      return "create_time";
  }
  return "?";
}

std::optional<FilterField> FieldByName(absl::string_view name) {
  static constexpr std::pair<absl::string_view, FilterField> kFields[] = {
      {"state", FilterField::kState},
      {"vendor", FilterField::kVendor},
      {"provider", FilterField::kProvider},
      {"device", FilterField::kDevice},
      {"job_type", FilterField::kJobType},
      {"display_name", FilterField::kDisplayName},
      {"create_time", FilterField::kCreateTime},
  };
  for (const auto& [text, field] : kFields) {
    if (name == text) return field;
  }
  return std::nullopt;
}

bool OperatorAllowed(FilterField field, FilterOp op) {
  switch (field) {
    case FilterField::kDisplayName:
      return op == FilterOp::kEq || op == FilterOp::kHas;
    case FilterField::kCreateTime:
      return op != FilterOp::kHas;
    default:
      return op == FilterOp::kEq;
  }
}

absl::string_view AllowedOperators(FilterField field) {
  switch (field) {
    case FilterField::kDisplayName:
      return "':' (contains) or '=' (equals)";
    case FilterField::kCreateTime:
      return "'=', '<', '<=', '>' or '>='";
    default:
      return "'='";
  }
}

std::string StateNames() {
  std::vector<std::string> names;
  const google::protobuf::EnumDescriptor* states = v1::Job::State_descriptor();
  for (int i = 0; i < states->value_count(); ++i) names.push_back(states->value(i)->name());
  return absl::StrJoin(names, ", ");
}

// RFC 3339 proper: a "T" between date and time and an explicit zone ("Z" or "+hh:mm"). The
// vendor reader below is laxer (no zone means UTC to it); a filter is typed by a person, for
// whom a zone-less time is ambiguous, so the shape is checked first.
std::optional<absl::Time> ParseFilterTimestamp(absl::string_view text) {
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't')) return std::nullopt;
  const char last = text.back();
  const bool zulu = last == 'Z' || last == 'z';
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const absl::string_view zone = text.substr(text.size() - 6);
  const bool offset = (zone[0] == '+' || zone[0] == '-') && digit(zone[1]) && digit(zone[2]) &&
                      zone[3] == ':' && digit(zone[4]) && digit(zone[5]);
  if (!zulu && !offset) return std::nullopt;
  return ParseVendorTimestamp(text);
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text), lexer_(text) {}

  absl::StatusOr<Filter> Parse() {
    if (absl::Status s = Advance(); !s.ok()) return s;
    std::vector<FilterTerm> terms;
    if (token_.kind == TokenKind::kEnd) return Filter();
    while (true) {
      FilterTerm term;
      if (absl::Status s = ParseOrGroup(0, term); !s.ok()) return s;
      terms.push_back(std::move(term));
      if (token_.kind == TokenKind::kEnd) break;
      if (token_.kind != TokenKind::kAnd) {
        return Error(absl::StrCat("expected AND or end of filter, found ", Describe(token_),
                                  LowerCaseKeywordHint()));
      }
      if (absl::Status s = Advance(); !s.ok()) return s;
    }
    return Filter(std::move(terms));
  }

 private:
  absl::Status Advance() { return lexer_.Next(token_); }

  absl::Status Error(absl::string_view what) const {
    return FilterError(text_, token_.begin, what);
  }

  std::string LowerCaseKeywordHint() const {
    if (token_.kind == TokenKind::kWord && (token_.text == "and" || token_.text == "or")) {
      return " (the keywords AND and OR are upper case)";
    }
    if (token_.kind == TokenKind::kWord && token_.text == "NOT") return " (NOT is not supported)";
    return "";
  }

  // comparison (OR comparison)*, where each comparison may sit in parentheses.
  absl::Status ParseOrGroup(int depth, FilterTerm& term) {
    if (absl::Status s = ParsePrimary(depth, term); !s.ok()) return s;
    while (token_.kind == TokenKind::kOr) {
      if (absl::Status s = Advance(); !s.ok()) return s;
      if (absl::Status s = ParsePrimary(depth, term); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ParsePrimary(int depth, FilterTerm& term) {
    if (token_.kind != TokenKind::kLParen) return ParseComparison(term);
    if (depth >= kMaxNesting) {
      return Error(absl::StrCat("parentheses nest deeper than ", kMaxNesting, " levels"));
    }
    const size_t open = token_.begin;
    if (absl::Status s = Advance(); !s.ok()) return s;
    if (absl::Status s = ParseOrGroup(depth + 1, term); !s.ok()) return s;
    if (token_.kind != TokenKind::kRParen) {
      return Error(absl::StrCat("expected OR or ')' to close the '(' at position ",
                                CharPosition(text_, open), ", found ", Describe(token_),
                                token_.kind == TokenKind::kAnd
                                    ? " (parentheses group ORs of one field only)"
                                    : LowerCaseKeywordHint()));
    }
    return Advance();
  }

  absl::Status ParseComparison(FilterTerm& term) {
    if (token_.kind != TokenKind::kWord) {
      return Error(absl::StrCat("expected a comparison starting with a field name (", kFieldList,
                                "), found ", Describe(token_)));
    }
    FilterComparison comparison;
    const size_t field_begin = token_.begin;
    const std::string field_text = token_.text;
    if (absl::StartsWith(field_text, "tags.")) {
      comparison.field = FilterField::kTag;
      comparison.tag_key = field_text.substr(5);
      if (comparison.tag_key.empty()) {
        // `tags."key with spaces"`: the quoted key must follow the dot directly.
        const size_t dot_end = token_.end;
        if (absl::Status s = Advance(); !s.ok()) return s;
        if (token_.kind != TokenKind::kString || token_.begin != dot_end || token_.text.empty()) {
          return FilterError(text_, dot_end,
                             "expected a tag key after 'tags.' (a bare word or a non-empty "
                             "quoted string right after the dot)");
        }
        comparison.tag_key = token_.text;
      }
    } else if (std::optional<FilterField> field = FieldByName(field_text)) {
      comparison.field = *field;
    } else if (field_text == "tags") {
      return Error("expected 'tags.KEY': name the tag after a dot");
    } else {
      const bool lower_known = FieldByName(absl::AsciiStrToLower(field_text)).has_value() ||
                               absl::StartsWith(absl::AsciiStrToLower(field_text), "tags.");
      return Error(
          absl::StrCat("unknown field ", Describe(token_), "; the fields are ", kFieldList,
                       lower_known ? " (field names are lower case)" : LowerCaseKeywordHint()));
    }
    if (!term.any_of.empty()) {
      const FilterComparison& first = term.any_of.front();
      if (first.field != comparison.field || first.tag_key != comparison.tag_key) {
        return FilterError(
            text_, field_begin,
            absl::StrCat(
                "OR joins comparisons of one field only: expected ",
                first.field == FilterField::kTag
                    ? absl::StrCat("'tags.", SanitizeForMessage(first.tag_key, kMaxEchoBytes), "'")
                    : absl::StrCat("'", FieldName(first.field), "'"),
                ", found ", Describe(Token{TokenKind::kWord, 0, 0, field_text, {}}),
                "; join different fields with AND"));
      }
    }
    const std::string field_label = absl::StrCat("'", FieldName(comparison.field), "'");

    if (absl::Status s = Advance(); !s.ok()) return s;
    if (token_.kind != TokenKind::kOperator) {
      return Error(absl::StrCat("expected an operator (", AllowedOperators(comparison.field),
                                ") after ", field_label, ", found ", Describe(token_)));
    }
    if (!token_.op.has_value()) {
      return Error(absl::StrCat("operator '", token_.text, "' is not supported; ", field_label,
                                " takes ", AllowedOperators(comparison.field)));
    }
    if (!OperatorAllowed(comparison.field, *token_.op)) {
      return Error(absl::StrCat("operator '", token_.text, "' does not apply to ", field_label,
                                "; it takes ", AllowedOperators(comparison.field)));
    }
    comparison.op = *token_.op;
    const std::string op_text = token_.text;

    if (absl::Status s = Advance(); !s.ok()) return s;
    const bool is_value = token_.kind == TokenKind::kString || token_.kind == TokenKind::kWord;
    if (comparison.field == FilterField::kCreateTime) {
      if (token_.kind != TokenKind::kString) {
        return Error(absl::StrCat("expected a quoted RFC 3339 timestamp after '", op_text,
                                  "' (e.g. \"2026-01-31T12:00:00Z\"), found ", Describe(token_)));
      }
      std::optional<absl::Time> time = ParseFilterTimestamp(token_.text);
      if (!time.has_value()) {
        return Error(absl::StrCat("invalid timestamp ", Describe(token_),
                                  "; expected RFC 3339 with a zone, e.g. "
                                  "\"2026-01-31T12:00:00Z\" or \"2026-01-31T13:00:00+01:00\""));
      }
      comparison.time = *time;
    } else if (!is_value) {
      return Error(
          absl::StrCat("expected a value after '", op_text, "', found ", Describe(token_)));
    } else if (comparison.field == FilterField::kState) {
      v1::Job::State state;
      if (!v1::Job::State_Parse(token_.text, &state)) {
        std::string hint;
        if (v1::Job::State_Parse(absl::AsciiStrToUpper(token_.text), &state)) {
          hint = absl::StrCat(" (did you mean ", absl::AsciiStrToUpper(token_.text), "?)");
        }
        return Error(absl::StrCat("unknown state '", SanitizeForMessage(token_.text, kMaxEchoBytes),
                                  "'; expected one of ", StateNames(), hint));
      }
      comparison.state = state;
    }
    comparison.value = token_.text;
    term.any_of.push_back(std::move(comparison));
    return Advance();
  }

  absl::string_view text_;
  Lexer lexer_;
  Token token_;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

bool CompareTimes(absl::Time a, FilterOp op, absl::Time b) {
  switch (op) {
    case FilterOp::kEq:
      return a == b;
    case FilterOp::kGt:
      return a > b;
    case FilterOp::kGe:
      return a >= b;
    case FilterOp::kLt:
      return a < b;
    case FilterOp::kLe:
      return a <= b;
    case FilterOp::kHas:
      return false;
  }
  return false;
}

bool ComparisonMatches(const FilterComparison& c, const v1::Job& job) {
  switch (c.field) {
    case FilterField::kState:
      return job.state() == c.state;
    case FilterField::kVendor:
      return job.vendor() == c.value;
    case FilterField::kProvider:
      return absl::AsciiStrToLower(job.provider()) == absl::AsciiStrToLower(c.value);
    case FilterField::kDevice:
      return job.device() == c.value;
    case FilterField::kJobType:
      return job.job_type() == c.value;
    case FilterField::kTag: {
      auto it = job.tags().find(c.tag_key);
      return it != job.tags().end() && it->second == c.value;
    }
    case FilterField::kDisplayName:
      // Case-sensitive, byte-wise: `:` is "contains", with no wildcards.
      return c.op == FilterOp::kHas ? absl::StrContains(job.display_name(), c.value)
                                    : job.display_name() == c.value;
    case FilterField::kCreateTime:
      return job.has_create_time() &&
             CompareTimes(FromProtoTimestamp(job.create_time()), c.op, c.time);
  }
  return false;
}

}  // namespace

bool Filter::Matches(const v1::Job& job) const {
  for (const FilterTerm& term : terms_) {
    const bool any =
        std::any_of(term.any_of.begin(), term.any_of.end(),
                    [&](const FilterComparison& c) { return ComparisonMatches(c, job); });
    if (!any) return false;
  }
  return true;
}

bool Filter::MayMatchVendor(absl::string_view vendor) const {
  for (const FilterTerm& term : terms_) {
    if (term.any_of.empty() || term.any_of.front().field != FilterField::kVendor) continue;
    const bool named = std::any_of(term.any_of.begin(), term.any_of.end(),
                                   [&](const FilterComparison& c) { return c.value == vendor; });
    if (!named) return false;
  }
  return true;
}

QueryParams Filter::PushDown(absl::string_view vendor) const {
  const Vendor* v = FindVendor(vendor);
  return v == nullptr ? QueryParams() : v->PushDown(terms_);
}

absl::StatusOr<Filter> ParseFilter(absl::string_view text) {
  if (absl::Status s = CheckText(text); !s.ok()) return s;
  return Parser(text).Parse();
}

}  // namespace jobfacade
