// Reader tests on the parquet-testing corpus: exact values where the corpus
// ships them (the *_expect.csv files), clean errors on every bad file, and
// no crash on truncated or bit-flipped files. The value-by-value comparison
// of every corpus file against pyarrow lives in tests/python/test_corpus.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "test_data.h"

namespace mimicit::parquet {
namespace {

namespace fs = std::filesystem;
using mimicit::testing::parquet_testing;

std::string render(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull: return "";
    case Value::Kind::kBool: return v.b ? "true" : "false";
    case Value::Kind::kInt32: return std::to_string(v.i32);
    case Value::Kind::kInt64: return std::to_string(v.i64);
    case Value::Kind::kBytes: return std::string(v.bytes);
    default: return "?";
  }
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.push_back(std::exchange(field, {}));
    else
      field += c;
  }
  out.push_back(field);
  return out;
}

// Reads every row of `file` and compares with `csv` (header + one line per row).
void expect_matches_csv(const fs::path& file, const fs::path& csv) {
  auto pf = ParquetFile::open(file.string());
  RowReader reader(pf);
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Value> row;
  int64_t rows = 0;
  while (std::getline(in, line)) {
    ASSERT_TRUE(reader.next(row)) << "missing row " << rows;
    std::vector<std::string> expected = split_csv_line(line);
    ASSERT_EQ(expected.size(), row.size());
    for (size_t i = 0; i < row.size(); ++i) {
      ASSERT_EQ(render(row[i]), expected[i]) << file << " row " << rows << " column " << i;
    }
    ++rows;
  }
  EXPECT_FALSE(reader.next(row));
  EXPECT_EQ(rows, pf->num_rows());
}

TEST(ReaderTest, DeltaEncodedFilesMatchTheirExpectedValues) {
  fs::path data = parquet_testing("data");
  if (data.empty()) GTEST_SKIP() << "no test data";
  for (const char* name : {"delta_binary_packed", "delta_encoding_required_column",
                           "delta_encoding_optional_column", "delta_byte_array"}) {
    fs::path file = data / (std::string(name) + ".parquet");
    if (!fs::exists(file)) continue;
    SCOPED_TRACE(name);
    expect_matches_csv(file, data / (std::string(name) + "_expect.csv"));
  }
}

TEST(ReaderTest, AlltypesPlainHasKnownValues) {
  fs::path data = parquet_testing("data");
  if (data.empty()) GTEST_SKIP() << "no test data";
  auto pf = ParquetFile::open((data / "alltypes_plain.parquet").string());
  ASSERT_EQ(pf->num_rows(), 8);
  int id = pf->schema().find_column("id");
  int bools = pf->schema().find_column("bool_col");
  int strings = pf->schema().find_column("string_col");
  ASSERT_GE(id, 0);
  RowReader reader(pf, {id, bools, strings});
  std::vector<Value> row;
  std::vector<int32_t> ids;
  while (reader.next(row)) {
    ids.push_back(row[0].i32);
    EXPECT_EQ(row[1].kind, Value::Kind::kBool);
    EXPECT_EQ(row[1].b, row[0].i32 % 2 == 0);
    EXPECT_EQ(row[2].bytes, std::to_string(row[0].i32 % 2));
  }
  EXPECT_EQ(ids, (std::vector<int32_t>{4, 5, 6, 7, 2, 3, 0, 1}));
}

TEST(ReaderTest, SeekLandsOnTheRightRowWithTinyPages) {
  fs::path file = parquet_testing("data") / "alltypes_tiny_pages_plain.parquet";
  if (!fs::exists(file)) GTEST_SKIP() << "no test data";
  auto pf = ParquetFile::open(file.string());
  int id = pf->schema().find_column("id");
  RowReader all(pf, {id});
  std::vector<int32_t> ids;
  std::vector<Value> row;
  while (all.next(row)) ids.push_back(row[0].i32);
  ASSERT_EQ(static_cast<int64_t>(ids.size()), pf->num_rows());
  const std::vector<int64_t> targets = {0, 1, 17, 4000, pf->num_rows() - 1, 4001, 3, 5000, 2};
  for (int64_t target : targets) {
    RowReader reader(pf, {id});
    reader.seek(target);
    ASSERT_TRUE(reader.next(row));
    EXPECT_EQ(row[0].i32, ids[static_cast<size_t>(target)]) << "row " << target;
  }
  // One reader seeking back and forth (it keeps its column readers).
  RowReader reused(pf, {id});
  for (int64_t target : targets) {
    reused.seek(target);
    ASSERT_TRUE(reused.next(row));
    EXPECT_EQ(row[0].i32, ids[static_cast<size_t>(target)]) << "row " << target;
    size_t after = static_cast<size_t>(target) + 1;
    if (after == ids.size()) {
      EXPECT_FALSE(reused.next(row));
      continue;
    }
    ASSERT_TRUE(reused.next(row));
    EXPECT_EQ(row[0].i32, ids[after]) << "row after " << target;
  }
}

// Reads every value of every column; returns the error, if any.
std::optional<Error> read_all(const fs::path& file) {
  try {
    auto pf = ParquetFile::open(file.string());
    for (int rg = 0; rg < pf->num_row_groups(); ++rg) {
      for (size_t c = 0; c < pf->schema().num_columns(); ++c) {
        ColumnChunkReader reader(pf, rg, static_cast<int>(c));
        while (reader.next_page()) reader.decode();
      }
    }
    RowReader rows(pf);
    std::vector<Value> row;
    while (rows.next(row)) {
    }
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

TEST(ReaderTest, EveryBadFileFailsWithAnErrorNamingIt) {
  fs::path bad = parquet_testing("bad_data");
  if (bad.empty() || !fs::exists(bad)) GTEST_SKIP() << "no test data";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(bad)) {
    if (entry.path().extension() != ".parquet") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    std::optional<Error> error = read_all(entry.path());
    ASSERT_TRUE(error.has_value()) << "no error for a corrupt file";
    EXPECT_NE(std::string(error->what()).find(entry.path().filename().string()), std::string::npos)
        << error->what();
  }
  EXPECT_GT(files, 0);
}

TEST(ReaderTest, CorpusFilesReadOrFailCleanly) {
  fs::path data = parquet_testing("data");
  if (data.empty()) GTEST_SKIP() << "no test data";
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (entry.path().extension() != ".parquet") continue;
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    std::optional<Error> error = read_all(entry.path());
    if (!error) continue;
    bool crc = name.find("corrupt-checksum") != std::string::npos;
    if (crc) {
      EXPECT_NE(std::string(error->what()).find("CRC"), std::string::npos) << error->what();
    } else {
      EXPECT_EQ(error->code(), ErrorCode::kUnsupported) << error->what();
    }
  }
}

TEST(ReaderTest, TruncatedAndBitFlippedFilesNeverCrash) {
  fs::path data = parquet_testing("data");
  if (data.empty()) GTEST_SKIP() << "no test data";
  fs::path dir = mimicit::testing::temp_dir("reader_mutations");
  std::mt19937_64 rng(42);
  for (const char* name : {"alltypes_plain.snappy.parquet", "datapage_v2.snappy.parquet",
                           "delta_encoding_optional_column.parquet", "nulls.snappy.parquet",
                           "alltypes_dictionary.parquet", "byte_stream_split.zstd.parquet"}) {
    fs::path file = data / name;
    if (!fs::exists(file)) continue;
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    fs::path mutated = dir / "m.parquet";
    auto write = [&](const std::string& content) {
      std::ofstream out(mutated, std::ios::binary | std::ios::trunc);
      out << content;
    };
    for (size_t len = 0; len < bytes.size(); len += 1 + bytes.size() / 64) {
      write(bytes.substr(0, len));
      read_all(mutated);
    }
    for (int i = 0; i < 200; ++i) {
      std::string copy = bytes;
      for (int flips = 0; flips < 3; ++flips) {
        copy[rng() % copy.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      write(copy);
      read_all(mutated);  // either reads or throws mimicit::Error
    }
  }
  fs::remove_all(dir);
}

// Arrow's ApplicationVersion reading of created_by, for PARQUET-816.
TEST(ReaderTest, OldParquetMrIsRecognisedAsArrowDoes) {
  EXPECT_TRUE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.2.8"));
  EXPECT_TRUE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.2.8 (build abc)"));
  EXPECT_TRUE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.1.0"));
  EXPECT_TRUE(written_by_parquet_mr_before_1_2_9("parquet-mr"));  // no version: 0.0.0
  EXPECT_TRUE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.2"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.2.9"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.10.0 (build 031a6654)"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9("parquet-mr version 1.12.0-SNAPSHOT (build 6901a20)"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9("parquet-cpp-arrow version 1.0.0"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9("impala version 1.0"));
  EXPECT_FALSE(written_by_parquet_mr_before_1_2_9(""));
}

}  // namespace
}  // namespace mimicit::parquet
