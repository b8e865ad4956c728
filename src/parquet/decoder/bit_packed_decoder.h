// The deprecated BIT_PACKED level encoding (Encoding::BIT_PACKED), still
// found in old files' data page v1 levels.
//
// Levels are packed back to back most significant bit first, with no length
// prefix: `count` levels occupy exactly ceil(count * bit_width / 8) bytes,
// where bit_width = level_bit_width(max_level) (rle_decoder.h). Decodes
// exactly `count` levels into the caller's array and returns the bytes
// consumed. Throws Error(kCorrupt) if `in` is too short or a level exceeds
// max_level (0..32767). Rare in practice, so the code favours simplicity.
// Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

size_t decode_bit_packed_levels(ByteView in, int max_level, size_t count, int16_t* out);

}  // namespace mimicit::parquet
