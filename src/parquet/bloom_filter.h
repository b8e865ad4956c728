// Parquet split-block bloom filters (parquet-format BloomFilter.md).
//
// A filter is a bitset of 32-byte blocks, each eight little-endian 32-bit
// words. A value's 64-bit hash picks one block with its upper 32 bits and sets
// or tests one bit in each of the block's eight words with its lower 32 bits.
// The hash is XXH64 (seed 0) of the value's plain encoding without any length
// prefix: the raw bytes of a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY, the
// little-endian bytes of an INT32, INT64, FLOAT or DOUBLE.
//
// This module handles the bitset only; the BloomFilterHeader that precedes it
// in the file is thrift and parsed elsewhere. Bitsets read from files are
// untrusted: bloom_filter_may_contain() validates the size and never reads
// outside the view. Thread-safety: the free functions are pure; a builder is
// a plain value (no sharing between threads while inserting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "mimicit/bytes.h"

namespace mimicit::parquet {

inline constexpr size_t kBloomFilterBlockBytes = 32;
inline constexpr size_t kBloomFilterMinBytes = 32;
inline constexpr size_t kBloomFilterMaxBytes = size_t{128} << 20;

// XXH64 with seed 0 of a value's plain encoding (see above).
uint64_t bloom_hash(ByteView plain_value);

// The bitset size for `distinct_values` values at false-positive probability
// `fpp` (0 < fpp < 1, else kInvalidArgument), by the spec's formula
// m = -8 * ndv / ln(1 - fpp^(1/8)) bits, rounded up to a power of two and
// clamped to [kBloomFilterMinBytes, kBloomFilterMaxBytes].
size_t bloom_filter_bytes(uint64_t distinct_values, double fpp);

// Builds a bitset for writing. num_bytes must be a positive multiple of 32
// no larger than kBloomFilterMaxBytes (kInvalidArgument otherwise); writers
// use bloom_filter_bytes() to pick it.
class BloomFilterBuilder {
 public:
  explicit BloomFilterBuilder(size_t num_bytes);

  void insert(uint64_t hash);
  bool may_contain(uint64_t hash) const;

  // The bitset as stored in the file, valid while the builder lives and is
  // not modified.
  ByteView bitset() const;

 private:
  std::vector<uint32_t> words_;
};

// Whether the value with `hash` may be in the set (false: certainly not).
// Throws Error(kCorrupt) when the bitset is empty or its size is not a
// multiple of 32 bytes.
bool bloom_filter_may_contain(ByteView bitset, uint64_t hash);

}  // namespace mimicit::parquet
