#include "parquet/encoder/rle_encoder.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/encoder/bit_writer.h"

namespace mimicit::parquet {

namespace {

// Longest run emitted under one header: a multiple of 8, below 2^31.
constexpr size_t kMaxRunValues = size_t{1} << 30;

void check_bit_width(int bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    fail_invalid("RLE/bit-packed encoding: bit width {} is outside 0..32", bit_width);
  }
}

template <typename V>
void check_values_fit(const V* values, size_t count, int bit_width) {
  uint32_t all = 0;
  for (size_t i = 0; i < count; ++i) all |= static_cast<uint32_t>(values[i]);
  if (bit_width < 32 && (all >> bit_width) != 0) {
    fail_invalid("RLE/bit-packed encoding: a value does not fit in {} bits", bit_width);
  }
}

void write_repeated(uint32_t value, size_t count, int bit_width, Buffer& out) {
  const size_t value_bytes = (bit_width + 7) / 8;
  while (count > 0) {
    const size_t n = std::min(count, kMaxRunValues);
    internal::append_uleb128(out, uint64_t{n} << 1);
    out.append(&value, value_bytes);  // little-endian host: the low bytes
    count -= n;
  }
}

// Bit-packs `count` values; only the final chunk may be a partial group
// (padded with zeros), which callers allow only at the end of the data.
template <typename V>
void write_literals(const V* values, size_t count, int bit_width, Buffer& out) {
  while (count > 0) {
    const size_t n = std::min(count, kMaxRunValues);
    const size_t groups = (n + 7) / 8;
    internal::append_uleb128(out, uint64_t{groups} << 1 | 1);
    out.reserve(out.size() + groups * bit_width + 8);
    internal::BitWriter writer(out);
    for (size_t i = 0; i < n; ++i) writer.put(static_cast<uint32_t>(values[i]), bit_width);
    for (size_t i = n; i < groups * 8; ++i) writer.put(0, bit_width);
    writer.flush();
    values += n;
    count -= n;
  }
}

template <typename V>
void encode_hybrid(const V* values, size_t count, int bit_width, Buffer& out) {
  check_bit_width(bit_width);
  check_values_fit(values, count, bit_width);
  size_t literal_start = 0;
  size_t i = 0;
  while (i < count) {
    size_t j = i + 1;
    while (j < count && values[j] == values[i]) ++j;
    const size_t run = j - i;
    if (run >= 8) {
      // Borrow from the run to complete the pending literals' last group.
      const size_t literals = i - literal_start;
      const size_t borrow = (8 - literals % 8) % 8;
      if (run - borrow >= 8) {
        write_literals(values + literal_start, literals + borrow, bit_width, out);
        write_repeated(static_cast<uint32_t>(values[i]), run - borrow, bit_width, out);
        literal_start = j;
      }
    }
    i = j;
  }
  write_literals(values + literal_start, count - literal_start, bit_width, out);
}

// Appends a 4-byte length placeholder, runs `encode`, then fills the length in.
template <typename Fn>
size_t with_length_prefix(Buffer& out, Fn&& encode) {
  const size_t start = out.size();
  out.resize(start + 4);
  encode();
  const size_t length = out.size() - start - 4;
  if (length > UINT32_MAX) fail_invalid("RLE/bit-packed encoding: {} bytes exceed 4 GiB", length);
  const uint32_t length32 = static_cast<uint32_t>(length);
  std::memcpy(out.data() + start, &length32, 4);
  return out.size() - start;
}

int level_width(int max_level) {
  if (max_level < 0 || max_level > 32767) fail_invalid("levels: max level {} out of range", max_level);
  return bit_width_of(static_cast<uint64_t>(max_level));
}

}  // namespace

int bit_width_of(uint64_t max_value) { return std::bit_width(max_value); }

void encode_rle_bit_packed(const uint32_t* values, size_t count, int bit_width, Buffer& out) {
  encode_hybrid(values, count, bit_width, out);
}
void encode_rle_bit_packed(const int16_t* values, size_t count, int bit_width, Buffer& out) {
  // Levels are never negative; a negative one would fail check_values_fit.
  encode_hybrid(reinterpret_cast<const uint16_t*>(values), count, bit_width, out);
}
void encode_rle_bit_packed(const uint8_t* values, size_t count, int bit_width, Buffer& out) {
  encode_hybrid(values, count, bit_width, out);
}

size_t encode_levels_v1(const int16_t* levels, size_t count, int max_level, Buffer& out) {
  const int bit_width = level_width(max_level);
  return with_length_prefix(out, [&] { encode_rle_bit_packed(levels, count, bit_width, out); });
}

size_t encode_levels_v2(const int16_t* levels, size_t count, int max_level, Buffer& out) {
  const size_t start = out.size();
  encode_rle_bit_packed(levels, count, level_width(max_level), out);
  return out.size() - start;
}

void encode_dictionary_indices(const uint32_t* indices, size_t count, int bit_width, Buffer& out) {
  check_bit_width(bit_width);
  out.push_back(static_cast<uint8_t>(bit_width));
  encode_rle_bit_packed(indices, count, bit_width, out);
}

void encode_rle_boolean(const uint8_t* values, size_t count, Buffer& out) {
  with_length_prefix(out, [&] { encode_rle_bit_packed(values, count, 1, out); });
}

RleBitPackedEncoder::RleBitPackedEncoder(int bit_width) : bit_width_(bit_width) {
  check_bit_width(bit_width);
}

void RleBitPackedEncoder::finish(Buffer& out) {
  encode_rle_bit_packed(values_.data(), values_.size(), bit_width_, out);
  values_.clear();
}

}  // namespace mimicit::parquet
