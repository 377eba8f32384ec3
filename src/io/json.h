// Copyright © 2026 Tandem authors.
// A small JSON reader and string escaper for the file headers Tandem reads and writes
// (safetensors headers, sharded-checkpoint index files). Strict RFC 8259 parsing with a nesting
// limit; numbers keep their source text so 64-bit byte offsets are read exactly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::io::json {

struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind{Kind::null};
  bool boolean{false};
  std::string text;  // string contents (unescaped), or a number's source text
  std::vector<Value> elements;
  /// Members in file order (duplicates are rejected by the parser).
  std::vector<std::pair<std::string, Value>> members;

  bool is_object() const { return kind == Kind::object; }
  bool is_array() const { return kind == Kind::array; }
  bool is_string() const { return kind == Kind::string; }
  bool is_number() const { return kind == Kind::number; }
  /// The member named `key`, or nullptr.
  const Value* find(std::string_view key) const;
  /// A non-negative integer that fits in uint64 (throws std::runtime_error otherwise; `what`
  /// names the value in the message).
  uint64_t as_uint64(const std::string& what) const;
  /// The kind's name for messages: "an object", "a string", ...
  const char* kind_name() const;
};

/// Parses a complete JSON document. Throws std::runtime_error("<op> Invalid JSON ...: reason at
/// byte N") for malformed text; `op` is the message prefix such as "[load_safetensors]".
Value parse(std::string_view text, const std::string& op);

/// `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);

}  // namespace tandem::io::json
