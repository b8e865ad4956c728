#include "parquet/decoder/delta_byte_array_decoder.h"

#include <cstring>

#include "mimicit/error.h"
#include "parquet/decoder/delta_binary_packed_decoder.h"
#include "parquet/decoder/delta_length_byte_array_decoder.h"

namespace mimicit::parquet {

namespace {

// Decodes the prefix lengths into the front of `storage` (as int32) and
// returns the bytes they occupy in the input.
size_t decode_prefix_lengths(ByteView in, size_t count, Buffer& storage) {
  DeltaBinaryPackedDecoder<int32_t> prefixes(in);
  if (prefixes.total_count() != count) {
    fail_corrupt("DELTA_BYTE_ARRAY: {} prefix lengths announced, the page holds {} values",
                 prefixes.total_count(), count);
  }
  storage.resize(count * sizeof(int32_t));
  prefixes.get_batch(reinterpret_cast<int32_t*>(storage.data()), count);
  return prefixes.bytes_consumed();
}

// Checks every prefix against the previous value and returns the total size
// of the values.
uint64_t checked_total_size(const int32_t* prefix, const std::string_view* suffix, size_t count,
                            uint64_t max_bytes) {
  uint64_t previous = 0;
  uint64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    if (prefix[i] < 0 || static_cast<uint64_t>(prefix[i]) > previous) {
      fail_corrupt("DELTA_BYTE_ARRAY: value {} has prefix length {}, the previous value has {} bytes", i,
                   prefix[i], previous);
    }
    previous = static_cast<uint64_t>(prefix[i]) + suffix[i].size();
    total += previous;
    if (total > max_bytes) {
      fail(ErrorCode::kLimit, "DELTA_BYTE_ARRAY: values exceed the limit of {} bytes", max_bytes);
    }
  }
  return total;
}

}  // namespace

size_t decode_delta_byte_array(ByteView in, size_t count, Buffer& storage, std::string_view* out,
                               uint64_t max_bytes) {
  if (count == 0) return 0;
  const size_t prefix_bytes = decode_prefix_lengths(in, count, storage);
  // The suffixes go to `out` first; each is read just before its value replaces it.
  const size_t suffix_bytes = decode_delta_length_byte_array(in.subspan(prefix_bytes), count, out);
  const size_t prefix_area = count * sizeof(int32_t);
  const uint64_t total =
      checked_total_size(reinterpret_cast<const int32_t*>(storage.data()), out, count, max_bytes);
  storage.resize(prefix_area + static_cast<size_t>(total));
  const int32_t* prefix = reinterpret_cast<const int32_t*>(storage.data());
  char* dst = reinterpret_cast<char*>(storage.data()) + prefix_area;
  const char* previous = dst;
  for (size_t i = 0; i < count; ++i) {
    const size_t p = static_cast<size_t>(prefix[i]);
    const std::string_view suffix = out[i];
    if (p) std::memcpy(dst, previous, p);
    if (!suffix.empty()) std::memcpy(dst + p, suffix.data(), suffix.size());
    out[i] = std::string_view(dst, p + suffix.size());
    previous = dst;
    dst += out[i].size();
  }
  return prefix_bytes + suffix_bytes;
}

}  // namespace mimicit::parquet
