#include "parquet/encoder/byte_stream_split_encoder.h"

namespace mimicit::parquet {

void encode_byte_stream_split(const uint8_t* values, size_t count, size_t width, Buffer& out) {
  const size_t start = out.size();
  out.resize(start + count * width);
  uint8_t* streams = out.data() + start;
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < width; ++k) streams[k * count + i] = values[i * width + k];
  }
}

}  // namespace mimicit::parquet
