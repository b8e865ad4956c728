// Printable names of the Parquet metadata enums (metadata.h). Values that a
// newer writer may use but this code does not know print as "UNKNOWN(n)".
#include <cstddef>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {
namespace {

// names[value], or "UNKNOWN(value)" when out of range or unnamed (nullptr).
template <size_t N>
std::string name_of(int32_t value, const char* const (&names)[N]) {
  if (value >= 0 && static_cast<size_t>(value) < N && names[value] != nullptr) return names[value];
  return fmt::format("UNKNOWN({})", value);
}

std::string time_unit_name(TimeUnit unit) {
  static const char* const kNames[] = {nullptr, "MILLIS", "MICROS", "NANOS"};
  return name_of(static_cast<int32_t>(unit), kNames);
}

}  // namespace

std::string to_string(Type t) {
  static const char* const kNames[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                       "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return name_of(static_cast<int32_t>(t), kNames);
}

std::string to_string(ConvertedType t) {
  static const char* const kNames[] = {"UTF8",
                                       "MAP",
                                       "MAP_KEY_VALUE",
                                       "LIST",
                                       "ENUM",
                                       "DECIMAL",
                                       "DATE",
                                       "TIME_MILLIS",
                                       "TIME_MICROS",
                                       "TIMESTAMP_MILLIS",
                                       "TIMESTAMP_MICROS",
                                       "UINT_8",
                                       "UINT_16",
                                       "UINT_32",
                                       "UINT_64",
                                       "INT_8",
                                       "INT_16",
                                       "INT_32",
                                       "INT_64",
                                       "JSON",
                                       "BSON",
                                       "INTERVAL"};
  return name_of(static_cast<int32_t>(t), kNames);
}

std::string to_string(Repetition r) {
  static const char* const kNames[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
  return name_of(static_cast<int32_t>(r), kNames);
}

std::string to_string(Encoding e) {
  static const char* const kNames[] = {"PLAIN",
                                       nullptr,  // 1 was GROUP_VAR_INT, never used
                                       "PLAIN_DICTIONARY",
                                       "RLE",
                                       "BIT_PACKED",
                                       "DELTA_BINARY_PACKED",
                                       "DELTA_LENGTH_BYTE_ARRAY",
                                       "DELTA_BYTE_ARRAY",
                                       "RLE_DICTIONARY",
                                       "BYTE_STREAM_SPLIT"};
  return name_of(static_cast<int32_t>(e), kNames);
}

std::string to_string(Codec c) {
  static const char* const kNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                       "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return name_of(static_cast<int32_t>(c), kNames);
}

std::string to_string(PageType t) {
  static const char* const kNames[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"};
  return name_of(static_cast<int32_t>(t), kNames);
}

std::string to_string(BoundaryOrder o) {
  static const char* const kNames[] = {"UNORDERED", "ASCENDING", "DESCENDING"};
  return name_of(static_cast<int32_t>(o), kNames);
}

std::string to_string(const LogicalType& t) {
  switch (t.kind) {
    case LogicalType::DECIMAL: return fmt::format("DECIMAL({},{})", t.precision, t.scale);
    case LogicalType::TIME:
    case LogicalType::TIMESTAMP:
      return fmt::format("{}({},{})", t.kind == LogicalType::TIME ? "TIME" : "TIMESTAMP",
                         time_unit_name(t.unit), t.is_adjusted_to_utc);
    case LogicalType::INTEGER: return fmt::format("INTEGER({},{})", int{t.bit_width}, t.is_signed);
    default: break;
  }
  static const char* const kNames[] = {
      "NONE",    "STRING",  "MAP",  "LIST", "ENUM", "DECIMAL", "DATE",    "TIME",     "TIMESTAMP",
      nullptr,  // 9 is reserved (INTERVAL)
      "INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"};
  return name_of(t.kind, kNames);
}

}  // namespace mimicit::parquet
