#include "parquet/compression.h"
#include "test_data.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "mimicit/error.h"
#include "util/crc32.h"

namespace mimicit::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

const Codec kWritable[] = {Codec::UNCOMPRESSED, Codec::SNAPPY, Codec::GZIP,
                           Codec::ZSTD,         Codec::BROTLI, Codec::LZ4_RAW};
const Codec kCompressed[] = {Codec::SNAPPY, Codec::GZIP,    Codec::ZSTD,
                             Codec::BROTLI, Codec::LZ4_RAW, Codec::LZ4};

// Half random, half repetitive text: compresses, but not trivially.
Bytes sample(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes data(n);
  const char* words[] = {"image", "base64", "instruction", "answer", "the ", "a ", "\n"};
  size_t i = 0;
  while (i < n) {
    if (rng() % 2) {
      for (const char* w = words[rng() % 7]; *w && i < n; ++w) data[i++] = static_cast<uint8_t>(*w);
    } else {
      data[i++] = static_cast<uint8_t>(rng());
    }
  }
  return data;
}

Bytes compressed(Codec codec, ByteView in, int level = 0) {
  Buffer out;
  compress(codec, in, out, level);
  return Bytes(out.data(), out.data() + out.size());
}

// Decompresses into a buffer of exactly out_size bytes (so ASan sees any
// write past the stated size).
Bytes decompressed(Codec codec, ByteView in, size_t out_size) {
  Bytes out(out_size);
  decompress(codec, in, out.data(), out_size);
  return out;
}

ErrorCode code_of(Codec codec, ByteView in, size_t out_size) {
  try {
    decompressed(codec, in, out_size);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;  // "did not throw"
}

void append_be32(Bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes lz4_block(ByteView in) {
  Bytes out(LZ4_compressBound(static_cast<int>(in.size())));
  int n = LZ4_compress_default(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                               static_cast<int>(in.size()), static_cast<int>(out.size()));
  out.resize(n);
  return out;
}

Bytes lz4_frame(ByteView in) {
  Bytes out(LZ4F_compressFrameBound(in.size(), nullptr));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
  EXPECT_FALSE(LZ4F_isError(n));
  out.resize(n);
  return out;
}

// A zlib-wrapped (not gzip) deflate stream.
Bytes zlib_stream(ByteView in) {
  uLongf n = compressBound(in.size());
  Bytes out(n);
  EXPECT_EQ(compress2(out.data(), &n, in.data(), in.size(), 6), Z_OK);
  out.resize(n);
  return out;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(Compression, RoundTripsEveryWritableCodec) {
  for (Codec codec : kWritable) {
    for (size_t n : {size_t{1}, size_t{7}, size_t{100}, size_t{4096}, size_t{300000}}) {
      Bytes data = sample(n, static_cast<uint32_t>(n));
      Bytes c = compressed(codec, data);
      EXPECT_EQ(decompressed(codec, c, n), data) << static_cast<int>(codec) << " n=" << n;
    }
  }
}

TEST(Compression, RoundTripsEmptyInput) {
  for (Codec codec : kWritable) {
    Bytes c = compressed(codec, {});
    Bytes out;
    decompress(codec, c, out.data(), 0);
  }
}

TEST(Compression, CompressAppends) {
  Bytes data = sample(1000, 1);
  for (Codec codec : kWritable) {
    Buffer out;
    out.append(as_bytes("prefix"));
    compress(codec, data, out);
    ASSERT_GE(out.size(), 6u);
    EXPECT_EQ(as_string_view(out.view().first(6)), "prefix");
    EXPECT_EQ(decompressed(codec, out.view().subspan(6), data.size()), data);
  }
}

TEST(Compression, Levels) {
  Bytes data = sample(50000, 2);
  for (int level : {1, 5, 9})
    EXPECT_EQ(decompressed(Codec::GZIP, compressed(Codec::GZIP, data, level), 50000), data);
  for (int level : {-5, 1, 19})
    EXPECT_EQ(decompressed(Codec::ZSTD, compressed(Codec::ZSTD, data, level), 50000), data);
  for (int level : {1, 11})
    EXPECT_EQ(decompressed(Codec::BROTLI, compressed(Codec::BROTLI, data, level), 50000), data);
  for (int level : {-10, 1, 3, 12, 20}) {
    EXPECT_EQ(decompressed(Codec::LZ4_RAW, compressed(Codec::LZ4_RAW, data, level), 50000), data);
  }
  Buffer out;
  EXPECT_THROW(compress(Codec::GZIP, data, out, 10), Error);
  EXPECT_THROW(compress(Codec::ZSTD, data, out, 1000), Error);
  EXPECT_THROW(compress(Codec::BROTLI, data, out, 12), Error);
  // A rejected level leaves the per-thread deflater usable.
  EXPECT_EQ(decompressed(Codec::GZIP, compressed(Codec::GZIP, data), 50000), data);
}

TEST(Compression, GzipWritesGzipMembers) {
  Bytes c = compressed(Codec::GZIP, sample(100, 3));
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0], 0x1f);
  EXPECT_EQ(c[1], 0x8b);
}

TEST(Compression, UnsupportedCodecs) {
  Bytes in = {1, 2, 3, 4};
  EXPECT_EQ(code_of(Codec::LZO, in, 4), ErrorCode::kUnsupported);
  EXPECT_EQ(code_of(static_cast<Codec>(42), in, 4), ErrorCode::kUnsupported);
  EXPECT_EQ(code_of(static_cast<Codec>(-1), in, 4), ErrorCode::kUnsupported);
  EXPECT_FALSE(can_decompress(Codec::LZO));
  EXPECT_FALSE(can_decompress(static_cast<Codec>(42)));
  for (Codec codec : kCompressed) EXPECT_TRUE(can_decompress(codec));
  EXPECT_TRUE(can_decompress(Codec::UNCOMPRESSED));
  Buffer buf;
  try {
    compress(Codec::LZ4, in, buf);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  }
  EXPECT_THROW(compress(Codec::LZO, in, buf), Error);
  EXPECT_THROW(compress(static_cast<Codec>(9), in, buf), Error);
}

TEST(Compression, ZeroOutputSizeIgnoresInput) {
  Bytes garbage = {0xde, 0xad, 0xbe, 0xef};
  for (Codec codec : kCompressed) {
    decompress(codec, garbage, nullptr, 0);
    decompress(codec, {}, nullptr, 0);
  }
  decompress(Codec::UNCOMPRESSED, garbage, nullptr, 0);
}

TEST(Compression, UncompressedSizeMustMatch) {
  Bytes data = {1, 2, 3};
  EXPECT_EQ(decompressed(Codec::UNCOMPRESSED, data, 3), data);
  EXPECT_EQ(code_of(Codec::UNCOMPRESSED, data, 2), ErrorCode::kCorrupt);
  EXPECT_EQ(code_of(Codec::UNCOMPRESSED, data, 4), ErrorCode::kCorrupt);
}

// Every codec refuses a stream that decodes to more or fewer bytes than the
// page header states, and names itself in the message.
TEST(Compression, WrongSizeIsCorrupt) {
  Bytes data = sample(5000, 4);
  for (Codec codec : kWritable) {
    if (codec == Codec::UNCOMPRESSED) continue;
    Bytes c = compressed(codec, data);
    for (size_t size : {size_t{1}, size_t{4999}, size_t{5001}, size_t{100000}}) {
      try {
        decompressed(codec, c, size);
        ADD_FAILURE() << "codec " << static_cast<int>(codec) << " accepted size " << size;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
        std::string name = codec == Codec::SNAPPY   ? "snappy"
                           : codec == Codec::GZIP   ? "gzip"
                           : codec == Codec::ZSTD   ? "zstd"
                           : codec == Codec::BROTLI ? "brotli"
                                                    : "lz4_raw";
        EXPECT_EQ(std::string(e.what()).rfind(name + ":", 0), 0u) << e.what();
      }
    }
  }
  // The deprecated LZ4 codec, through all of its fallbacks.
  for (size_t size : {size_t{1}, size_t{4999}, size_t{5001}}) {
    EXPECT_EQ(code_of(Codec::LZ4, lz4_block(data), size), ErrorCode::kCorrupt);
    EXPECT_EQ(code_of(Codec::LZ4, lz4_frame(data), size), ErrorCode::kCorrupt);
  }
}

// Truncations, bit flips and random bytes: always Error(kCorrupt) or a
// correct result, never a crash or a write past the output (run under ASan).
TEST(Compression, CorruptInputNeverCrashes) {
  std::mt19937 rng(5);
  Bytes data = sample(20000, 6);
  for (Codec codec : kCompressed) {
    Bytes good = codec == Codec::LZ4 ? lz4_block(data) : compressed(codec, data);
    for (int trial = 0; trial < 300; ++trial) {
      Bytes bad = good;
      switch (trial % 3) {
        case 0: bad.resize(rng() % bad.size()); break;
        case 1:
          for (int flips = 1 + rng() % 4; flips > 0; --flips) bad[rng() % bad.size()] ^= 1 << (rng() % 8);
          break;
        case 2:
          bad.resize(rng() % 200);
          for (auto& b : bad) b = static_cast<uint8_t>(rng());
          break;
      }
      try {
        Bytes out = decompressed(codec, bad, data.size());
        // A flip in a codec without checksums may still decode; then the
        // size was right and nothing overflowed.
        EXPECT_EQ(out.size(), data.size());
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
      }
    }
  }
}

TEST(Compression, EmptyInputWithNonZeroSizeIsCorrupt) {
  for (Codec codec : kCompressed)
    EXPECT_EQ(code_of(codec, {}, 10), ErrorCode::kCorrupt) << static_cast<int>(codec);
  EXPECT_EQ(code_of(Codec::UNCOMPRESSED, {}, 10), ErrorCode::kCorrupt);
}

TEST(Compression, DecompressionBombIsBounded) {
  Bytes zeros(10 << 20, 0);
  for (Codec codec : kWritable) {
    if (codec == Codec::UNCOMPRESSED) continue;
    Bytes c = compressed(codec, zeros);
    EXPECT_EQ(code_of(codec, c, 1000), ErrorCode::kCorrupt) << static_cast<int>(codec);
  }
}

TEST(Compression, GzipDecodesConcatenatedMembers) {
  Bytes a = sample(3000, 7), b = sample(5000, 8);
  Bytes both = concat({compressed(Codec::GZIP, a), compressed(Codec::GZIP, b)});
  EXPECT_EQ(decompressed(Codec::GZIP, both, 8000), concat({a, b}));
  // An empty member in between or at the end is fine.
  Bytes three = concat({compressed(Codec::GZIP, a), compressed(Codec::GZIP, {}), compressed(Codec::GZIP, b),
                        compressed(Codec::GZIP, {})});
  EXPECT_EQ(decompressed(Codec::GZIP, three, 8000), concat({a, b}));
  // Too few bytes stated: the second member overflows.
  EXPECT_EQ(code_of(Codec::GZIP, both, 3000), ErrorCode::kCorrupt);
  EXPECT_EQ(code_of(Codec::GZIP, both, 7999), ErrorCode::kCorrupt);
  EXPECT_EQ(code_of(Codec::GZIP, both, 8001), ErrorCode::kCorrupt);
}

TEST(Compression, GzipRejectsTrailingGarbage) {
  Bytes a = sample(3000, 9);
  Bytes junk = concat({compressed(Codec::GZIP, a), Bytes{1, 2, 3, 4, 5}});
  EXPECT_EQ(code_of(Codec::GZIP, junk, 3000), ErrorCode::kCorrupt);
  Bytes zeros = concat({compressed(Codec::GZIP, a), Bytes(8, 0)});
  EXPECT_EQ(code_of(Codec::GZIP, zeros, 3000), ErrorCode::kCorrupt);
}

TEST(Compression, GzipAcceptsZlibHeader) {
  Bytes a = sample(3000, 10);
  EXPECT_EQ(decompressed(Codec::GZIP, zlib_stream(a), 3000), a);
}

TEST(Compression, GzipReusesStreamAfterFailure) {
  Bytes a = sample(3000, 11);
  Bytes c = compressed(Codec::GZIP, a);
  Bytes truncated(c.begin(), c.begin() + c.size() / 2);
  EXPECT_EQ(code_of(Codec::GZIP, truncated, 3000), ErrorCode::kCorrupt);
  EXPECT_EQ(decompressed(Codec::GZIP, c, 3000), a);
}

TEST(Compression, ZstdMultipleAndSkippableFrames) {
  Bytes a = sample(3000, 12), b = sample(4000, 13);
  // A skippable frame: magic 0x184D2A50 (little-endian), 4-byte size, payload.
  Bytes skippable = {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9};
  Bytes frames = concat({compressed(Codec::ZSTD, a), skippable, compressed(Codec::ZSTD, b)});
  EXPECT_EQ(decompressed(Codec::ZSTD, frames, 7000), concat({a, b}));
  EXPECT_EQ(code_of(Codec::ZSTD, frames, 6999), ErrorCode::kCorrupt);
  EXPECT_EQ(code_of(Codec::ZSTD, frames, 7001), ErrorCode::kCorrupt);
  Bytes junk = concat({compressed(Codec::ZSTD, a), Bytes{1, 2, 3}});
  EXPECT_EQ(code_of(Codec::ZSTD, junk, 3000), ErrorCode::kCorrupt);
}

TEST(Compression, BrotliRejectsTrailingData) {
  Bytes a = sample(3000, 14);
  Bytes junk = concat({compressed(Codec::BROTLI, a), Bytes{1, 2, 3}});
  EXPECT_EQ(code_of(Codec::BROTLI, junk, 3000), ErrorCode::kCorrupt);
}

TEST(Compression, SnappyChecksStatedLengthFirst) {
  Bytes a = sample(3000, 15);
  try {
    decompressed(Codec::SNAPPY, compressed(Codec::SNAPPY, a), 2000);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3000"), std::string::npos) << e.what();
  }
}

// The LZ4 codec: Hadoop framing as parquet-mr writes it.
TEST(Compression, Lz4HadoopFraming) {
  Bytes a = sample(3000, 16), b = sample(5000, 17);
  Bytes ca = lz4_block(a), cb = lz4_block(b);
  // One block, one chunk (what Arrow writes).
  Bytes one;
  append_be32(one, 3000);
  append_be32(one, static_cast<uint32_t>(ca.size()));
  one.insert(one.end(), ca.begin(), ca.end());
  EXPECT_EQ(decompressed(Codec::LZ4, one, 3000), a);
  // Two blocks.
  Bytes two = one;
  append_be32(two, 5000);
  append_be32(two, static_cast<uint32_t>(cb.size()));
  two.insert(two.end(), cb.begin(), cb.end());
  EXPECT_EQ(decompressed(Codec::LZ4, two, 8000), concat({a, b}));
  // One block split into two chunks (what Hadoop writes for large blocks).
  Bytes split;
  append_be32(split, 8000);
  append_be32(split, static_cast<uint32_t>(ca.size()));
  split.insert(split.end(), ca.begin(), ca.end());
  append_be32(split, static_cast<uint32_t>(cb.size()));
  split.insert(split.end(), cb.begin(), cb.end());
  EXPECT_EQ(decompressed(Codec::LZ4, split, 8000), concat({a, b}));
  // Wrong stated sizes fail (all fallbacks fail too).
  EXPECT_EQ(code_of(Codec::LZ4, two, 7999), ErrorCode::kCorrupt);
  EXPECT_EQ(code_of(Codec::LZ4, two, 8001), ErrorCode::kCorrupt);
  Bytes truncated(two.begin(), two.end() - 1);
  EXPECT_EQ(code_of(Codec::LZ4, truncated, 8000), ErrorCode::kCorrupt);
}

TEST(Compression, Lz4FallsBackToRawBlockAndFrame) {
  Bytes a = sample(3000, 18);
  EXPECT_EQ(decompressed(Codec::LZ4, lz4_block(a), 3000), a);
  EXPECT_EQ(decompressed(Codec::LZ4, lz4_frame(a), 3000), a);
  Bytes b = sample(100, 19);
  Bytes frames = concat({lz4_frame(a), lz4_frame(b)});
  EXPECT_EQ(decompressed(Codec::LZ4, frames, 3100), concat({a, b}));
  Bytes frame = lz4_frame(a);
  frame.pop_back();
  EXPECT_EQ(code_of(Codec::LZ4, frame, 3000), ErrorCode::kCorrupt);
  // The frame decoder is reusable after a failure.
  EXPECT_EQ(decompressed(Codec::LZ4, lz4_frame(a), 3000), a);
}

// Page bodies from the parquet-testing corpus, one or two per codec.
// Offsets, sizes and CRCs of the decompressed bytes were found with a script
// that parses the page headers and decompresses with pyarrow.
struct CorpusPage {
  const char* file;
  Codec codec;
  size_t offset;
  size_t compressed_size;
  size_t uncompressed_size;
  uint32_t crc_of_uncompressed;
};

TEST(Compression, DecodesCorpusPages) {
  const CorpusPage pages[] = {
      {"byte_stream_split.zstd.parquet", Codec::ZSTD, 52, 1110, 1207, 0xbf2cc98fu},
      {"byte_stream_split.zstd.parquet", Codec::ZSTD, 1294, 2219, 2407, 0x0e32e0cfu},
      {"byte_stream_split_extended.gzip.parquet", Codec::GZIP, 44, 367, 407, 0x9b8551a2u},
      {"byte_stream_split_extended.gzip.parquet", Codec::GZIP, 521, 313, 407, 0x7d439f6eu},
      {"datapage_v1-snappy-compressed-checksum.parquet", Codec::SNAPPY, 30, 735, 10240, 0xbbce3b9du},
      {"datapage_v1-snappy-compressed-checksum.parquet", Codec::SNAPPY, 792, 735, 10240, 0x96352875u},
      {"hadoop_lz4_compressed.parquet", Codec::LZ4, 17, 26, 16, 0x548961aeu},
      {"hadoop_lz4_compressed.parquet", Codec::LZ4, 104, 12, 3, 0xdc18accdu},
      {"non_hadoop_lz4_compressed.parquet", Codec::LZ4, 18, 18, 16, 0x548961aeu},
      {"non_hadoop_lz4_compressed.parquet", Codec::LZ4, 97, 10, 9, 0x636a6553u},
      {"lz4_raw_compressed.parquet", Codec::LZ4_RAW, 65, 24, 32, 0x0f572674u},
      {"lz4_raw_compressed.parquet", Codec::LZ4_RAW, 202, 27, 28, 0xbe669e80u},
      {"lz4_raw_compressed_larger.parquet", Codec::LZ4_RAW, 107, 380377, 400000, 0x1a4a4a70u},
      {"nested_structs.rust.parquet", Codec::ZSTD, 18, 17, 8, 0x9ae2099cu},
      {"nested_structs.rust.parquet", Codec::ZSTD, 74, 12, 3, 0xccb5d1a7u},
      {"int96_from_spark.parquet", Codec::SNAPPY, 23, 58, 60, 0xe993c1ccu},
      {"int96_from_spark.parquet", Codec::SNAPPY, 104, 13, 11, 0xe8e9d2d6u},
      {"rle-dict-snappy-checksum.parquet", Codec::SNAPPY, 23, 10, 8, 0x6522df69u},
      {"rle-dict-snappy-checksum.parquet", Codec::SNAPPY, 80, 42, 40, 0x4d24a41eu},
  };
  for (const CorpusPage& page : pages) {
    Bytes file = mimicit::testing::read_file_bytes(mimicit::testing::corpus_file(page.file));
    if (file.empty()) GTEST_SKIP() << "test data not found: " << page.file;
    ASSERT_LE(page.offset + page.compressed_size, file.size()) << page.file;
    ByteView body = ByteView(file).subspan(page.offset, page.compressed_size);
    Bytes out = decompressed(page.codec, body, page.uncompressed_size);
    EXPECT_EQ(crc32(out), page.crc_of_uncompressed) << page.file << " @" << page.offset;
    EXPECT_EQ(code_of(page.codec, body, page.uncompressed_size + 1), ErrorCode::kCorrupt) << page.file;
  }
}

}  // namespace
}  // namespace mimicit::parquet
