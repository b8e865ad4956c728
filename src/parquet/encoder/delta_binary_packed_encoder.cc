#include "parquet/encoder/delta_binary_packed_encoder.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <type_traits>
#include <vector>

#include "mimicit/error.h"
#include "parquet/encoder/bit_writer.h"

namespace mimicit::parquet {

namespace {

template <typename T>
void encode(const T* values, size_t count, Buffer& out, uint32_t block_size, uint32_t miniblocks) {
  using U = std::make_unsigned_t<T>;
  if (block_size == 0 || block_size % 128 != 0 || miniblocks == 0 || block_size % miniblocks != 0 ||
      (block_size / miniblocks) % 32 != 0) {
    fail_invalid("DELTA_BINARY_PACKED: block size {} with {} miniblocks is not valid", block_size,
                 miniblocks);
  }
  const size_t per_miniblock = block_size / miniblocks;
  internal::append_uleb128(out, block_size);
  internal::append_uleb128(out, miniblocks);
  internal::append_uleb128(out, count);
  internal::append_uleb128(out, internal::zigzag_encode(count ? values[0] : 0));
  if (count <= 1) return;

  std::vector<U> deltas(block_size);
  std::vector<uint8_t> widths(miniblocks);
  U previous = static_cast<U>(values[0]);
  for (size_t start = 1; start < count; start += block_size) {
    const size_t n = std::min<size_t>(block_size, count - start);
    T min_delta = std::numeric_limits<T>::max();
    for (size_t i = 0; i < n; ++i) {
      const U value = static_cast<U>(values[start + i]);
      deltas[i] = value - previous;
      previous = value;
      min_delta = std::min(min_delta, static_cast<T>(deltas[i]));
    }
    // Relative to the minimum every delta is in 0..2^bits - 1, exactly in U.
    std::fill(deltas.begin() + n, deltas.end(), static_cast<U>(min_delta));
    for (U& d : deltas) d -= static_cast<U>(min_delta);
    for (size_t m = 0; m < miniblocks; ++m) {
      U all = 0;
      if (m * per_miniblock < n) {
        for (size_t i = m * per_miniblock; i < (m + 1) * per_miniblock; ++i) all |= deltas[i];
      }
      widths[m] = static_cast<uint8_t>(std::bit_width(all));
    }
    internal::append_uleb128(out, internal::zigzag_encode(min_delta));
    out.append(widths.data(), widths.size());
    internal::BitWriter writer(out);
    for (size_t m = 0; m * per_miniblock < n; ++m) {
      for (size_t i = m * per_miniblock; i < (m + 1) * per_miniblock; ++i) {
        writer.put(deltas[i], widths[m]);
      }
    }
    writer.flush();  // miniblocks hold multiples of 32 values: always whole bytes
  }
}

}  // namespace

void encode_delta_binary_packed(const int32_t* values, size_t count, Buffer& out, uint32_t block_size,
                                uint32_t miniblocks) {
  encode(values, count, out, block_size, miniblocks);
}
void encode_delta_binary_packed(const int64_t* values, size_t count, Buffer& out, uint32_t block_size,
                                uint32_t miniblocks) {
  encode(values, count, out, block_size, miniblocks);
}

}  // namespace mimicit::parquet
