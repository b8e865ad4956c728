// Nested columns of the ParquetWriter (column_tree.h): the schema it
// writes (the 3-level LIST pyarrow writes), the levels of nulls, empty
// lists, null elements and null fields, and the values read back with
// mimicit's reader (RowReader leaf by leaf, point reads of list elements),
// across page versions and page cuts. That pyarrow, pandas and `datasets`
// read the same files identically is tests/python/test_hf_convert.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "test_data.h"

namespace mimicit::parquet {
namespace {

namespace fs = std::filesystem;

WriterColumn string_column(std::string name) {
  WriterColumn c;
  c.name = std::move(name);
  c.is_string = true;
  return c;
}

WriterColumn binary_column(std::string name) {
  WriterColumn c;
  c.name = std::move(name);
  return c;
}

// The Hugging Face Image feature.
WriterColumn image_struct(std::string name) {
  return WriterColumn::structure(std::move(name), {binary_column("bytes"), string_column("path")});
}

// The `X` configuration's columns.
std::vector<WriterColumn> hf_columns() {
  return {string_column("id"), WriterColumn::list("related instructions", string_column("element")),
          image_struct("image"), WriterColumn::list("images", image_struct("element"))};
}

struct Picture {
  std::optional<std::string> bytes;
  std::optional<std::string> path;
  bool null = false;  // the whole struct
};

struct Row {
  std::string id;
  std::optional<std::vector<std::optional<std::string>>> related;  // nullopt: a null list
  Picture image;
  std::optional<std::vector<Picture>> images;
};

void append_picture(ParquetWriter& w, size_t column, const Picture& p) {
  if (p.null) return w.append_null(column);
  w.append_struct(column);
  p.bytes ? w.append_bytes(column, *p.bytes) : w.append_null(column);
  p.path ? w.append_bytes(column, *p.path) : w.append_null(column);
}

void append_row(ParquetWriter& w, const Row& row) {
  w.append_bytes(0, row.id);
  if (!row.related) {
    w.append_null(1);
  } else {
    w.append_list(1, row.related->size());
    for (const auto& r : *row.related) r ? w.append_bytes(1, *r) : w.append_null(1);
  }
  append_picture(w, 2, row.image);
  if (!row.images) {
    w.append_null(3);
  } else {
    w.append_list(3, row.images->size());
    for (const Picture& p : *row.images) append_picture(w, 3, p);
  }
  w.end_row();
}

std::vector<Row> sample_rows(int n) {
  std::vector<Row> rows;
  for (int i = 0; i < n; ++i) {
    Row r;
    r.id = "ins" + std::to_string(i);
    switch (i % 5) {
      case 0: r.related = std::vector<std::optional<std::string>>{}; break;
      case 1: r.related = std::nullopt; break;
      case 2:
        r.related = std::vector<std::optional<std::string>>{"a" + std::to_string(i), std::nullopt, "c"};
        break;
      default: r.related = std::vector<std::optional<std::string>>{"x" + std::to_string(i)}; break;
    }
    r.image = i % 7 == 3
                  ? Picture{std::nullopt, std::nullopt, true}
                  : Picture{std::string(static_cast<size_t>(i % 50) + 1, static_cast<char>('A' + i % 26)),
                            i % 2 ? std::optional<std::string>("p" + std::to_string(i)) : std::nullopt};
    switch (i % 4) {
      case 0: r.images = std::vector<Picture>{}; break;
      case 1: r.images = std::nullopt; break;
      default: {
        std::vector<Picture> pictures;
        for (int k = 0; k < i % 4 + 1; ++k) {
          if (k == 1 && i % 3 == 0)
            pictures.push_back({std::nullopt, std::nullopt, true});
          else
            pictures.push_back({std::string("img") + std::to_string(i) + "_" + std::to_string(k),
                                k % 2 ? std::nullopt : std::optional<std::string>(std::to_string(k))});
        }
        r.images = std::move(pictures);
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

class NestedWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        mimicit::testing::temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name()).string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

int column_of(const ParquetFile& file, const std::string& name) {
  int c = file.schema().find_column(name);
  EXPECT_GE(c, 0) << "no column " << name;
  return c;
}

TEST_F(NestedWriterTest, SchemaIsTheThreeLevelListPyarrowWrites) {
  std::string file_path = path("schema.parquet");
  ParquetWriter w(file_path, hf_columns());
  append_row(w, sample_rows(3)[2]);
  w.close();
  auto file = ParquetFile::open(file_path);
  const std::vector<SchemaElement>& s = file->metadata().schema;
  std::vector<std::string> names;
  for (const SchemaElement& e : s) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"schema", "id", "related instructions", "list", "element", "image",
                                      "bytes", "path", "images", "list", "element", "bytes", "path"}));
  EXPECT_EQ(s[0].num_children, 4);
  EXPECT_EQ(s[2].converted_type, ConvertedType::LIST);
  EXPECT_EQ(s[2].logical_type->kind, LogicalType::LIST);
  EXPECT_EQ(s[2].repetition_type, Repetition::OPTIONAL);
  EXPECT_EQ(s[3].repetition_type, Repetition::REPEATED);
  EXPECT_EQ(s[4].converted_type, ConvertedType::UTF8);
  EXPECT_EQ(s[5].num_children, 2);
  EXPECT_FALSE(s[5].type.has_value());
  EXPECT_FALSE(s[6].converted_type.has_value());  // bytes: binary
  EXPECT_EQ(s[7].converted_type, ConvertedType::UTF8);
  EXPECT_EQ(s[10].num_children, 2);
  ASSERT_EQ(file->schema().num_columns(), 6u);
  const RowGroup& group = file->metadata().row_groups[0];
  EXPECT_EQ(group.columns[5].meta_data->path_in_schema,
            (std::vector<std::string>{"images", "list", "element", "path"}));
  const ColumnDescriptor& images_bytes = file->schema().column(4);
  EXPECT_EQ(images_bytes.max_def_level, 4);
  EXPECT_EQ(images_bytes.max_rep_level, 1);
  // Three pictures in the row: three entries in each images leaf.
  EXPECT_EQ(group.columns[4].meta_data->num_values, 3);
  EXPECT_EQ(group.columns[0].meta_data->num_values, 1);
}

void expect_rows_read_back(const std::string& file_path, const std::vector<Row>& rows) {
  auto file = ParquetFile::open(file_path);
  ASSERT_EQ(file->num_rows(), static_cast<int64_t>(rows.size()));
  RowReader reader(file);
  std::vector<Value> v;
  const int related = column_of(*file, "related instructions");
  const int image_bytes = column_of(*file, "image.bytes");
  const int image_path = column_of(*file, "image.path");
  const int images_bytes = column_of(*file, "images.bytes");
  const int images_path = column_of(*file, "images.path");
  for (const Row& row : rows) {
    SCOPED_TRACE(row.id);
    ASSERT_TRUE(reader.next(v));
    EXPECT_EQ(v[0].bytes, row.id);
    if (!row.related) {
      EXPECT_EQ(v[related].kind, Value::Kind::kNull);
    } else {
      ASSERT_EQ(v[related].kind, Value::Kind::kList);
      ASSERT_EQ(v[related].list.size(), row.related->size());
      for (size_t k = 0; k < row.related->size(); ++k) {
        const auto& want = (*row.related)[k];
        if (want)
          EXPECT_EQ(v[related].list[k].bytes, *want);
        else
          EXPECT_EQ(v[related].list[k].kind, Value::Kind::kNull);
      }
    }
    // A null struct reads as null fields, leaf by leaf.
    if (row.image.null || !row.image.bytes)
      EXPECT_EQ(v[image_bytes].kind, Value::Kind::kNull);
    else
      EXPECT_EQ(v[image_bytes].bytes, *row.image.bytes);
    if (row.image.null || !row.image.path)
      EXPECT_EQ(v[image_path].kind, Value::Kind::kNull);
    else
      EXPECT_EQ(v[image_path].bytes, *row.image.path);
    if (!row.images) {
      EXPECT_EQ(v[images_bytes].kind, Value::Kind::kNull);
      EXPECT_EQ(v[images_path].kind, Value::Kind::kNull);
      continue;
    }
    ASSERT_EQ(v[images_bytes].kind, Value::Kind::kList);
    ASSERT_EQ(v[images_bytes].list.size(), row.images->size());
    ASSERT_EQ(v[images_path].list.size(), row.images->size());
    for (size_t k = 0; k < row.images->size(); ++k) {
      const Picture& p = (*row.images)[k];
      if (p.null || !p.bytes)
        EXPECT_EQ(v[images_bytes].list[k].kind, Value::Kind::kNull);
      else
        EXPECT_EQ(v[images_bytes].list[k].bytes, *p.bytes);
      if (p.null || !p.path)
        EXPECT_EQ(v[images_path].list[k].kind, Value::Kind::kNull);
      else
        EXPECT_EQ(v[images_path].list[k].bytes, *p.path);
    }
  }
  EXPECT_FALSE(reader.next(v));
}

TEST_F(NestedWriterTest, NullsEmptyListsAndFieldsReadBackAcrossOptions) {
  const std::vector<Row> rows = sample_rows(300);
  for (int version : {1, 2}) {
    for (bool dictionary : {true, false}) {
      for (int64_t page_rows : {int64_t{7}, int64_t{20000}}) {
        SCOPED_TRACE(::testing::Message()
                     << "v" << version << " dict " << dictionary << " page_rows " << page_rows);
        WriterOptions options;
        options.data_page_version = version;
        options.page_rows = page_rows;
        options.row_group_rows = 128;
        options.codec = version == 1 ? Codec::SNAPPY : Codec::ZSTD;
        std::vector<WriterColumn> columns = hf_columns();
        if (!dictionary) options.dictionary_bytes = 0;
        std::string file_path = path("rows.parquet");
        ParquetWriter w(file_path, columns, options);
        for (const Row& row : rows) append_row(w, row);
        w.close();
        expect_rows_read_back(file_path, rows);
      }
    }
  }
}

TEST_F(NestedWriterTest, ListElementsArePointReadable) {
  const std::vector<Row> rows = sample_rows(60);
  WriterOptions options;
  options.page_rows = 9;
  std::string file_path = path("point.parquet");
  ParquetWriter w(file_path, hf_columns(), options);
  for (const Row& row : rows) append_row(w, row);
  w.close();
  auto file = ParquetFile::open(file_path);
  ColumnChunkReader reader(file, 0, column_of(*file, "images.bytes"));
  Buffer scratch;
  for (size_t r = rows.size(); r-- > 0;) {  // backwards: every read seeks
    if (!rows[r].images) continue;
    for (size_t k = 0; k < rows[r].images->size(); ++k) {
      const Picture& p = (*rows[r].images)[k];
      std::optional<std::string_view> got =
          reader.read_byte_array_at(static_cast<int64_t>(r), scratch, static_cast<uint32_t>(k));
      if (p.null)
        EXPECT_FALSE(got.has_value());
      else
        EXPECT_EQ(got, std::optional<std::string_view>(*p.bytes));
    }
  }
}

TEST_F(NestedWriterTest, PagesEndOnRowsAndTheOffsetIndexCountsRows) {
  WriterOptions options;
  options.page_rows = 4;
  std::string file_path = path("pages.parquet");
  std::vector<WriterColumn> columns = {WriterColumn::list("tags", string_column("element"))};
  ParquetWriter w(file_path, columns, options);
  for (int i = 0; i < 10; ++i) {
    w.append_list(0, 3);
    for (int k = 0; k < 3; ++k) w.append_bytes(0, std::to_string(i * 3 + k));
    w.end_row();
  }
  w.close();
  auto file = ParquetFile::open(file_path);
  std::optional<OffsetIndex> index = file->offset_index(0, 0);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->page_locations.size(), 3u);
  EXPECT_EQ(index->page_locations[1].first_row_index, 4);
  EXPECT_EQ(index->page_locations[2].first_row_index, 8);
  EXPECT_EQ(file->metadata().row_groups[0].columns[0].meta_data->num_values, 30);
}

TEST_F(NestedWriterTest, CallsThatDoNotFitTheSchemaAreRefusedAndTheWriterStaysUsable) {
  std::string file_path = path("bad.parquet");
  std::vector<WriterColumn> columns = hf_columns();
  columns[1].optional = false;  // a required list
  ParquetWriter w(file_path, columns);
  auto refused = [](auto&& fn, const std::string& message) {
    try {
      fn();
      ADD_FAILURE() << "not refused: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  refused([&] { w.append_bytes(1, "x"); }, "column 'related instructions': expected a list here");
  refused([&] { w.append_null(1); }, "null in a required column");
  refused([&] { w.append_struct(3); }, "cannot append a struct");
  refused([&] { w.append_list(2, 1); }, "cannot append a list");
  w.append_bytes(0, "id");
  w.append_list(1, 0);
  w.append_struct(2);
  w.append_bytes(2, "b");
  refused([&] { w.append_int32(2, 1); }, "cannot append a int32 value to a BYTE_ARRAY column");
  refused([&] { w.end_row(); }, "an incomplete value for column 'image'");
  w.append_null(2);
  w.append_list(3, 1);
  w.append_null(3);
  refused([&] { w.append_null(3); }, "the row already has a value");
  w.end_row();
  w.close();
  auto file = ParquetFile::open(file_path);
  EXPECT_EQ(file->num_rows(), 1);
}

TEST_F(NestedWriterTest, InvalidNestedSchemasAreRejected) {
  auto refused = [&](std::vector<WriterColumn> columns, const std::string& message) {
    try {
      ParquetWriter w(path("x.parquet"), std::move(columns));
      ADD_FAILURE() << "accepted: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  WriterColumn list = WriterColumn::list("l", string_column("element"));
  list.children.push_back(string_column("second"));
  refused({list}, "a list has exactly one child");
  refused({WriterColumn::structure("s", {})}, "a struct needs at least one field");
  refused({WriterColumn::structure("s", {string_column("a"), string_column("a")})},
          "duplicate column name 's.a'");
  WriterOptions options;
  options.pandas_index_column = "l";
  try {
    ParquetWriter w(path("x.parquet"), {WriterColumn::list("l", string_column("element"))}, options);
    ADD_FAILURE() << "a list as the pandas index";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mimicit::parquet
