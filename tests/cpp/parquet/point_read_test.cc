// ColumnChunkReader::read_byte_array_at and the page streams under it: a
// point read returns exactly what a full decode of the page returns, whether
// the page is decoded whole or streamed (forced with stream_pages_above = 0),
// for every codec, page version, dictionary or PLAIN page and null pattern;
// corrupt streams fail cleanly.
#include <gtest/gtest.h>
#include <snappy.h>

#include <filesystem>
#include <random>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "parquet/full_decode.h"
#include "parquet/reader/page_stream.h"
#include "test_data.h"

namespace mimicit::parquet {
namespace {

using testing::all_values;
namespace fs = std::filesystem;

// Point-reads every row of every flat byte-array column in a shuffled order
// and compares with the full decode. Returns the number of values compared.
size_t compare_point_reads(const std::string& path, uint64_t stream_above) {
  ReaderOptions options;
  options.stream_pages_above = stream_above;
  auto file = ParquetFile::open(path, options);
  size_t compared = 0;
  std::mt19937 rng(7);
  for (size_t c = 0; c < file->schema().columns().size(); ++c) {
    const ColumnDescriptor& d = file->schema().column(c);
    if (d.type != Type::BYTE_ARRAY || d.max_rep_level != 0) continue;
    for (int rg = 0; rg < file->num_row_groups(); ++rg) {
      auto expected = all_values(file, rg, static_cast<int>(c));
      // In order (a streamed page continues), shuffled, then backwards (it
      // reopens), all on one reader.
      std::vector<int64_t> in_order(expected.size());
      for (size_t i = 0; i < in_order.size(); ++i) in_order[i] = static_cast<int64_t>(i);
      std::vector<int64_t> shuffled = in_order;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      std::vector<int64_t> rows = in_order;
      rows.insert(rows.end(), shuffled.begin(), shuffled.end());
      rows.insert(rows.end(), in_order.rbegin(), in_order.rend());
      ColumnChunkReader reader(file, rg, static_cast<int>(c));
      Buffer scratch;
      for (int64_t row : rows) {
        std::optional<std::string_view> got = reader.read_byte_array_at(row, scratch);
        const auto& want = expected[static_cast<size_t>(row)];
        EXPECT_EQ(got.has_value(), want.has_value()) << path << " column " << c << " row " << row;
        if (got && want) {
          EXPECT_TRUE(*got == *want) << path << " column " << c << " row " << row;
        }
      }
      compared += expected.size();
    }
  }
  return compared;
}

struct Layout {
  Codec codec;
  int page_version;
  bool dictionary;
};

std::string layout_name(const Layout& l) {
  return fmt::format("{}_v{}_{}", to_string(l.codec), l.page_version, l.dictionary ? "dict" : "plain");
}

// 300 rows of an optional string column with nulls, empty strings, repeats
// (so dictionaries dedupe) and values of up to ~20 KB, in pages of ~64 KB.
std::string write_file(const fs::path& dir, const Layout& l) {
  fs::path path = dir / (layout_name(l) + ".parquet");
  WriterOptions options;
  options.codec = l.codec;
  options.data_page_version = l.page_version;
  options.page_bytes = 64 << 10;
  options.row_group_rows = 200;
  options.dictionary_bytes = 8 << 20;
  ParquetWriter writer(
      path.string(),
      {{.name = "id", .type = Type::BYTE_ARRAY, .optional = false, .is_string = true, .dictionary = false},
       {.name = "payload",
        .type = Type::BYTE_ARRAY,
        .optional = true,
        .is_string = true,
        .dictionary = l.dictionary}},
      options);
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    writer.append_bytes(0, fmt::format("id{:05d}", i));
    if (i % 9 == 4) {
      writer.append_null(1);
    } else if (i % 13 == 0) {
      writer.append_bytes(1, "");
    } else {
      size_t n = rng() % 20000;
      std::string v(n, ' ');
      for (char& ch : v) ch = static_cast<char>('A' + rng() % 40);  // compressible, not trivially
      writer.append_bytes(1, i % 5 == 0 ? std::string("repeat") : v);
    }
    writer.end_row();
  }
  writer.close();
  return path.string();
}

TEST(PointReadTest, StreamedAndWholePagesAgreeWithFullDecode) {
  fs::path dir = mimicit::testing::temp_dir("point_read");
  for (Codec codec : {Codec::UNCOMPRESSED, Codec::SNAPPY, Codec::ZSTD, Codec::GZIP}) {
    for (int version : {1, 2}) {
      for (bool dictionary : {false, true}) {
        Layout l{codec, version, dictionary};
        std::string path = write_file(dir, l);
        SCOPED_TRACE(layout_name(l));
        EXPECT_EQ(compare_point_reads(path, 0), 600u);           // every page streamed
        EXPECT_EQ(compare_point_reads(path, 4ull << 20), 600u);  // every page whole
      }
    }
  }
}

// The Apache corpus: every readable file, every flat byte-array column,
// streamed and whole. Files our reader refuses (out of scope or corrupt)
// are skipped here; their own tests cover them.
TEST(PointReadTest, CorpusFilesAgreeWithFullDecode) {
  size_t files = 0, values = 0;
  for (const auto& entry : fs::directory_iterator(mimicit::testing::parquet_testing("data"))) {
    if (entry.path().extension() != ".parquet") continue;
    std::string path = entry.path().string();
    size_t whole = 0;
    try {
      whole = compare_point_reads(path, 1ull << 40);
    } catch (const Error&) {
      continue;  // unreadable by the ordinary path as well
    }
    size_t streamed = 0;
    EXPECT_NO_THROW(streamed = compare_point_reads(path, 0)) << path;
    EXPECT_EQ(streamed, whole) << path;
    values += whole;
    ++files;
  }
  EXPECT_GT(files, 20u);
  EXPECT_GT(values, 1000u);
}

// libsnappy output read back through the stream with skips of every size.
TEST(PageStreamTest, SnappyStreamMatchesLibsnappy) {
  std::mt19937 rng(3);
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{3} << 20}) {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i % 1000 < 500 ? 'a' + rng() % 3 : rng());
    std::string compressed;
    snappy::Compress(data.data(), data.size(), &compressed);
    auto stream = open_snappy_stream(nullptr, as_bytes(compressed), size);
    size_t pos = 0;
    std::string got;
    while (pos < size) {
      size_t skip = std::min<size_t>(rng() % 200000, size - pos);
      stream->skip(skip);
      pos += skip;
      size_t n = std::min<size_t>(rng() % 100000, size - pos);
      got.resize(n);
      stream->read(reinterpret_cast<uint8_t*>(got.data()), n);
      ASSERT_EQ(got, data.substr(pos, n)) << "size " << size << " at " << pos;
      pos += n;
    }
    uint8_t extra;
    EXPECT_THROW(stream->read(&extra, 1), Error);  // past the end
  }
}

// A valid stream whose copy reaches further back than the window: the
// stream says kUnsupported (so the reader decodes the page whole).
TEST(PageStreamTest, SnappyFarCopyIsUnsupported) {
  const size_t literal = 2 << 20;  // 2 MiB of literal, then copy from its start
  std::string s;
  uint64_t total = literal + 64;
  for (uint64_t v = total;; v >>= 7) {  // varint preamble
    s += static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    if (v < 0x80) break;
  }
  s += static_cast<char>(63 << 2);  // literal, 4-byte length
  uint32_t len_minus_one = literal - 1;
  s.append(reinterpret_cast<const char*>(&len_minus_one), 4);
  s.append(literal, 'x');
  s += static_cast<char>((63 << 2) | 3);  // copy of 64 bytes, 4-byte offset
  uint32_t offset = literal;
  s.append(reinterpret_cast<const char*>(&offset), 4);
  auto stream = open_snappy_stream(nullptr, as_bytes(s), total);
  uint8_t out[64];
  try {
    stream->skip(literal);
    stream->read(out, 64);
    FAIL() << "expected kUnsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
  }
}

TEST(PageStreamTest, CorruptSnappyFailsCleanly) {
  std::string data(100000, 'q');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = compressed;
    if (trial % 3 == 0) {
      bad.resize(rng() % bad.size());
    } else {
      for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    }
    try {
      auto stream = open_snappy_stream(nullptr, as_bytes(bad), data.size());
      std::string out(data.size(), '\0');
      stream->read(reinterpret_cast<uint8_t*>(out.data()), out.size());
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::kCorrupt || e.code() == ErrorCode::kUnsupported) << e.what();
    }
  }
}

}  // namespace
}  // namespace mimicit::parquet
