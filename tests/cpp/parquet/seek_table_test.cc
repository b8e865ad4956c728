// Seek tables (parquet/reader/seek_table.h): restart points recorded while a
// stream decodes, streams started again at them, and point reads through
// the tables of large pages, against full decodes, for every codec, page
// version, dictionary or PLAIN page and null pattern.
#include <gtest/gtest.h>
#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <filesystem>
#include <random>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "parquet/full_decode.h"
#include "parquet/reader/page_stream.h"
#include "parquet/reader/seek_table.h"
#include "test_data.h"
#include "util/worker_pool.h"

namespace mimicit::parquet {
namespace {

using testing::all_values;
namespace fs = std::filesystem;

// Bytes that compress somewhat: runs of a few letters between random bytes.
std::string mixed_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i % 1000 < 500 ? 'a' + rng() % 3 : rng());
  return data;
}

std::string gzip_member(const std::string& data, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// `bytes` in a file of their own, mapped.
std::shared_ptr<const MappedFile> mapped(const std::string& bytes) {
  static int counter = 0;
  fs::path path = mimicit::testing::temp_dir("seek_table_streams") / fmt::format("{}.bin", counter++);
  AtomicFileWriter writer(path.string());
  writer.write(as_bytes(bytes));
  writer.commit();
  return MappedFile::open(path.string());
}

// Streams `compressed` once with a recorder, then starts a stream at every
// restart point and checks what it yields against `data`.
SeekTable check_restarts(Codec codec, const std::string& compressed, const std::string& data,
                         uint32_t flags) {
  SeekTable table;
  RestartRecorder recorder;
  auto file = mapped(compressed);
  open_page_stream(codec, *file, 0, compressed.size(), data.size(), &recorder)->skip(data.size());
  recorder.finish(table);
  for (const RestartPoint& r : table.restarts) {
    Buffer scratch;
    ByteView window = restart_window(table.windows.data(), table.windows.size(), r, scratch);
    auto stream = open_page_stream_at(codec, *file, 0, compressed.size(), data.size(), r, window, flags);
    size_t n = std::min<size_t>(data.size() - r.out, 3u << 20);
    std::string got(n, '\0');
    stream->read(reinterpret_cast<uint8_t*>(got.data()), n);
    EXPECT_TRUE(got == data.substr(r.out, n)) << "restart at " << r.out;
  }
  return table;
}

TEST(SeekTableTest, LibsnappyRestartsNeedNoWindow) {
  std::string data = mixed_bytes(9 << 20, 3);
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  SeekTable table = check_restarts(Codec::SNAPPY, compressed, data, 0);
  EXPECT_GE(table.restarts.size(), 7u);
  EXPECT_EQ(table.windows.size(), 0u);  // libsnappy's 64 KiB blocks stand alone
  for (const RestartPoint& r : table.restarts) EXPECT_EQ(r.out % (64 << 10), 0u);
}

// A snappy stream from another writer: copies reach across any boundary,
// so restarts keep exactly the history later copies use.
TEST(SeekTableTest, SnappyRestartsKeepTheHistoryCopiesReach) {
  std::mt19937 rng(9);
  std::string data, s;
  const size_t size = 5 << 20;
  for (uint64_t v = size;; v >>= 7) {
    s += static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    if (v < 0x80) break;
  }
  while (data.size() < size) {
    size_t left = size - data.size();
    if (data.size() < 70000 || rng() % 2 == 0 || left < 64) {
      size_t n = std::min<size_t>(1 + rng() % 3000, left);
      s += static_cast<char>(61 << 2);  // literal, 2-byte length
      uint16_t len = static_cast<uint16_t>(n - 1);
      s.append(reinterpret_cast<const char*>(&len), 2);
      for (size_t i = 0; i < n; ++i) {
        char c = static_cast<char>(rng());
        s += c;
        data += c;
      }
    } else {
      uint32_t length = 4 + rng() % 60;
      uint16_t offset = static_cast<uint16_t>(1 + rng() % 65535);
      s += static_cast<char>(((length - 1) << 2) | 2);  // copy with a 2-byte offset
      s.append(reinterpret_cast<const char*>(&offset), 2);
      for (uint32_t i = 0; i < length; ++i) data += data[data.size() - offset];
    }
  }
  SeekTable table = check_restarts(Codec::SNAPPY, s, data, 0);
  EXPECT_GE(table.restarts.size(), 3u);
  EXPECT_GT(table.windows.size(), 0u);
  for (const RestartPoint& r : table.restarts) EXPECT_LE(r.window, 64u << 10);
}

// liblz4's blocks reach back up to 64 KiB from anywhere: each restart keeps
// what later matches use. Long runs (matches longer than the window the
// stream produces at once) cross refills.
TEST(SeekTableTest, Lz4RestartsKeepTheHistoryMatchesReach) {
  std::string data = mixed_bytes(7 << 20, 8);
  data.replace(2 << 20, 3 << 20, std::string(3 << 20, 'z'));  // a 3 MB run: one long match
  std::string compressed(static_cast<size_t>(LZ4_compressBound(static_cast<int>(data.size()))), '\0');
  int n = LZ4_compress_default(data.data(), compressed.data(), static_cast<int>(data.size()),
                               static_cast<int>(compressed.size()));
  ASSERT_GT(n, 0);
  compressed.resize(static_cast<size_t>(n));
  SeekTable table = check_restarts(Codec::LZ4_RAW, compressed, data, 0);
  EXPECT_GE(table.restarts.size(), 3u);
  for (const RestartPoint& r : table.restarts) EXPECT_LE(r.window, 64u << 10);
}

// PLAIN byte arrays: `count` values from make(i), as a page holds them.
std::string plain_values(const std::vector<std::string>& values) {
  std::string page;
  for (const std::string& v : values) {
    uint32_t n = static_cast<uint32_t>(v.size());
    page.append(reinterpret_cast<const char*>(&n), 4);
    page += v;
  }
  return page;
}

std::string zstd_frame(const std::string& data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Builds the table of a ZSTD "page", then reads every value through it in
// a random order; returns the number of restarts kept.
size_t check_zstd_page(const std::string& compressed, const std::vector<std::string>& expected, size_t size) {
  auto file = mapped(compressed);
  std::optional<SeekTable> table =
      build_seek_table(Codec::ZSTD, *file, 0, 0, compressed.size(), size, 0, expected.size());
  EXPECT_TRUE(table);
  if (!table) return 0;
  size_t restarts = table->restarts.size();
  std::vector<SeekTable> built;
  built.push_back(std::move(*table));
  Buffer stored;
  append_seek_tables(built, stored);
  std::optional<SeekTables> tables = SeekTables::parse(stored.view(), file->size(), nullptr);
  EXPECT_TRUE(tables);
  if (!tables) return 0;
  SeekCursor cursor;
  Buffer scratch;
  std::vector<size_t> order(expected.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(2));
  for (size_t i : order) {
    std::string_view got = cursor.read(*tables->find(0), *file, i, 1u << 30, scratch);
    EXPECT_TRUE(got == expected[i]) << "value " << i;
  }
  return restarts;
}

// ZSTD restarts are proven against the sequential decode before they are
// kept, and reads through them (hopping from restart to restart) return
// every value exactly: on image-like bytes (no matches: most block
// boundaries qualify), in one frame and in two, and on compressible bytes
// at a strong level (long matches and repeat offsets across blocks: few
// qualify, reads stay exact).
TEST(SeekTableTest, ZstdRestartsAreVerifiedAndReadsAreExact) {
  std::mt19937 rng(4);
  std::vector<std::string> images, mixed;
  for (size_t total = 0; total < (8u << 20);) {
    std::string v(rng() % 150000, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    total += v.size() + 4;
    images.push_back(std::move(v));
  }
  for (size_t total = 0; total < (3u << 20);) {
    std::string v =
        rng() % 4 == 0 && !mixed.empty() ? mixed[rng() % mixed.size()] : mixed_bytes(rng() % 60000, rng());
    total += v.size() + 4;
    mixed.push_back(std::move(v));
  }
  std::string page = plain_values(images);
  EXPECT_GE(check_zstd_page(zstd_frame(page, 1), images, page.size()), 4u);
  std::string half = page.substr(0, page.size() / 2);  // frames cut anywhere: the output is one byte stream
  EXPECT_GE(
      check_zstd_page(zstd_frame(half, 3) + zstd_frame(page.substr(half.size()), 3), images, page.size()),
      4u);
  std::string compressible = plain_values(mixed);
  check_zstd_page(zstd_frame(compressible, 19), mixed, compressible.size());
}

// A match at offset 0 (which liblz4's one-shot decoder lets through) is
// corrupt input for the stream (found by fuzz/page_stream_fuzz.cc).
// Long literal runs (random bytes) with matches between them that reach
// back into the run just passed: skips of every size jump over literals
// unread and still give the matches their history.
TEST(SeekTableTest, Lz4SkipsJumpLiteralRunsAndKeepTheHistory) {
  std::mt19937 rng(21);
  std::string data;
  for (size_t run = 0; run < 6; ++run) {
    for (size_t i = 0; i < 300'000 + run * 70'000; ++i) data.push_back(static_cast<char>(rng()));
    // A copy of bytes up to 60 KiB back: a match LZ4 finds.
    const size_t back = 1'000 + rng() % 59'000;
    data += data.substr(data.size() - back, 4'000);
  }
  std::string compressed(static_cast<size_t>(LZ4_compressBound(static_cast<int>(data.size()))), '\0');
  const int n = LZ4_compress_default(data.data(), compressed.data(), static_cast<int>(data.size()),
                                     static_cast<int>(compressed.size()));
  ASSERT_GT(n, 0);
  compressed.resize(static_cast<size_t>(n));
  auto file = mapped(compressed);
  for (uint64_t first : {uint64_t{0}, uint64_t{70'000}, uint64_t{299'000}, uint64_t{1'000'000}}) {
    for (uint64_t step : {uint64_t{1}, uint64_t{65'536}, uint64_t{200'001}, uint64_t{900'000}}) {
      auto stream = open_page_stream(Codec::LZ4_RAW, *file, 0, compressed.size(), data.size());
      uint64_t at = first;
      stream->skip(first);
      while (at + 5'000 <= data.size()) {
        std::string got(5'000, '\0');
        stream->read(reinterpret_cast<uint8_t*>(got.data()), got.size());
        ASSERT_EQ(got, data.substr(at, got.size()))
            << "first " << first << ", step " << step << ", at " << at;
        at += got.size();
        const uint64_t skip = std::min<uint64_t>(step, data.size() - at);
        stream->skip(skip);
        at += skip;
      }
    }
  }
}

TEST(SeekTableTest, Lz4MatchAtOffsetZeroIsCorrupt) {
  const std::string block(
      "\x1f\x00\x00\x00\xff\x01"
      "0123456789abcdef",
      22);
  auto file = mapped(block);
  auto stream = open_page_stream(Codec::LZ4_RAW, *file, 0, block.size(), 300);
  try {
    stream->skip(300);
    FAIL() << "expected kCorrupt";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
    EXPECT_NE(std::string(e.what()).find("offset 0"), std::string::npos) << e.what();
  }
}

TEST(SeekTableTest, DeflateRestartsInGzipZlibAndConcatenatedMembers) {
  std::string data = mixed_bytes(6 << 20, 5);
  std::string half = data.substr(0, data.size() / 2), rest = data.substr(data.size() / 2);
  struct Case {
    const char* name;
    std::string compressed;
    uint32_t flags;
  } cases[] = {
      {"gzip", gzip_member(data, 31), SeekTableHeader::kGzipWrapper},
      {"zlib", gzip_member(data, 15), 0},
      {"two gzip members", gzip_member(half, 31) + gzip_member(rest, 31), SeekTableHeader::kGzipWrapper},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SeekTable table = check_restarts(Codec::GZIP, c.compressed, data, c.flags);
    EXPECT_GE(table.restarts.size(), 4u);
    for (const RestartPoint& r : table.restarts) EXPECT_EQ(r.window, std::min<uint64_t>(r.out, 32u << 10));
  }
}

// ---------------------------------------------------------------------------
// Point reads through the tables of whole files.

// The tables of every large page of column `column`, parsed back from
// their stored form as a store does.
struct FileTables {
  Buffer stored;
  std::optional<SeekTables> tables;
};

FileTables tables_of(const std::shared_ptr<const ParquetFile>& file, int column) {
  std::vector<SeekTable> built;
  for (int rg = 0; rg < file->num_row_groups(); ++rg) {
    ColumnChunkReader reader(file, rg, column);
    reader.build_seek_tables(built);
  }
  FileTables out;
  append_seek_tables(built, out.stored);
  out.tables = SeekTables::parse(out.stored.view(), file->file().size(), nullptr);
  EXPECT_TRUE(out.tables.has_value());
  return out;
}

// Reads every row in order, then a shuffled sample and every 7th row
// backwards, on one reader through the tables (a random read decodes up
// to a restart spacing: all rows shuffled would be slow under the
// sanitizers); returns how many values were compared.
size_t compare_table_reads(const std::shared_ptr<const ParquetFile>& file, int column,
                           const SeekTables* tables) {
  size_t compared = 0;
  std::mt19937 rng(7);
  for (int rg = 0; rg < file->num_row_groups(); ++rg) {
    auto expected = all_values(file, rg, column);
    std::vector<int64_t> rows(expected.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    std::vector<int64_t> shuffled = rows;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    rows.insert(rows.end(), shuffled.begin(), shuffled.begin() + std::min<size_t>(shuffled.size(), 60));
    for (size_t i = expected.size(); i-- > 0;) {
      if (i % 7 == 0 || i + 1 == expected.size()) rows.push_back(static_cast<int64_t>(i));
    }
    ColumnChunkReader reader(file, rg, column);
    reader.set_seek_tables(tables);
    Buffer scratch;
    for (int64_t row : rows) {
      std::optional<std::string_view> got = reader.read_byte_array_at(row, scratch);
      const auto& want = expected[static_cast<size_t>(row)];
      EXPECT_EQ(got.has_value(), want.has_value()) << " row " << row;
      if (got && want) {
        EXPECT_TRUE(*got == *want) << " row " << row;
      }
    }
    compared += expected.size();
  }
  return compared;
}

struct Layout {
  Codec codec;
  int page_version;
  bool dictionary;
  bool nulls;
};

// 400 rows whose payloads (up to 30 KB, one of 2.5 MB) fill pages of
// several MB, each spanning many restart points; values straddle them.
std::string write_large_pages(const fs::path& dir, const Layout& l) {
  fs::path path = dir / fmt::format("{}_v{}_{}_{}.parquet", to_string(l.codec), l.page_version,
                                    l.dictionary ? "dict" : "plain", l.nulls ? "nulls" : "full");
  WriterOptions options;
  options.codec = l.codec;
  options.compression_level = l.codec == Codec::GZIP ? 1 : 0;
  options.data_page_version = l.page_version;
  options.page_bytes = 6 << 20;
  options.row_group_rows = 300;
  options.dictionary_bytes = 64 << 20;
  ParquetWriter writer(path.string(),
                       {{.name = "payload",
                         .type = Type::BYTE_ARRAY,
                         .optional = l.nulls,
                         .is_string = false,
                         .dictionary = l.dictionary}},
                       options);
  std::mt19937 rng(11);
  for (int i = 0; i < 400; ++i) {
    if (l.nulls && i % 9 == 4) {
      writer.append_null(0);
    } else {
      size_t n = i == 150 ? (5u << 19) : rng() % 30000;
      std::string v = mixed_bytes(n, static_cast<uint32_t>(i));
      writer.append_bytes(0, i % 13 == 0 ? std::string() : v);
    }
    writer.end_row();
  }
  writer.close();
  return path.string();
}

TEST(SeekTableTest, PointReadsThroughTablesAgreeWithFullDecode) {
  fs::path dir = mimicit::testing::temp_dir("seek_table");
  for (Codec codec : {Codec::UNCOMPRESSED, Codec::SNAPPY, Codec::GZIP, Codec::ZSTD}) {
    for (int version : {1, 2}) {
      for (bool dictionary : {false, true}) {
        for (bool nulls : {false, true}) {
          Layout l{codec, version, dictionary, nulls};
          std::string path = write_large_pages(dir, l);
          SCOPED_TRACE(path);
          auto file = ParquetFile::open(path);
          FileTables t = tables_of(file, 0);
          ASSERT_TRUE(t.tables);
          // ZSTD pages have no tables: reads stream from the page's start.
          EXPECT_EQ(t.tables->size() > 0, has_seek_tables(codec));
          EXPECT_EQ(compare_table_reads(file, 0, &*t.tables), 400u);
        }
      }
    }
  }
}

// One value larger than the restart spacing alone in its page, and the
// first and last values of pages.
TEST(SeekTableTest, ASingleHugeValue) {
  fs::path dir = mimicit::testing::temp_dir("seek_table_huge");
  for (Codec codec : {Codec::SNAPPY, Codec::GZIP}) {
    fs::path path = dir / fmt::format("{}.parquet", to_string(codec));
    WriterOptions options;
    options.codec = codec;
    ParquetWriter writer(path.string(), {{.name = "payload", .type = Type::BYTE_ARRAY, .optional = true}},
                         options);
    writer.append_bytes(0, mixed_bytes(7 << 20, 1));
    writer.end_row();
    writer.close();
    auto file = ParquetFile::open(path.string());
    FileTables t = tables_of(file, 0);
    ASSERT_EQ(t.tables->size(), 1u);
    EXPECT_EQ(compare_table_reads(file, 0, &*t.tables), 1u);
  }
}

// Pages are built a page per thread: the tables are the same as one
// thread's (run under TSan with the other concurrency tests).
TEST(SeekTableConcurrent, TablesBuiltOnAPoolMatchOneThread) {
  fs::path dir = mimicit::testing::temp_dir("seek_table_pool");
  for (Codec codec : {Codec::SNAPPY, Codec::ZSTD}) {
    // One chunk of ~9 pages of ~1 MB, all "large" for this reader.
    fs::path path = dir / fmt::format("{}.parquet", to_string(codec));
    WriterOptions options;
    options.codec = codec;
    options.page_bytes = 1 << 20;
    ParquetWriter writer(path.string(), {{.name = "payload", .type = Type::BYTE_ARRAY, .optional = true}},
                         options);
    for (int i = 0; i < 300; ++i) {
      writer.append_bytes(0, mixed_bytes(30000, static_cast<uint32_t>(i)));
      writer.end_row();
    }
    writer.close();
    ReaderOptions reader_options;
    reader_options.stream_pages_above = 512 << 10;
    auto file = ParquetFile::open(path.string(), reader_options);
    WorkerPool pool(2);
    std::vector<SeekTable> alone, pooled;
    std::atomic<uint64_t> walked{0};
    for (int rg = 0; rg < file->num_row_groups(); ++rg) {
      ColumnChunkReader(file, rg, 0).build_seek_tables(alone);
      ColumnChunkReader(file, rg, 0)
          .build_seek_tables(
              pooled, [&](uint64_t n) { walked += n; }, &pool);
    }
    Buffer a, b;
    append_seek_tables(alone, a);
    append_seek_tables(pooled, b);
    EXPECT_GE(alone.size(), 8u);
    EXPECT_TRUE(std::equal(a.view().begin(), a.view().end(), b.view().begin(), b.view().end()));
    uint64_t chunks = 0;
    for (int rg = 0; rg < file->num_row_groups(); ++rg) {
      chunks += static_cast<uint64_t>(file->chunk_metadata(rg, 0).total_compressed_size);
    }
    EXPECT_EQ(walked.load(), chunks);  // every byte of the chunks reported once
  }
}

TEST(SeekTableTest, DamagedStoredTablesAreRefused) {
  fs::path dir = mimicit::testing::temp_dir("seek_table_damaged");
  std::string path = write_large_pages(dir, {Codec::SNAPPY, 1, false, true});
  auto file = ParquetFile::open(path);
  FileTables t = tables_of(file, 0);
  ASSERT_TRUE(t.tables);
  ByteView stored = t.stored.view();
  // Truncated anywhere: refused.
  for (size_t cut = 0; cut < stored.size(); cut += 8) {
    Buffer part;
    part.assign(stored.subspan(0, cut));
    EXPECT_FALSE(SeekTables::parse(part.view(), file->file().size(), nullptr)) << cut;
  }
  // For another (smaller) file: refused.
  EXPECT_FALSE(SeekTables::parse(stored, 1000, nullptr));
  // Bit flips: refused, or (a flip in a window or a value offset that stays
  // consistent) reads that fail cleanly or return what the page holds.
  std::mt19937 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    Buffer bad;
    bad.assign(stored);
    bad.data()[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    std::optional<SeekTables> parsed = SeekTables::parse(bad.view(), file->file().size(), nullptr);
    if (!parsed) continue;
    try {
      ColumnChunkReader reader(file, 0, 0);
      reader.set_seek_tables(&*parsed);
      Buffer scratch;
      for (int64_t row = 0; row < 300; row += 37) reader.read_byte_array_at(row, scratch);
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == ErrorCode::kCorrupt || e.code() == ErrorCode::kUnsupported) << e.what();
    }
  }
}

}  // namespace
}  // namespace mimicit::parquet
