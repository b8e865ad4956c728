// PLAIN encoding (Encoding::PLAIN) for data pages and dictionary pages.
//
// Every function appends to `out` (never clears it). Fixed-width values are
// copied as little-endian bytes; booleans (one byte each, nonzero = true)
// are bit-packed LSB first; byte arrays get a 4-byte little-endian length
// prefix, and a value of 2^32 bytes or more throws Error(kInvalidArgument).
// Stateless; thread-safe for distinct buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// INT32, INT64, INT96, FLOAT, DOUBLE: count * width bytes from `values`.
void encode_plain_fixed(const void* values, size_t count, size_t width, Buffer& out);

// BOOLEAN: ceil(count / 8) bytes.
void encode_plain_boolean(const uint8_t* values, size_t count, Buffer& out);

// BYTE_ARRAY.
void encode_plain_byte_array(const std::string_view* values, size_t count, Buffer& out);
void append_plain_byte_array(std::string_view value, Buffer& out);

// FIXED_LEN_BYTE_ARRAY: the values' bytes back to back; each must be `width`
// bytes long (Error kInvalidArgument otherwise).
void encode_plain_fixed_len_byte_array(const std::string_view* values, size_t count, size_t width,
                                       Buffer& out);

}  // namespace mimicit::parquet
