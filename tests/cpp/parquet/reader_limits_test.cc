// ReaderOptions' resource limits: each one refuses the file or page that
// exceeds it with Error(kLimit) naming the limit, before allocating for it,
// and the defaults read the same file; and the schema's depth bound.
// docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/schema.h"
#include "mimicit/parquet/writer.h"
#include "test_data.h"

namespace mimicit::parquet {
namespace {

namespace fs = std::filesystem;

// 200 rows of a dictionary-encoded string column (10 distinct values,
// ZSTD): one row group, pages of at most 50 rows.
std::string write_file() {
  const fs::path path = testing::temp_dir("reader_limits") / "limits.parquet";
  WriterOptions options;
  options.codec = Codec::ZSTD;
  options.page_rows = 50;
  ParquetWriter writer(path.string(), {{.name = "s", .is_string = true}}, options);
  for (int i = 0; i < 200; ++i) {
    writer.append_bytes(0, "value number " + std::to_string(i % 10));
    writer.end_row();
  }
  writer.close();
  return path.string();
}

// The Error(kLimit) message of reading every page with `options`, or "".
std::string limit_error(const std::string& path, const ReaderOptions& options) {
  try {
    auto file = ParquetFile::open(path, options);
    ColumnChunkReader reader(file, 0, 0);
    while (reader.next_page()) reader.decode();
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    return e.what();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ReaderLimits, DefaultsReadTheFile) { EXPECT_EQ(limit_error(write_file(), {}), ""); }

TEST(ReaderLimits, FooterSize) {
  ReaderOptions options;
  options.max_footer_bytes = 16;
  EXPECT_TRUE(contains(limit_error(write_file(), options), "exceeds the limit of 16 bytes"));
}

TEST(ReaderLimits, ValuesPerPage) {
  ReaderOptions options;
  options.max_page_values = 49;
  EXPECT_TRUE(contains(limit_error(write_file(), options), "50 values, over the limit of 49"));
}

TEST(ReaderLimits, DictionaryValues) {
  ReaderOptions options;
  options.max_dictionary_values = 9;
  EXPECT_TRUE(contains(limit_error(write_file(), options), "dictionary of 10 values exceeds the limit of 9"));
}

TEST(ReaderLimits, UncompressedPageSize) {
  ReaderOptions options;
  options.max_page_bytes = 8;
  EXPECT_TRUE(contains(limit_error(write_file(), options), "exceeds the limit of 8 bytes"));
}

// The schema tree is walked recursively: its depth is bounded so a footer
// of nested groups cannot exhaust the stack (kCorrupt, not a limit: no real
// schema comes near it).
TEST(ReaderLimits, SchemaDepth) {
  auto nested = [](int groups) {
    FileMetaData m;
    for (int i = 0; i < groups; ++i) {
      SchemaElement g;
      g.name = "g" + std::to_string(i);
      g.num_children = 1;
      if (i > 0) g.repetition_type = Repetition::OPTIONAL;
      m.schema.push_back(g);
    }
    SchemaElement leaf;
    leaf.name = "leaf";
    leaf.type = Type::INT32;
    leaf.repetition_type = Repetition::OPTIONAL;
    m.schema.push_back(leaf);
    return m;
  };
  EXPECT_NO_THROW(Schema{nested(64)});
  try {
    Schema{nested(66)};
    ADD_FAILURE() << "a schema 66 groups deep was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_TRUE(contains(e.what(), "nested deeper than 64 levels")) << e.what();
  }
}

}  // namespace
}  // namespace mimicit::parquet
