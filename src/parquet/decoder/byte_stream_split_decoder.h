// BYTE_STREAM_SPLIT decoding (Encoding::BYTE_STREAM_SPLIT) of FLOAT, DOUBLE,
// INT32, INT64 and FIXED_LEN_BYTE_ARRAY (including 2-byte FLOAT16) values.
//
// The data is `width` streams of N bytes each, stream k holding byte k of
// every value; N = in.size() / width, which must be a whole number and at
// least `count` (normally equal: the streams end where the page ends).
// Decoding interleaves the streams back into count * width bytes. Widths 2,
// 4 and 8 have unrolled loops; any other width works. Throws Error(kCorrupt)
// on a size mismatch. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// Writes count * width bytes to `out`.
void decode_byte_stream_split(ByteView in, size_t count, size_t width, uint8_t* out);

// For FIXED_LEN_BYTE_ARRAY: decodes into `storage` (resized to count * width,
// previous contents discarded) and sets `out` (count views) into it; the
// views stay valid until the caller next modifies or destroys `storage`.
void decode_byte_stream_split_flba(ByteView in, size_t count, size_t width, Buffer& storage,
                                   std::string_view* out);

}  // namespace mimicit::parquet
