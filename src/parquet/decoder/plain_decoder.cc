#include "parquet/decoder/plain_decoder.h"

#include <cstring>

#include "mimicit/error.h"
#include "parquet/decoder/bit_unpack.h"

namespace mimicit::parquet {

namespace {

// Throws unless `in` holds count * width bytes; returns that size. Written
// as a division so that a huge count cannot overflow the multiplication.
size_t checked_fixed_size(ByteView in, size_t count, size_t width, const char* what) {
  if (width != 0 && count > in.size() / width) {
    fail_corrupt("PLAIN {}: {} values of {} bytes need more than the {} bytes present", what, count, width,
                 in.size());
  }
  return count * width;
}

}  // namespace

size_t decode_plain_fixed(ByteView in, size_t count, size_t width, uint8_t* out) {
  const size_t size = checked_fixed_size(in, count, width, "fixed-width values");
  if (size) std::memcpy(out, in.data(), size);
  return size;
}

size_t decode_plain_boolean(ByteView in, size_t count, uint8_t* out) {
  const size_t size = count / 8 + (count % 8 != 0);
  if (size > in.size()) {
    fail_corrupt("PLAIN booleans: {} values need {} bytes, {} present", count, size, in.size());
  }
  const size_t groups = count / 8;
  internal::unpack_groups_of_8<1>(in.data(), in.size(), groups, out);
  if (count % 8) {
    uint8_t tail[8];
    internal::unpack_exact<1, 8>(in.data() + groups, in.size() - groups, tail);
    std::memcpy(out + groups * 8, tail, count % 8);
  }
  return size;
}

size_t decode_plain_byte_array(ByteView in, size_t count, std::string_view* out) {
  const uint8_t* const begin = in.data();
  const uint8_t* const end = begin + in.size();
  const uint8_t* pos = begin;
  for (size_t i = 0; i < count; ++i) {
    if (end - pos < 4) {
      fail_corrupt("PLAIN byte array {} of {}: length prefix at byte {} is truncated", i, count, pos - begin);
    }
    uint32_t length;
    std::memcpy(&length, pos, 4);
    pos += 4;
    if (length > static_cast<size_t>(end - pos)) {
      fail_corrupt("PLAIN byte array {} of {}: length {} at byte {} exceeds the {} bytes left", i, count,
                   length, pos - 4 - begin, end - pos);
    }
    out[i] = std::string_view(reinterpret_cast<const char*>(pos), length);
    pos += length;
  }
  return static_cast<size_t>(pos - begin);
}

size_t decode_plain_fixed_len_byte_array(ByteView in, size_t count, size_t width, std::string_view* out) {
  const size_t size = checked_fixed_size(in, count, width, "fixed-length byte arrays");
  const char* p = reinterpret_cast<const char*>(in.data());
  for (size_t i = 0; i < count; ++i) out[i] = std::string_view(p + i * width, width);
  return size;
}

}  // namespace mimicit::parquet
