#include "parquet/decoder/rle_decoder.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/decoder/bit_unpack.h"
#include "parquet/decoder/varint.h"

namespace mimicit::parquet {

namespace {

// Widest bit width each output type can hold without truncation.
template <typename Out>
constexpr int kMaxWidth = sizeof(Out) == 1   ? 8
                          : sizeof(Out) == 2 ? 16
                                             : 32;

template <typename Out>
void unpack_groups(int bit_width, const uint8_t* in, size_t avail, size_t groups, Out* out) {
  internal::kUnpackGroupsTable<Out, kMaxWidth<Out>>[bit_width](in, avail, groups, out);
}

// Reads the 4-byte little-endian length that prefixes hybrid data in data
// page v1 (levels) and RLE booleans; returns the data it delimits.
ByteView length_prefixed(ByteView in, const char* what) {
  if (in.size() < 4) fail_corrupt("{}: {} bytes cannot hold the 4-byte length", what, in.size());
  uint32_t length;
  std::memcpy(&length, in.data(), 4);
  if (length > in.size() - 4) {
    fail_corrupt("{}: length {} exceeds the {} bytes that follow it", what, length, in.size() - 4);
  }
  return in.subspan(4, length);
}

void decode_levels(ByteView data, int max_level, size_t count, int16_t* out, const char* what) {
  if (max_level < 0 || max_level > 32767) fail_invalid("{}: max level {} out of range", what, max_level);
  RleBitPackedDecoder decoder(data, level_bit_width(max_level));
  const size_t got = decoder.get_batch(out, count);
  if (got < count) fail_corrupt("{}: {} levels expected, the data holds {}", what, count, got);
  check_levels(out, count, max_level);
}

}  // namespace

RleBitPackedDecoder::RleBitPackedDecoder(ByteView data, int bit_width)
    : begin_(data.data()), pos_(data.data()), end_(data.data() + data.size()), bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    fail_corrupt("RLE/bit-packed data: bit width {} is outside 0..32", bit_width);
  }
}

size_t RleBitPackedDecoder::get_batch(uint32_t* out, size_t n) { return get_batch_impl(out, n); }
size_t RleBitPackedDecoder::get_batch(int16_t* out, size_t n) { return get_batch_impl(out, n); }
size_t RleBitPackedDecoder::get_batch(uint8_t* out, size_t n) { return get_batch_impl(out, n); }

template <typename Out>
size_t RleBitPackedDecoder::get_batch_impl(Out* out, size_t n) {
  if (bit_width_ > kMaxWidth<Out>) {
    fail_invalid("RLE/bit-packed data: bit width {} does not fit a {}-byte output", bit_width_, sizeof(Out));
  }
  size_t done = 0;
  while (done < n) {
    if (group_pos_ < group_len_) {
      const size_t k = std::min<size_t>(group_len_ - group_pos_, n - done);
      for (size_t i = 0; i < k; ++i) out[done + i] = static_cast<Out>(group_[group_pos_ + i]);
      group_pos_ += k;
      done += k;
    } else if (repeat_left_ > 0) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(repeat_left_, n - done));
      std::fill_n(out + done, k, static_cast<Out>(repeat_value_));
      repeat_left_ -= k;
      done += k;
    } else if (literal_left_ > 0) {
      done += take_literals(out + done, n - done);
    } else if (!next_run()) {
      break;
    }
  }
  return done;
}

// Unpacks whole groups straight into `out`; when fewer than 8 values are
// wanted (or left), unpacks one group into group_ and returns 0 so that the
// caller serves them from there.
template <typename Out>
size_t RleBitPackedDecoder::take_literals(Out* out, size_t n) {
  const size_t avail = static_cast<size_t>(end_ - literal_pos_);
  const size_t groups = static_cast<size_t>(std::min<uint64_t>(literal_left_, n) / 8);
  if (groups > 0) {
    unpack_groups(bit_width_, literal_pos_, avail, groups, out);
    literal_pos_ += groups * bit_width_;
    literal_left_ -= groups * 8;
    return groups * 8;
  }
  unpack_groups(bit_width_, literal_pos_, avail, 1, group_);
  literal_pos_ += std::min<size_t>(bit_width_, avail);
  group_pos_ = 0;
  group_len_ = static_cast<uint32_t>(std::min<uint64_t>(literal_left_, 8));
  literal_left_ -= group_len_;
  return 0;
}

bool RleBitPackedDecoder::next_run() {
  if (pos_ == end_) return false;
  const uint8_t* header_at = pos_;
  const uint64_t header = internal::read_uleb128(pos_, end_, 32, "RLE/bit-packed run header");
  const size_t avail = static_cast<size_t>(end_ - pos_);
  if (header & 1) {
    // Bit-packed run: header >> 1 groups of 8 values, bit_width bytes each.
    // A run cut short by the end of the data keeps the values present.
    const uint64_t groups = header >> 1;
    uint64_t bytes = groups * bit_width_;
    literal_left_ = groups * 8;
    if (bytes > avail) {
      bytes = avail;
      literal_left_ = avail * 8 / bit_width_;  // bit_width_ > 0 here: bytes > 0
    }
    literal_pos_ = pos_;
    pos_ += bytes;
    return true;
  }
  // Repeated run: header >> 1 copies of one little-endian value.
  const size_t value_bytes = (bit_width_ + 7) / 8;
  if (value_bytes > avail) {
    fail_corrupt("RLE/bit-packed data: repeated value of the run at byte {} is truncated",
                 header_at - begin_);
  }
  uint32_t value = 0;
  if (value_bytes) std::memcpy(&value, pos_, value_bytes);
  if (bit_width_ < 32 && (value >> bit_width_) != 0) {
    fail_corrupt("RLE/bit-packed data: repeated value {} of the run at byte {} exceeds bit width {}", value,
                 header_at - begin_, bit_width_);
  }
  pos_ += value_bytes;
  repeat_value_ = value;
  repeat_left_ = header >> 1;
  return true;
}

int level_bit_width(int max_level) {
  return max_level <= 0 ? 0 : std::bit_width(static_cast<unsigned>(max_level));
}

void check_levels(const int16_t* levels, size_t count, int max_level) {
  // A branch-free maximum first (vectorises); the slow search only on failure.
  uint16_t highest = 0;
  for (size_t i = 0; i < count; ++i) highest = std::max(highest, static_cast<uint16_t>(levels[i]));
  if (highest <= max_level) return;
  for (size_t i = 0; i < count; ++i) {
    if (static_cast<uint16_t>(levels[i]) > max_level) {
      fail_corrupt("level {} at index {} exceeds the maximum level {}", static_cast<uint16_t>(levels[i]), i,
                   max_level);
    }
  }
}

size_t decode_levels_v1(ByteView in, int max_level, size_t count, int16_t* out) {
  const ByteView data = length_prefixed(in, "levels (data page v1)");
  decode_levels(data, max_level, count, out, "levels (data page v1)");
  return 4 + data.size();
}

void decode_levels_v2(ByteView in, int max_level, size_t count, int16_t* out) {
  decode_levels(in, max_level, count, out, "levels (data page v2)");
}

size_t decode_rle_boolean(ByteView in, size_t count, uint8_t* out) {
  const ByteView data = length_prefixed(in, "RLE booleans");
  RleBitPackedDecoder decoder(data, 1);
  const size_t got = decoder.get_batch(out, count);
  if (got < count) fail_corrupt("RLE booleans: {} values expected, the data holds {}", count, got);
  return 4 + data.size();
}

}  // namespace mimicit::parquet
