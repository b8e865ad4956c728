// Dictionary-encoded data pages (Encoding::RLE_DICTIONARY and the deprecated
// PLAIN_DICTIONARY): one byte holding the bit width of the indices (0..32),
// then the indices in the RLE/bit-packing hybrid (rle_decoder.h).
//
// The dictionary itself is a PLAIN page: decode it with plain_decoder.h,
// then map indices to values with the gather functions here, which throw
// Error(kCorrupt) on an index >= dict_size (so a corrupt page cannot read
// outside the dictionary). The decode_dictionary_* functions do both in
// cache-sized batches and are what a page reader normally calls.
//
// Each function decodes exactly `count` values; data holding fewer throws
// Error(kCorrupt). count == 0 reads nothing (not even the bit-width byte).
// Outputs are caller-allocated arrays of `count` elements (fixed width:
// count * width bytes). Byte-array results are copies of the dictionary's
// views: they point wherever the dictionary's views point (normally the
// dictionary page), which the caller keeps alive. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

// Decodes `count` indices (bit-width byte + hybrid data) into `out`, without
// checking them against a dictionary.
void decode_dictionary_indices(ByteView in, size_t count, uint32_t* out);

// out[i * width ...] = dict[idx[i] * width ...], for fixed-width values
// (BOOLEAN 1 byte, INT32/FLOAT 4, INT64/DOUBLE 8, INT96 12, or any width).
void gather_fixed(const uint8_t* dict, size_t dict_size, size_t width, const uint32_t* idx, size_t n,
                  uint8_t* out);
// out[i] = dict[idx[i]], for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY.
void gather_byte_array(const std::string_view* dict, size_t dict_size, const uint32_t* idx, size_t n,
                       std::string_view* out);

// Indices decoded and gathered in one go.
void decode_dictionary_fixed(ByteView in, size_t count, const uint8_t* dict, size_t dict_size, size_t width,
                             uint8_t* out);
void decode_dictionary_byte_array(ByteView in, size_t count, const std::string_view* dict, size_t dict_size,
                                  std::string_view* out);

}  // namespace mimicit::parquet
