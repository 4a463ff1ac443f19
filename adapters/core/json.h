// The project's one JSON approach: vendor bodies are parsed into google.protobuf.Value with
// protobuf's JSON utilities, read through these null-vs-absent aware accessors, and written
// back with ToJson. A key that is absent and a key that is null both read as "no value".
#ifndef JOBFACADE_ADAPTERS_CORE_JSON_H_
#define JOBFACADE_ADAPTERS_CORE_JSON_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace jobfacade::json {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// Parses any JSON document. Errors are INVALID_ARGUMENT with a short reason (never the body).
absl::StatusOr<Value> Parse(absl::string_view text);

// Parses a JSON document that must be an object.
absl::StatusOr<Struct> ParseObject(absl::string_view text);

// Serialises compactly.
std::string ToJson(const Value& value);
std::string ToJson(const Struct& object);

// The member `key` of `object`, or nullptr when absent. A JSON null is returned as a Value
// whose kind is null_value; use the typed getters below to treat null like absent.
const Value* Find(const Struct& object, absl::string_view key);

bool IsNull(const Value* value);  // true for nullptr and JSON null

// Typed reads: std::nullopt / nullptr when absent, null or of another type.
std::optional<std::string> GetString(const Struct& object, absl::string_view key);
std::optional<double> GetNumber(const Struct& object, absl::string_view key);
// A number that is integral and fits in int64 (also accepts an integral decimal string).
std::optional<int64_t> GetInt(const Struct& object, absl::string_view key);
std::optional<bool> GetBool(const Struct& object, absl::string_view key);
const Struct* GetObject(const Struct& object, absl::string_view key);
const ListValue* GetList(const Struct& object, absl::string_view key);

// A scalar as text: strings verbatim, integral numbers without a fraction, other numbers
// shortest round-trip, booleans "true"/"false"; nullopt for null, objects and lists.
std::optional<std::string> ScalarToString(const Value& value);

// Builders for writing JSON (used by the emulator and tests).
Value Str(absl::string_view s);
Value Num(double d);
Value Bool(bool b);
Value Null();
Value Obj(Struct s);

}  // namespace jobfacade::json

#endif  // JOBFACADE_ADAPTERS_CORE_JSON_H_
