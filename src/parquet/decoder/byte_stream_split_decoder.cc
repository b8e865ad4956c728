#include "parquet/decoder/byte_stream_split_decoder.h"

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

// Value i's byte k is at in[k * stride + i].
template <size_t kWidth>
void interleave(const uint8_t* in, size_t stride, size_t count, uint8_t* out) {
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < kWidth; ++k) out[i * kWidth + k] = in[k * stride + i];
  }
}

void interleave_any(const uint8_t* in, size_t stride, size_t count, size_t width, uint8_t* out) {
  // Stream by stream: each pass reads one stream sequentially.
  for (size_t k = 0; k < width; ++k) {
    const uint8_t* stream = in + k * stride;
    for (size_t i = 0; i < count; ++i) out[i * width + k] = stream[i];
  }
}

}  // namespace

void decode_byte_stream_split(ByteView in, size_t count, size_t width, uint8_t* out) {
  if (count == 0) return;
  if (width == 0) fail_corrupt("BYTE_STREAM_SPLIT: value width 0");
  if (in.size() % width != 0 || in.size() / width < count) {
    fail_corrupt("BYTE_STREAM_SPLIT: {} bytes do not hold {} streams of {} values", in.size(), width, count);
  }
  const size_t stride = in.size() / width;
  switch (width) {
    case 2: interleave<2>(in.data(), stride, count, out); return;
    case 4: interleave<4>(in.data(), stride, count, out); return;
    case 8: interleave<8>(in.data(), stride, count, out); return;
    default: interleave_any(in.data(), stride, count, width, out);
  }
}

void decode_byte_stream_split_flba(ByteView in, size_t count, size_t width, Buffer& storage,
                                   std::string_view* out) {
  if (count == 0) return;
  if (width == 0) fail_corrupt("BYTE_STREAM_SPLIT: value width 0");
  if (count > in.size() / width) {
    fail_corrupt("BYTE_STREAM_SPLIT: {} bytes do not hold {} values of {} bytes", in.size(), count, width);
  }
  storage.resize(count * width);
  decode_byte_stream_split(in, count, width, storage.data());
  const char* p = reinterpret_cast<const char*>(storage.data());
  for (size_t i = 0; i < count; ++i) out[i] = std::string_view(p + i * width, width);
}

}  // namespace mimicit::parquet
