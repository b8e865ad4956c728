#include "parquet/decoder/delta_binary_packed_decoder.h"

#include <algorithm>

#include "mimicit/error.h"
#include "parquet/decoder/bit_unpack.h"
#include "parquet/decoder/varint.h"

namespace mimicit::parquet {

namespace {

constexpr uint64_t kMaxBlockSize = uint64_t{1} << 31;

}  // namespace

template <typename T>
DeltaBinaryPackedDecoder<T>::DeltaBinaryPackedDecoder(ByteView in)
    : begin_(in.data()), pos_(in.data()), end_(in.data() + in.size()) {
  constexpr const char* kWhat = "DELTA_BINARY_PACKED header";
  block_size_ = internal::read_uleb128(pos_, end_, 32, kWhat);
  miniblocks_per_block_ = internal::read_uleb128(pos_, end_, 32, kWhat);
  total_count_ = internal::read_uleb128(pos_, end_, 64, kWhat);
  // The first value is zigzag; 32-bit values are accepted sign-extended to 64.
  last_value_ = static_cast<Unsigned>(internal::zigzag_decode(internal::read_uleb128(pos_, end_, 64, kWhat)));
  if (block_size_ == 0 || block_size_ % 128 != 0 || block_size_ > kMaxBlockSize) {
    fail_corrupt("{}: block size {} is not a multiple of 128 in 128..2^31", kWhat, block_size_);
  }
  if (miniblocks_per_block_ == 0 || block_size_ % miniblocks_per_block_ != 0 ||
      (block_size_ / miniblocks_per_block_) % 32 != 0) {
    fail_corrupt("{}: {} miniblocks do not split a block of {} values into multiples of 32", kWhat,
                 miniblocks_per_block_, block_size_);
  }
  values_per_miniblock_ = block_size_ / miniblocks_per_block_;
  first_pending_ = total_count_ > 0;
  remaining_ = total_count_ > 0 ? total_count_ - 1 : 0;
  miniblock_index_ = miniblocks_per_block_;  // the first miniblock starts a block
}

template <typename T>
size_t DeltaBinaryPackedDecoder<T>::get_batch(T* out, size_t n) {
  size_t done = 0;
  if (n > 0 && first_pending_) {
    out[done++] = static_cast<T>(last_value_);
    first_pending_ = false;
  }
  while (done < n) {
    if (buffer_pos_ < buffer_len_) {
      const size_t k = std::min<size_t>(buffer_len_ - buffer_pos_, n - done);
      std::copy_n(buffer_ + buffer_pos_, k, out + done);
      buffer_pos_ += static_cast<uint32_t>(k);
      done += k;
      continue;
    }
    if (remaining_ == 0) break;
    if (miniblock_left_ == 0) start_miniblock();
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, 32));
    if (n - done >= take) {
      decode_group(out + done, take);
      done += take;
    } else {
      decode_group(buffer_, take);
      buffer_pos_ = 0;
      buffer_len_ = static_cast<uint32_t>(take);
    }
    remaining_ -= take;
  }
  return done;
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::start_block() {
  const uint8_t* at = pos_;
  min_delta_ = static_cast<Unsigned>(
      internal::zigzag_decode(internal::read_uleb128(pos_, end_, 64, "DELTA_BINARY_PACKED block min delta")));
  if (miniblocks_per_block_ > static_cast<uint64_t>(end_ - pos_)) {
    fail_corrupt("DELTA_BINARY_PACKED block at byte {}: {} bit widths truncated", at - begin_,
                 miniblocks_per_block_);
  }
  bit_widths_ = pos_;
  pos_ += miniblocks_per_block_;
  miniblock_index_ = 0;
}

// Starts the next miniblock, checking that all of it is present: every
// later read of this miniblock is then in bounds.
template <typename T>
void DeltaBinaryPackedDecoder<T>::start_miniblock() {
  if (miniblock_index_ == miniblocks_per_block_) start_block();
  bit_width_ = bit_widths_[miniblock_index_++];
  // Deltas of INT32 values need 33 bits when a writer computes them in 64
  // bits (DuckDB does); arithmetic is modulo 2^32, so the low bits suffice
  // and widths up to 64 are accepted for both types.
  if (bit_width_ > 64) {
    fail_corrupt("DELTA_BINARY_PACKED miniblock at byte {}: bit width {} exceeds 64", pos_ - begin_,
                 bit_width_);
  }
  const uint64_t bytes = values_per_miniblock_ / 8 * bit_width_;
  if (bytes > static_cast<uint64_t>(end_ - pos_)) {
    fail_corrupt("DELTA_BINARY_PACKED miniblock at byte {}: {} bytes needed, {} present", pos_ - begin_,
                 bytes, end_ - pos_);
  }
  miniblock_pos_ = pos_;
  pos_ += bytes;
  miniblock_left_ = values_per_miniblock_;
}

// Unpacks the miniblock's next 32 deltas and adds the first `n` of them up.
template <typename T>
void DeltaBinaryPackedDecoder<T>::decode_group(T* out, size_t n) {
  constexpr int kMaxBits = 8 * sizeof(T);
  Unsigned deltas[32];
  if (bit_width_ <= kMaxBits) {
    internal::kUnpack32Table<Unsigned, kMaxBits>[bit_width_](
        miniblock_pos_, static_cast<size_t>(end_ - miniblock_pos_), deltas);
  } else {  // an INT32 column with wider deltas: keep their low 32 bits
    uint64_t wide[32];
    internal::kUnpack32Table<uint64_t, 64>[std::min(bit_width_, 64)](
        miniblock_pos_, static_cast<size_t>(end_ - miniblock_pos_), wide);
    for (int i = 0; i < 32; ++i) deltas[i] = static_cast<Unsigned>(wide[i]);
  }
  miniblock_pos_ += 4 * bit_width_;
  miniblock_left_ -= 32;
  Unsigned value = last_value_;
  const Unsigned min_delta = min_delta_;
  for (size_t i = 0; i < n; ++i) {
    value += min_delta + deltas[i];
    out[i] = static_cast<T>(value);
  }
  last_value_ = value;
}

template class DeltaBinaryPackedDecoder<int32_t>;
template class DeltaBinaryPackedDecoder<int64_t>;

namespace {

template <typename T>
void decode_page(ByteView in, size_t count, T* out) {
  if (count == 0) return;
  DeltaBinaryPackedDecoder<T> decoder(in);
  if (decoder.total_count() < count) {
    fail_corrupt("DELTA_BINARY_PACKED: header announces {} values, the page needs {}", decoder.total_count(),
                 count);
  }
  decoder.get_batch(out, count);  // cannot come up short: the header announced enough
}

}  // namespace

void decode_delta_binary_packed(ByteView in, size_t count, int32_t* out) { decode_page(in, count, out); }
void decode_delta_binary_packed(ByteView in, size_t count, int64_t* out) { decode_page(in, count, out); }

}  // namespace mimicit::parquet
