// Decoding of the RLE/bit-packing hybrid (Encoding::RLE), used for
// definition and repetition levels, RLE-encoded BOOLEAN values and (after a
// bit-width byte, see dictionary_decoder.h) dictionary indices.
//
// The data is a sequence of runs, each a ULEB128 header then either one
// repeated value (ceil(bit_width / 8) bytes) or groups of 8 bit-packed
// values. RleBitPackedDecoder walks them lazily: get_batch() fills
// repeated runs with std::fill and unpacks bit-packed runs with the
// per-width kernels of bit_unpack.h, so there is no per-value branching.
//
// Bounds: bit width 0..32 (0 means every value is 0). Nothing is read past
// the given bytes. A malformed header, a repeated value wider than the bit
// width or a truncated repeated value throws Error(kCorrupt). A bit-packed
// run cut short by the end of the data yields the values that are present
// (its final group padded with zero bits); a caller that needs more values
// than the data holds sees get_batch() return fewer than requested, and the
// helper functions below turn that into Error(kCorrupt).
//
// Lifetime: the decoder keeps a view of `data`; the caller keeps the bytes
// alive while decoding. A decoder is a single-threaded cursor.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

class RleBitPackedDecoder {
 public:
  // Throws Error(kCorrupt) if bit_width is outside 0..32.
  RleBitPackedDecoder(ByteView data, int bit_width);

  int bit_width() const { return bit_width_; }

  // Decode up to `n` values into `out`; returns how many were produced, fewer
  // than `n` only when the data ends. Values are < 2^bit_width (except the
  // int16/uint8 variants truncate, so they require bit_width <= 16 resp. 8;
  // they throw Error(kCorrupt) otherwise).
  size_t get_batch(uint32_t* out, size_t n);
  size_t get_batch(int16_t* out, size_t n);  // levels
  size_t get_batch(uint8_t* out, size_t n);  // booleans (bit width 1)

 private:
  template <typename Out>
  size_t get_batch_impl(Out* out, size_t n);
  template <typename Out>
  size_t take_literals(Out* out, size_t n);
  bool next_run();

  const uint8_t* begin_;  // start of the data, for error offsets
  const uint8_t* pos_;    // next run header
  const uint8_t* end_;
  int bit_width_;
  uint64_t repeat_left_ = 0;  // values left in the current repeated run
  uint32_t repeat_value_ = 0;
  uint64_t literal_left_ = 0;             // unbuffered values left in the current bit-packed run
  const uint8_t* literal_pos_ = nullptr;  // its next group of 8
  uint32_t group_[8];                     // a partly consumed group of 8 bit-packed values
  uint32_t group_pos_ = 0;
  uint32_t group_len_ = 0;
};

// Bit width of levels up to max_level: 0 for 0, else floor(log2(max)) + 1.
int level_bit_width(int max_level);

// Definition/repetition levels of a data page v1: a 4-byte little-endian
// length, then that many bytes of hybrid data with bit width
// level_bit_width(max_level). Decodes exactly `count` levels into `out`;
// returns the bytes consumed (4 + length). Throws Error(kCorrupt) if the
// data is truncated, holds fewer than `count` levels or a level exceeds
// max_level (0 <= max_level <= 32767).
size_t decode_levels_v1(ByteView in, int max_level, size_t count, int16_t* out);

// Levels of a data page v2, whose byte length comes from the page header:
// `in` is exactly the levels section (no length prefix). Same checks as v1.
void decode_levels_v2(ByteView in, int max_level, size_t count, int16_t* out);

// BOOLEAN values with Encoding::RLE (data page v1 and v2 alike): a 4-byte
// little-endian length, then hybrid data with bit width 1. Writes one byte
// 0/1 per value; returns the bytes consumed (4 + length).
size_t decode_rle_boolean(ByteView in, size_t count, uint8_t* out);

// Throws Error(kCorrupt) unless every one of `count` levels is in 0..max_level.
void check_levels(const int16_t* levels, size_t count, int max_level);

}  // namespace mimicit::parquet
