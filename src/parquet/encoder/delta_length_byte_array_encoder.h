// DELTA_LENGTH_BYTE_ARRAY encoding (Encoding::DELTA_LENGTH_BYTE_ARRAY): the
// lengths DELTA_BINARY_PACKED, then all bytes concatenated. Appends to
// `out`. A value of 2^31 bytes or more throws Error(kInvalidArgument).
// Stateless; thread-safe for distinct buffers.
#pragma once

#include <cstddef>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

void encode_delta_length_byte_array(const std::string_view* values, size_t count, Buffer& out);

}  // namespace mimicit::parquet
