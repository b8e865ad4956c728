#include "parquet/bloom_filter.h"
#include "test_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "mimicit/error.h"

namespace mimicit::parquet {
namespace {

uint32_t word_at(ByteView bitset, size_t i) {
  uint32_t w;
  std::memcpy(&w, bitset.data() + 4 * i, 4);
  return w;
}

TEST(BloomFilter, HashIsXxh64Seed0) {
  EXPECT_EQ(bloom_hash(ByteView()), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(bloom_hash(as_bytes("abc")), 0x44BC2CF5AD770999ull);
}

// One insert into a single-block filter sets, in word i, the bit numbered by
// the top 5 bits of (low 32 bits of the hash) * SALT[i]. For low bits 1 those
// are the SALT constants' own top bits: 8, 8, 17, 20, 14, 5, 19, 11.
TEST(BloomFilter, SetsTheSpecifiedBits) {
  BloomFilterBuilder builder(32);
  builder.insert(0x1234567800000001ull);
  const int expected_bit[8] = {8, 8, 17, 20, 14, 5, 19, 11};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(word_at(builder.bitset(), i), 1u << expected_bit[i]) << i;
}

// The block is chosen by the upper 32 bits times the number of blocks.
TEST(BloomFilter, BlockFromUpperBits) {
  BloomFilterBuilder builder(4 * 32);
  builder.insert(0xC000000000000001ull);  // 0.75 of the range -> block 3
  ByteView bits = builder.bitset();
  for (size_t w = 0; w < 32; ++w) EXPECT_EQ(word_at(bits, w) != 0, w >= 24) << w;
}

TEST(BloomFilter, SizingFollowsTheSpecFormula) {
  EXPECT_EQ(bloom_filter_bytes(0, 0.01), 32u);
  EXPECT_EQ(bloom_filter_bytes(1, 0.01), 32u);
  // -8 * 1e6 / ln(1 - 0.01^(1/8)) = 9.68e6 bits = 1.21 MB -> 2 MiB.
  EXPECT_EQ(bloom_filter_bytes(1000000, 0.01), size_t{2} << 20);
  // 1000 values at 1%: 9682 bits = 1211 bytes -> 2048.
  EXPECT_EQ(bloom_filter_bytes(1000, 0.01), 2048u);
  EXPECT_EQ(bloom_filter_bytes(UINT64_MAX, 0.01), kBloomFilterMaxBytes);
  EXPECT_EQ(bloom_filter_bytes(1000000000, 1e-9), kBloomFilterMaxBytes);
  for (uint64_t ndv : {1ull, 77ull, 5000ull, 123456ull}) {
    size_t n = bloom_filter_bytes(ndv, 0.05);
    EXPECT_EQ(n & (n - 1), 0u) << ndv;
  }
  EXPECT_THROW(bloom_filter_bytes(10, 0.0), Error);
  EXPECT_THROW(bloom_filter_bytes(10, 1.0), Error);
  EXPECT_THROW(bloom_filter_bytes(10, -0.5), Error);
  EXPECT_THROW(bloom_filter_bytes(10, std::nan("")), Error);
}

TEST(BloomFilter, BuilderRejectsBadSizes) {
  EXPECT_THROW(BloomFilterBuilder(0), Error);
  EXPECT_THROW(BloomFilterBuilder(33), Error);
  EXPECT_THROW(BloomFilterBuilder(kBloomFilterMaxBytes + 32), Error);
  BloomFilterBuilder ok(96);  // any multiple of 32 is a valid bitset
  EXPECT_EQ(ok.bitset().size(), 96u);
}

TEST(BloomFilter, MayContainRejectsBadBitsets) {
  std::vector<uint8_t> bits(33);
  EXPECT_THROW(bloom_filter_may_contain(bits, 1), Error);
  EXPECT_THROW(bloom_filter_may_contain(ByteView(), 1), Error);
  try {
    bloom_filter_may_contain(ByteView(bits).first(31), 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
  }
}

TEST(BloomFilter, RoundTripAndFalsePositiveRate) {
  const size_t n = 10000;
  BloomFilterBuilder builder(bloom_filter_bytes(n, 0.01));
  std::mt19937_64 rng(1);
  std::vector<uint64_t> inserted(n);
  for (auto& h : inserted) {
    h = bloom_hash(as_bytes(std::to_string(rng())));
    builder.insert(h);
  }
  std::vector<uint8_t> stored(builder.bitset().begin(), builder.bitset().end());  // as if read back
  for (uint64_t h : inserted) {
    ASSERT_TRUE(bloom_filter_may_contain(stored, h));
    ASSERT_TRUE(builder.may_contain(h));
  }
  size_t false_positives = 0;
  const size_t probes = 100000;
  for (size_t i = 0; i < probes; ++i) {
    false_positives += bloom_filter_may_contain(stored, bloom_hash(as_bytes("absent-" + std::to_string(i))));
  }
  // Sized for 1%; the power-of-two rounding makes it better than that.
  EXPECT_LT(static_cast<double>(false_positives) / probes, 0.015) << false_positives;
}

TEST(BloomFilter, EmptyFilterContainsNothing) {
  BloomFilterBuilder builder(1024);
  for (uint64_t h = 0; h < 1000; ++h)
    EXPECT_FALSE(bloom_filter_may_contain(builder.bitset(), h * 0x9E3779B97F4A7C15ull));
}

// data_index_bloom_encoding_stats.parquet (written by parquet-mr) has a bloom
// filter on its only column, a STRING. The column chunk's bloom_filter_offset
// is 192; the BloomFilterHeader there (numBytes 1024, SPLIT_BLOCK, XXHASH,
// UNCOMPRESSED) takes 16 bytes, so the bitset is bytes [208, 1232). Found by
// parsing the footer with a script.
TEST(BloomFilter, MatchesFilterWrittenByParquetMr) {
  std::vector<uint8_t> file = mimicit::testing::read_file_bytes(
      mimicit::testing::corpus_file("data_index_bloom_encoding_stats.parquet"));
  if (file.empty()) GTEST_SKIP() << "test data not found";
  ASSERT_GE(file.size(), 1232u);
  ByteView bitset = ByteView(file).subspan(208, 1024);
  const char* values[] = {"Hello", "This is",   "a",         "test",  "How",  "are you",  "doing ",
                          "today", "the quick", "brown fox", "jumps", "over", "the lazy", "dog"};
  for (const char* v : values) EXPECT_TRUE(bloom_filter_may_contain(bitset, bloom_hash(as_bytes(v)))) << v;
  int hits = 0;
  for (int i = 0; i < 1000; ++i)
    hits += bloom_filter_may_contain(bitset, bloom_hash(as_bytes("not there " + std::to_string(i))));
  EXPECT_LT(hits, 20);
  // The same values in a filter of our own give identical bits.
  BloomFilterBuilder builder(1024);
  for (const char* v : values) builder.insert(bloom_hash(as_bytes(v)));
  EXPECT_TRUE(std::equal(bitset.begin(), bitset.end(), builder.bitset().begin()));
}

}  // namespace
}  // namespace mimicit::parquet
