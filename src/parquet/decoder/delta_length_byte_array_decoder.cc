#include "parquet/decoder/delta_length_byte_array_decoder.h"

#include <algorithm>

#include "mimicit/error.h"
#include "parquet/decoder/delta_binary_packed_decoder.h"

namespace mimicit::parquet {

namespace {

constexpr size_t kBatch = 512;

DeltaBinaryPackedDecoder<int32_t> open_lengths(ByteView in, size_t count) {
  DeltaBinaryPackedDecoder<int32_t> lengths(in);
  if (lengths.total_count() != count) {
    fail_corrupt("DELTA_LENGTH_BYTE_ARRAY: {} lengths announced, the page holds {} values",
                 lengths.total_count(), count);
  }
  return lengths;
}

}  // namespace

size_t decode_delta_length_byte_array(ByteView in, size_t count, std::string_view* out) {
  if (count == 0) return 0;
  // Pass 1: check the lengths and find where the data starts.
  DeltaBinaryPackedDecoder<int32_t> lengths = open_lengths(in, count);
  int32_t batch[kBatch];
  uint64_t data_size = 0;
  for (size_t done = 0; done < count;) {
    const size_t n = lengths.get_batch(batch, std::min(kBatch, count - done));
    int32_t lowest = 0;
    for (size_t i = 0; i < n; ++i) {
      lowest = std::min(lowest, batch[i]);
      data_size += static_cast<uint32_t>(batch[i]);  // < 2^31 each once checked: no overflow
    }
    if (lowest < 0) fail_corrupt("DELTA_LENGTH_BYTE_ARRAY: negative length {}", lowest);
    done += n;
  }
  const size_t data_start = lengths.bytes_consumed();
  if (data_size > in.size() - data_start) {
    fail_corrupt("DELTA_LENGTH_BYTE_ARRAY: lengths add up to {} bytes, {} present", data_size,
                 in.size() - data_start);
  }
  // Pass 2: the views.
  DeltaBinaryPackedDecoder<int32_t> again = open_lengths(in, count);
  const char* data = reinterpret_cast<const char*>(in.data()) + data_start;
  for (size_t done = 0; done < count;) {
    const size_t n = again.get_batch(batch, std::min(kBatch, count - done));
    for (size_t i = 0; i < n; ++i) {
      out[done + i] = std::string_view(data, static_cast<size_t>(batch[i]));
      data += batch[i];
    }
    done += n;
  }
  return data_start + static_cast<size_t>(data_size);
}

}  // namespace mimicit::parquet
