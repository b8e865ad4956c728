// Encoders checked by round trips through the decoders: every bit width and
// run-length shape for the RLE/bit-packing hybrid, extremes for the delta
// encodings, dictionary builder behaviour. Deterministic seeds throughout.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/error.h"
#include "parquet/decoder/byte_stream_split_decoder.h"
#include "parquet/decoder/delta_binary_packed_decoder.h"
#include "parquet/decoder/delta_byte_array_decoder.h"
#include "parquet/decoder/delta_length_byte_array_decoder.h"
#include "parquet/decoder/dictionary_decoder.h"
#include "parquet/decoder/plain_decoder.h"
#include "parquet/decoder/rle_decoder.h"
#include "parquet/encoder/byte_stream_split_encoder.h"
#include "parquet/encoder/delta_binary_packed_encoder.h"
#include "parquet/encoder/delta_byte_array_encoder.h"
#include "parquet/encoder/delta_length_byte_array_encoder.h"
#include "parquet/encoder/dictionary_encoder.h"
#include "parquet/encoder/plain_encoder.h"
#include "parquet/encoder/rle_encoder.h"

namespace mimicit::parquet {
namespace {

std::vector<uint8_t> copy_of(const Buffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

// ------------------------------------------------------------------ PLAIN

TEST(PlainEncoder, RoundTrips) {
  Buffer out;
  const int64_t ints[3] = {1, -2, INT64_MIN};
  encode_plain_fixed(ints, 3, 8, out);
  int64_t back[3];
  EXPECT_EQ(decode_plain_fixed(out, 3, 8, reinterpret_cast<uint8_t*>(back)), 24u);
  EXPECT_EQ(0, std::memcmp(ints, back, sizeof ints));

  std::mt19937 rng(7);
  for (size_t count : {0, 1, 7, 8, 9, 64, 100}) {
    std::vector<uint8_t> bools(count);
    for (auto& b : bools) b = rng() % 2;
    Buffer enc;
    encode_plain_boolean(bools.data(), count, enc);
    EXPECT_EQ(enc.size(), (count + 7) / 8);
    std::vector<uint8_t> dec(count);
    EXPECT_EQ(decode_plain_boolean(enc, count, dec.data()), enc.size());
    EXPECT_EQ(dec, bools);
  }

  const std::string_view strings[4] = {"", "a", std::string_view("\0b", 2), "hello world"};
  Buffer s;
  encode_plain_byte_array(strings, 4, s);
  std::string_view views[4];
  EXPECT_EQ(decode_plain_byte_array(s, 4, views), s.size());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(views[i], strings[i]);

  const std::string_view fixed[2] = {"abc", "xyz"};
  Buffer f;
  encode_plain_fixed_len_byte_array(fixed, 2, 3, f);
  EXPECT_EQ(decode_plain_fixed_len_byte_array(f, 2, 3, views), 6u);
  EXPECT_EQ(views[1], "xyz");
  EXPECT_THROW(encode_plain_fixed_len_byte_array(fixed, 2, 4, f), Error);
}

// --------------------------------------------------- RLE / bit-packing hybrid

std::vector<uint32_t> decode_all(const Buffer& data, int bit_width, size_t count, std::mt19937& rng) {
  RleBitPackedDecoder decoder(data, bit_width);
  std::vector<uint32_t> out(count);
  size_t done = 0;
  while (done < count) {
    const size_t want = std::min<size_t>(count - done, 1 + rng() % 40);
    const size_t got = decoder.get_batch(out.data() + done, want);
    EXPECT_EQ(got, want);
    if (got == 0) break;
    done += got;
  }
  return out;
}

// Values made of runs: repeats of every length 1..40 mixed with random literals.
std::vector<uint32_t> runs_of_all_lengths(int bit_width, std::mt19937& rng) {
  const uint64_t limit = bit_width == 32 ? UINT32_MAX : (uint64_t{1} << bit_width) - 1;
  auto random_value = [&] { return static_cast<uint32_t>(limit == 0 ? 0 : rng() % (limit + 1)); };
  std::vector<uint32_t> values;
  for (size_t run = 1; run <= 40; ++run) {
    const uint32_t v = random_value();
    values.insert(values.end(), run, v);
    for (size_t k = rng() % 12; k > 0; --k) values.push_back(random_value());
  }
  values.insert(values.end(), 1000, static_cast<uint32_t>(limit));  // a long run at the top value
  return values;
}

TEST(RleEncoder, RoundTripEveryBitWidthAndRunLength) {
  std::mt19937 rng(42);
  for (int width = 0; width <= 32; ++width) {
    const std::vector<uint32_t> values = runs_of_all_lengths(width, rng);
    // Every prefix length exercises a different final partial group.
    for (size_t count :
         {values.size(), values.size() - 1, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{0}}) {
      Buffer enc;
      encode_rle_bit_packed(values.data(), count, width, enc);
      std::vector<uint32_t> expected(values.begin(), values.begin() + count);
      EXPECT_EQ(decode_all(enc, width, count, rng), expected) << "width " << width << " count " << count;
    }
  }
}

TEST(RleEncoder, RandomRoundTrips) {
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    const int width = static_cast<int>(rng() % 33);
    const size_t count = rng() % 2000;
    const uint64_t limit = width == 32 ? UINT32_MAX : (uint64_t{1} << width) - 1;
    std::vector<uint32_t> values(count);
    // Few distinct values => many runs; many => mostly literals.
    const uint64_t distinct = 1 + rng() % 4 == 1 ? 2 : limit;
    for (auto& v : values) v = static_cast<uint32_t>(std::min<uint64_t>(limit, rng() % (distinct + 1)));
    if (rng() % 2) std::sort(values.begin(), values.end());
    Buffer enc;
    encode_rle_bit_packed(values.data(), count, width, enc);
    EXPECT_EQ(decode_all(enc, width, count, rng), values) << "width " << width;
  }
}

TEST(RleEncoder, UsesRunsForRepeats) {
  std::vector<uint32_t> values(100000, 3);
  Buffer enc;
  encode_rle_bit_packed(values.data(), values.size(), 2, enc);
  EXPECT_LE(enc.size(), 5u);
  // 3 literals then a run of 13: literals borrow 5 from the run, the rest stays a run.
  std::vector<uint32_t> mixed = {1, 2, 1};
  mixed.insert(mixed.end(), 13, 0);
  Buffer enc2;
  encode_rle_bit_packed(mixed.data(), mixed.size(), 2, enc2);
  EXPECT_EQ(copy_of(enc2), (std::vector<uint8_t>{0x03, 0b00011001, 0x00, 8 << 1, 0}));
}

TEST(RleEncoder, RejectsBadInput) {
  const uint32_t values[2] = {1, 4};
  Buffer out;
  EXPECT_THROW(encode_rle_bit_packed(values, 2, 2, out), Error);
  EXPECT_THROW(encode_rle_bit_packed(values, 2, 33, out), Error);
  EXPECT_THROW(RleBitPackedEncoder(-1), Error);
}

TEST(RleEncoder, LevelsBooleansAndIndices) {
  std::mt19937 rng(5);
  for (int max_level : {0, 1, 2, 3, 7, 100, 32767}) {
    std::vector<int16_t> levels(777);
    for (auto& l : levels) l = static_cast<int16_t>(rng() % 5 == 0 ? rng() % (max_level + 1) : max_level);
    Buffer v1;
    v1.push_back(0xaa);  // encoders append
    const size_t n1 = encode_levels_v1(levels.data(), levels.size(), max_level, v1);
    EXPECT_EQ(n1 + 1, v1.size());
    std::vector<int16_t> back(levels.size());
    EXPECT_EQ(decode_levels_v1(ByteView(v1).subspan(1), max_level, levels.size(), back.data()), n1);
    EXPECT_EQ(back, levels);
    Buffer v2;
    const size_t n2 = encode_levels_v2(levels.data(), levels.size(), max_level, v2);
    EXPECT_EQ(n2, v2.size());
    decode_levels_v2(v2, max_level, levels.size(), back.data());
    EXPECT_EQ(back, levels);
  }

  std::vector<uint8_t> bools(1001);
  for (auto& b : bools) b = rng() % 3 == 0;
  Buffer b;
  encode_rle_boolean(bools.data(), bools.size(), b);
  std::vector<uint8_t> bools_back(bools.size());
  EXPECT_EQ(decode_rle_boolean(b, bools.size(), bools_back.data()), b.size());
  EXPECT_EQ(bools_back, bools);

  std::vector<uint32_t> idx(5000);
  for (auto& i : idx) i = rng() % 1000;
  Buffer d;
  encode_dictionary_indices(idx.data(), idx.size(), bit_width_of(999), d);
  EXPECT_EQ(d.data()[0], 10);
  std::vector<uint32_t> idx_back(idx.size());
  decode_dictionary_indices(d, idx.size(), idx_back.data());
  EXPECT_EQ(idx_back, idx);

  RleBitPackedEncoder encoder(10);
  for (uint32_t i : idx) encoder.put(i);
  EXPECT_EQ(encoder.count(), idx.size());
  Buffer e;
  encoder.finish(e);
  EXPECT_EQ(encoder.count(), 0u);
  EXPECT_EQ(copy_of(e), std::vector<uint8_t>(d.data() + 1, d.data() + d.size()));
}

// --------------------------------------------------------- dictionary

TEST(DictionaryBuilder, Int64RoundTrip) {
  DictionaryBuilder dict(Type::INT64);
  std::mt19937_64 rng(3);
  std::vector<int64_t> values(20000);
  for (auto& v : values) v = static_cast<int64_t>(rng() % 3000) - 1500;
  values[0] = INT64_MIN;
  values[1] = INT64_MAX;
  std::vector<uint32_t> idx;
  for (int64_t v : values) idx.push_back(dict.put_int64(v));
  EXPECT_EQ(dict.put_int64(INT64_MIN), 0u);
  EXPECT_EQ(dict.put_int64(INT64_MAX), 1u);
  EXPECT_LE(dict.size(), 3002u);
  Buffer page;
  dict.write_dictionary_page(page);
  EXPECT_EQ(page.size(), dict.dictionary_page_bytes());
  std::vector<int64_t> plain(dict.size());
  decode_plain_fixed(page, dict.size(), 8, reinterpret_cast<uint8_t*>(plain.data()));
  Buffer data;
  encode_dictionary_indices(idx.data(), idx.size(), dict.index_bit_width(), data);
  std::vector<int64_t> back(values.size());
  decode_dictionary_fixed(data, values.size(), reinterpret_cast<const uint8_t*>(plain.data()), plain.size(),
                          8, reinterpret_cast<uint8_t*>(back.data()));
  EXPECT_EQ(back, values);
}

TEST(DictionaryBuilder, Int32FloatDoubleByBitPattern) {
  DictionaryBuilder i32(Type::INT32);
  EXPECT_EQ(i32.put_int32(-1), 0u);
  EXPECT_EQ(i32.put_int32(7), 1u);
  EXPECT_EQ(i32.put_int32(-1), 0u);
  Buffer page;
  i32.write_dictionary_page(page);
  EXPECT_EQ(copy_of(page), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0}));
  EXPECT_EQ(i32.index_bit_width(), 1);
  EXPECT_THROW(i32.put_int64(1), Error);

  DictionaryBuilder d(Type::DOUBLE);
  EXPECT_EQ(d.put_double(0.0), 0u);
  EXPECT_EQ(d.put_double(-0.0), 1u);
  EXPECT_EQ(d.put_double(std::numeric_limits<double>::quiet_NaN()), 2u);
  EXPECT_EQ(d.put_double(std::numeric_limits<double>::quiet_NaN()), 2u);
  EXPECT_EQ(d.dictionary_page_bytes(), 24u);

  DictionaryBuilder f(Type::FLOAT);
  EXPECT_EQ(f.put_float(1.5f), 0u);
  EXPECT_EQ(f.put_float(1.5f), 0u);
  Buffer fpage;
  f.write_dictionary_page(fpage);
  float back;
  decode_plain_fixed(fpage, 1, 4, reinterpret_cast<uint8_t*>(&back));
  EXPECT_EQ(back, 1.5f);
  EXPECT_EQ(f.index_bit_width(), 0);

  EXPECT_THROW(DictionaryBuilder(Type::BOOLEAN), Error);
}

TEST(DictionaryBuilder, ByteArraysGrowAndClear) {
  DictionaryBuilder dict(Type::BYTE_ARRAY);
  std::vector<std::string> values;
  for (int i = 0; i < 50000; ++i) values.push_back("value-" + std::to_string(i % 20000));
  values.push_back("");
  std::vector<uint32_t> idx;
  for (const auto& v : values) idx.push_back(dict.put_bytes(v));
  EXPECT_EQ(dict.size(), 20001u);
  EXPECT_EQ(dict.bytes_value(idx[5]), "value-5");
  EXPECT_EQ(dict.index_bit_width(), 15);
  Buffer page;
  dict.write_dictionary_page(page);
  EXPECT_EQ(page.size(), dict.dictionary_page_bytes());
  std::vector<std::string_view> plain(dict.size());
  EXPECT_EQ(decode_plain_byte_array(page, dict.size(), plain.data()), page.size());
  Buffer data;
  encode_dictionary_indices(idx.data(), idx.size(), dict.index_bit_width(), data);
  std::vector<std::string_view> back(values.size());
  decode_dictionary_byte_array(data, values.size(), plain.data(), plain.size(), back.data());
  for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(back[i], values[i]);

  dict.clear();
  EXPECT_EQ(dict.size(), 0u);
  EXPECT_EQ(dict.dictionary_page_bytes(), 0u);
  EXPECT_EQ(dict.put_bytes("value-7"), 0u);
  EXPECT_EQ(dict.put_bytes(""), 1u);
  EXPECT_EQ(dict.dictionary_page_bytes(), 4u + 7 + 4);
}

// ------------------------------------------------------ DELTA_BINARY_PACKED

template <typename T>
void expect_delta_round_trip(const std::vector<T>& values, uint32_t block, uint32_t miniblocks,
                             std::mt19937& rng) {
  Buffer enc;
  encode_delta_binary_packed(values.data(), values.size(), enc, block, miniblocks);
  enc.push_back(0x5a);  // trailing bytes must not be consumed
  DeltaBinaryPackedDecoder<T> decoder(enc);
  ASSERT_EQ(decoder.total_count(), values.size());
  std::vector<T> back(values.size() + 1);
  size_t done = 0;
  while (true) {
    const size_t got = decoder.get_batch(back.data() + done, 1 + rng() % 100);
    if (got == 0) break;
    done += got;
  }
  ASSERT_EQ(done, values.size());
  back.resize(done);
  EXPECT_EQ(back, values);
  EXPECT_EQ(decoder.bytes_consumed(), enc.size() - 1);
}

template <typename T>
void delta_round_trips(uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::mt19937_64 rng64(seed);
  constexpr T kMin = std::numeric_limits<T>::min();
  constexpr T kMax = std::numeric_limits<T>::max();
  const std::pair<uint32_t, uint32_t> configs[] = {{128, 4}, {128, 1}, {256, 8}, {1024, 4}, {128, 2}};
  for (const auto& [block, mini] : configs) {
    for (size_t count : {0, 1, 2, 31, 32, 33, 127, 128, 129, 200, 1000, 5000}) {
      std::vector<T> random(count), alternating(count), ramp(count), small(count);
      for (size_t i = 0; i < count; ++i) {
        random[i] = static_cast<T>(rng64());
        alternating[i] = i % 2 ? kMax : kMin;
        ramp[i] = static_cast<T>(static_cast<std::make_unsigned_t<T>>(kMax) - 3 + i);  // wraps
        small[i] = static_cast<T>(rng() % 16) - 8;
      }
      expect_delta_round_trip(random, block, mini, rng);
      expect_delta_round_trip(alternating, block, mini, rng);
      expect_delta_round_trip(ramp, block, mini, rng);
      expect_delta_round_trip(small, block, mini, rng);
    }
  }
}

TEST(DeltaBinaryPackedEncoder, RoundTripsInt32) { delta_round_trips<int32_t>(11); }
TEST(DeltaBinaryPackedEncoder, RoundTripsInt64) { delta_round_trips<int64_t>(12); }

TEST(DeltaBinaryPackedEncoder, EveryBitWidth) {
  std::mt19937 rng(8);
  for (int width = 0; width <= 64; ++width) {
    std::vector<int64_t> values(300);
    uint64_t acc = 0;
    for (auto& v : values) {
      const uint64_t step = width == 64 ? (uint64_t{rng()} << 32 | rng())
                                        : (uint64_t{rng()} << 32 | rng()) & ((uint64_t{1} << width) - 1);
      acc += step;
      v = static_cast<int64_t>(acc);
    }
    expect_delta_round_trip(values, 128, 4, rng);
  }
  EXPECT_THROW(
      {
        Buffer b;
        encode_delta_binary_packed(static_cast<const int32_t*>(nullptr), 0, b, 100, 4);
      },
      Error);
}

// --------------------------------------- DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY

std::vector<std::string> random_strings(std::mt19937& rng, size_t count) {
  std::vector<std::string> out;
  std::string previous;
  for (size_t i = 0; i < count; ++i) {
    std::string s = previous.substr(0, rng() % (previous.size() + 1));  // shared prefix
    for (size_t k = rng() % 12; k > 0; --k) s.push_back(static_cast<char>('a' + rng() % 4));
    if (rng() % 10 == 0) s.clear();
    out.push_back(s);
    previous = s;
  }
  return out;
}

TEST(DeltaByteArrayEncoders, RoundTrips) {
  std::mt19937 rng(21);
  for (size_t count : {1, 2, 10, 129, 1000}) {
    const std::vector<std::string> strings = random_strings(rng, count);
    const std::vector<std::string_view> views(strings.begin(), strings.end());
    std::vector<std::string_view> back(count);

    Buffer dlba;
    encode_delta_length_byte_array(views.data(), count, dlba);
    EXPECT_EQ(decode_delta_length_byte_array(dlba, count, back.data()), dlba.size());
    EXPECT_EQ(back, views);

    Buffer dba;
    encode_delta_byte_array(views.data(), count, dba);
    Buffer storage;
    std::fill(back.begin(), back.end(), std::string_view());
    EXPECT_EQ(decode_delta_byte_array(dba, count, storage, back.data(), 1 << 30), dba.size());
    EXPECT_EQ(back, views);
  }
}

// ------------------------------------------------------- BYTE_STREAM_SPLIT

TEST(ByteStreamSplitEncoder, RoundTrips) {
  std::mt19937 rng(4);
  for (size_t width : {1, 2, 3, 4, 8, 16}) {
    for (size_t count : {0, 1, 5, 100}) {
      std::vector<uint8_t> values(count * width);
      for (auto& b : values) b = static_cast<uint8_t>(rng());
      Buffer enc;
      encode_byte_stream_split(values.data(), count, width, enc);
      ASSERT_EQ(enc.size(), values.size());
      std::vector<uint8_t> back(values.size());
      decode_byte_stream_split(enc, count, width, back.data());
      EXPECT_EQ(back, values);
    }
  }
}

}  // namespace
}  // namespace mimicit::parquet
