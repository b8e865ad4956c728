// DELTA_BYTE_ARRAY encoding (Encoding::DELTA_BYTE_ARRAY): for each value the
// length of the prefix it shares with the previous value
// (DELTA_BINARY_PACKED), then the remaining suffixes
// (DELTA_LENGTH_BYTE_ARRAY). Appends to `out`. Values of 2^31 bytes or more
// throw Error(kInvalidArgument). Stateless; thread-safe for distinct buffers.
#pragma once

#include <cstddef>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

void encode_delta_byte_array(const std::string_view* values, size_t count, Buffer& out);

}  // namespace mimicit::parquet
