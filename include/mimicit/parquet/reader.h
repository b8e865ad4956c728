// Reading Parquet files: the file, one column chunk page by page, and rows.
//
// ParquetFile maps the file and decodes its footer. It reads nothing else:
// pages are decoded only when a ColumnChunkReader asks, so opening a 20 GB
// file costs its footer. Every offset and size taken from the file is
// checked against the file before use; corrupt input throws Error(kCorrupt)
// whose message names the file and the place (row group, column, page
// offset). Sizes and offsets are 64-bit throughout: column chunks over 4 GiB
// read like any other.
//
// Thread-safety: a ParquetFile is immutable after open() and may be shared by
// any number of threads. ColumnChunkReader and RowReader are single-threaded
// cursors; create one per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/file.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/parquet/schema.h"

namespace mimicit::parquet {

class SeekTables;  // src/parquet/reader/seek_table.h
struct SeekTable;
}  // namespace mimicit::parquet
namespace mimicit {
class WorkerPool;  // src/util/worker_pool.h
}  // namespace mimicit
namespace mimicit::parquet {

struct ReaderOptions {
  bool verify_crc = true;                       // page CRC mismatch => Error(kCorrupt)
  uint64_t max_footer_bytes = 256ull << 20;     // larger footers are refused (kLimit)
  uint64_t max_page_bytes = 2ull << 30;         // uncompressed page size limit (kLimit)
  uint64_t max_dictionary_values = 1ull << 28;  // dictionary entries limit (kLimit)
  uint64_t max_page_values = 1ull << 26;        // values (levels) per page limit (kLimit)
  // ColumnChunkReader::read_byte_array_at streams pages (and dictionary
  // pages) that decompress to more than this instead of decoding them whole.
  uint64_t stream_pages_above = 4ull << 20;
};

class ParquetFile {
 public:
  static std::shared_ptr<const ParquetFile> open(const std::string& path, const ReaderOptions& options = {});
  static std::shared_ptr<const ParquetFile> open(std::shared_ptr<const MappedFile> file,
                                                 const ReaderOptions& options = {});

  const std::string& path() const { return file_->path(); }
  const MappedFile& file() const { return *file_; }
  const ReaderOptions& options() const { return options_; }
  const FileMetaData& metadata() const { return metadata_; }
  const Schema& schema() const { return *schema_; }
  uint64_t footer_bytes() const { return footer_bytes_; }

  int64_t num_rows() const { return metadata_.num_rows; }
  int num_row_groups() const { return static_cast<int>(metadata_.row_groups.size()); }
  // Global index of the first row of a row group.
  int64_t row_group_first_row(int row_group) const { return row_group_starts_.at(row_group); }
  // The row group holding global row `row` (binary search), -1 if out of range.
  int row_group_of(int64_t row) const;

  // Value of a key-value metadata entry, or nullptr.
  const std::string* key_value(std::string_view key) const;

  // The checked metadata of one column chunk (throws if absent or encrypted).
  const ColumnMetaData& chunk_metadata(int row_group, int column) const;

  // Page index of one chunk, decoded on each call (they are small); nullopt
  // when the file has none for this chunk.
  std::optional<OffsetIndex> offset_index(int row_group, int column) const;
  std::optional<ColumnIndex> column_index(int row_group, int column) const;

  // "file.parquet: row group 1, column 'a.b'" for error messages.
  std::string where(int row_group, int column) const;

  // Bytes a column chunk is read past its recorded total_compressed_size
  // (never past the end of the file): kParquet816Padding for files of
  // parquet-mr before 1.2.9 (created_by "parquet-mr version 1.2.8" or no
  // version at all), whose sizes leave out the dictionary page header
  // (PARQUET-816), 0 otherwise. pyarrow pads exactly so
  // (ComputeColumnChunkRange), so such files read as pyarrow reads them.
  uint64_t chunk_padding() const { return chunk_padding_; }
  static constexpr uint64_t kParquet816Padding = 100;

 private:
  ParquetFile() = default;
  std::shared_ptr<const MappedFile> file_;
  ReaderOptions options_;
  FileMetaData metadata_;
  std::unique_ptr<Schema> schema_;
  std::vector<int64_t> row_group_starts_;
  uint64_t footer_bytes_ = 0;
  uint64_t chunk_padding_ = 0;
};

// Whether `created_by` names parquet-mr before version 1.2.9, parsed as
// Arrow's ApplicationVersion does: the application is the text before
// " version " (all of it when there is none), the version its leading
// major.minor.patch numbers (missing ones 0).
bool written_by_parquet_mr_before_1_2_9(std::string_view created_by);

// One data page, decoded. Values are stored for the non-null entries only.
// The pointers stay valid until the reader moves to another page.
struct DecodedPage {
  int64_t num_levels = 0;               // entries in the page (values + nulls)
  int64_t num_rows = 0;                 // rows that start in this page
  const int16_t* def_levels = nullptr;  // num_levels entries; nullptr when max_def_level == 0
  const int16_t* rep_levels = nullptr;  // num_levels entries; nullptr when max_rep_level == 0
  int64_t num_values = 0;               // non-null values
  // BOOLEAN (one byte 0/1), INT32, INT64, INT96 (12 bytes), FLOAT, DOUBLE:
  // num_values * ColumnDescriptor::fixed_width() bytes, little-endian.
  const uint8_t* fixed = nullptr;
  // BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY: num_values views.
  const std::string_view* bytes = nullptr;
};

struct PageInfo {
  PageType type = PageType::DATA_PAGE;
  uint64_t offset = 0;     // file offset of the page header
  int64_t first_row = 0;   // row (within the row group) of the page's first row
  int32_t num_levels = 0;  // header num_values
  Encoding encoding = Encoding::PLAIN;
  int32_t compressed_size = 0;
  int32_t uncompressed_size = 0;
};

// Reads one column chunk page by page. Dictionary pages are loaded
// transparently. CRCs are checked (when present and verify_crc is set) on
// every page that is read.
class ColumnChunkReader {
 public:
  ColumnChunkReader(std::shared_ptr<const ParquetFile> file, int row_group, int column);
  ~ColumnChunkReader();
  ColumnChunkReader(ColumnChunkReader&&) noexcept;

  // Moves to the next data page. Returns false after the last one.
  bool next_page();
  // Moves to the data page holding row `row` (index within the row group),
  // through the offset index when there is one (touching only that page and
  // the dictionary), else by walking page headers. False when out of range.
  bool seek_to_row(int64_t row);

  const PageInfo& page() const;
  // Decodes the current page (once; repeated calls return the same result).
  const DecodedPage& decode();

  // The BYTE_ARRAY value at row `row` (within the row group) of a column
  // without lists, or element `element` of that row's list in a list
  // column (a list of binaries, or a list of structs read leaf by leaf:
  // schema.h), read with as little work and memory as possible:
  // a small page is decoded whole (and kept, so neighbouring rows are
  // cheap); when the page the value lives in, or the dictionary page it
  // points into, decompresses to more than ReaderOptions::stream_pages_above
  // bytes, the page is streamed up to the value instead (page_stream.h) and
  // the value copied into `scratch`. Streamed pages are not CRC-checked (that
  // would mean reading them whole). Returns nullopt for a null value. The view stays valid
  // until the next call on this reader or a change to `scratch`.
  // Errors: kInvalidArgument for a row outside the row group, an element
  // its list does not hold (or a null or empty list), a column of another
  // type or of nested lists; kUnsupported when the row's list goes on in
  // the next page (writers that write a page index keep rows whole); data
  // errors as decode().
  std::optional<std::string_view> read_byte_array_at(int64_t row, Buffer& scratch, uint32_t element = 0);

  // Seek tables (src/parquet/reader/seek_table.h) make read_byte_array_at decode
  // at most about 1 MiB before a value in a large page instead of the page
  // up to the value. `tables` (of this file; nullptr: none) must outlive
  // the reader. build_seek_tables appends the tables of this chunk's large
  // pages, reading each once front to back (on `pool`'s threads when given,
  // a page per thread), and reports compressed bytes walked (small pages
  // included) to `progress`, from those threads.
  void set_seek_tables(const SeekTables* tables);
  void build_seek_tables(std::vector<SeekTable>& out, const std::function<void(uint64_t)>& progress = {},
                         WorkerPool* pool = nullptr);

  const ColumnDescriptor& descriptor() const;
  // Counters since construction, for `parquet check`.
  int64_t pages_read() const;
  int64_t bytes_read() const;  // compressed bytes of headers + pages touched

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A value of one row in one field (column), as RowReader assembles it.
struct Value {
  enum class Kind : uint8_t { kNull, kBool, kInt32, kInt64, kInt96, kFloat, kDouble, kBytes, kList };
  Kind kind = Kind::kNull;
  union {
    bool b;
    int32_t i32;
    int64_t i64;
    float f;
    double d;
  };
  std::string_view bytes;   // kBytes (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY) and kInt96 (12 raw bytes)
  std::vector<Value> list;  // kList elements (never kList themselves)
  Value() : i64(0) {}
};

// Reads rows of selected columns, row group by row group, assembling list
// columns. The views in returned Values stay valid until the next call.
class RowReader {
 public:
  // `columns`: column indices (empty = all). Throws Error(kUnsupported)
  // naming the first column whose shape is out of scope.
  RowReader(std::shared_ptr<const ParquetFile> file, std::vector<int> columns = {});
  ~RowReader();

  const std::vector<int>& columns() const;
  // Skips to global row `row` (pruning by row group and page index).
  void seek(int64_t row);
  // Fills `row` with one Value per selected column. False at the end.
  bool next(std::vector<Value>& row);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Finds the global row of `key` in a column sorted ascending across the file
// (BYTE_ARRAY compared as unsigned bytes; INT32/INT64 with `key` in decimal).
// Row-group statistics and the column index prune to the page(s) that can
// hold the key, so a lookup touches one page when both are present; without
// them it degrades to decoding every page (still correct). Returns the first
// matching row, nullopt when absent. Throws Error(kInvalidArgument) for other
// column types or a list column.
std::optional<int64_t> find_sorted(const std::shared_ptr<const ParquetFile>& file, int column,
                                   std::string_view key);

}  // namespace mimicit::parquet
