#include "parquet/encoder/delta_length_byte_array_encoder.h"

#include <cstdint>
#include <vector>

#include "mimicit/error.h"
#include "parquet/encoder/delta_binary_packed_encoder.h"

namespace mimicit::parquet {

void encode_delta_length_byte_array(const std::string_view* values, size_t count, Buffer& out) {
  std::vector<int32_t> lengths(count);
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    if (values[i].size() > INT32_MAX) {
      fail_invalid("DELTA_LENGTH_BYTE_ARRAY: a value of {} bytes exceeds 2 GiB", values[i].size());
    }
    lengths[i] = static_cast<int32_t>(values[i].size());
    total += values[i].size();
  }
  encode_delta_binary_packed(lengths.data(), count, out);
  out.reserve(out.size() + total);
  for (size_t i = 0; i < count; ++i) out.append(values[i].data(), values[i].size());
}

}  // namespace mimicit::parquet
