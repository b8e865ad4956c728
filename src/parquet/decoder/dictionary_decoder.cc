#include "parquet/decoder/dictionary_decoder.h"

#include <algorithm>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/decoder/rle_decoder.h"

namespace mimicit::parquet {

namespace {

// Indices are decoded this many at a time by the fused functions: small
// enough to stay in L1 next to the output, large enough to amortise calls.
constexpr size_t kBatch = 1024;

RleBitPackedDecoder open_indices(ByteView in) {
  if (in.empty()) fail_corrupt("dictionary indices: the bit-width byte is missing");
  const int bit_width = in[0];
  if (bit_width > 32) fail_corrupt("dictionary indices: bit width {} exceeds 32", bit_width);
  return RleBitPackedDecoder(in.subspan(1), bit_width);
}

void get_exactly(RleBitPackedDecoder& decoder, uint32_t* out, size_t n, size_t done, size_t count) {
  const size_t got = decoder.get_batch(out, n);
  if (got < n) {
    fail_corrupt("dictionary indices: {} values expected, the data holds {}", count, done + got);
  }
}

[[noreturn]] void fail_index(const uint32_t* idx, size_t n, size_t dict_size) {
  for (size_t i = 0; i < n; ++i) {
    if (idx[i] >= dict_size) {
      fail_corrupt("dictionary index {} out of range (dictionary has {} values)", idx[i], dict_size);
    }
  }
  fail(ErrorCode::kInternal, "fail_index called without a bad index");
}

// Checks a batch with one branch: the maximum index (a vectorised loop).
void check_indices(const uint32_t* idx, size_t n, size_t dict_size) {
  uint32_t highest = 0;
  for (size_t i = 0; i < n; ++i) highest = std::max(highest, idx[i]);
  if (n > 0 && highest >= dict_size) fail_index(idx, n, dict_size);
}

template <size_t kWidth>
void gather_width(const uint8_t* dict, const uint32_t* idx, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) std::memcpy(out + i * kWidth, dict + size_t{idx[i]} * kWidth, kWidth);
}

}  // namespace

void decode_dictionary_indices(ByteView in, size_t count, uint32_t* out) {
  if (count == 0) return;
  RleBitPackedDecoder decoder = open_indices(in);
  get_exactly(decoder, out, count, 0, count);
}

void gather_fixed(const uint8_t* dict, size_t dict_size, size_t width, const uint32_t* idx, size_t n,
                  uint8_t* out) {
  check_indices(idx, n, dict_size);
  switch (width) {
    case 1: gather_width<1>(dict, idx, n, out); return;
    case 4: gather_width<4>(dict, idx, n, out); return;
    case 8: gather_width<8>(dict, idx, n, out); return;
    case 12: gather_width<12>(dict, idx, n, out); return;
    default:
      for (size_t i = 0; i < n; ++i) std::memcpy(out + i * width, dict + size_t{idx[i]} * width, width);
  }
}

void gather_byte_array(const std::string_view* dict, size_t dict_size, const uint32_t* idx, size_t n,
                       std::string_view* out) {
  check_indices(idx, n, dict_size);
  for (size_t i = 0; i < n; ++i) out[i] = dict[idx[i]];
}

void decode_dictionary_fixed(ByteView in, size_t count, const uint8_t* dict, size_t dict_size, size_t width,
                             uint8_t* out) {
  if (count == 0) return;
  RleBitPackedDecoder decoder = open_indices(in);
  uint32_t idx[kBatch];
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(kBatch, count - done);
    get_exactly(decoder, idx, n, done, count);
    gather_fixed(dict, dict_size, width, idx, n, out + done * width);
    done += n;
  }
}

void decode_dictionary_byte_array(ByteView in, size_t count, const std::string_view* dict, size_t dict_size,
                                  std::string_view* out) {
  if (count == 0) return;
  RleBitPackedDecoder decoder = open_indices(in);
  uint32_t idx[kBatch];
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(kBatch, count - done);
    get_exactly(decoder, idx, n, done, count);
    gather_byte_array(dict, dict_size, idx, n, out + done);
    done += n;
  }
}

}  // namespace mimicit::parquet
