#include "parquet/bloom_filter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "mimicit/error.h"

// Inline XXH64: hashing short values is dominated by call overhead otherwise.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace mimicit::parquet {

// The bitset is stored as little-endian words; builders expose their words
// directly as those bytes.
static_assert(std::endian::native == std::endian::little, "bloom filters assume a little-endian host");

namespace {

constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

// The block the hash selects among num_blocks: upper 32 bits scaled into range.
size_t block_index(uint64_t hash, size_t num_blocks) {
  return static_cast<size_t>(((hash >> 32) * num_blocks) >> 32);
}

// The bit the hash sets in word i of its block.
uint32_t word_mask(uint64_t hash, int i) {
  uint32_t key = static_cast<uint32_t>(hash);
  return uint32_t{1} << ((key * kSalt[i]) >> 27);
}

}  // namespace

uint64_t bloom_hash(ByteView plain_value) { return XXH64(plain_value.data(), plain_value.size(), 0); }

size_t bloom_filter_bytes(uint64_t distinct_values, double fpp) {
  if (!(fpp > 0.0 && fpp < 1.0))
    fail_invalid("bloom filter: false-positive probability {} not in (0, 1)", fpp);
  double bits = -8.0 * static_cast<double>(distinct_values) / std::log(1.0 - std::pow(fpp, 1.0 / 8.0));
  double bytes = std::ceil(bits / 8.0);
  if (!(bytes < static_cast<double>(kBloomFilterMaxBytes))) return kBloomFilterMaxBytes;  // also NaN
  size_t n = std::max(static_cast<size_t>(bytes), kBloomFilterMinBytes);
  return std::min(std::bit_ceil(n), kBloomFilterMaxBytes);
}

BloomFilterBuilder::BloomFilterBuilder(size_t num_bytes) {
  if (num_bytes == 0 || num_bytes % kBloomFilterBlockBytes != 0 || num_bytes > kBloomFilterMaxBytes) {
    fail_invalid("bloom filter: size {} is not a positive multiple of {} up to {}", num_bytes,
                 kBloomFilterBlockBytes, kBloomFilterMaxBytes);
  }
  words_.assign(num_bytes / sizeof(uint32_t), 0);
}

void BloomFilterBuilder::insert(uint64_t hash) {
  uint32_t* block = words_.data() + 8 * block_index(hash, words_.size() / 8);
  for (int i = 0; i < 8; ++i) block[i] |= word_mask(hash, i);
}

bool BloomFilterBuilder::may_contain(uint64_t hash) const { return bloom_filter_may_contain(bitset(), hash); }

ByteView BloomFilterBuilder::bitset() const {
  return {reinterpret_cast<const uint8_t*>(words_.data()), words_.size() * sizeof(uint32_t)};
}

bool bloom_filter_may_contain(ByteView bitset, uint64_t hash) {
  if (bitset.empty() || bitset.size() % kBloomFilterBlockBytes != 0) {
    fail_corrupt("bloom filter: bitset of {} bytes is not a positive multiple of {}", bitset.size(),
                 kBloomFilterBlockBytes);
  }
  const uint8_t* block =
      bitset.data() + kBloomFilterBlockBytes * block_index(hash, bitset.size() / kBloomFilterBlockBytes);
  for (int i = 0; i < 8; ++i) {
    uint32_t word;
    std::memcpy(&word, block + 4 * i, sizeof(word));
    if ((word & word_mask(hash, i)) == 0) return false;
  }
  return true;
}

}  // namespace mimicit::parquet
