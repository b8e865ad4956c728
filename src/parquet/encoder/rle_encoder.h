// Encoding into the RLE/bit-packing hybrid (Encoding::RLE): definition and
// repetition levels, dictionary indices and RLE booleans.
//
// A run of 8 or more equal values becomes a repeated run; everything else
// is bit-packed in groups of 8. Bit-packed runs hold whole groups: when a
// repeated run follows, the literals borrow values from its start to fill
// their last group, so only the very end of the data may carry zero
// padding (the decoder is told the value count). Run lengths stay below
// 2^31 as the spec requires.
//
// All functions append to `out` (never clear it). Values must fit the bit
// width (0..32); a value that does not, or a bit width outside 0..32, throws
// Error(kInvalidArgument). Stateless; thread-safe for distinct buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// Bits needed to represent max_value: 0 for 0, else floor(log2) + 1.
int bit_width_of(uint64_t max_value);

// The hybrid encoding of `count` values, without any prefix.
void encode_rle_bit_packed(const uint32_t* values, size_t count, int bit_width, Buffer& out);
void encode_rle_bit_packed(const int16_t* values, size_t count, int bit_width, Buffer& out);
void encode_rle_bit_packed(const uint8_t* values, size_t count, int bit_width, Buffer& out);

// Levels of a data page v1: 4-byte little-endian length, then the hybrid
// data with bit width level_bit_width(max_level). Returns the bytes appended.
size_t encode_levels_v1(const int16_t* levels, size_t count, int max_level, Buffer& out);
// Levels of a data page v2: the hybrid data only; its size (the return
// value) goes into the page header.
size_t encode_levels_v2(const int16_t* levels, size_t count, int max_level, Buffer& out);

// A dictionary-encoded data page's payload: one byte bit width, then the
// hybrid data. bit_width normally comes from DictionaryBuilder::index_bit_width().
void encode_dictionary_indices(const uint32_t* indices, size_t count, int bit_width, Buffer& out);

// BOOLEAN values (one byte each, 0 or 1) with Encoding::RLE: 4-byte length,
// then hybrid data with bit width 1.
void encode_rle_boolean(const uint8_t* values, size_t count, Buffer& out);

// A value-at-a-time front end: collects values, then encodes them all.
class RleBitPackedEncoder {
 public:
  explicit RleBitPackedEncoder(int bit_width);
  int bit_width() const { return bit_width_; }
  void put(uint32_t value) { values_.push_back(value); }
  void put_batch(const uint32_t* values, size_t count) {
    values_.insert(values_.end(), values, values + count);
  }
  size_t count() const { return values_.size(); }
  // Appends the encoding of everything put so far, then clears.
  void finish(Buffer& out);
  void clear() { values_.clear(); }

 private:
  int bit_width_;
  std::vector<uint32_t> values_;
};

}  // namespace mimicit::parquet
