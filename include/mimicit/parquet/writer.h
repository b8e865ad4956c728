// ParquetWriter: writes a Parquet file row by row, atomically.
//
// The schema is a list of columns, each a value (BOOLEAN, INT32, INT64,
// DOUBLE or BYTE_ARRAY: string or binary), a list of one kind of column or
// a struct of named columns (nested as deep as wanted: the Hugging Face
// layout's `list<string>`, `struct<bytes: binary, path: string>` and
// `list<struct<bytes, path>>`), each required or optional. Lists are
// written as pyarrow writes them: the 3-level LIST of the format spec
// (`optional group images (LIST) { repeated group list { optional ...
// element } }`), with definition and repetition levels, so pyarrow, pandas
// and `datasets` read them back as lists and structs. Values are
// appended one row at a time; a row group is cut when it reaches
// `row_group_rows` rows or about `row_group_bytes` encoded bytes, and its
// column chunks are then written one after the other. Memory use is about
// one row group of encoded data.
//
// The file is written under a temporary name beside `path` and renamed over
// `path` by close(); until then `path` is untouched. Destroying a writer
// that was not closed (an exception, a cancelled job) removes the temporary
// file. A ParquetWriter is not thread-safe; use one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

// What a column holds: one value, a list of `children[0]` (the element;
// its name is ignored: the file calls it `element`), or a struct of the
// `children` (named fields, at least one).
enum class Shape : uint8_t { kValue, kList, kStruct };

struct WriterColumn {
  std::string name;
  Type type = Type::BYTE_ARRAY;  // kValue: BOOLEAN, INT32, INT64, DOUBLE or BYTE_ARRAY
  bool optional = true;          // nullable
  bool is_string = false;        // BYTE_ARRAY only: annotate as STRING (UTF-8)
  bool dictionary = true;        // try dictionary encoding (falls back to PLAIN when too large)
  bool bloom_filter = false;     // write a split-block bloom filter for this column
  Shape shape = Shape::kValue;
  std::vector<WriterColumn> children;  // kList: the element; kStruct: the fields

  // A nullable list of `element`, and a nullable struct of `fields`.
  static WriterColumn list(std::string name, WriterColumn element);
  static WriterColumn structure(std::string name, std::vector<WriterColumn> fields);
};

struct WriterOptions {
  Codec codec = Codec::SNAPPY;          // UNCOMPRESSED, SNAPPY, GZIP or ZSTD
  int compression_level = 0;            // 0 = the codec's default
  int64_t row_group_rows = 1 << 20;     // rows per row group at most
  int64_t row_group_bytes = 128 << 20;  // encoded bytes per row group, about
  int64_t page_bytes = 1 << 20;         // encoded bytes per data page, about
  int64_t page_rows = 20000;            // rows per data page at most (keeps pages small for lookups)
  int64_t dictionary_bytes = 1 << 20;   // dictionary page size limit before falling back to PLAIN
  int data_page_version = 1;            // 1 or 2
  bool statistics = true;               // min/max/null_count per chunk and page
  bool page_index = true;               // ColumnIndex + OffsetIndex
  bool write_crc = true;                // page CRC32
  // min/max of longer values are truncated (and marked inexact). Image
  // payloads make useless bounds, so the default keeps page indexes small
  // (64, like parquet-mr's column index truncation); ids fit whole.
  size_t max_statistics_bytes = 64;
  double bloom_filter_fpp = 0.01;  // target false-positive rate of bloom filters
  std::vector<KeyValue> key_value_metadata;
  // When set, names the column that pandas restores as the DataFrame index:
  // a `pandas` key-value entry is written (like pyarrow does for
  // DataFrame.to_parquet) with this column in index_columns.
  std::string pandas_index_column;
  std::string created_by;  // default "mimicit version X"
};

class ParquetWriter {
 public:
  ParquetWriter(std::string path, std::vector<WriterColumn> columns, WriterOptions options = {});
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  // Appends one value to column `column` of the current row. Exactly one
  // value per column per row, in any column order, then end_row(). The type
  // must match the column's (int32 for INT32, ...); a mismatch or a null in a
  // required column throws Error(kInvalidArgument).
  //
  // Nested columns take their value as a sequence of calls, depth first:
  // append_list(c, n) opens a list of n elements, each then appended in
  // turn (a value, a null, a list or a struct); append_struct(c) opens a
  // struct whose fields are then appended in schema order; append_null(c)
  // is a null list, struct or value wherever one is expected. The column's
  // value is complete when its last element or field is in. E.g. a row of
  // `images: list<struct<bytes, path>>` holding two pictures:
  //   append_list(c, 2);
  //   append_struct(c); append_bytes(c, png); append_bytes(c, "a.png");
  //   append_struct(c); append_bytes(c, jpg); append_null(c);
  void append_list(size_t column, size_t length);
  void append_struct(size_t column);
  void append_null(size_t column);
  void append_bool(size_t column, bool value);
  void append_int32(size_t column, int32_t value);
  void append_int64(size_t column, int64_t value);
  void append_double(size_t column, double value);
  void append_bytes(size_t column, std::string_view value);
  void end_row();

  // Flushes the last row group, writes the page indexes, bloom filters and
  // the footer, and renames the file into place. Throws Error on failure, in
  // which case the final path is untouched.
  void close();

  int64_t rows_written() const;
  const std::string& path() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicit::parquet
