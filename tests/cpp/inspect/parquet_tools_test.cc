// Tests of the parquet tools: the JSON/CSV rendering of values (a contract
// the end-to-end comparison with pyarrow relies on), and `cat` / `check` on
// a small file written with ParquetWriter.
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "convert/demo.h"
#include "inspect/parquet_cat.h"
#include "inspect/parquet_check.h"
#include "inspect/parquet_meta.h"
#include "inspect/value_format.h"
#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "test_data.h"

namespace mimicit::inspect {
namespace {

using parquet::ColumnDescriptor;
using parquet::ConvertedType;
using parquet::Type;
using parquet::Value;

ColumnDescriptor column_of(Type type, std::optional<ConvertedType> converted = std::nullopt) {
  ColumnDescriptor column;
  column.type = type;
  column.converted_type = converted;
  return column;
}

std::string json_of(const Value& value, const ColumnDescriptor& column) {
  std::string out;
  append_json_value(out, value, column);
  return out;
}

std::string csv_of(const Value& value, const ColumnDescriptor& column) {
  std::string out;
  append_csv_value(out, value, column);
  return out;
}

Value int32_value(int32_t v) {
  Value value;
  value.kind = Value::Kind::kInt32;
  value.i32 = v;
  return value;
}

Value int64_value(int64_t v) {
  Value value;
  value.kind = Value::Kind::kInt64;
  value.i64 = v;
  return value;
}

Value float_value(float v) {
  Value value;
  value.kind = Value::Kind::kFloat;
  value.f = v;
  return value;
}

Value double_value(double v) {
  Value value;
  value.kind = Value::Kind::kDouble;
  value.d = v;
  return value;
}

Value bytes_value(std::string_view v) {
  Value value;
  value.kind = Value::Kind::kBytes;
  value.bytes = v;
  return value;
}

TEST(JsonNumber, NonFiniteAreStrings) {
  const auto column = column_of(Type::DOUBLE);
  EXPECT_EQ(json_of(double_value(std::nan("")), column), "\"NaN\"");
  EXPECT_EQ(json_of(double_value(std::numeric_limits<double>::infinity()), column), "\"Infinity\"");
  EXPECT_EQ(json_of(double_value(-std::numeric_limits<double>::infinity()), column), "\"-Infinity\"");
  EXPECT_EQ(json_of(float_value(std::nanf("")), column_of(Type::FLOAT)), "\"NaN\"");
  EXPECT_EQ(csv_of(double_value(-std::numeric_limits<double>::infinity()), column), "-Infinity");
}

TEST(JsonValue, IntegersSignedAndUnsigned) {
  EXPECT_EQ(json_of(int32_value(-1), column_of(Type::INT32)), "-1");
  EXPECT_EQ(json_of(int32_value(-1), column_of(Type::INT32, ConvertedType::UINT_32)), "4294967295");
  EXPECT_EQ(json_of(int64_value(-1), column_of(Type::INT64)), "-1");
  EXPECT_EQ(json_of(int64_value(-1), column_of(Type::INT64, ConvertedType::UINT_64)), "18446744073709551615");
  EXPECT_EQ(json_of(int64_value(std::numeric_limits<int64_t>::min()), column_of(Type::INT64)),
            "-9223372036854775808");
  // DATE is its physical INT32.
  EXPECT_EQ(json_of(int32_value(19000), column_of(Type::INT32, ConvertedType::DATE)), "19000");
}

TEST(JsonValue, BooleansAndNulls) {
  Value value;
  EXPECT_EQ(json_of(value, column_of(Type::BOOLEAN)), "null");
  EXPECT_EQ(csv_of(value, column_of(Type::BOOLEAN)), "");
  value.kind = Value::Kind::kBool;
  value.b = true;
  EXPECT_EQ(json_of(value, column_of(Type::BOOLEAN)), "true");
  value.b = false;
  EXPECT_EQ(csv_of(value, column_of(Type::BOOLEAN)), "false");
}

TEST(JsonValue, StringsAndBinary) {
  EXPECT_EQ(json_of(bytes_value("a\"b"), column_of(Type::BYTE_ARRAY, ConvertedType::UTF8)), "\"a\\\"b\"");
  // Binary without a string annotation is base64.
  EXPECT_EQ(json_of(bytes_value(std::string_view("\x00\x01\x02\xff", 4)), column_of(Type::BYTE_ARRAY)),
            "\"AAEC/w==\"");
  ColumnDescriptor uuid = column_of(Type::FIXED_LEN_BYTE_ARRAY);
  uuid.type_length = 2;
  EXPECT_EQ(json_of(bytes_value("hi"), uuid), "\"aGk=\"");
  Value int96;
  int96.kind = Value::Kind::kInt96;
  int96.bytes = std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0", 12);
  EXPECT_EQ(json_of(int96, column_of(Type::INT96)), "\"AAAAAAAAAAAAAAAA\"");
}

TEST(JsonValue, ListsAreArrays) {
  Value list;
  list.kind = Value::Kind::kList;
  list.list = {int64_value(1), Value(), int64_value(3)};
  EXPECT_EQ(json_of(list, column_of(Type::INT64)), "[1,null,3]");
  EXPECT_EQ(csv_of(list, column_of(Type::INT64)), "\"[1,null,3]\"");
  list.list.clear();
  EXPECT_EQ(json_of(list, column_of(Type::INT64)), "[]");
}

TEST(CsvValue, QuotesPerRfc4180) {
  const auto text = column_of(Type::BYTE_ARRAY, ConvertedType::UTF8);
  EXPECT_EQ(csv_of(bytes_value("plain"), text), "plain");
  EXPECT_EQ(csv_of(bytes_value("a,b"), text), "\"a,b\"");
  EXPECT_EQ(csv_of(bytes_value("say \"hi\""), text), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_of(bytes_value("two\nlines"), text), "\"two\nlines\"");
  EXPECT_EQ(csv_of(bytes_value(""), text), "\"\"");  // empty string, unlike null
}

TEST(PlainValue, DecodesStatisticsBounds) {
  const std::string four("\x01\x00\x00\x80", 4);
  auto value = value_from_plain(four, column_of(Type::INT32));
  ASSERT_TRUE(value);
  EXPECT_EQ(json_of(*value, column_of(Type::INT32)), "-2147483647");
  EXPECT_FALSE(value_from_plain(four, column_of(Type::INT64)));
  value = value_from_plain("abc", column_of(Type::BYTE_ARRAY, ConvertedType::UTF8));
  ASSERT_TRUE(value);
  EXPECT_EQ(value->bytes, "abc");
}

// ---------------------------------------------------------------------------
// cat and check on a file written by ParquetWriter.

class ToolsOnFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mimicit_tools_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "small.parquet").string();
    write_small_file();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // 5 rows in row groups of 2: id (required string), n (optional int64),
  // x (optional double), ok (required boolean), blob (optional binary).
  void write_small_file() {
    parquet::WriterOptions options;
    options.row_group_rows = 2;
    parquet::ParquetWriter writer(path_,
                                  {{.name = "id", .optional = false, .is_string = true},
                                   {.name = "n", .type = Type::INT64},
                                   {.name = "x", .type = Type::DOUBLE},
                                   {.name = "ok", .type = Type::BOOLEAN, .optional = false},
                                   {.name = "blob"}},
                                  options);
    const char* ids[] = {"a", "b,c", "d\"e", "f\ng", ""};
    for (int i = 0; i < 5; ++i) {
      writer.append_bytes(0, ids[i]);
      if (i == 1) {
        writer.append_null(1);
        writer.append_null(2);
      } else {
        writer.append_int64(1, i * 10 - 20);
        writer.append_double(2, i == 3 ? std::nan("") : i * 0.5);
      }
      writer.append_bool(3, i % 2 == 0);
      if (i == 4) {
        writer.append_null(4);
      } else {
        writer.append_bytes(4, std::string(static_cast<size_t>(i), '\xff'));
      }
      writer.end_row();
    }
    writer.close();
  }

  std::string cat(const CatOptions& options) {
    std::ostringstream out;
    cat_parquet(path_, options, out);
    return out.str();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ToolsOnFile, CatJsonl) {
  EXPECT_EQ(cat({}),
            "{\"id\":\"a\",\"n\":-20,\"x\":0,\"ok\":true,\"blob\":\"\"}\n"
            "{\"id\":\"b,c\",\"n\":null,\"x\":null,\"ok\":false,\"blob\":\"/w==\"}\n"
            "{\"id\":\"d\\\"e\",\"n\":0,\"x\":1,\"ok\":true,\"blob\":\"//8=\"}\n"
            "{\"id\":\"f\\u000ag\",\"n\":10,\"x\":\"NaN\",\"ok\":false,\"blob\":\"////\"}\n"
            "{\"id\":\"\",\"n\":20,\"x\":2,\"ok\":true,\"blob\":null}\n");
}

TEST_F(ToolsOnFile, CatCsvWithColumnsOffsetAndLimit) {
  CatOptions options;
  options.format = CatFormat::kCsv;
  options.columns = {"x", "id"};
  options.offset = 1;
  options.limit = 3;
  EXPECT_EQ(cat(options),
            "x,id\n"
            ",\"b,c\"\n"
            "1,\"d\"\"e\"\n"
            "NaN,\"f\ng\"\n");
}

TEST_F(ToolsOnFile, CatLimitZeroAndOffsetPastTheEnd) {
  CatOptions options;
  options.limit = 0;
  EXPECT_EQ(cat(options), "");
  options.limit = -1;
  options.offset = 99;
  options.format = CatFormat::kCsv;
  options.columns = {"id"};
  EXPECT_EQ(cat(options), "id\n");
}

TEST_F(ToolsOnFile, CatUnknownColumnListsTheAvailableOnes) {
  CatOptions options;
  options.columns = {"nope"};
  try {
    cat(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message(), path_ + ": unknown column 'nope' (available: id, n, x, ok, blob)");
  }
}

TEST_F(ToolsOnFile, CheckCountsEveryValue) {
  for (int threads : {1, 3}) {
    const CheckReport report = check_parquet(path_, {.threads = threads});
    EXPECT_TRUE(report.problems.empty()) << report.problems.front();
    EXPECT_EQ(report.num_rows, 5);
    EXPECT_EQ(report.num_row_groups, 3);
    ASSERT_EQ(report.columns.size(), 5u);
    const int64_t nulls[] = {0, 1, 1, 0, 1};
    for (size_t c = 0; c < 5; ++c) {
      EXPECT_EQ(report.columns[c].rows, 5) << c;
      EXPECT_EQ(report.columns[c].nulls, nulls[c]) << c;
      EXPECT_EQ(report.columns[c].values, 5 - nulls[c]) << c;
      EXPECT_GE(report.columns[c].pages, 3) << c;
      EXPECT_GT(report.columns[c].bytes, 0) << c;
    }
    std::ostringstream out;
    print_check_report(report, out);
    EXPECT_NE(out.str().find("ok\n"), std::string::npos) << out.str();
  }
}

TEST_F(ToolsOnFile, CheckReportsACorruptPage) {
  // Flip the last byte of the first column chunk: the end of its last page,
  // which the page CRC covers.
  int64_t chunk_end = 0;
  {
    const auto file = parquet::ParquetFile::open(path_);
    const auto& chunk = file->chunk_metadata(0, 0);
    const int64_t start = chunk.dictionary_page_offset.value_or(chunk.data_page_offset);
    chunk_end = std::min(start, chunk.data_page_offset) + chunk.total_compressed_size;
  }
  std::string bytes;
  {
    std::ifstream in(path_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[static_cast<size_t>(chunk_end - 1)] ^= 0x55;
  {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const CheckReport report = check_parquet(path_, {.threads = 2});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].rfind(path_ + ": row group 0, column 'id'", 0), 0u) << report.problems[0];
}

TEST_F(ToolsOnFile, MetaJsonNamesTheColumns) {
  std::ostringstream out;
  print_parquet_meta(path_, MetaFormat::kJson, out);
  const std::string json = out.str();
  EXPECT_NE(json.find("\"num_rows\":5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"path\":\"blob\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"min\":-20"), std::string::npos) << json;
  EXPECT_NE(json.find("\"max\":20"), std::string::npos) << json;
}

TEST_F(ToolsOnFile, DemoStoreHoldsEveryImageSortedById) {
  const auto images = dir_ / "demo" / "images";
  std::filesystem::create_directories(images);
  for (const char* name : {"B_IMG_2.png", "A_IMG_1.jpg", "README.txt"}) {
    std::ofstream(images / name, std::ios::binary) << "\x89PNG" << name;
  }
  const auto store = convert::write_demo_store(dir_ / "demo", dir_ / "out");
  EXPECT_EQ(store, dir_ / "out" / "demo_store");
  const std::string part = (store / "part.0.parquet").string();
  std::ostringstream out;
  cat_parquet(part, {}, out);
  EXPECT_EQ(out.str(),
            "{\"__index_level_0__\":\"A_IMG_1\",\"base64\":\"iVBOR0FfSU1HXzEuanBn\"}\n"
            "{\"__index_level_0__\":\"B_IMG_2\",\"base64\":\"iVBOR0JfSU1HXzIucG5n\"}\n");
  const CheckReport report = check_parquet(part, {});
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.num_rows, 2);
}

TEST_F(ToolsOnFile, DemoWithoutImagesFails) {
  std::filesystem::create_directories(dir_ / "empty" / "images");
  EXPECT_THROW(convert::write_demo_store(dir_ / "empty", dir_ / "out"), Error);
}

// ---------------------------------------------------------------------------
// Files of the parquet-testing corpus (skipped without MIMICIT_TESTDATA).

TEST(ToolsOnCorpus, CatListColumns) {
  const std::string path = mimicit::testing::corpus_file("list_columns.parquet");
  if (path.empty()) GTEST_SKIP() << "no test data";
  std::ostringstream jsonl;
  cat_parquet(path, {}, jsonl);
  EXPECT_EQ(jsonl.str(),
            "{\"int64_list\":[1,2,3],\"utf8_list\":[\"abc\",\"efg\",\"hij\"]}\n"
            "{\"int64_list\":[null,1],\"utf8_list\":null}\n"
            "{\"int64_list\":[4],\"utf8_list\":[\"efg\",null,\"hij\",\"xyz\"]}\n");
  std::ostringstream csv;
  cat_parquet(path, {.offset = 1, .format = CatFormat::kCsv}, csv);
  EXPECT_EQ(csv.str(),
            "int64_list,utf8_list\n"
            "\"[null,1]\",\n"
            "[4],\"[\"\"efg\"\",null,\"\"hij\"\",\"\"xyz\"\"]\"\n");
}

TEST(ToolsOnCorpus, CheckDecodesMapsAndCatchesBadChecksums) {
  const std::string maps = mimicit::testing::corpus_file("nested_maps.snappy.parquet");
  if (maps.empty()) GTEST_SKIP() << "no test data";
  const CheckReport report = check_parquet(maps, {});
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_EQ(report.columns.size(), 5u);
  for (const ColumnCheck& column : report.columns) EXPECT_EQ(column.rows, 6) << column.name;
  EXPECT_EQ(check_parquet(maps, {.columns = {"a.key_value.key"}}).columns.size(), 1u);

  const CheckReport bad =
      check_parquet(mimicit::testing::corpus_file("datapage_v1-corrupt-checksum.parquet"), {});
  ASSERT_FALSE(bad.problems.empty());
  EXPECT_NE(bad.problems[0].find("CRC"), std::string::npos) << bad.problems[0];
}

}  // namespace
}  // namespace mimicit::inspect
