#include "parquet/decoder/bit_packed_decoder.h"

#include "mimicit/error.h"
#include "parquet/decoder/rle_decoder.h"

namespace mimicit::parquet {

size_t decode_bit_packed_levels(ByteView in, int max_level, size_t count, int16_t* out) {
  if (max_level < 0 || max_level > 32767) {
    fail_invalid("BIT_PACKED levels: max level {} out of range", max_level);
  }
  const int bit_width = level_bit_width(max_level);
  // count * bit_width / 8 without overflow: bit_width <= 15.
  const size_t bytes = count / 8 * bit_width + (count % 8 * bit_width + 7) / 8;
  if (bytes > in.size()) {
    fail_corrupt("BIT_PACKED levels: {} levels of {} bits need {} bytes, {} present", count, bit_width, bytes,
                 in.size());
  }
  // A big-endian bit accumulator: bytes enter at the bottom, levels leave from the top.
  const uint8_t* pos = in.data();
  uint32_t acc = 0;
  int acc_bits = 0;
  const uint32_t mask = (uint32_t{1} << bit_width) - 1;
  for (size_t i = 0; i < count; ++i) {
    while (acc_bits < bit_width) {
      acc = (acc << 8) | *pos++;
      acc_bits += 8;
    }
    acc_bits -= bit_width;
    out[i] = static_cast<int16_t>((acc >> acc_bits) & mask);
  }
  check_levels(out, count, max_level);
  return bytes;
}

}  // namespace mimicit::parquet
