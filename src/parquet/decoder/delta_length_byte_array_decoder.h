// DELTA_LENGTH_BYTE_ARRAY decoding (Encoding::DELTA_LENGTH_BYTE_ARRAY) of
// BYTE_ARRAY values: all lengths, DELTA_BINARY_PACKED (int32), then all the
// bytes concatenated.
//
// Decodes exactly `count` values into the caller's array of views, which
// point into `in` (zero copy; the caller keeps `in` alive). Returns the bytes
// consumed (lengths + data), which DELTA_BYTE_ARRAY relies on. The lengths
// header must announce exactly `count` values; a negative length or lengths
// adding up to more than the bytes present throw Error(kCorrupt).
// count == 0 reads nothing. Allocates nothing: the lengths are decoded twice
// (once to find where the data starts and check their sum, once to build
// the views), which is cheap next to touching the data. Stateless;
// thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

size_t decode_delta_length_byte_array(ByteView in, size_t count, std::string_view* out);

}  // namespace mimicit::parquet
