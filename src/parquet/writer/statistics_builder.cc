#include "parquet/writer/statistics_builder.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "mimicit/error.h"
#include "util/utf8.h"

namespace mimicit::parquet {

namespace {

template <typename T>
std::string plain_bytes(T value) {
  // Parquet is little-endian; so is every machine mimicit builds on.
  static_assert(std::endian::native == std::endian::little);
  std::string out(sizeof(T), '\0');
  std::memcpy(out.data(), &value, sizeof(T));
  return out;
}

// Byte-wise: the longest prefix whose last non-0xFF byte can be incremented.
std::optional<std::string> increment_bytes(std::string prefix) {
  while (!prefix.empty()) {
    uint8_t last = static_cast<uint8_t>(prefix.back());
    if (last != 0xFF) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// Character-wise: replaces the last character by the next code point (UTF-8
// keeps code-point order byte-wise, and is prefix-free, so the result is
// greater than any string starting with the prefix). Characters that cannot
// be incremented within `max_bytes` are dropped.
std::optional<std::string> increment_utf8(std::string prefix, size_t max_bytes) {
  while (!prefix.empty()) {
    const size_t start = previous_code_point(prefix, prefix.size());
    size_t length = 0;
    const uint32_t cp = decode_utf8(prefix, start, &length);
    // Not UTF-8 after all: byte-wise rounding is right for any bytes.
    if (cp == kInvalidCodePoint || start + length != prefix.size()) return increment_bytes(std::move(prefix));
    uint32_t next = cp + 1 == 0xD800 ? 0xE000 : cp + 1;  // skip the surrogates
    prefix.resize(start);
    if (next <= 0x10FFFF) {
      std::string candidate = prefix;
      append_utf8(next, candidate);
      if (candidate.size() <= max_bytes) return candidate;
    }
  }
  return std::nullopt;
}

}  // namespace

int compare_unsigned(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);  // memcmp compares as unsigned char
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

namespace {

template <typename T>
T load_plain(std::string_view bytes) {
  T value{};
  std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof(T)));
  return value;
}

template <typename T>
int three_way(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

int compare_plain(Type type, std::string_view a, std::string_view b) {
  switch (type) {
    case Type::BOOLEAN: return three_way(load_plain<uint8_t>(a), load_plain<uint8_t>(b));
    case Type::INT32: return three_way(load_plain<int32_t>(a), load_plain<int32_t>(b));
    case Type::INT64: return three_way(load_plain<int64_t>(a), load_plain<int64_t>(b));
    case Type::DOUBLE: return three_way(load_plain<double>(a), load_plain<double>(b));
    default: return compare_unsigned(a, b);
  }
}

std::string truncate_lower_bound(std::string_view value, size_t max_bytes, bool is_string) {
  if (value.size() <= max_bytes) return std::string(value);
  size_t length = is_string ? utf8_prefix_length(value, max_bytes) : max_bytes;
  return std::string(value.substr(0, length));
}

std::optional<std::string> truncate_upper_bound(std::string_view value, size_t max_bytes, bool is_string) {
  if (value.size() <= max_bytes) return std::string(value);
  if (is_string) {
    return increment_utf8(std::string(value.substr(0, utf8_prefix_length(value, max_bytes))), max_bytes);
  }
  return increment_bytes(std::string(value.substr(0, max_bytes)));
}

StatisticsBuilder::StatisticsBuilder(Type type, size_t max_bytes, bool is_string)
    : type_(type), limit_bytes_(max_bytes), is_string_(is_string) {
  switch (type) {
    case Type::BOOLEAN:
    case Type::INT32:
    case Type::INT64:
    case Type::DOUBLE:
    case Type::BYTE_ARRAY: return;
    default: fail_invalid("statistics: unsupported physical type {}", to_string(type));
  }
}

void StatisticsBuilder::add_integer(int64_t value) {
  ++value_count_;
  if (!has_bounds_) {
    min_int_ = max_int_ = value;
    has_bounds_ = true;
    return;
  }
  if (value < min_int_) min_int_ = value;
  if (value > max_int_) max_int_ = value;
}

void StatisticsBuilder::add_bool(bool value) { add_integer(value ? 1 : 0); }

void StatisticsBuilder::add_double(double value) {
  ++value_count_;
  if (std::isnan(value)) return;
  if (!has_bounds_) {
    min_double_ = max_double_ = value;
    has_bounds_ = true;
    return;
  }
  if (value < min_double_) min_double_ = value;
  if (value > max_double_) max_double_ = value;
}

void StatisticsBuilder::add_bytes(std::string_view value) {
  ++value_count_;
  add_prefix(value.substr(0, std::min(value.size(), limit_bytes_ + 1)));
}

void StatisticsBuilder::add_prefix(std::string_view prefix) {
  if (!has_bounds_) {
    min_prefix_.assign(prefix);
    max_prefix_.assign(prefix);
    has_bounds_ = true;
    return;
  }
  if (compare_unsigned(prefix, min_prefix_) < 0) min_prefix_.assign(prefix);
  if (compare_unsigned(prefix, max_prefix_) > 0) max_prefix_.assign(prefix);
}

void StatisticsBuilder::merge(const StatisticsBuilder& other) {
  if (other.type_ != type_ || other.limit_bytes_ != limit_bytes_) {
    fail(ErrorCode::kInternal, "statistics: merging statistics of another kind");
  }
  null_count_ += other.null_count_;
  // The adders count values; undo their counting to add the exact total.
  int64_t values = value_count_ + other.value_count_;
  if (other.has_bounds_) {
    switch (type_) {
      case Type::DOUBLE:
        add_double(other.min_double_);
        add_double(other.max_double_);
        break;
      case Type::BYTE_ARRAY:
        add_prefix(other.min_prefix_);
        add_prefix(other.max_prefix_);
        break;
      default:
        add_integer(other.min_int_);
        add_integer(other.max_int_);
        break;
    }
  }
  value_count_ = values;
}

void StatisticsBuilder::reset() {
  null_count_ = 0;
  value_count_ = 0;
  has_bounds_ = false;
  min_prefix_.clear();
  max_prefix_.clear();
}

EncodedBounds StatisticsBuilder::bounds() const {
  EncodedBounds out;
  if (!has_bounds_) return out;
  switch (type_) {
    case Type::BOOLEAN:
      out.min = std::string(1, static_cast<char>(min_int_));
      out.max = std::string(1, static_cast<char>(max_int_));
      break;
    case Type::INT32:
      out.min = plain_bytes(static_cast<int32_t>(min_int_));
      out.max = plain_bytes(static_cast<int32_t>(max_int_));
      break;
    case Type::INT64:
      out.min = plain_bytes(min_int_);
      out.max = plain_bytes(max_int_);
      break;
    case Type::DOUBLE:
      // A zero bound may have come from either +0.0 or -0.0: widen it so
      // that both zeros lie inside the bounds.
      out.min = plain_bytes(min_double_ == 0.0 ? -0.0 : min_double_);
      out.max = plain_bytes(max_double_ == 0.0 ? +0.0 : max_double_);
      break;
    default:
      // A kept prefix longer than max_bytes stands for a longer value.
      out.min = truncate_lower_bound(min_prefix_, limit_bytes_, is_string_);
      out.min_exact = min_prefix_.size() <= limit_bytes_;
      out.max = truncate_upper_bound(max_prefix_, limit_bytes_, is_string_);
      out.max_exact = max_prefix_.size() <= limit_bytes_;
      break;
  }
  return out;
}

Statistics StatisticsBuilder::to_thrift() const {
  Statistics stats;
  stats.null_count = null_count_;
  EncodedBounds b = bounds();
  // A lone bound is legal but readers treat min/max as a pair; keep it simple.
  if (!b.complete()) return stats;
  if (type_ != Type::BYTE_ARRAY) {
    stats.min = b.min;
    stats.max = b.max;
  }
  stats.min_value = std::move(b.min);
  stats.max_value = std::move(b.max);
  stats.is_min_value_exact = b.min_exact;
  stats.is_max_value_exact = b.max_exact;
  return stats;
}

}  // namespace mimicit::parquet
