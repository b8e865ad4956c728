// ParquetWriter tests: the bytes the writer produces, checked by decoding
// them again (footer, page headers, page indexes, bloom filters with the
// metadata codec; values through the reader), plus atomicity and argument
// checking. That pyarrow, pandas, duckdb and polars read the files is
// checked in tests/python/test_written_by_us.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <sys/mman.h>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "parquet/bloom_filter.h"
#include "parquet/metadata_codec.h"
#include "parquet/writer/page_writer.h"
#include "parquet/writer/pandas_metadata.h"
#include "parquet/writer/statistics_builder.h"
#include "test_data.h"
#include "util/crc32.h"

namespace mimicit::parquet {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Helpers

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ByteView view(const std::string& s, uint64_t offset, uint64_t length) {
  EXPECT_LE(offset + length, s.size());
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()) + offset, length);
}

struct WrittenFile {
  std::string bytes;
  FileMetaData metadata;
  uint64_t footer_offset = 0;
};

WrittenFile load(const fs::path& path) {
  WrittenFile f;
  f.bytes = read_all(path);
  EXPECT_GE(f.bytes.size(), 12u);
  EXPECT_EQ(f.bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(f.bytes.substr(f.bytes.size() - 4), "PAR1");
  uint32_t length;
  std::memcpy(&length, f.bytes.data() + f.bytes.size() - 8, 4);
  f.footer_offset = f.bytes.size() - 8 - length;
  f.metadata = decode_file_metadata(view(f.bytes, f.footer_offset, length));
  return f;
}

std::string plain_int32(int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string plain_int64(int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string plain_double(double v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

double as_double(const std::string& plain) {
  double v;
  EXPECT_EQ(plain.size(), 8u);
  std::memcpy(&v, plain.data(), 8);
  return v;
}

std::string id_of(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "id%06lld", static_cast<long long>(i));
  return buf;
}

// The table most tests write: a sorted string id (required), an optional
// int32 with nulls and negatives, a required int64, an optional double with
// NaN, an optional bool and an optional binary.
std::vector<WriterColumn> test_columns() {
  return {
      {"id", Type::BYTE_ARRAY, false, true, true, false}, {"n32", Type::INT32, true, false, true, false},
      {"n64", Type::INT64, false, false, true, false},    {"f", Type::DOUBLE, true, false, true, false},
      {"b", Type::BOOLEAN, true, false, true, false},     {"bin", Type::BYTE_ARRAY, true, false, true, false},
  };
}

bool n32_is_null(int64_t i) { return i % 5 == 0; }
int32_t n32_value(int64_t i) { return static_cast<int32_t>((i * 7919) % 1000 - 500); }
int64_t n64_value(int64_t i) { return i * 1000003 - (int64_t{1} << 40); }
bool f_is_null(int64_t i) { return i % 6 == 0; }
double f_value(int64_t i) { return i % 9 == 0 ? std::nan("") : i * 0.5 - 100; }
bool b_is_null(int64_t i) { return i % 4 == 0; }
bool bin_is_null(int64_t i) { return i % 8 == 0; }
std::string bin_value(int64_t i) { return std::string(static_cast<size_t>(i % 3), '\xff'); }

void write_test_row(ParquetWriter& w, int64_t i) {
  w.append_bytes(0, id_of(i));
  n32_is_null(i) ? w.append_null(1) : w.append_int32(1, n32_value(i));
  w.append_int64(2, n64_value(i));
  f_is_null(i) ? w.append_null(3) : w.append_double(3, f_value(i));
  b_is_null(i) ? w.append_null(4) : w.append_bool(4, i % 3 == 0);
  bin_is_null(i) ? w.append_null(5) : w.append_bytes(5, bin_value(i));
  w.end_row();
}

void write_test_file(const fs::path& path, int64_t rows, const WriterOptions& options,
                     std::vector<WriterColumn> columns = test_columns()) {
  ParquetWriter w(path.string(), std::move(columns), options);
  for (int64_t i = 0; i < rows; ++i) write_test_row(w, i);
  EXPECT_EQ(w.rows_written(), rows);
  w.close();
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mimicit::testing::temp_dir(std::string("writer_") +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name) const { return dir_ / name; }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  fs::path dir_;
};

// ---------------------------------------------------------------------------
// Statistics

TEST(StatisticsBuilderTest, IntegersAreSigned) {
  StatisticsBuilder s(Type::INT32, 16, false);
  s.add_int32(5);
  s.add_null();
  s.add_int32(-7);
  s.add_int32(3);
  Statistics t = s.to_thrift();
  EXPECT_EQ(t.null_count, 1);
  EXPECT_EQ(t.min_value, plain_int32(-7));
  EXPECT_EQ(t.max_value, plain_int32(5));
  EXPECT_EQ(t.min, plain_int32(-7));  // legacy fields agree for signed types
  EXPECT_EQ(t.is_min_value_exact, true);
}

TEST(StatisticsBuilderTest, DoublesSkipNanAndWidenZeros) {
  StatisticsBuilder s(Type::DOUBLE, 16, false);
  s.add_double(NAN);
  EXPECT_FALSE(s.has_bounds());
  EXPECT_FALSE(s.to_thrift().min_value.has_value());
  s.add_double(0.0);
  s.add_double(NAN);
  EncodedBounds b = s.bounds();
  ASSERT_TRUE(b.complete());
  EXPECT_TRUE(std::signbit(as_double(*b.min)));   // -0.0
  EXPECT_FALSE(std::signbit(as_double(*b.max)));  // +0.0
  s.add_double(-2.5);
  s.add_double(1e300);
  b = s.bounds();
  EXPECT_EQ(as_double(*b.min), -2.5);
  EXPECT_EQ(as_double(*b.max), 1e300);
  EXPECT_EQ(s.value_count(), 5);
}

TEST(StatisticsBuilderTest, ByteArraysAreUnsignedBytewise) {
  StatisticsBuilder s(Type::BYTE_ARRAY, 64, false);
  s.add_bytes("abc");
  s.add_bytes("\xff");
  s.add_bytes("");
  s.add_bytes("ab");
  Statistics t = s.to_thrift();
  EXPECT_EQ(t.min_value, "");
  EXPECT_EQ(t.max_value, "\xff");
  EXPECT_FALSE(t.min.has_value());  // legacy fields are signed: not written for byte arrays
  EXPECT_EQ(compare_unsigned("\x80", "\x7f"), 1);
  EXPECT_EQ(compare_unsigned("a", "ab"), -1);
}

TEST(StatisticsBuilderTest, MergeCombinesPages) {
  StatisticsBuilder page(Type::INT64, 16, false), chunk(Type::INT64, 16, false);
  page.add_int64(10);
  page.add_null();
  chunk.merge(page);
  page.reset();
  page.add_int64(-3);
  chunk.merge(page);
  EXPECT_EQ(chunk.null_count(), 1);
  EXPECT_EQ(chunk.value_count(), 2);
  EXPECT_EQ(chunk.bounds().min, plain_int64(-3));
  EXPECT_EQ(chunk.bounds().max, plain_int64(10));
}

TEST(StatisticsBuilderTest, LongBoundsAreTruncatedAndMarkedInexact) {
  StatisticsBuilder s(Type::BYTE_ARRAY, 4, false);
  s.add_bytes("aaaaaaa");
  s.add_bytes("abcdzzzz");
  Statistics t = s.to_thrift();
  EXPECT_EQ(t.min_value, "aaaa");
  EXPECT_EQ(t.is_min_value_exact, false);
  EXPECT_EQ(t.max_value, "abce");  // rounded up
  EXPECT_EQ(t.is_max_value_exact, false);

  StatisticsBuilder exact(Type::BYTE_ARRAY, 4, false);
  exact.add_bytes("abcd");
  EXPECT_EQ(exact.to_thrift().is_max_value_exact, true);
}

TEST(StatisticsBuilderTest, MaxWithoutShortUpperBoundIsOmitted) {
  StatisticsBuilder s(Type::BYTE_ARRAY, 3, false);
  s.add_bytes("\xff\xff\xff\xff");
  Statistics t = s.to_thrift();
  EXPECT_FALSE(t.max_value.has_value());
  EXPECT_FALSE(t.min_value.has_value());
  EXPECT_EQ(t.null_count, 0);
  EXPECT_EQ(truncate_upper_bound("a\xff\xff\xff", 3, false), "b");
}

TEST(StatisticsBuilderTest, StringBoundsStayValidUtf8) {
  // "é" is 2 bytes: a 3-byte limit must not cut the second one in half.
  EXPECT_EQ(truncate_lower_bound("\xc3\xa9\xc3\xa9", 3, true), "\xc3\xa9");
  EXPECT_EQ(truncate_upper_bound("\xc3\xa9\xc3\xa9", 3, true), "\xc3\xaa");  // "ê"
  // U+10FFFF cannot be incremented: the character before it is.
  EXPECT_EQ(truncate_upper_bound("a\xf4\x8f\xbf\xbfzz", 5, true), "b");
  // U+D7FF increments past the surrogates to U+E000.
  EXPECT_EQ(truncate_upper_bound("\xed\x9f\xbfzz", 3, true), "\xee\x80\x80");
  // Bytes that are not UTF-8 fall back to byte-wise rounding.
  EXPECT_EQ(truncate_upper_bound("\xff\x41\x41", 2, true), "\xff\x42");
}

TEST(StatisticsBuilderTest, KeptPrefixesGiveTheSameBoundsAsFullValues) {
  // Two long values sharing more than max_bytes bytes, and one that is a
  // prefix of the others: the bounds must be what full values give.
  StatisticsBuilder s(Type::BYTE_ARRAY, 4, false);
  s.add_bytes("abcdef" + std::string(1000, 'x'));
  s.add_bytes("abcdeg");
  s.add_bytes("abcd");
  EncodedBounds b = s.bounds();
  EXPECT_EQ(b.min, "abcd");
  EXPECT_TRUE(b.min_exact);
  EXPECT_EQ(b.max, "abce");
  EXPECT_FALSE(b.max_exact);
}

TEST(StatisticsBuilderTest, ComparePlainUsesTheTypeOrder) {
  EXPECT_LT(compare_plain(Type::INT32, plain_int32(-1), plain_int32(1)), 0);
  EXPECT_LT(compare_plain(Type::INT64, plain_int64(-1), plain_int64(0)), 0);
  EXPECT_GT(compare_plain(Type::DOUBLE, plain_double(2), plain_double(-3)), 0);
  EXPECT_GT(compare_plain(Type::BYTE_ARRAY, "\xff", "a"), 0);
}

// ---------------------------------------------------------------------------
// pandas metadata

TEST(PandasMetadataTest, NamesTheIndexColumnLast) {
  std::string json = pandas_metadata_json(test_columns(), "n32", "1.2.3");
  EXPECT_NE(json.find(R"("index_columns": ["n32"])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"name": "n32", "field_name": "n32", "pandas_type": "int32")"), std::string::npos);
  EXPECT_LT(json.find(R"("field_name": "bin")"), json.find(R"("field_name": "n32")"));
  EXPECT_NE(json.find(R"("pandas_type": "unicode", "numpy_type": "object")"), std::string::npos);
  EXPECT_NE(json.find(R"("creator": {"library": "mimicit", "version": "1.2.3"})"), std::string::npos);
}

TEST(PandasMetadataTest, AnonymousIndexHasNoName) {
  std::vector<WriterColumn> columns = {{"__index_level_0__", Type::INT64, false}, {"v", Type::BYTE_ARRAY}};
  std::string json = pandas_metadata_json(columns, "__index_level_0__", "1");
  EXPECT_NE(json.find(R"({"name": null, "field_name": "__index_level_0__")"), std::string::npos) << json;
  EXPECT_THROW(pandas_metadata_json(columns, "missing", "1"), Error);
}

TEST(PandasMetadataTest, JsonQuoteEscapes) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01\xc3\xa9"), R"("a\"b\\c\n\u0001)"
                                                 "\xc3\xa9\"");
}

// ---------------------------------------------------------------------------
// Pages

TEST(PageWriterTest, PageSizesAreCheckedAgainstI32) {
  EXPECT_EQ(checked_page_size(std::numeric_limits<int32_t>::max(), "page"),
            std::numeric_limits<int32_t>::max());
  try {
    checked_page_size(int64_t{1} << 31, "compressed page");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit);
    EXPECT_NE(std::string(e.what()).find("compressed page of 2147483648 bytes"), std::string::npos);
  }
}

TEST(PageWriterTest, CrcCoversTheStoredPage) {
  PageWriter writer(Codec::ZSTD, 0, true);
  Buffer out;
  std::string body(1000, 'x');
  WrittenPage page = writer.write_data_page_v2(DataPageHeaderV2{}, as_bytes("lvl"), 0, as_bytes(body), out);
  size_t header_size;
  PageHeader header = decode_page_header(out.view(), &header_size);
  ASSERT_EQ(header.type, PageType::DATA_PAGE_V2);
  EXPECT_EQ(header.data_page_header_v2->definition_levels_byte_length, 3);
  EXPECT_TRUE(header.data_page_header_v2->is_compressed);
  EXPECT_EQ(header.uncompressed_page_size, 1003);
  EXPECT_EQ(header_size + header.compressed_page_size, out.size());
  EXPECT_EQ(page.compressed_size, static_cast<int32_t>(out.size()));
  ByteView stored = out.view().subspan(header_size);
  EXPECT_EQ(static_cast<uint32_t>(*header.crc), crc32(stored));
  EXPECT_EQ(as_string_view(stored.subspan(0, 3)), "lvl");  // levels are never compressed
}

// ---------------------------------------------------------------------------
// Files: structure

TEST_F(WriterTest, FooterDescribesSchemaRowGroupsAndChunks) {
  WriterOptions options;
  options.row_group_rows = 400;
  options.page_rows = 100;
  options.key_value_metadata.push_back({"origin", "test"});
  options.pandas_index_column = "id";
  write_test_file(file("a.parquet"), 1000, options);
  WrittenFile f = load(file("a.parquet"));
  const FileMetaData& m = f.metadata;

  EXPECT_EQ(m.version, 2);
  EXPECT_EQ(m.num_rows, 1000);
  ASSERT_TRUE(m.created_by.has_value());
  EXPECT_EQ(m.created_by->rfind("mimicit version ", 0), 0u);
  ASSERT_EQ(m.schema.size(), 7u);
  EXPECT_EQ(m.schema[0].name, "schema");
  EXPECT_EQ(m.schema[0].num_children, 6);
  EXPECT_EQ(m.schema[1].name, "id");
  EXPECT_EQ(m.schema[1].repetition_type, Repetition::REQUIRED);
  EXPECT_EQ(m.schema[1].converted_type, ConvertedType::UTF8);
  ASSERT_TRUE(m.schema[1].logical_type.has_value());
  EXPECT_EQ(m.schema[1].logical_type->kind, LogicalType::STRING);
  EXPECT_EQ(m.schema[2].type, Type::INT32);
  EXPECT_EQ(m.schema[2].repetition_type, Repetition::OPTIONAL);
  EXPECT_FALSE(m.schema[6].logical_type.has_value());  // binary, not string
  EXPECT_EQ(m.column_orders, std::vector<ColumnOrder>(6, ColumnOrder::TYPE_DEFINED));
  ASSERT_EQ(m.key_value_metadata.size(), 2u);
  EXPECT_EQ(m.key_value_metadata[0].key, "origin");
  EXPECT_EQ(m.key_value_metadata[1].key, "pandas");
  EXPECT_NE(m.key_value_metadata[1].value->find(R"("index_columns": ["id"])"), std::string::npos);

  ASSERT_EQ(m.row_groups.size(), 3u);  // 400 + 400 + 200
  uint64_t expected_offset = 4;        // chunks follow "PAR1" back to back
  for (size_t r = 0; r < m.row_groups.size(); ++r) {
    const RowGroup& group = m.row_groups[r];
    EXPECT_EQ(group.num_rows, r < 2 ? 400 : 200);
    EXPECT_EQ(group.ordinal, static_cast<int16_t>(r));
    EXPECT_EQ(group.file_offset, static_cast<int64_t>(expected_offset));
    int64_t compressed = 0, uncompressed = 0;
    for (size_t c = 0; c < group.columns.size(); ++c) {
      const ColumnChunk& chunk = group.columns[c];
      const ColumnMetaData& meta = *chunk.meta_data;
      EXPECT_EQ(meta.path_in_schema, std::vector<std::string>{m.schema[c + 1].name});
      EXPECT_EQ(meta.type, *m.schema[c + 1].type);
      EXPECT_EQ(meta.codec, Codec::SNAPPY);
      EXPECT_EQ(meta.num_values, group.num_rows);
      int64_t start = meta.dictionary_page_offset.value_or(meta.data_page_offset);
      EXPECT_EQ(start, static_cast<int64_t>(expected_offset)) << "row group " << r << " column " << c;
      EXPECT_EQ(chunk.file_offset, start);
      if (meta.dictionary_page_offset) {
        EXPECT_LT(*meta.dictionary_page_offset, meta.data_page_offset);
      }
      expected_offset += meta.total_compressed_size;
      compressed += meta.total_compressed_size;
      uncompressed += meta.total_uncompressed_size;
    }
    EXPECT_EQ(group.total_compressed_size, compressed);
    EXPECT_EQ(group.total_byte_size, uncompressed);
  }
  EXPECT_LE(expected_offset, f.footer_offset);
}

TEST_F(WriterTest, ChunkStatisticsUseTheTypeOrder) {
  write_test_file(file("s.parquet"), 300, WriterOptions{});
  WrittenFile f = load(file("s.parquet"));
  ASSERT_EQ(f.metadata.row_groups.size(), 1u);
  const auto& chunks = f.metadata.row_groups[0].columns;

  int32_t min32 = INT32_MAX, max32 = INT32_MIN;
  double minf = INFINITY, maxf = -INFINITY;
  int64_t nulls32 = 0, nullsf = 0;
  for (int64_t i = 0; i < 300; ++i) {
    if (n32_is_null(i)) {
      ++nulls32;
    } else {
      min32 = std::min(min32, n32_value(i));
      max32 = std::max(max32, n32_value(i));
    }
    if (f_is_null(i)) {
      ++nullsf;
    } else if (!std::isnan(f_value(i))) {
      minf = std::min(minf, f_value(i));
      maxf = std::max(maxf, f_value(i));
    }
  }
  const Statistics& id = *chunks[0].meta_data->statistics;
  EXPECT_EQ(id.min_value, id_of(0));
  EXPECT_EQ(id.max_value, id_of(299));
  EXPECT_EQ(id.null_count, 0);
  const Statistics& n32 = *chunks[1].meta_data->statistics;
  EXPECT_EQ(n32.min_value, plain_int32(min32));
  EXPECT_EQ(n32.max_value, plain_int32(max32));
  EXPECT_EQ(n32.null_count, nulls32);
  const Statistics& n64 = *chunks[2].meta_data->statistics;
  EXPECT_EQ(n64.min_value, plain_int64(n64_value(0)));
  EXPECT_EQ(n64.max_value, plain_int64(n64_value(299)));
  const Statistics& fs_ = *chunks[3].meta_data->statistics;
  EXPECT_EQ(as_double(*fs_.min_value), minf);  // NaN excluded
  EXPECT_EQ(as_double(*fs_.max_value), maxf);
  EXPECT_EQ(fs_.null_count, nullsf);
  const Statistics& b = *chunks[4].meta_data->statistics;
  EXPECT_EQ(b.min_value, std::string(1, '\0'));
  EXPECT_EQ(b.max_value, std::string(1, '\1'));
  const Statistics& bin = *chunks[5].meta_data->statistics;
  EXPECT_EQ(bin.min_value, "");
  EXPECT_EQ(bin.max_value, "\xff\xff");
}

TEST_F(WriterTest, StatisticsCanBeTurnedOff) {
  WriterOptions options;
  options.statistics = false;
  options.page_index = false;
  write_test_file(file("n.parquet"), 50, options);
  WrittenFile f = load(file("n.parquet"));
  for (const ColumnChunk& c : f.metadata.row_groups[0].columns) {
    EXPECT_FALSE(c.meta_data->statistics.has_value());
    EXPECT_FALSE(c.column_index_offset.has_value());
    EXPECT_FALSE(c.offset_index_offset.has_value());
  }
}

// Walks the pages of every chunk through the offset index and checks each
// page header against it: position, size, first row, CRC.
TEST_F(WriterTest, PageIndexLocatesEveryPage) {
  for (int version : {1, 2}) {
    WriterOptions options;
    options.page_rows = 64;
    options.row_group_rows = 500;
    options.data_page_version = version;
    options.codec = Codec::GZIP;
    fs::path path = file("p" + std::to_string(version) + ".parquet");
    write_test_file(path, 1200, options);
    WrittenFile f = load(path);
    uint64_t chunks_end = 0, indexes_begin = UINT64_MAX;
    for (const RowGroup& group : f.metadata.row_groups) {
      for (size_t c = 0; c < group.columns.size(); ++c) {
        const ColumnChunk& chunk = group.columns[c];
        const ColumnMetaData& meta = *chunk.meta_data;
        chunks_end = std::max<uint64_t>(chunks_end, meta.data_page_offset);
        ASSERT_TRUE(chunk.offset_index_offset && chunk.offset_index_length);
        ASSERT_TRUE(chunk.column_index_offset && chunk.column_index_length);
        indexes_begin = std::min<uint64_t>(indexes_begin, *chunk.column_index_offset);
        OffsetIndex oi =
            decode_offset_index(view(f.bytes, *chunk.offset_index_offset, *chunk.offset_index_length));
        ColumnIndex ci =
            decode_column_index(view(f.bytes, *chunk.column_index_offset, *chunk.column_index_length));
        size_t pages = static_cast<size_t>((group.num_rows + 63) / 64);
        ASSERT_EQ(oi.page_locations.size(), pages);
        ASSERT_EQ(ci.null_pages.size(), pages);
        ASSERT_EQ(ci.null_counts.size(), pages);
        EXPECT_EQ(oi.page_locations[0].offset, meta.data_page_offset);
        int64_t end =
            meta.dictionary_page_offset.value_or(meta.data_page_offset) + meta.total_compressed_size;
        for (size_t p = 0; p < pages; ++p) {
          const PageLocation& loc = oi.page_locations[p];
          EXPECT_EQ(loc.first_row_index, static_cast<int64_t>(p) * 64);
          int64_t next = p + 1 < pages ? oi.page_locations[p + 1].offset : end;
          EXPECT_EQ(loc.offset + loc.compressed_page_size, next);
          size_t header_size;
          PageHeader header =
              decode_page_header(view(f.bytes, loc.offset, loc.compressed_page_size), &header_size);
          EXPECT_EQ(header.type, version == 1 ? PageType::DATA_PAGE : PageType::DATA_PAGE_V2);
          EXPECT_EQ(header_size + header.compressed_page_size, static_cast<size_t>(loc.compressed_page_size));
          ASSERT_TRUE(header.crc.has_value());
          EXPECT_EQ(static_cast<uint32_t>(*header.crc),
                    crc32(view(f.bytes, loc.offset + header_size, header.compressed_page_size)));
          int64_t rows = std::min<int64_t>(64, group.num_rows - loc.first_row_index);
          if (version == 2) {
            EXPECT_EQ(header.data_page_header_v2->num_rows, rows);
            EXPECT_EQ(header.data_page_header_v2->num_nulls, ci.null_counts[p]);
          } else {
            EXPECT_EQ(header.data_page_header->num_values, rows);
          }
        }
        // The id column is sorted, so its pages are in ascending order.
        if (c == 0) {
          EXPECT_EQ(ci.boundary_order, BoundaryOrder::ASCENDING);
        } else if (c == 1) {
          EXPECT_EQ(ci.boundary_order, BoundaryOrder::UNORDERED);
        }
      }
    }
    EXPECT_LT(chunks_end, indexes_begin);
    EXPECT_LT(indexes_begin, f.footer_offset);
  }
}

TEST_F(WriterTest, ColumnIndexHasPageBoundsAndNullPages) {
  std::vector<WriterColumn> columns = {{"v", Type::INT64, true, false, false}};
  WriterOptions options;
  options.page_rows = 10;
  ParquetWriter w(file("c.parquet").string(), columns, options);
  for (int i = 0; i < 30; ++i) {  // page 0: 0..9, page 1: nulls, page 2: descending values
    if (i >= 10 && i < 20)
      w.append_null(0);
    else
      w.append_int64(0, i < 10 ? i : 100 - i);
    w.end_row();
  }
  w.close();
  WrittenFile f = load(file("c.parquet"));
  const ColumnChunk& chunk = f.metadata.row_groups[0].columns[0];
  ColumnIndex ci = decode_column_index(view(f.bytes, *chunk.column_index_offset, *chunk.column_index_length));
  EXPECT_EQ(ci.null_pages, (std::vector<bool>{false, true, false}));
  EXPECT_EQ(ci.null_counts, (std::vector<int64_t>{0, 10, 0}));
  EXPECT_EQ(ci.min_values[0], plain_int64(0));
  EXPECT_EQ(ci.max_values[0], plain_int64(9));
  EXPECT_EQ(ci.min_values[1], "");
  EXPECT_EQ(ci.min_values[2], plain_int64(71));
  EXPECT_EQ(ci.max_values[2], plain_int64(80));
  EXPECT_EQ(ci.boundary_order, BoundaryOrder::ASCENDING);
}

TEST_F(WriterTest, NoColumnIndexWhenAPageIsAllNan) {
  std::vector<WriterColumn> columns = {{"v", Type::DOUBLE, false, false, false}};
  WriterOptions options;
  options.page_rows = 2;
  ParquetWriter w(file("nan.parquet").string(), columns, options);
  for (double v : {1.0, 2.0, std::nan(""), std::nan("")}) {
    w.append_double(0, v);
    w.end_row();
  }
  w.close();
  WrittenFile f = load(file("nan.parquet"));
  const ColumnChunk& chunk = f.metadata.row_groups[0].columns[0];
  EXPECT_FALSE(chunk.column_index_offset.has_value());
  EXPECT_TRUE(chunk.offset_index_offset.has_value());
  EXPECT_EQ(as_double(*chunk.meta_data->statistics->max_value), 2.0);
}

TEST_F(WriterTest, DictionaryEncodingAndFallbackToPlain) {
  std::vector<WriterColumn> columns = {{"s", Type::BYTE_ARRAY, true, true, true}};
  WriterOptions options;
  options.dictionary_bytes = 100;  // room for a few of the 10-byte values
  options.page_rows = 4;
  ParquetWriter w(file("d.parquet").string(), columns, options);
  for (int i = 0; i < 40; ++i) {
    w.append_bytes(0, fmt::format("value{:05d}", i < 12 ? i % 3 : i));
    w.end_row();
  }
  w.close();
  WrittenFile f = load(file("d.parquet"));
  const ColumnMetaData& meta = *f.metadata.row_groups[0].columns[0].meta_data;
  ASSERT_TRUE(meta.dictionary_page_offset.has_value());
  EXPECT_EQ(meta.encodings,
            (std::vector<Encoding>{Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY}));
  int dictionary_pages = 0, dictionary_data_pages = 0, plain_data_pages = 0;
  for (const PageEncodingStats& s : meta.encoding_stats) {
    if (s.page_type == PageType::DICTIONARY_PAGE)
      dictionary_pages += s.count;
    else if (s.encoding == Encoding::RLE_DICTIONARY)
      dictionary_data_pages += s.count;
    else
      plain_data_pages += s.count;
  }
  EXPECT_EQ(dictionary_pages, 1);
  EXPECT_GE(dictionary_data_pages, 3);  // the 12 repeating rows at least
  EXPECT_GE(plain_data_pages, 1);
  EXPECT_EQ(meta.encoding_stats[0].page_type, PageType::DICTIONARY_PAGE);

  size_t header_size;
  PageHeader dict = decode_page_header(
      view(f.bytes, *meta.dictionary_page_offset, meta.data_page_offset - *meta.dictionary_page_offset),
      &header_size);
  ASSERT_EQ(dict.type, PageType::DICTIONARY_PAGE);
  EXPECT_EQ(dict.dictionary_page_header->encoding, Encoding::PLAIN);
  EXPECT_LE(dict.uncompressed_page_size, 100);
}

TEST_F(WriterTest, HugeValueSkipsTheDictionaryAndGetsItsOwnPage) {
  std::vector<WriterColumn> columns = {{"img", Type::BYTE_ARRAY, false, true, true}};
  WriterOptions options;
  options.page_bytes = 1 << 20;
  options.codec = Codec::UNCOMPRESSED;
  std::string big(3 << 20, 'Q');
  ParquetWriter w(file("h.parquet").string(), columns, options);
  for (int i = 0; i < 3; ++i) {
    w.append_bytes(0, big + std::to_string(i));
    w.end_row();
  }
  w.close();
  WrittenFile f = load(file("h.parquet"));
  const ColumnChunk& chunk = f.metadata.row_groups[0].columns[0];
  EXPECT_FALSE(chunk.meta_data->dictionary_page_offset.has_value());
  EXPECT_GT(chunk.meta_data->total_compressed_size, 9 << 20);
  OffsetIndex oi = decode_offset_index(view(f.bytes, *chunk.offset_index_offset, *chunk.offset_index_length));
  EXPECT_EQ(oi.page_locations.size(), 3u);  // one page per multi-megabyte value
  const Statistics& s = *chunk.meta_data->statistics;
  EXPECT_EQ(s.min_value->size(), WriterOptions{}.max_statistics_bytes);
  EXPECT_EQ(s.is_min_value_exact, false);
  EXPECT_EQ(s.is_max_value_exact, false);
}

TEST_F(WriterTest, RowGroupsAreCutBySize) {
  std::vector<WriterColumn> columns = {{"img", Type::BYTE_ARRAY, false, false, false}};
  WriterOptions options;
  options.row_group_bytes = 1 << 20;
  options.codec = Codec::UNCOMPRESSED;
  ParquetWriter w(file("r.parquet").string(), columns, options);
  std::string value(300 << 10, 'z');
  for (int i = 0; i < 10; ++i) {
    w.append_bytes(0, value);
    w.end_row();
  }
  w.close();
  WrittenFile f = load(file("r.parquet"));
  ASSERT_EQ(f.metadata.row_groups.size(), 3u);  // 4 + 4 + 2 rows of 300 KiB
  EXPECT_EQ(f.metadata.row_groups[0].num_rows, 4);
}

TEST_F(WriterTest, BloomFiltersPrecedeThePageIndexes) {
  std::vector<WriterColumn> columns = test_columns();
  columns[0].bloom_filter = true;
  columns[1].bloom_filter = true;
  WriterOptions options;
  options.row_group_rows = 600;
  write_test_file(file("b.parquet"), 1000, options, columns);
  WrittenFile f = load(file("b.parquet"));
  for (size_t r = 0; r < f.metadata.row_groups.size(); ++r) {
    const RowGroup& group = f.metadata.row_groups[r];
    int64_t last_row = static_cast<int64_t>(r) * 600 + group.num_rows - 1;
    EXPECT_FALSE(group.columns[2].meta_data->bloom_filter_offset.has_value());
    for (int c : {0, 1}) {
      const ColumnChunk& chunk = group.columns[c];
      const ColumnMetaData& meta = *chunk.meta_data;
      ASSERT_TRUE(meta.bloom_filter_offset && meta.bloom_filter_length);
      EXPECT_LT(*meta.bloom_filter_offset, *f.metadata.row_groups[0].columns[0].column_index_offset);
      ByteView bytes = view(f.bytes, *meta.bloom_filter_offset, *meta.bloom_filter_length);
      size_t header_size;
      BloomFilterHeader header = decode_bloom_filter_header(bytes, &header_size);
      EXPECT_EQ(header_size + header.num_bytes, bytes.size());
      ByteView bitset = bytes.subspan(header_size);
      // ~600 distinct values at 1%: about 700 bytes, rounded to a power of two.
      EXPECT_GE(bitset.size(), 512u);
      EXPECT_LE(bitset.size(), 2048u);
      if (c == 0) {
        EXPECT_TRUE(bloom_filter_may_contain(bitset, bloom_hash(as_bytes(id_of(last_row)))));
      } else {
        int32_t v = n32_value(last_row - 1);  // a row where n32 is not null
        EXPECT_TRUE(
            bloom_filter_may_contain(bitset, bloom_hash(ByteView(reinterpret_cast<uint8_t*>(&v), 4))));
      }
      int absent_hits = 0;
      for (int i = 0; i < 1000; ++i) {
        absent_hits += bloom_filter_may_contain(bitset, bloom_hash(as_bytes("absent" + std::to_string(i))));
      }
      EXPECT_LT(absent_hits, 60);
    }
  }
}

TEST_F(WriterTest, ZeroRowsMakeAValidEmptyFile) {
  write_test_file(file("z.parquet"), 0, WriterOptions{});
  WrittenFile f = load(file("z.parquet"));
  EXPECT_EQ(f.metadata.num_rows, 0);
  EXPECT_TRUE(f.metadata.row_groups.empty());
  EXPECT_EQ(f.metadata.schema.size(), 7u);
}

// ---------------------------------------------------------------------------
// Atomicity and arguments

TEST_F(WriterTest, FileAppearsOnlyOnClose) {
  fs::path path = file("atomic.parquet");
  {
    ParquetWriter w(path.string(), test_columns());
    write_test_row(w, 0);
    EXPECT_FALSE(fs::exists(path));
    std::vector<std::string> names = listing();
    ASSERT_EQ(names.size(), 1u);
    EXPECT_EQ(names[0].rfind("atomic.parquet.tmp-", 0), 0u);
    w.close();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_EQ(listing(), std::vector<std::string>{"atomic.parquet"});
    EXPECT_THROW(w.append_int64(2, 1), Error);  // closed
  }
  EXPECT_EQ(load(path).metadata.num_rows, 1);
}

TEST_F(WriterTest, DestroyingWithoutCloseLeavesNothing) {
  fs::path path = file("gone.parquet");
  {
    WriterOptions options;
    options.row_group_rows = 10;  // some row groups reach the temporary file
    ParquetWriter w(path.string(), test_columns(), options);
    for (int i = 0; i < 55; ++i) write_test_row(w, i);
  }
  EXPECT_TRUE(listing().empty());
}

TEST_F(WriterTest, DestroyingWithoutCloseKeepsTheOldFile) {
  fs::path path = file("old.parquet");
  write_test_file(path, 3, WriterOptions{});
  {
    ParquetWriter w(path.string(), test_columns());
    for (int i = 0; i < 10; ++i) write_test_row(w, i);
  }
  EXPECT_EQ(load(path).metadata.num_rows, 3);
  EXPECT_EQ(listing().size(), 1u);
}

ErrorCode code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::kInternal;  // "did not throw"
}

TEST_F(WriterTest, InvalidAppendsThrowAndLeaveTheWriterUsable) {
  fs::path path = file("bad.parquet");
  ParquetWriter w(path.string(), test_columns());
  EXPECT_EQ(code_of([&] { w.append_int32(0, 1); }), ErrorCode::kInvalidArgument);    // wrong type
  EXPECT_EQ(code_of([&] { w.append_null(0); }), ErrorCode::kInvalidArgument);        // required
  EXPECT_EQ(code_of([&] { w.append_bytes(6, "x"); }), ErrorCode::kInvalidArgument);  // no such column
  EXPECT_EQ(code_of([&] { w.end_row(); }), ErrorCode::kInvalidArgument);             // row incomplete
  w.append_bytes(0, id_of(0));
  EXPECT_EQ(code_of([&] { w.append_bytes(0, "twice"); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of([&] { w.close(); }), ErrorCode::kInvalidArgument);  // mid-row
  w.append_null(1);
  w.append_int64(2, 7);
  w.append_double(3, 1.5);
  w.append_bool(4, true);
  w.append_null(5);
  w.end_row();
  w.close();
  EXPECT_EQ(load(path).metadata.num_rows, 1);
}

TEST_F(WriterTest, ValueTooLargeForAPageIsRefusedUpFront) {
  // 2 GiB of untouched anonymous memory: costs nothing, and the writer must
  // refuse it by its size alone.
  size_t size = size_t{1} << 31;
  void* memory = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(memory, MAP_FAILED);
  std::vector<WriterColumn> columns = {{"img", Type::BYTE_ARRAY, false, false, false}};
  ParquetWriter w(file("big.parquet").string(), columns);
  try {
    w.append_bytes(0, std::string_view(static_cast<const char*>(memory), size));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit);
    EXPECT_NE(std::string(e.what()).find("row 0, column 'img': a value of 2147483648 bytes"),
              std::string::npos)
        << e.what();
  }
  ::munmap(memory, size);
  w.append_bytes(0, "small");  // the writer is still usable
  w.end_row();
  w.close();
  EXPECT_EQ(load(file("big.parquet")).metadata.num_rows, 1);
}

TEST_F(WriterTest, InvalidSchemasAndOptionsAreRejectedUpFront) {
  auto make = [&](std::vector<WriterColumn> columns, WriterOptions options) {
    return code_of([&] { ParquetWriter w(file("x.parquet").string(), columns, options); });
  };
  WriterOptions ok;
  EXPECT_EQ(make({}, ok), ErrorCode::kInvalidArgument);
  EXPECT_EQ(make({{"a", Type::INT32}, {"a", Type::INT64}}, ok), ErrorCode::kInvalidArgument);
  EXPECT_EQ(make({{"a", Type::INT96}}, ok), ErrorCode::kInvalidArgument);
  EXPECT_EQ(make({{"a", Type::INT32, true, /*is_string=*/true}}, ok), ErrorCode::kInvalidArgument);
  auto with = [&](auto change) {
    WriterOptions o;
    change(o);
    return make(test_columns(), o);
  };
  EXPECT_EQ(with([](WriterOptions& o) { o.codec = Codec::LZO; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with([](WriterOptions& o) { o.data_page_version = 3; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with([](WriterOptions& o) { o.page_rows = 0; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with([](WriterOptions& o) { o.row_group_rows = 0; }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(with([](WriterOptions& o) { o.pandas_index_column = "nope"; }), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(listing().empty());  // nothing was created
}

// ---------------------------------------------------------------------------
// Round trips through the reader

void expect_test_rows(const fs::path& path, int64_t rows) {
  auto pf = ParquetFile::open(path.string());
  ASSERT_EQ(pf->num_rows(), rows);
  RowReader reader(pf);
  std::vector<Value> row;
  for (int64_t i = 0; i < rows; ++i) {
    ASSERT_TRUE(reader.next(row)) << "row " << i;
    ASSERT_EQ(row.size(), 6u);
    EXPECT_EQ(row[0].bytes, id_of(i));
    if (n32_is_null(i)) {
      EXPECT_EQ(row[1].kind, Value::Kind::kNull);
    } else {
      EXPECT_EQ(row[1].i32, n32_value(i)) << "row " << i;
    }
    EXPECT_EQ(row[2].i64, n64_value(i));
    if (f_is_null(i)) {
      EXPECT_EQ(row[3].kind, Value::Kind::kNull);
    } else if (std::isnan(f_value(i))) {
      EXPECT_TRUE(std::isnan(row[3].d));
    } else {
      EXPECT_EQ(row[3].d, f_value(i));
    }
    if (b_is_null(i)) {
      EXPECT_EQ(row[4].kind, Value::Kind::kNull);
    } else {
      EXPECT_EQ(row[4].b, i % 3 == 0);
    }
    if (bin_is_null(i)) {
      EXPECT_EQ(row[5].kind, Value::Kind::kNull);
    } else {
      EXPECT_EQ(row[5].bytes, bin_value(i));
    }
  }
  EXPECT_FALSE(reader.next(row));
}

TEST_F(WriterTest, RoundTripsThroughTheReaderAcrossOptions) {
  struct Case {
    Codec codec;
    int version;
    bool dictionary;
    int64_t dictionary_bytes;
  };
  for (Case c : {Case{Codec::UNCOMPRESSED, 1, true, 1 << 20}, Case{Codec::SNAPPY, 2, true, 1 << 20},
                 Case{Codec::GZIP, 1, false, 1 << 20}, Case{Codec::ZSTD, 2, false, 1 << 20},
                 Case{Codec::SNAPPY, 1, true, 64}, Case{Codec::ZSTD, 2, true, 64}}) {
    SCOPED_TRACE(fmt::format("codec {} v{} dictionary {} limit {}", to_string(c.codec), c.version,
                             c.dictionary, c.dictionary_bytes));
    std::vector<WriterColumn> columns = test_columns();
    for (WriterColumn& col : columns) col.dictionary = c.dictionary;
    WriterOptions options;
    options.codec = c.codec;
    options.data_page_version = c.version;
    options.dictionary_bytes = c.dictionary_bytes;
    options.row_group_rows = 700;
    options.page_rows = 90;
    fs::path path = file("rt.parquet");
    write_test_file(path, 1500, options, columns);
    expect_test_rows(path, 1500);
  }
}

TEST_F(WriterTest, ReaderSeeksThroughTheOffsetIndex) {
  WriterOptions options;
  options.page_rows = 50;
  write_test_file(file("seek.parquet"), 1000, options);
  auto pf = ParquetFile::open(file("seek.parquet").string());
  ColumnChunkReader reader(pf, 0, 0);
  ASSERT_TRUE(reader.seek_to_row(777));
  EXPECT_EQ(reader.page().first_row, 750);
  const DecodedPage& page = reader.decode();
  ASSERT_EQ(page.num_values, 50);
  EXPECT_EQ(page.bytes[27], id_of(777));
  EXPECT_EQ(find_sorted(pf, 0, id_of(612)), 612);
  EXPECT_EQ(find_sorted(pf, 0, "nope"), std::nullopt);
}

TEST_F(WriterTest, RoundTripsEmptyStringsAndOneRow) {
  std::vector<WriterColumn> columns = {{"s", Type::BYTE_ARRAY, true, true, true}};
  ParquetWriter w(file("e.parquet").string(), columns);
  w.append_bytes(0, "");
  w.end_row();
  w.close();
  auto pf = ParquetFile::open(file("e.parquet").string());
  RowReader reader(pf);
  std::vector<Value> row;
  ASSERT_TRUE(reader.next(row));
  EXPECT_EQ(row[0].kind, Value::Kind::kBytes);
  EXPECT_EQ(row[0].bytes, "");
  EXPECT_FALSE(reader.next(row));
}

}  // namespace
}  // namespace mimicit::parquet
