// DELTA_BINARY_PACKED encoding (Encoding::DELTA_BINARY_PACKED) of INT32 and
// INT64 values; also used for the lengths of the DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY encoders.
//
// Appends the header, then blocks of `block_size` deltas split into
// `miniblocks` miniblocks, each bit-packed at the width of its largest
// (delta - min delta). Deltas wrap around (unsigned arithmetic), so any
// input encodes and INT32 data never needs more than 32 bits. The last
// miniblock used is zero-padded to full size; unused miniblocks of the last
// block get bit width 0 and no body, as the spec describes. block_size must
// be a positive multiple of 128 and block_size / miniblocks a multiple of 32
// (Error kInvalidArgument otherwise). Stateless; thread-safe for distinct
// buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

void encode_delta_binary_packed(const int32_t* values, size_t count, Buffer& out, uint32_t block_size = 128,
                                uint32_t miniblocks = 4);
void encode_delta_binary_packed(const int64_t* values, size_t count, Buffer& out, uint32_t block_size = 128,
                                uint32_t miniblocks = 4);

}  // namespace mimicit::parquet
