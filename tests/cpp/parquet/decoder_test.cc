// Decoders on hand-built inputs (the Parquet spec's examples) and on
// truncated or random garbage, which must give a value or Error, never a
// crash (run under ASan/UBSan).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/error.h"
#include "parquet/decoder/bit_packed_decoder.h"
#include "parquet/decoder/byte_stream_split_decoder.h"
#include "parquet/decoder/delta_binary_packed_decoder.h"
#include "parquet/decoder/delta_byte_array_decoder.h"
#include "parquet/decoder/delta_length_byte_array_decoder.h"
#include "parquet/decoder/dictionary_decoder.h"
#include "parquet/decoder/plain_decoder.h"
#include "parquet/decoder/rle_decoder.h"

namespace mimicit::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes zeros(size_t n) { return Bytes(n, 0); }

template <typename Fn>
void expect_corrupt(Fn&& fn) {
  try {
    fn();
    ADD_FAILURE() << "expected Error(kCorrupt)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
  }
}

// ----------------------------------------------------------------- PLAIN

TEST(PlainDecoder, FixedWidth) {
  const Bytes in = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 9};
  int32_t out[2];
  EXPECT_EQ(decode_plain_fixed(in, 2, 4, reinterpret_cast<uint8_t*>(out)), 8u);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], -1);
  expect_corrupt([&] { decode_plain_fixed(in, 3, 4, reinterpret_cast<uint8_t*>(out)); });
  expect_corrupt([&] { decode_plain_fixed(in, SIZE_MAX / 2, 12, nullptr); });  // no overflow
}

TEST(PlainDecoder, Boolean) {
  const Bytes in = {0b10110001, 0b00000101};
  uint8_t out[11];
  EXPECT_EQ(decode_plain_boolean(in, 11, out), 2u);
  const uint8_t expected[11] = {1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1};
  EXPECT_EQ(0, std::memcmp(out, expected, 11));
  expect_corrupt([&] { decode_plain_boolean(in, 17, out); });
}

TEST(PlainDecoder, ByteArray) {
  const Bytes in = cat({{3, 0, 0, 0}, str_bytes("abc"), {0, 0, 0, 0}, {2, 0, 0, 0}, str_bytes("xy")});
  std::string_view out[3];
  EXPECT_EQ(decode_plain_byte_array(in, 3, out), in.size());
  EXPECT_EQ(out[0], "abc");
  EXPECT_EQ(out[1], "");
  EXPECT_EQ(out[2], "xy");
  EXPECT_EQ(static_cast<const void*>(out[0].data()), static_cast<const void*>(in.data() + 4));
  expect_corrupt([&] { decode_plain_byte_array(in, 4, out); });
  const Bytes huge = {0xff, 0xff, 0xff, 0xff, 1};
  expect_corrupt([&] { decode_plain_byte_array(huge, 1, out); });
}

TEST(PlainDecoder, FixedLenByteArray) {
  const Bytes in = str_bytes("abcdef");
  std::string_view out[3];
  EXPECT_EQ(decode_plain_fixed_len_byte_array(in, 3, 2, out), 6u);
  EXPECT_EQ(out[2], "ef");
  expect_corrupt([&] { decode_plain_fixed_len_byte_array(in, 4, 2, out); });
}

// ------------------------------------------------------ RLE / bit-packing

// The spec's example: 0..7 bit-packed with bit width 3.
const Bytes kPacked0To7 = {0x03, 0b10001000, 0b11000110, 0b11111010};

TEST(RleDecoder, SpecBitPackedExample) {
  RleBitPackedDecoder d(kPacked0To7, 3);
  uint32_t out[9];
  EXPECT_EQ(d.get_batch(out, 9), 8u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
}

TEST(RleDecoder, RepeatedAndMixedRunsInSmallBatches) {
  // 10 x 5 (repeated), then 0..7 (bit-packed), then 3 x 300 with bit width 9.
  const Bytes in = cat({{10 << 1, 5, 0},
                        {0x03},
                        {0x00, 0x02, 0x08, 0x18, 0x40, 0xa0, 0x80, 0x81, 0x03},
                        {3 << 1, 0x2c, 0x01}});
  std::vector<uint32_t> expected(10, 5);
  for (uint32_t i = 0; i < 8; ++i) expected.push_back(i);
  for (int i = 0; i < 3; ++i) expected.push_back(300);
  for (size_t batch : {1, 3, 7, 8, 100}) {
    RleBitPackedDecoder d(in, 9);
    std::vector<uint32_t> got;
    uint32_t buf[100];
    while (size_t n = d.get_batch(buf, batch)) got.insert(got.end(), buf, buf + n);
    EXPECT_EQ(got, expected) << "batch " << batch;
  }
}

TEST(RleDecoder, BitWidthZero) {
  const Bytes in = {16 << 1, 0x05};  // 16 zeros repeated, then one bit-packed group of 2 (16 zeros)
  RleBitPackedDecoder d(in, 0);
  uint32_t out[40];
  EXPECT_EQ(d.get_batch(out, 40), 32u);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], 0u);
}

TEST(RleDecoder, BitWidth32) {
  const Bytes in = {2 << 1, 0xff, 0xff, 0xff, 0xff, 0x03, 1, 0, 0, 0, 2, 0, 0, 0, 3,    0, 0, 0, 4,   0,
                    0,      0,    5,    0,    0,    0,    6, 0, 0, 0, 7, 0, 0, 0, 0x80, 0, 0, 0, 0x80};
  RleBitPackedDecoder d(in, 32);
  uint32_t out[10];
  ASSERT_EQ(d.get_batch(out, 10), 10u);
  EXPECT_EQ(out[0], 0xffffffffu);
  EXPECT_EQ(out[2], 1u);
  EXPECT_EQ(out[9], 0x80u);  // the trailing byte is not part of any run
}

TEST(RleDecoder, Errors) {
  expect_corrupt([] { RleBitPackedDecoder(Bytes{}, 33); });
  uint32_t out[8];
  // Repeated value wider than the bit width.
  expect_corrupt([&] { RleBitPackedDecoder(Bytes{2, 8}, 3).get_batch(out, 1); });
  // Truncated repeated value and truncated header.
  expect_corrupt([&] { RleBitPackedDecoder(Bytes{2, 1}, 9).get_batch(out, 1); });
  expect_corrupt([&] { RleBitPackedDecoder(Bytes{0x80}, 1).get_batch(out, 1); });
  // Over-long header varint.
  expect_corrupt([&] {
    RleBitPackedDecoder(Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 1).get_batch(out, 1);
  });
}

TEST(RleDecoder, TruncatedBitPackedRunKeepsPresentValues) {
  // Header announces 2 groups (16 values of 3 bits = 6 bytes), 4 bytes present.
  const Bytes in = {0x05, 0b10001000, 0b11000110, 0b11111010, 0b00000001};
  RleBitPackedDecoder d(in, 3);
  uint32_t out[16];
  ASSERT_EQ(d.get_batch(out, 16), 10u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
  EXPECT_EQ(out[8], 1u);
  EXPECT_EQ(out[9], 0u);
}

TEST(RleDecoder, LevelsV1AndV2) {
  const Bytes v1 = cat({{4, 0, 0, 0}, kPacked0To7, {9}});  // trailing byte belongs to the values
  int16_t levels[8];
  EXPECT_EQ(decode_levels_v1(v1, 7, 8, levels), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(levels[i], i);
  expect_corrupt([&] { decode_levels_v1(v1, 6, 8, levels); });                    // level 7 > max 6
  expect_corrupt([&] { decode_levels_v1(v1, 7, 9, levels); });                    // not enough levels
  expect_corrupt([&] { decode_levels_v1(Bytes{9, 0, 0, 0, 1}, 7, 1, levels); });  // length too big
  expect_corrupt([&] { decode_levels_v1(Bytes{1, 0}, 7, 1, levels); });
  decode_levels_v2(kPacked0To7, 7, 8, levels);
  EXPECT_EQ(levels[7], 7);
  // max_level 1: bit width 1, 6 repeated ones.
  decode_levels_v2(Bytes{6 << 1, 1}, 1, 6, levels);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(levels[i], 1);
  EXPECT_EQ(level_bit_width(0), 0);
  EXPECT_EQ(level_bit_width(1), 1);
  EXPECT_EQ(level_bit_width(2), 2);
  EXPECT_EQ(level_bit_width(3), 2);
  EXPECT_EQ(level_bit_width(4), 3);
}

TEST(RleDecoder, Boolean) {
  const Bytes in = {3, 0, 0, 0, 0x03, 0b01010101, 3 << 1, 1};
  uint8_t out[11];
  // Length 3 covers the bit-packed group only; asking for more fails.
  expect_corrupt([&] { decode_rle_boolean(in, 11, out); });
  Bytes fixed = in;
  fixed[0] = 4;
  EXPECT_EQ(decode_rle_boolean(fixed, 11, out), 8u);
  const uint8_t expected[11] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1};
  EXPECT_EQ(0, std::memcmp(out, expected, 11));
  // A repeated value of 2 does not fit in one bit.
  expect_corrupt([&] { decode_rle_boolean(Bytes{2, 0, 0, 0, 2, 2}, 1, out); });
}

// ---------------------------------------------------------------- dictionary

TEST(DictionaryDecoder, IndicesAndGather) {
  const Bytes in = cat({{3}, kPacked0To7});
  uint32_t idx[8];
  decode_dictionary_indices(in, 8, idx);
  EXPECT_EQ(idx[5], 5u);
  const int64_t dict[8] = {10, 11, 12, 13, 14, 15, 16, 17};
  int64_t values[8];
  decode_dictionary_fixed(in, 8, reinterpret_cast<const uint8_t*>(dict), 8, 8,
                          reinterpret_cast<uint8_t*>(values));
  EXPECT_EQ(values[0], 10);
  EXPECT_EQ(values[7], 17);
  expect_corrupt([&] {
    decode_dictionary_fixed(in, 8, reinterpret_cast<const uint8_t*>(dict), 7, 8,
                            reinterpret_cast<uint8_t*>(values));
  });
  const std::string_view sdict[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  std::string_view s[8];
  decode_dictionary_byte_array(in, 8, sdict, 8, s);
  EXPECT_EQ(s[6], "g");
  expect_corrupt([&] { decode_dictionary_byte_array(in, 8, sdict, 0, s); });
  expect_corrupt([&] { decode_dictionary_byte_array(in, 9, sdict, 8, s); });
  expect_corrupt([&] { decode_dictionary_indices(Bytes{33, 0}, 1, idx); });
  expect_corrupt([&] { decode_dictionary_indices(Bytes{}, 1, idx); });
  decode_dictionary_indices(Bytes{}, 0, idx);  // nothing to read
}

TEST(DictionaryDecoder, GatherWidths) {
  for (size_t width : {1, 4, 8, 12, 5}) {
    std::vector<uint8_t> dict(3 * width);
    for (size_t i = 0; i < dict.size(); ++i) dict[i] = static_cast<uint8_t>(i);
    const uint32_t idx[4] = {2, 0, 1, 2};
    std::vector<uint8_t> out(4 * width);
    gather_fixed(dict.data(), 3, width, idx, 4, out.data());
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(0, std::memcmp(out.data() + i * width, dict.data() + idx[i] * width, width));
    }
  }
}

// ------------------------------------------------------- BIT_PACKED (deprecated)

TEST(BitPackedDecoder, SpecExample) {
  const Bytes in = {0b00000101, 0b00111001, 0b01110111, 0xee};
  int16_t out[8];
  EXPECT_EQ(decode_bit_packed_levels(in, 7, 8, out), 3u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], i);
  EXPECT_EQ(decode_bit_packed_levels(in, 7, 3, out), 2u);  // 9 bits
  expect_corrupt([&] { decode_bit_packed_levels(in, 7, 11, out); });
  expect_corrupt([&] { decode_bit_packed_levels(in, 6, 8, out); });
  EXPECT_EQ(decode_bit_packed_levels(Bytes{}, 0, 5, out), 0u);
  EXPECT_EQ(out[4], 0);
}

// ------------------------------------------------------ DELTA_BINARY_PACKED

// The spec's examples, with a valid block size (128 values, 4 miniblocks).
const Bytes kDeltaExample1 = {0x80, 0x01, 4, 5, 2, /*block*/ 2, 0, 0, 0, 0};
const Bytes kDeltaExample2 = cat({{0x80, 0x01, 4, 8, 14, /*block*/ 3, 2, 0, 0, 0, 0xc0, 0x3f}, zeros(6)});

TEST(DeltaBinaryPackedDecoder, SpecExamples) {
  int32_t out[8];
  DeltaBinaryPackedDecoder<int32_t> d1(kDeltaExample1);
  EXPECT_EQ(d1.total_count(), 5u);
  ASSERT_EQ(d1.get_batch(out, 8), 5u);
  EXPECT_EQ(std::vector<int32_t>(out, out + 5), (std::vector<int32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(d1.bytes_consumed(), kDeltaExample1.size());

  DeltaBinaryPackedDecoder<int64_t> d2(kDeltaExample2);
  int64_t out64[8];
  ASSERT_EQ(d2.get_batch(out64, 3), 3u);
  ASSERT_EQ(d2.get_batch(out64 + 3, 1), 1u);
  ASSERT_EQ(d2.get_batch(out64 + 4, 10), 4u);
  EXPECT_EQ(std::vector<int64_t>(out64, out64 + 8), (std::vector<int64_t>{7, 5, 3, 1, 2, 3, 4, 5}));
  EXPECT_EQ(d2.remaining(), 0u);
  EXPECT_EQ(d2.bytes_consumed(), kDeltaExample2.size());

  decode_delta_binary_packed(kDeltaExample2, 6, out);  // the header may announce more
  EXPECT_EQ(out[5], 3);
  expect_corrupt([&] { decode_delta_binary_packed(kDeltaExample2, 9, out); });
}

TEST(DeltaBinaryPackedDecoder, ZeroAndOneValues) {
  const Bytes none = {0x80, 0x01, 4, 0, 0};
  DeltaBinaryPackedDecoder<int32_t> d0(none);
  int32_t out[2];
  EXPECT_EQ(d0.get_batch(out, 2), 0u);
  EXPECT_EQ(d0.bytes_consumed(), 5u);
  const Bytes one = {0x80, 0x01, 4, 1, 0x7f /* zigzag -64 */};
  DeltaBinaryPackedDecoder<int32_t> d1(one);
  EXPECT_EQ(d1.get_batch(out, 2), 1u);
  EXPECT_EQ(out[0], -64);
  EXPECT_EQ(d1.bytes_consumed(), 5u);
}

// DuckDB computes INT32 deltas in 64 bits and writes 33-bit miniblocks;
// arithmetic is modulo 2^32, so their low 32 bits give the values.
TEST(DeltaBinaryPackedDecoder, Int32DeltasWiderThan32Bits) {
  using D = DeltaBinaryPackedDecoder<int32_t>;
  int32_t out[3];
  // 32 deltas of 2^33 - 1, i.e. -1 modulo 2^32. The decoder views its input.
  const Bytes input = cat({{0x80, 0x01, 4, 3, 0, 0, 33, 0, 0, 0}, Bytes(132, 0xFF)});
  D decoder(input);
  ASSERT_EQ(decoder.get_batch(out, 3), 3u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], -1);
  EXPECT_EQ(out[2], -2);
}

TEST(DeltaBinaryPackedDecoder, BadHeaders) {
  using D = DeltaBinaryPackedDecoder<int32_t>;
  expect_corrupt([] { D(Bytes{0, 4, 1, 0}); });                                   // block size 0
  expect_corrupt([] { D(Bytes{100, 4, 1, 0}); });                                 // not a multiple of 128
  expect_corrupt([] { D(Bytes{0x80, 0x01, 0, 1, 0}); });                          // no miniblocks
  expect_corrupt([] { D(Bytes{0x80, 0x01, 3, 1, 0}); });                          // 128 / 3
  expect_corrupt([] { D(Bytes{0x80, 0x01, 8, 1, 0}); });                          // 16 values per miniblock
  expect_corrupt([] { D(Bytes{0x80, 0x01, 4, 1}); });                             // truncated
  expect_corrupt([] { D(Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 4, 1, 0}); });  // over-long varint
  int32_t out[64];
  // Bit width 65 is never valid.
  expect_corrupt([&] { D(cat({{0x80, 0x01, 4, 3, 0, 0, 65, 0, 0, 0}, zeros(260)})).get_batch(out, 3); });
  // Truncated miniblock (needs 8 bytes, 7 present).
  expect_corrupt([&] { D(cat({{0x80, 0x01, 4, 3, 0, 0, 2, 0, 0, 0}, zeros(7)})).get_batch(out, 3); });
  // Truncated bit widths.
  expect_corrupt([&] { D(Bytes{0x80, 0x01, 4, 3, 0, 0, 2, 0}).get_batch(out, 3); });
  // A header announcing 2^60 values costs nothing until they are requested.
  const Bytes huge_header = {0x80, 0x01, 4,    0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                             0x80, 0x80, 0x10, 0,    0,    0,    0,    0,    0};
  D huge(huge_header);
  EXPECT_EQ(huge.total_count(), uint64_t{1} << 60);
  // The first block (width 0 everywhere, no bodies) decodes; the second is missing.
  EXPECT_EQ(huge.get_batch(out, 64), 64u);
  EXPECT_EQ(huge.get_batch(out, 64), 64u);
  EXPECT_EQ(huge.get_batch(out, 1), 1u);
  EXPECT_EQ(out[0], 0);
  expect_corrupt([&] { huge.get_batch(out, 1); });
}

TEST(DeltaBinaryPackedDecoder, WidthSixtyFourWrapsAround) {
  // Values INT64_MIN, INT64_MAX, INT64_MIN: deltas -1 and +1 (wrapping).
  // Min delta -1 (zigzag 1); relative deltas 0 and 2, width 2.
  const Bytes in = cat({{0x80, 0x01, 4, 3},
                        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
                        {1, 2, 0, 0, 0, 0b00001000},
                        zeros(7)});
  int64_t out[3];
  decode_delta_binary_packed(in, 3, out);
  EXPECT_EQ(out[0], INT64_MIN);
  EXPECT_EQ(out[1], INT64_MAX);
  EXPECT_EQ(out[2], INT64_MIN);
}

// ------------------------------------------------ DELTA_LENGTH_BYTE_ARRAY

TEST(DeltaLengthByteArrayDecoder, SpecExample) {
  const Bytes in = cat({{0x80, 0x01, 4, 4, 10, 0, 1, 0, 0, 0, 0x02, 0, 0, 0},
                        str_bytes("HelloWorldFoobarABCDEF"),
                        str_bytes("tail")});
  std::string_view out[4];
  EXPECT_EQ(decode_delta_length_byte_array(in, 4, out), in.size() - 4);
  EXPECT_EQ(out[0], "Hello");
  EXPECT_EQ(out[1], "World");
  EXPECT_EQ(out[2], "Foobar");
  EXPECT_EQ(out[3], "ABCDEF");
  expect_corrupt([&] { decode_delta_length_byte_array(in, 3, out); });  // count mismatch
  const Bytes short_data(in.begin(), in.begin() + 14 + 21);
  expect_corrupt([&] { decode_delta_length_byte_array(short_data, 4, out); });
  // A negative length: first value -1 (zigzag 1).
  expect_corrupt([&] { decode_delta_length_byte_array(Bytes{0x80, 0x01, 4, 1, 1}, 1, out); });
}

// ------------------------------------------------------- DELTA_BYTE_ARRAY

const Bytes kDeltaByteArrayExample = cat({{0x80, 0x01, 4, 4, 0, 3, 3, 0, 0, 0, 0x44, 0x01},
                                          zeros(10),
                                          {0x80, 0x01, 4, 4, 8, 3, 3, 0, 0, 0, 0x70},
                                          zeros(11),
                                          str_bytes("axislebabbleyhood")});

TEST(DeltaByteArrayDecoder, SpecExample) {
  Buffer storage;
  std::string_view out[4];
  EXPECT_EQ(decode_delta_byte_array(kDeltaByteArrayExample, 4, storage, out, 1000),
            kDeltaByteArrayExample.size());
  EXPECT_EQ(out[0], "axis");
  EXPECT_EQ(out[1], "axle");
  EXPECT_EQ(out[2], "babble");
  EXPECT_EQ(out[3], "babyhood");
  try {
    decode_delta_byte_array(kDeltaByteArrayExample, 4, storage, out, 20);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit);
  }
}

TEST(DeltaByteArrayDecoder, PrefixLongerThanPreviousValue) {
  // Prefixes 0, 5 with suffixes "ab", "c": 5 > 2.
  const Bytes in =
      cat({{0x80, 0x01, 4, 2, 0, 10, 0, 0, 0, 0}, {0x80, 0x01, 4, 2, 4, 3, 0, 0, 0, 0}, str_bytes("abc")});
  Buffer storage;
  std::string_view out[2];
  expect_corrupt([&] { decode_delta_byte_array(in, 2, storage, out, 1000); });
}

// ----------------------------------------------------- BYTE_STREAM_SPLIT

TEST(ByteStreamSplitDecoder, SpecExample) {
  const Bytes in = {0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6};
  uint8_t out[12];
  decode_byte_stream_split(in, 3, 4, out);
  const uint8_t expected[12] = {0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6};
  EXPECT_EQ(0, std::memcmp(out, expected, 12));
  decode_byte_stream_split(in, 2, 6, out);  // any width: 6 streams of 2
  EXPECT_EQ(out[0], 0xAA);
  EXPECT_EQ(out[1], 0xA3);
  EXPECT_EQ(out[6], 0x00);
  Buffer storage;
  std::string_view views[2];
  decode_byte_stream_split_flba(in, 2, 6, storage, views);
  EXPECT_EQ(views[1], std::string_view(reinterpret_cast<const char*>(out) + 6, 6));
  expect_corrupt([&] { decode_byte_stream_split(in, 4, 4, out); });
  expect_corrupt([&] { decode_byte_stream_split(in, 1, 5, out); });
}

// ------------------------------------------------- truncation and garbage

// Runs every decoder on `data` (copied to an allocation of exactly its size
// so that ASan sees any over-read), accepting success or Error only.
void decode_everything(const Bytes& source, size_t count) {
  const Bytes data = source;
  std::vector<uint64_t> fixed(count * 2 + 1);
  std::vector<std::string_view> views(count + 1);
  std::vector<int16_t> levels(count + 1);
  std::vector<uint32_t> idx(count + 1);
  std::vector<int32_t> i32(count + 1);
  std::vector<int64_t> i64(count + 1);
  auto* raw = reinterpret_cast<uint8_t*>(fixed.data());
  Buffer storage;
  const std::string_view dict[3] = {"a", "bb", "ccc"};
  auto attempt = [](auto&& fn) {
    try {
      fn();
    } catch (const Error&) {
    }
  };
  attempt([&] { decode_plain_fixed(data, count, 12, raw); });
  attempt([&] { decode_plain_boolean(data, count, raw); });
  attempt([&] { decode_plain_byte_array(data, count, views.data()); });
  attempt([&] { decode_plain_fixed_len_byte_array(data, count, 3, views.data()); });
  for (int width : {0, 1, 3, 8, 13, 17, 32}) {
    attempt([&] {
      RleBitPackedDecoder d(data, width);
      for (size_t got = 0; got < count;) {
        const size_t n = d.get_batch(idx.data(), std::min<size_t>(count - got, 5));
        if (n == 0) break;
        got += n;
      }
    });
  }
  for (int max_level : {0, 1, 2, 5, 300}) {
    attempt([&] { decode_levels_v1(data, max_level, count, levels.data()); });
    attempt([&] { decode_levels_v2(data, max_level, count, levels.data()); });
    attempt([&] { decode_bit_packed_levels(data, max_level, count, levels.data()); });
  }
  attempt([&] { decode_rle_boolean(data, count, raw); });
  attempt([&] { decode_dictionary_byte_array(data, count, dict, 3, views.data()); });
  attempt([&] { decode_dictionary_fixed(data, count, raw, 2, 4, raw + 8); });
  attempt([&] { decode_delta_binary_packed(data, count, i32.data()); });
  attempt([&] { decode_delta_binary_packed(data, count, i64.data()); });
  attempt([&] {
    DeltaBinaryPackedDecoder<int64_t> d(data);
    d.get_batch(i64.data(), count);
    if (d.remaining() == 0) {
      EXPECT_LE(d.bytes_consumed(), data.size());
    }
  });
  attempt([&] {
    const size_t n = decode_delta_length_byte_array(data, count, views.data());
    EXPECT_LE(n, data.size());
  });
  attempt([&] { decode_delta_byte_array(data, count, storage, views.data(), 1 << 20); });
  attempt([&] { decode_byte_stream_split(data, count, 4, raw); });
  attempt([&] { decode_byte_stream_split_flba(data, count, 3, storage, views.data()); });
}

TEST(DecoderRobustness, TruncatedValidInputs) {
  const std::vector<std::pair<Bytes, size_t>> inputs = {
      {kPacked0To7, 8},    {cat({{4, 0, 0, 0}, kPacked0To7}), 8}, {kDeltaExample1, 5},
      {kDeltaExample2, 8}, {kDeltaByteArrayExample, 4},           {cat({{3}, kPacked0To7}), 8},
  };
  for (const auto& [input, count] : inputs) {
    for (size_t len = 0; len <= input.size(); ++len) {
      decode_everything(Bytes(input.begin(), input.begin() + len), count);
    }
  }
}

TEST(DecoderRobustness, RandomGarbage) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 3000; ++round) {
    const size_t size = rng() % 80;
    Bytes data(size);
    // Mostly small bytes make plausible headers; some rounds fully random.
    const bool small = round % 2 == 0;
    for (uint8_t& b : data) b = static_cast<uint8_t>(small ? rng() % 8 : rng());
    // Occasionally a valid DELTA header in front, to reach the block code.
    if (round % 3 == 0) data.insert(data.begin(), {0x80, 0x01, 4, static_cast<uint8_t>(rng() % 100)});
    decode_everything(data, rng() % 70);
  }
}

}  // namespace
}  // namespace mimicit::parquet
