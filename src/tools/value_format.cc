#include "tools/value_format.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "mimicit/base64.h"

namespace mimicit::tools {

namespace {

using parquet::ColumnDescriptor;
using parquet::Type;
using parquet::Value;

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence starting at s[i], or, when it is
// invalid, minus the length of its maximal invalid subpart (at least 1).
// The ranges of the second byte exclude overlong forms, surrogates and code
// points above U+10FFFF (Unicode table 3-7).
int utf8_sequence_length(std::string_view s, size_t i) {
  const auto lead = static_cast<uint8_t>(s[i]);
  int length = 0;
  uint8_t second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;
    if (lead == 0xED) second_hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;
    if (lead == 0xF4) second_hi = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    if (i + k >= s.size()) return -k;
    const auto b = static_cast<uint8_t>(s[i + k]);
    const bool ok = k == 1 ? (b >= second_lo && b <= second_hi) : is_continuation(b);
    if (!ok) return -k;
  }
  return length;
}

// Appends s[i..] up to the next byte that is not plain ASCII; returns the
// index of that byte. `escape_json` also stops at `"`, `\` and controls.
size_t append_plain_run(std::string& out, std::string_view s, size_t i, bool escape_json) {
  size_t j = i;
  while (j < s.size()) {
    const auto b = static_cast<uint8_t>(s[j]);
    if (b >= 0x80) break;
    if (escape_json && (b < 0x20 || b == '"' || b == '\\')) break;
    ++j;
  }
  out.append(s.data() + i, j - i);
  return j;
}

// Appends the UTF-8 sequence at s[i] (or U+FFFD); returns the next index.
size_t append_utf8_sequence(std::string& out, std::string_view s, size_t i) {
  const int length = utf8_sequence_length(s, i);
  if (length > 0) {
    out.append(s.data() + i, length);
    return i + length;
  }
  out.append(kReplacementCharacter);
  return i + static_cast<size_t>(-length);
}

void append_json_escape(std::string& out, uint8_t b) {
  if (b == '"' || b == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(b));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escape[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
  out.append(escape, sizeof escape);
}

// Shortest round-trip text of a finite number; fmt's "{}" is shortest for
// the argument's own type, so a float prints as the float it is ("0.1", not
// "0.10000000149011612").
// JSON has no NaN or infinity, so there they are strings; CSV writes the
// bare words.
enum class Syntax { kJson, kCsv };

template <typename Float>
void append_number(std::string& out, Float v, Syntax syntax) {
  if (!std::isfinite(v)) {
    if (syntax == Syntax::kJson) out.push_back('"');
    out.append(std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    if (syntax == Syntax::kJson) out.push_back('"');
  } else {
    char buffer[64];  // the longest shortest-form double is 24 characters
    char* end = fmt::format_to(buffer, FMT_COMPILE("{}"), v);
    out.append(buffer, end);
  }
}

template <typename Int>
void append_integer(std::string& out, Int v) {
  const fmt::format_int text(v);
  out.append(text.data(), text.size());
}

template <typename T>
T load_little_endian(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // every supported target is little-endian
  return v;
}

// Appends a boolean or a number (text that never needs CSV quotes).
void append_scalar_text(std::string& out, const Value& value, const ColumnDescriptor& column,
                        Syntax syntax) {
  switch (value.kind) {
    case Value::Kind::kBool:
      out.append(value.b ? "true" : "false");
      break;
    case Value::Kind::kInt32:
      if (column.is_unsigned()) {
        append_integer(out, static_cast<uint32_t>(value.i32));
      } else {
        append_integer(out, value.i32);
      }
      break;
    case Value::Kind::kInt64:
      if (column.is_unsigned()) {
        append_integer(out, static_cast<uint64_t>(value.i64));
      } else {
        append_integer(out, value.i64);
      }
      break;
    case Value::Kind::kFloat:
      append_number(out, value.f, syntax);
      break;
    case Value::Kind::kDouble:
      append_number(out, value.d, syntax);
      break;
    default:
      break;
  }
}

bool is_text(const Value& value, const ColumnDescriptor& column) {
  return value.kind == Value::Kind::kBytes && column.is_string();
}

bool is_base64(const Value& value, const ColumnDescriptor& column) {
  return value.kind == Value::Kind::kInt96 ||
         (value.kind == Value::Kind::kBytes && !column.is_string());
}

}  // namespace

void append_valid_utf8(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    i = append_plain_run(out, s, i, /*escape_json=*/false);
    if (i < s.size()) i = append_utf8_sequence(out, s, i);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    i = append_plain_run(out, s, i, /*escape_json=*/true);
    if (i == s.size()) break;
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      append_json_escape(out, b);
      ++i;
    } else {
      i = append_utf8_sequence(out, s, i);
    }
  }
  out.push_back('"');
}

void append_json_float(std::string& out, float v) { append_number(out, v, Syntax::kJson); }
void append_json_double(std::string& out, double v) { append_number(out, v, Syntax::kJson); }

void append_json_value(std::string& out, const Value& value, const ColumnDescriptor& column) {
  if (value.kind == Value::Kind::kNull) {
    out.append("null");
  } else if (value.kind == Value::Kind::kList) {
    out.push_back('[');
    for (size_t i = 0; i < value.list.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json_value(out, value.list[i], column);
    }
    out.push_back(']');
  } else if (is_text(value, column)) {
    append_json_string(out, value.bytes);
  } else if (is_base64(value, column)) {
    out.push_back('"');
    base64_encode(as_bytes(value.bytes), out);
    out.push_back('"');
  } else {
    append_scalar_text(out, value, column, Syntax::kJson);
  }
}

void append_csv_text(std::string& out, std::string_view text) {
  const bool needs_quotes = text.empty() || text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!needs_quotes) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_csv_value(std::string& out, const Value& value, const ColumnDescriptor& column) {
  if (value.kind == Value::Kind::kNull) return;
  // Reused between calls: cat renders millions of fields.
  thread_local std::string text;
  text.clear();
  if (value.kind == Value::Kind::kList) {
    append_json_value(text, value, column);
  } else if (is_text(value, column)) {
    append_valid_utf8(text, value.bytes);
  } else if (is_base64(value, column)) {
    base64_encode(as_bytes(value.bytes), text);
  } else {
    append_scalar_text(out, value, column, Syntax::kCsv);
    return;
  }
  append_csv_text(out, text);
}

std::optional<Value> value_from_plain(std::string_view plain, const ColumnDescriptor& column) {
  Value value;
  switch (column.type) {
    case Type::BOOLEAN:
      if (plain.size() != 1) return std::nullopt;
      value.kind = Value::Kind::kBool;
      value.b = (plain[0] & 1) != 0;
      return value;
    case Type::INT32:
      if (plain.size() != 4) return std::nullopt;
      value.kind = Value::Kind::kInt32;
      value.i32 = load_little_endian<int32_t>(plain.data());
      return value;
    case Type::INT64:
      if (plain.size() != 8) return std::nullopt;
      value.kind = Value::Kind::kInt64;
      value.i64 = load_little_endian<int64_t>(plain.data());
      return value;
    case Type::FLOAT:
      if (plain.size() != 4) return std::nullopt;
      value.kind = Value::Kind::kFloat;
      value.f = load_little_endian<float>(plain.data());
      return value;
    case Type::DOUBLE:
      if (plain.size() != 8) return std::nullopt;
      value.kind = Value::Kind::kDouble;
      value.d = load_little_endian<double>(plain.data());
      return value;
    case Type::INT96:
      if (plain.size() != 12) return std::nullopt;
      value.kind = Value::Kind::kInt96;
      value.bytes = plain;
      return value;
    case Type::FIXED_LEN_BYTE_ARRAY:
      if (column.type_length > 0 && plain.size() > static_cast<size_t>(column.type_length)) {
        return std::nullopt;
      }
      [[fallthrough]];
    case Type::BYTE_ARRAY:
      value.kind = Value::Kind::kBytes;
      value.bytes = plain;
      return value;
  }
  return std::nullopt;
}

}  // namespace mimicit::tools
