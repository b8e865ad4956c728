// DELTA_BYTE_ARRAY decoding (Encoding::DELTA_BYTE_ARRAY, "delta strings")
// of BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY values: prefix lengths
// (DELTA_BINARY_PACKED int32), then suffixes (DELTA_LENGTH_BYTE_ARRAY).
// Value i is the first prefix[i] bytes of value i-1 followed by suffix i.
//
// The values are rebuilt into `storage`, which is resized once (its previous
// contents are discarded) to the total size, computed and checked first;
// `out` (count views, caller-allocated) then points into `storage`, so the
// views stay valid until the caller next modifies or destroys it. Because
// prefix sharing lets a few input bytes expand into large output, the total
// is limited by `max_bytes` (Error kLimit beyond it). A prefix longer than
// the previous value, or length headers that do not announce exactly
// `count` values, throw Error(kCorrupt). Returns the bytes consumed.
// count == 0 reads nothing. Stateless apart from `storage`; thread-safe for
// distinct storages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

size_t decode_delta_byte_array(ByteView in, size_t count, Buffer& storage, std::string_view* out,
                               uint64_t max_bytes);

}  // namespace mimicit::parquet
