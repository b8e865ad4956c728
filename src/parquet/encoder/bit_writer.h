// Low-level writers shared by the encoders: LSB-first bit packing, ULEB128
// and zigzag integers, all appending to a Buffer.
//
// BitWriter packs values of 0..64 bits back to back, least significant bit
// first (the order of the RLE/bit-packing hybrid and DELTA_BINARY_PACKED);
// callers guarantee each value fits its bit width. It buffers up to 64 bits
// and appends whole 64-bit words; flush() appends the remaining bits padded
// with zeros to a whole byte. Header-only; a BitWriter is single-threaded
// and must not outlive its Buffer.
#pragma once

#include <bit>
#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit::parquet::internal {

static_assert(std::endian::native == std::endian::little, "the encoders assume a little-endian host");

class BitWriter {
 public:
  explicit BitWriter(Buffer& out) : out_(out) {}

  void put(uint64_t value, int bit_width) {
    if (bit_width == 0) return;
    bits_ |= value << used_;  // used_ < 64 always
    if (used_ + bit_width >= 64) {
      out_.append(&bits_, 8);
      // The value's bits that did not fit (none when used_ == 0).
      bits_ = used_ == 0 ? 0 : value >> (64 - used_);
      used_ = used_ + bit_width - 64;
    } else {
      used_ += bit_width;
    }
  }

  void flush() {
    out_.append(&bits_, (used_ + 7) / 8);
    bits_ = 0;
    used_ = 0;
  }

 private:
  Buffer& out_;
  uint64_t bits_ = 0;
  int used_ = 0;
};

inline void append_uleb128(Buffer& out, uint64_t value) {
  uint8_t bytes[10];
  int n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<uint8_t>(value);
  out.append(bytes, n);
}

inline uint64_t zigzag_encode(int64_t value) {
  const uint64_t u = static_cast<uint64_t>(value);
  return (u << 1) ^ (uint64_t{0} - (u >> 63));
}

}  // namespace mimicit::parquet::internal
