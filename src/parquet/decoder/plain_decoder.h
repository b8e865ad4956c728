// PLAIN decoding (Encoding::PLAIN) of the values of a data page or a
// dictionary page.
//
// Each function decodes exactly `count` values from the start of `in` and
// returns the number of bytes it consumed. Input too short for `count`
// values throws Error(kCorrupt); nothing is read past `in`. Outputs are
// caller-allocated arrays of `count` elements (for fixed width:
// count * width bytes). Byte-array results are views into `in`: they stay
// valid as long as the caller keeps the page bytes alive. Stateless;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// INT32, INT64, INT96, FLOAT, DOUBLE (width 4, 8, 12, 4, 8): a memcpy of
// count * width little-endian bytes.
size_t decode_plain_fixed(ByteView in, size_t count, size_t width, uint8_t* out);

// BOOLEAN: bit-packed LSB first, ceil(count / 8) bytes -> one byte 0/1 per value.
size_t decode_plain_boolean(ByteView in, size_t count, uint8_t* out);

// BYTE_ARRAY: each value is a 4-byte little-endian length then the bytes.
size_t decode_plain_byte_array(ByteView in, size_t count, std::string_view* out);

// FIXED_LEN_BYTE_ARRAY: count values of `width` bytes each, back to back.
size_t decode_plain_fixed_len_byte_array(ByteView in, size_t count, size_t width, std::string_view* out);

}  // namespace mimicit::parquet
