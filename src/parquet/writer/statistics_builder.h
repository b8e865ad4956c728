// StatisticsBuilder: min, max and null count of the values of one page or
// one column chunk, in the order the Parquet format defines for the
// column's physical type (TYPE_DEFINED_ORDER):
//
//   BOOLEAN      false < true
//   INT32/INT64  signed
//   DOUBLE       IEEE 754 comparison; NaN never becomes a bound (a page of
//                only NaN has no bounds), and a zero bound is written as
//                -0.0 for the min and +0.0 for the max, as the format asks
//   BYTE_ARRAY   unsigned byte-wise (lexicographic on uint8_t)
//
// Bounds are produced plain-encoded (the bytes that go into
// Statistics.min_value/max_value and ColumnIndex.min_values/max_values).
// Byte-array bounds longer than a limit are truncated: the min to a prefix
// (still <= every value), the max to a prefix whose last byte (or, for
// UTF-8 strings, last character) is incremented (still >= every value).
// Truncated bounds are marked inexact. When no short upper bound exists
// (a prefix of only 0xFF bytes) the max is absent.
//
// Only the first max_bytes + 1 bytes of the byte-array min and max are
// kept, so that a column of multi-megabyte images does not copy every image
// into its statistics. This loses nothing: two values that share those
// bytes are both longer than max_bytes and truncate to the same bound, and
// values that differ within them compare as their full values do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

// A lower and an upper bound of a set of values, plain-encoded.
struct EncodedBounds {
  std::optional<std::string> min;
  std::optional<std::string> max;
  bool min_exact = true;
  bool max_exact = true;

  bool complete() const { return min.has_value() && max.has_value(); }
};

class StatisticsBuilder {
 public:
  // `max_bytes`: the longest byte-array bound written; `is_string`: cut
  // byte-array bounds at UTF-8 character boundaries so they stay valid UTF-8.
  StatisticsBuilder(Type type, size_t max_bytes, bool is_string);

  void add_null() { ++null_count_; }
  void add_bool(bool value);
  void add_int32(int32_t value) { add_integer(value); }
  void add_int64(int64_t value) { add_integer(value); }
  void add_double(double value);
  void add_bytes(std::string_view value);

  // Folds in the values counted by `other` (same type).
  void merge(const StatisticsBuilder& other);
  void reset();

  Type type() const { return type_; }
  int64_t null_count() const { return null_count_; }
  int64_t value_count() const { return value_count_; }
  // False when there are no non-null values, or only NaNs.
  bool has_bounds() const { return has_bounds_; }

  // The bounds, byte arrays truncated to max_bytes. Both absent when
  // !has_bounds().
  EncodedBounds bounds() const;

  // Thrift statistics: null_count, and min_value/max_value with their
  // exactness flags when a complete pair of bounds exists. Types whose
  // order is the same in the legacy fields (all but BYTE_ARRAY) also get
  // the deprecated min/max, for old readers.
  Statistics to_thrift() const;

 private:
  void add_integer(int64_t value);
  void add_prefix(std::string_view prefix);

  Type type_;
  size_t limit_bytes_;
  bool is_string_;
  int64_t null_count_ = 0;
  int64_t value_count_ = 0;
  bool has_bounds_ = false;
  // BOOLEAN, INT32, INT64 use the integers; DOUBLE the doubles; BYTE_ARRAY
  // the strings (prefixes of max_bytes + 1 bytes, see above).
  int64_t min_int_ = 0;
  int64_t max_int_ = 0;
  double min_double_ = 0;
  double max_double_ = 0;
  std::string min_prefix_;
  std::string max_prefix_;
};

// Truncation of byte-array bounds, exposed for tests. Both return the value
// unchanged when it fits in `max_bytes`. truncate_upper_bound returns
// nullopt when no value of at most `max_bytes` bytes is >= `value`.
std::string truncate_lower_bound(std::string_view value, size_t max_bytes, bool is_string);
std::optional<std::string> truncate_upper_bound(std::string_view value, size_t max_bytes, bool is_string);

// Unsigned byte-wise three-way comparison (<0, 0, >0), the BYTE_ARRAY order.
int compare_unsigned(std::string_view a, std::string_view b);

// Three-way comparison of two plain-encoded bounds of `type` in the type's
// order (as produced by StatisticsBuilder::bounds()).
int compare_plain(Type type, std::string_view a, std::string_view b);

}  // namespace mimicit::parquet
