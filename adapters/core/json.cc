// JSON: simdjson parses, protobuf's util/json_util writes; typed null-aware access.
#include "adapters/core/json.h"

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace jobfacade::json {
namespace {

// protobuf's parser refuses documents nested deeper than a few dozen levels,
// but only after work that grows faster than the depth (minutes for 100k
// balanced brackets), so a hostile body could stall an engine thread. Refusing
// them in one linear pass first avoids that.
constexpr int kMaxNestingDepth = 64;

bool NestingWithinLimit(absl::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// absl::StrCat(double) keeps only six significant digits ("3.14159"); tag
// values and other numbers shown as text must survive a round trip, so use the
// fewest digits that do.
std::string ShortestRoundTrip(double d) {
  if (!std::isfinite(d)) return absl::StrCat(d);
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

// protobuf's MessageToJsonString writes object members in the order of a map whose iteration
// order differs from one Struct to the next, so the same document could print differently
// (a tag holding an object changed text between two reads of one job). The deterministic
// binary form sorts map entries by key, and JSON is printed from it.
std::string DeterministicJson(const google::protobuf::Message& message) {
  static auto* const resolver = google::protobuf::util::NewTypeResolverForDescriptorPool(
      "type.googleapis.com", google::protobuf::DescriptorPool::generated_pool());
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    (void)message.SerializeToCodedStream(&coded);
  }
  std::string out;
  (void)google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat("type.googleapis.com/", message.GetDescriptor()->full_name()), binary,
      &out);
  return out;
}

}  // namespace

namespace {

// protobuf's own parser: the reference for what a document means, and the path every document
// the fast parser does not take goes (with its errors).
absl::StatusOr<Value> ParseWithProtobuf(absl::string_view text) {
  Value value;
  google::protobuf::util::JsonParseOptions options;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &value, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError("body is not valid JSON");
  }
  return value;
}

// The simdjson document as a Value, as protobuf would build it: every number a double. False
// when the document holds something protobuf may read differently (a repeated key, or an
// integer beyond 64 bits), which then goes to protobuf's parser.
bool ToValue(simdjson::dom::element element, Value* out) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (simdjson::dom::key_value_pair member : simdjson::dom::object(element)) {
        auto [it, inserted] = fields->try_emplace(std::string(member.key));
        if (!inserted || !ToValue(member.value, &it->second)) return false;
      }
      if (fields->empty()) out->mutable_struct_value();
      return true;
    }
    case simdjson::dom::element_type::ARRAY: {
      ListValue* list = out->mutable_list_value();
      for (simdjson::dom::element item : simdjson::dom::array(element)) {
        if (!ToValue(item, list->add_values())) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::STRING:
      out->set_string_value(std::string(std::string_view(element)));
      return true;
    case simdjson::dom::element_type::INT64:
      out->set_number_value(static_cast<double>(int64_t(element)));
      return true;
    case simdjson::dom::element_type::UINT64:
      out->set_number_value(static_cast<double>(uint64_t(element)));
      return true;
    case simdjson::dom::element_type::DOUBLE:
      out->set_number_value(double(element));
      return true;
    case simdjson::dom::element_type::BOOL:
      out->set_bool_value(bool(element));
      return true;
    case simdjson::dom::element_type::NULL_VALUE:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Value> Parse(absl::string_view text) {
  if (!NestingWithinLimit(text)) {
    return absl::InvalidArgumentError("JSON body is nested too deeply");
  }
  // One parser per thread keeps its buffers from one body to the next.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (parser.parse(text.data(), text.size()).get(document) == simdjson::SUCCESS) {
    Value value;
    if (ToValue(document, &value)) return value;
  }
  return ParseWithProtobuf(text);
}

absl::StatusOr<Struct> ParseObject(absl::string_view text) {
  auto value = Parse(text);
  if (!value.ok()) return value.status();
  if (value->kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError("JSON body is not an object");
  }
  return std::move(*value->mutable_struct_value());
}

std::string ToJson(const Value& value) { return DeterministicJson(value); }

std::string ToJson(const Struct& object) { return DeterministicJson(object); }

const Value* Find(const Struct& object, absl::string_view key) {
  auto it = object.fields().find(std::string(key));
  return it == object.fields().end() ? nullptr : &it->second;
}

bool IsNull(const Value* value) {
  return value == nullptr || value->kind_case() == Value::kNullValue ||
         value->kind_case() == Value::KIND_NOT_SET;
}

std::optional<std::string> GetString(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr || v->kind_case() != Value::kStringValue) return std::nullopt;
  return v->string_value();
}

std::optional<double> GetNumber(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->kind_case() == Value::kNumberValue && std::isfinite(v->number_value())) {
    return v->number_value();
  }
  if (v->kind_case() == Value::kStringValue) {
    double d;
    if (absl::SimpleAtod(v->string_value(), &d) && std::isfinite(d)) return d;
  }
  return std::nullopt;
}

std::optional<int64_t> GetInt(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr) return std::nullopt;
  if (v->kind_case() == Value::kNumberValue) {
    double d = v->number_value();
    if (!std::isfinite(d) || std::trunc(d) != d) return std::nullopt;
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v->kind_case() == Value::kStringValue) {
    int64_t i;
    if (absl::SimpleAtoi(v->string_value(), &i)) return i;
  }
  return std::nullopt;
}

std::optional<bool> GetBool(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr || v->kind_case() != Value::kBoolValue) return std::nullopt;
  return v->bool_value();
}

const Struct* GetObject(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr || v->kind_case() != Value::kStructValue) return nullptr;
  return &v->struct_value();
}

const ListValue* GetList(const Struct& object, absl::string_view key) {
  const Value* v = Find(object, key);
  if (v == nullptr || v->kind_case() != Value::kListValue) return nullptr;
  return &v->list_value();
}

std::optional<std::string> ScalarToString(const Value& value) {
  switch (value.kind_case()) {
    case Value::kStringValue:
      return value.string_value();
    case Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case Value::kNumberValue: {
      double d = value.number_value();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.007199254740992e15) {
        return absl::StrCat(static_cast<int64_t>(d));
      }
      return ShortestRoundTrip(d);
    }
    default:
      return std::nullopt;
  }
}

Value Str(absl::string_view s) {
  Value v;
  v.set_string_value(std::string(s));
  return v;
}
Value Num(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value Null() {
  Value v;
  v.set_null_value(google::protobuf::NULL_VALUE);
  return v;
}
Value Obj(Struct s) {
  Value v;
  *v.mutable_struct_value() = std::move(s);
  return v;
}

}  // namespace jobfacade::json
