// ParquetWriter: the file layout around the column chunks.
//
//   "PAR1"
//   row group 0: column chunk 0, column chunk 1, ...
//   row group 1: ...
//   bloom filters      (header + bitset per chunk that asked for one)
//   column indexes     (all row groups, all columns)
//   offset indexes
//   footer (FileMetaData), its length (u32 LE), "PAR1"
//
// Everything after the row groups is written by close(), once every offset
// is known. The row group being filled lives in memory (one ColumnWriter
// per column holding its compressed pages); it is written out when full.
#include <limits>
#include <unordered_set>

#include "mimicit/error.h"
#include "mimicit/file.h"
#include "mimicit/parquet/writer.h"
#include "parquet/metadata_codec.h"
#include "parquet/writer/column_tree.h"
#include "parquet/writer/column_writer.h"
#include "parquet/writer/pandas_metadata.h"

#ifndef MIMICIT_VERSION
#define MIMICIT_VERSION "0.0.0"
#endif

namespace mimicit::parquet {

namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

void validate_options(const WriterOptions& o, const std::vector<WriterColumn>& columns,
                      const std::vector<LeafColumn>& leaves) {
  if (o.codec != Codec::UNCOMPRESSED && o.codec != Codec::SNAPPY && o.codec != Codec::GZIP &&
      o.codec != Codec::ZSTD) {
    fail_invalid("codec {} is not supported by the writer", to_string(o.codec));
  }
  if (o.row_group_rows < 1) fail_invalid("row_group_rows must be positive");
  if (o.row_group_bytes < 1) fail_invalid("row_group_bytes must be positive");
  if (o.page_bytes < 1) fail_invalid("page_bytes must be positive");
  if (o.page_rows < 1 || o.page_rows > kI32Max) fail_invalid("page_rows must be in [1, 2^31-1]");
  if (o.dictionary_bytes < 0 || o.dictionary_bytes > kI32Max) {
    fail_invalid("dictionary_bytes must be in [0, 2^31-1]");
  }
  if (o.data_page_version != 1 && o.data_page_version != 2) {
    fail_invalid("data_page_version must be 1 or 2, not {}", o.data_page_version);
  }
  if (o.max_statistics_bytes < 1) fail_invalid("max_statistics_bytes must be positive");
  bool any_bloom = false;
  for (const LeafColumn& c : leaves) any_bloom |= c.column.bloom_filter;
  if (any_bloom && !(o.bloom_filter_fpp > 0 && o.bloom_filter_fpp < 1)) {
    fail_invalid("bloom_filter_fpp must be in (0, 1)");
  }
  if (!o.pandas_index_column.empty()) {
    bool found = false;
    for (const WriterColumn& c : columns) {
      found |= c.name == o.pandas_index_column && c.shape == Shape::kValue;
    }
    if (!found) fail_invalid("pandas index column '{}' is not a value column", o.pandas_index_column);
    for (const KeyValue& kv : o.key_value_metadata) {
      if (kv.key == "pandas") {
        fail_invalid("key-value metadata 'pandas' conflicts with pandas_index_column");
      }
    }
  }
}

int32_t checked_i32(uint64_t size, std::string_view what) {
  if (size > static_cast<uint64_t>(kI32Max)) {
    fail(ErrorCode::kLimit, "{} of {} bytes exceeds 2^31-1 bytes", what, size);
  }
  return static_cast<int32_t>(size);
}

}  // namespace

class ParquetWriter::Impl {
 public:
  Impl(std::string path, std::vector<WriterColumn> columns, WriterOptions options)
      : options_(std::move(options)),
        columns_(std::move(columns)),
        tree_(columns_),
        file_((validate_options(options_, columns_, tree_.leaves()), std::move(path))) {
    writers_.reserve(tree_.leaves().size());
    for (const LeafColumn& leaf : tree_.leaves()) {
      writers_.push_back(std::make_unique<ColumnWriter>(leaf, options_));
    }
    for (size_t c = 0; c < columns_.size(); ++c) cursors_.emplace_back(tree_, c);
    guarded([&] { file_.write(as_bytes(kMagic)); });
  }

  // Checks that `column` exists and the writer is usable, then runs
  // fn(cursor) with the message of any refusal prefixed by the row and the
  // column. The cursor refuses before anything changes.
  template <typename Fn>
  void in_row(size_t column, Fn&& fn) {
    check_open();
    if (column >= columns_.size()) {
      fail_invalid("{}: row {}: column {} does not exist ({} columns)", path(), rows_written_, column,
                   columns_.size());
    }
    with_context(fmt::format("{}: row {}, column '{}'", path(), rows_written_, columns_[column].name),
                 [&] { fn(cursors_[column]); });
  }

  template <typename Fn>
  void append_value(size_t column, Type type, Fn&& fn, size_t value_bytes = 0) {
    in_row(column, [&](ColumnCursor& cursor) {
      // A page holds at least the value and its 4-byte length, and page
      // sizes are i32: refuse a value that can never fit before anything changes.
      if (value_bytes > static_cast<size_t>(kI32Max) - 4) {
        fail(ErrorCode::kLimit, "a value of {} bytes does not fit in a Parquet page (2^31-1 bytes at most)",
             value_bytes);
      }
      ColumnCursor::Entry entry = cursor.value(type);
      guarded([&] { fn(*writers_[entry.leaf], entry.rep); });
    });
  }

  void append_null(size_t column) {
    in_row(column, [&](ColumnCursor& cursor) {
      cursor.null([&](size_t leaf, int16_t def, int16_t rep) {
        guarded([&] { writers_[leaf]->append_null(def, rep); });
      });
    });
  }

  void append_list(size_t column, size_t length) {
    in_row(column, [&](ColumnCursor& cursor) {
      cursor.list(length, [&](size_t leaf, int16_t def, int16_t rep) {
        guarded([&] { writers_[leaf]->append_null(def, rep); });
      });
    });
  }

  void append_struct(size_t column) {
    in_row(column, [&](ColumnCursor& cursor) { cursor.structure(); });
  }

  void end_row() {
    check_open();
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!cursors_[i].complete()) {
        fail_invalid("{}: row {}: {} for column '{}'", path(), rows_written_,
                     cursors_[i].started() ? "an incomplete value" : "no value", columns_[i].name);
      }
    }
    guarded([&] {
      for (size_t i = 0; i < writers_.size(); ++i) {
        in_column(i, [&] { writers_[i]->end_row(); });
      }
      for (ColumnCursor& cursor : cursors_) cursor.next_row();
      ++rows_written_;
      ++row_group_rows_;
      if (row_group_full()) flush_row_group();
    });
  }

  void close() {
    check_open();
    for (const ColumnCursor& cursor : cursors_) {
      if (cursor.started()) fail_invalid("{}: close() in the middle of row {}", path(), rows_written_);
    }
    guarded([&] {
      if (row_group_rows_ > 0) flush_row_group();
      write_bloom_filters();
      write_page_indexes();
      write_footer();
      file_.commit();
    });
    closed_ = true;
  }

  int64_t rows_written() const { return rows_written_; }
  const std::string& path() const { return file_.path(); }

 private:
  // Page indexes and bloom filters of a written chunk, kept until close().
  struct PendingChunkExtras {
    size_t row_group = 0;
    size_t column = 0;
    std::optional<ColumnIndex> column_index;
    OffsetIndex offset_index;
    Buffer bloom_filter;
  };

  void check_open() const {
    if (closed_) fail_invalid("{}: the writer is closed", path());
    if (failed_) fail_invalid("{}: the writer failed earlier and cannot continue", path());
  }

  // Runs fn(); any exception leaves the file in an unknown state, so the
  // writer refuses further use (the destructor still removes the temp file).
  // Refusals of a cursor come before any change and stay outside it.
  template <typename Fn>
  void guarded(Fn&& fn) {
    try {
      fn();
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  // `leaf`: a leaf column (= a column of a flat schema).
  template <typename Fn>
  void in_column(size_t leaf, Fn&& fn) {
    std::string name;
    for (const std::string& part : tree_.leaves()[leaf].path) name += (name.empty() ? "" : ".") + part;
    with_context(fmt::format("{}: row group {}, column '{}'", path(), metadata_.row_groups.size(), name), fn);
  }

  bool row_group_full() const {
    if (row_group_rows_ >= options_.row_group_rows) return true;
    int64_t bytes = 0;
    for (const auto& w : writers_) bytes += w->buffered_bytes();
    return bytes >= options_.row_group_bytes;
  }

  void flush_row_group() {
    RowGroup group;
    group.num_rows = row_group_rows_;
    group.file_offset = static_cast<int64_t>(file_.offset());
    size_t index = metadata_.row_groups.size();
    if (index <= static_cast<size_t>(std::numeric_limits<int16_t>::max())) {
      group.ordinal = static_cast<int16_t>(index);
    }
    int64_t compressed = 0;
    for (size_t i = 0; i < writers_.size(); ++i) {
      in_column(i, [&] { group.columns.push_back(write_chunk(index, i)); });
      const ColumnMetaData& meta = *group.columns.back().meta_data;
      group.total_byte_size += meta.total_uncompressed_size;
      compressed += meta.total_compressed_size;
    }
    group.total_compressed_size = compressed;
    metadata_.row_groups.push_back(std::move(group));
    row_group_rows_ = 0;
  }

  ColumnChunk write_chunk(size_t row_group, size_t column) {
    ColumnChunkOutput out = writers_[column]->finish_chunk();
    int64_t base = static_cast<int64_t>(file_.offset());
    file_.write(out.dictionary_page);
    file_.write(out.data_pages);

    ColumnChunk chunk;
    chunk.file_offset = base;
    ColumnMetaData& meta = chunk.meta_data.emplace(std::move(out.metadata));
    meta.data_page_offset += base;
    if (meta.dictionary_page_offset) *meta.dictionary_page_offset += base;
    for (PageLocation& page : out.offset_index.page_locations) page.offset += base;

    PendingChunkExtras extras;
    extras.row_group = row_group;
    extras.column = column;
    if (options_.page_index) {
      extras.column_index = std::move(out.column_index);
      extras.offset_index = std::move(out.offset_index);
    }
    extras.bloom_filter = std::move(out.bloom_filter);
    if (options_.page_index || !extras.bloom_filter.empty()) extras_.push_back(std::move(extras));
    return chunk;
  }

  ColumnChunk& chunk_of(const PendingChunkExtras& e) {
    return metadata_.row_groups[e.row_group].columns[e.column];
  }

  // Bloom filters go first, so that a reader probing them reads one
  // contiguous region, then the page indexes, as Arrow lays them out.
  void write_bloom_filters() {
    Buffer header;
    for (const PendingChunkExtras& e : extras_) {
      if (e.bloom_filter.empty()) continue;
      ColumnMetaData& meta = *chunk_of(e).meta_data;
      header.clear();
      BloomFilterHeader h;
      h.num_bytes = checked_i32(e.bloom_filter.size(), "bloom filter");
      encode_bloom_filter_header(h, header);
      meta.bloom_filter_offset = static_cast<int64_t>(file_.offset());
      meta.bloom_filter_length = checked_i32(header.size() + e.bloom_filter.size(), "bloom filter");
      file_.write(header);
      file_.write(e.bloom_filter);
    }
  }

  void write_page_indexes() {
    if (!options_.page_index) return;
    Buffer bytes;
    for (const PendingChunkExtras& e : extras_) {
      if (!e.column_index) continue;
      bytes.clear();
      encode_column_index(*e.column_index, bytes);
      ColumnChunk& chunk = chunk_of(e);
      chunk.column_index_offset = static_cast<int64_t>(file_.offset());
      chunk.column_index_length = checked_i32(bytes.size(), "column index");
      file_.write(bytes);
    }
    for (const PendingChunkExtras& e : extras_) {
      bytes.clear();
      encode_offset_index(e.offset_index, bytes);
      ColumnChunk& chunk = chunk_of(e);
      chunk.offset_index_offset = static_cast<int64_t>(file_.offset());
      chunk.offset_index_length = checked_i32(bytes.size(), "offset index");
      file_.write(bytes);
    }
  }

  void write_footer() {
    metadata_.version = 2;
    metadata_.num_rows = rows_written_;
    metadata_.schema = tree_.schema_elements();
    metadata_.column_orders.assign(writers_.size(), ColumnOrder::TYPE_DEFINED);
    metadata_.key_value_metadata = options_.key_value_metadata;
    if (!options_.pandas_index_column.empty()) {
      metadata_.key_value_metadata.push_back(
          {"pandas", pandas_metadata_json(columns_, options_.pandas_index_column, MIMICIT_VERSION)});
    }
    metadata_.created_by =
        options_.created_by.empty() ? std::string("mimicit version ") + MIMICIT_VERSION : options_.created_by;

    Buffer footer;
    encode_file_metadata(metadata_, footer);
    uint32_t length = static_cast<uint32_t>(checked_i32(footer.size(), "footer"));
    uint8_t length_le[4] = {static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
                            static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 24)};
    file_.write(footer);
    file_.write(ByteView(length_le, 4));
    file_.write(as_bytes(kMagic));
  }

  const WriterOptions options_;
  const std::vector<WriterColumn> columns_;
  ColumnTree tree_;  // checks the columns before the file is created
  AtomicFileWriter file_;
  std::vector<std::unique_ptr<ColumnWriter>> writers_;  // one per leaf
  std::vector<ColumnCursor> cursors_;                   // one per column: the current row's place
  int64_t rows_written_ = 0;
  int64_t row_group_rows_ = 0;
  FileMetaData metadata_;
  std::vector<PendingChunkExtras> extras_;
  bool closed_ = false;
  bool failed_ = false;
};

ParquetWriter::ParquetWriter(std::string path, std::vector<WriterColumn> columns, WriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(path), std::move(columns), std::move(options))) {}

ParquetWriter::~ParquetWriter() = default;

void ParquetWriter::append_list(size_t column, size_t length) { impl_->append_list(column, length); }
void ParquetWriter::append_struct(size_t column) { impl_->append_struct(column); }
void ParquetWriter::append_null(size_t column) { impl_->append_null(column); }
void ParquetWriter::append_bool(size_t column, bool value) {
  impl_->append_value(column, Type::BOOLEAN,
                      [&](ColumnWriter& w, int16_t rep) { w.append_bool(value, rep); });
}
void ParquetWriter::append_int32(size_t column, int32_t value) {
  impl_->append_value(column, Type::INT32, [&](ColumnWriter& w, int16_t rep) { w.append_int32(value, rep); });
}
void ParquetWriter::append_int64(size_t column, int64_t value) {
  impl_->append_value(column, Type::INT64, [&](ColumnWriter& w, int16_t rep) { w.append_int64(value, rep); });
}
void ParquetWriter::append_double(size_t column, double value) {
  impl_->append_value(column, Type::DOUBLE,
                      [&](ColumnWriter& w, int16_t rep) { w.append_double(value, rep); });
}
void ParquetWriter::append_bytes(size_t column, std::string_view value) {
  impl_->append_value(
      column, Type::BYTE_ARRAY, [&](ColumnWriter& w, int16_t rep) { w.append_bytes(value, rep); },
      value.size());
}
void ParquetWriter::end_row() { impl_->end_row(); }
void ParquetWriter::close() { impl_->close(); }
int64_t ParquetWriter::rows_written() const { return impl_->rows_written(); }
const std::string& ParquetWriter::path() const { return impl_->path(); }

}  // namespace mimicit::parquet
