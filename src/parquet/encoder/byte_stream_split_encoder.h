// BYTE_STREAM_SPLIT encoding (Encoding::BYTE_STREAM_SPLIT): `count` values
// of `width` bytes become `width` streams of `count` bytes, stream k holding
// byte k of every value. Appends count * width bytes to `out`. Stateless;
// thread-safe for distinct buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

void encode_byte_stream_split(const uint8_t* values, size_t count, size_t width, Buffer& out);

}  // namespace mimicit::parquet
