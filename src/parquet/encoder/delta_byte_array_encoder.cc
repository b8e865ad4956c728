#include "parquet/encoder/delta_byte_array_encoder.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mimicit/error.h"
#include "parquet/encoder/delta_binary_packed_encoder.h"
#include "parquet/encoder/delta_length_byte_array_encoder.h"

namespace mimicit::parquet {

void encode_delta_byte_array(const std::string_view* values, size_t count, Buffer& out) {
  std::vector<int32_t> prefixes(count);
  std::vector<std::string_view> suffixes(count);
  std::string_view previous;
  for (size_t i = 0; i < count; ++i) {
    const std::string_view value = values[i];
    if (value.size() > INT32_MAX) {
      fail_invalid("DELTA_BYTE_ARRAY: a value of {} bytes exceeds 2 GiB", value.size());
    }
    const size_t limit = std::min(previous.size(), value.size());
    size_t p = 0;
    while (p < limit && previous[p] == value[p]) ++p;
    prefixes[i] = static_cast<int32_t>(p);
    suffixes[i] = value.substr(p);
    previous = value;
  }
  encode_delta_binary_packed(prefixes.data(), count, out);
  encode_delta_length_byte_array(suffixes.data(), count, out);
}

}  // namespace mimicit::parquet
