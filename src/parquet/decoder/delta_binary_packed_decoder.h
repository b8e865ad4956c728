// DELTA_BINARY_PACKED decoding (Encoding::DELTA_BINARY_PACKED) of INT32 and
// INT64 values; also the lengths inside DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY.
//
// Layout: a header <block size> <miniblocks per block> <total count>
// <first value (zigzag)>, then blocks of <min delta (zigzag)> <one bit-width
// byte per miniblock> <miniblocks>. Values are rebuilt with wrap-around
// (unsigned) arithmetic as the spec requires, so any input is well defined.
//
// Checks (Error kCorrupt): block size a positive multiple of 128 and at most
// 2^31; miniblock count dividing it into multiples of 32 values; bit widths
// <= 32 (int32) or <= 64 (int64); every miniblock that holds needed values
// present in full (the last one is padded to full size by the writer). The
// decoder allocates nothing: it unpacks 32 values at a time into a stack
// buffer, so a header claiming 2^40 values costs nothing until values are
// requested, and the caller bounds how many it requests.
//
// Lifetime: a decoder keeps a view of its input; the caller keeps the bytes
// alive. A decoder is a single-threaded cursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// T is int32_t or int64_t.
template <typename T>
class DeltaBinaryPackedDecoder {
 public:
  using Unsigned = std::make_unsigned_t<T>;

  // Reads the header; throws Error(kCorrupt) if it is malformed.
  explicit DeltaBinaryPackedDecoder(ByteView in);

  // Values announced by the header.
  uint64_t total_count() const { return total_count_; }
  // Values not yet returned by get_batch().
  uint64_t remaining() const { return remaining_ + (buffer_len_ - buffer_pos_) + first_pending_; }

  // Decodes up to `n` values into `out`; returns how many, fewer than `n`
  // only when all total_count() values have been returned.
  size_t get_batch(T* out, size_t n);

  // Bytes from the start of the input to the end of the encoded values (the
  // end of the last miniblock used). Valid once remaining() == 0.
  size_t bytes_consumed() const { return static_cast<size_t>(pos_ - begin_); }

 private:
  void start_block();
  void start_miniblock();
  void decode_group(T* out, size_t n);

  const uint8_t* begin_;
  const uint8_t* pos_;  // next block header or miniblock not yet started
  const uint8_t* end_;
  uint64_t block_size_ = 0;
  uint64_t miniblocks_per_block_ = 0;
  uint64_t values_per_miniblock_ = 0;
  uint64_t total_count_ = 0;
  uint64_t remaining_ = 0;      // deltas not yet decoded
  bool first_pending_ = false;  // the header's first value is not yet returned
  Unsigned last_value_ = 0;
  // Current block and miniblock.
  Unsigned min_delta_ = 0;
  const uint8_t* bit_widths_ = nullptr;
  uint64_t miniblock_index_ = 0;  // next miniblock of the block to start
  const uint8_t* miniblock_pos_ = nullptr;
  uint64_t miniblock_left_ = 0;  // values (padding included) left in the miniblock
  int bit_width_ = 0;
  // Values decoded ahead of a request that was not a multiple of 32.
  T buffer_[32];
  uint32_t buffer_pos_ = 0;
  uint32_t buffer_len_ = 0;
};

extern template class DeltaBinaryPackedDecoder<int32_t>;
extern template class DeltaBinaryPackedDecoder<int64_t>;

// Decodes exactly `count` values of a data page. The header must announce at
// least `count` values (Error kCorrupt otherwise); extra ones are ignored.
void decode_delta_binary_packed(ByteView in, size_t count, int32_t* out);
void decode_delta_binary_packed(ByteView in, size_t count, int64_t* out);

}  // namespace mimicit::parquet
