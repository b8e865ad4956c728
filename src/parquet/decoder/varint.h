// ULEB128 and zigzag integers, as used by the RLE/bit-packing hybrid run
// headers and by DELTA_BINARY_PACKED headers.
//
// read_uleb128() reads from a cursor [pos, end) and advances it. It never
// reads past `end` and rejects (Error kCorrupt) truncated varints and ones
// that do not fit in `max_bits` bits (including over-long encodings with
// extra continuation bytes), so callers may use the result in arithmetic
// without further overflow checks beyond their own bounds.
// Header-only and stateless; thread-safe.
#pragma once

#include <cstdint>

#include "mimicit/error.h"

namespace mimicit::parquet::internal {

// `what` names the structure being read, for the error message.
inline uint64_t read_uleb128(const uint8_t*& pos, const uint8_t* end, int max_bits, const char* what) {
  if (pos != end && *pos < 0x80) return *pos++;  // the common one-byte case
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (pos == end) fail_corrupt("{}: truncated varint", what);
    const uint64_t byte = *pos++;
    const uint64_t payload = byte & 0x7f;
    if (shift + 7 > max_bits && (payload >> (max_bits - shift)) != 0) {
      fail_corrupt("{}: varint exceeds {} bits", what, max_bits);
    }
    result |= payload << shift;
    if ((byte & 0x80) == 0) return result;
    if (shift + 7 >= max_bits) fail_corrupt("{}: varint exceeds {} bits", what, max_bits);
  }
}

// Zigzag-decoded value as an unsigned number whose two's complement
// interpretation is the signed value (callers keep arithmetic unsigned).
inline uint64_t zigzag_decode(uint64_t u) { return (u >> 1) ^ (uint64_t{0} - (u & 1)); }

}  // namespace mimicit::parquet::internal
