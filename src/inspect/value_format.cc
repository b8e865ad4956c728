#include "inspect/value_format.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "mimicit/base64.h"
#include "util/json_text.h"
#include "util/utf8.h"

namespace mimicit::inspect {

namespace {

using parquet::ColumnDescriptor;
using parquet::Type;
using parquet::Value;

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

// JSON has no NaN or infinity, so there they are strings; CSV writes the
// bare words.
enum class Syntax { kJson, kCsv };

// Appends a boolean or a number (text that never needs CSV quotes).
void append_scalar_text(std::string& out, const Value& value, const ColumnDescriptor& column, Syntax syntax) {
  switch (value.kind) {
    case Value::Kind::kBool: out.append(value.b ? "true" : "false"); break;
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
      if (syntax == Syntax::kJson) {
        append_json_float(out, value.f);
      } else {
        append_number_text(out, value.f);
      }
      break;
    case Value::Kind::kDouble:
      if (syntax == Syntax::kJson) {
        append_json_double(out, value.d);
      } else {
        append_number_text(out, value.d);
      }
      break;
    default: break;
  }
}

// An IEEE 754 half (binary16) as the double holding exactly its value.
double half_value(uint16_t h) {
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);  // zero or subnormal
  } else if (exponent == 31) {
    v = mantissa != 0 ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    v = std::ldexp(mantissa | 0x400, exponent - 25);
  }
  return (h & 0x8000) != 0 ? -v : v;
}

// A FLOAT16 value: two little-endian bytes of a FLOAT16 column.
bool is_half(const Value& value, const ColumnDescriptor& column) {
  return value.kind == Value::Kind::kBytes && value.bytes.size() == 2 && column.is_float16();
}

Value half_as_double(const Value& value) {
  Value d;
  d.kind = Value::Kind::kDouble;
  d.d = half_value(static_cast<uint16_t>(static_cast<uint8_t>(value.bytes[0]) |
                                         (static_cast<uint8_t>(value.bytes[1]) << 8)));
  return d;
}

bool is_text(const Value& value, const ColumnDescriptor& column) {
  return value.kind == Value::Kind::kBytes && column.is_string();
}

bool is_base64(const Value& value, const ColumnDescriptor& column) {
  return value.kind == Value::Kind::kInt96 || (value.kind == Value::Kind::kBytes && !column.is_string());
}

}  // namespace

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
  } else if (is_half(value, column)) {
    append_scalar_text(out, half_as_double(value), column, Syntax::kJson);
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
  } else if (is_half(value, column)) {
    append_scalar_text(out, half_as_double(value), column, Syntax::kCsv);
    return;
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

}  // namespace mimicit::inspect
