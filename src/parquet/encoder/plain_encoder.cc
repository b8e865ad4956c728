#include "parquet/encoder/plain_encoder.h"

#include <cstring>

#include "mimicit/error.h"

namespace mimicit::parquet {

void encode_plain_fixed(const void* values, size_t count, size_t width, Buffer& out) {
  out.append(values, count * width);
}

void encode_plain_boolean(const uint8_t* values, size_t count, Buffer& out) {
  const size_t start = out.size();
  out.resize(start + (count + 7) / 8);
  uint8_t* dst = out.data() + start;
  const size_t whole = count / 8;
  for (size_t g = 0; g < whole; ++g) {
    const uint8_t* v = values + 8 * g;
    dst[g] = static_cast<uint8_t>((v[0] != 0) | (v[1] != 0) << 1 | (v[2] != 0) << 2 | (v[3] != 0) << 3 |
                                  (v[4] != 0) << 4 | (v[5] != 0) << 5 | (v[6] != 0) << 6 | (v[7] != 0) << 7);
  }
  if (count % 8) {
    uint8_t last = 0;
    for (size_t i = whole * 8; i < count; ++i) last |= static_cast<uint8_t>((values[i] != 0) << (i % 8));
    dst[whole] = last;
  }
}

void append_plain_byte_array(std::string_view value, Buffer& out) {
  if (value.size() > UINT32_MAX) {
    fail_invalid("PLAIN: a byte array of {} bytes exceeds the 4 GiB limit", value.size());
  }
  const uint32_t length = static_cast<uint32_t>(value.size());
  const size_t start = out.size();
  out.resize(start + 4 + length);
  std::memcpy(out.data() + start, &length, 4);
  if (length) std::memcpy(out.data() + start + 4, value.data(), length);
}

void encode_plain_byte_array(const std::string_view* values, size_t count, Buffer& out) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += 4 + values[i].size();
  out.reserve(out.size() + total);
  for (size_t i = 0; i < count; ++i) append_plain_byte_array(values[i], out);
}

void encode_plain_fixed_len_byte_array(const std::string_view* values, size_t count, size_t width,
                                       Buffer& out) {
  out.reserve(out.size() + count * width);
  for (size_t i = 0; i < count; ++i) {
    if (values[i].size() != width) {
      fail_invalid("PLAIN: fixed-length byte array {} has {} bytes, expected {}", i, values[i].size(), width);
    }
    out.append(values[i].data(), width);
  }
}

}  // namespace mimicit::parquet
