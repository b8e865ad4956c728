// RowReader: assembles rows from the levels and values of the selected
// columns, one row group at a time. A list row may continue across a page
// boundary (data page v1 allows it), so each column cursor peeks into the
// next page when its current one runs out inside a list.
#include <cstring>
#include <deque>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"

namespace mimicit::parquet {

namespace {

struct ColumnCursor {
  int column = 0;
  const ColumnDescriptor* desc = nullptr;
  std::unique_ptr<ColumnChunkReader> reader;
  const DecodedPage* page = nullptr;
  int64_t level = 0;  // next level in the page
  int64_t value = 0;  // next non-null value in the page
  bool chunk_done = false;
  // Bytes of list elements read from a page the row has since left (a row
  // may continue on the next page, which reuses the decode buffers).
  std::deque<std::string> carried;
  size_t carried_elements = 0;  // elements of the current row already carried
};

void store_value(const ColumnDescriptor& d, const DecodedPage& page, size_t i, Value& out) {
  switch (d.type) {
    case Type::BOOLEAN:
      out.kind = Value::Kind::kBool;
      out.b = page.fixed[i] != 0;
      break;
    case Type::INT32:
      out.kind = Value::Kind::kInt32;
      std::memcpy(&out.i32, page.fixed + i * 4, 4);
      break;
    case Type::INT64:
      out.kind = Value::Kind::kInt64;
      std::memcpy(&out.i64, page.fixed + i * 8, 8);
      break;
    case Type::INT96:
      out.kind = Value::Kind::kInt96;
      out.bytes = std::string_view(reinterpret_cast<const char*>(page.fixed + i * 12), 12);
      break;
    case Type::FLOAT:
      out.kind = Value::Kind::kFloat;
      std::memcpy(&out.f, page.fixed + i * 4, 4);
      break;
    case Type::DOUBLE:
      out.kind = Value::Kind::kDouble;
      std::memcpy(&out.d, page.fixed + i * 8, 8);
      break;
    case Type::BYTE_ARRAY:
    case Type::FIXED_LEN_BYTE_ARRAY:
      out.kind = Value::Kind::kBytes;
      out.bytes = page.bytes[i];
      break;
  }
}

}  // namespace

class RowReader::Impl {
 public:
  Impl(std::shared_ptr<const ParquetFile> file, std::vector<int> columns)
      : file_(std::move(file)), columns_(std::move(columns)) {
    const Schema& schema = file_->schema();
    if (columns_.empty()) {
      for (size_t i = 0; i < schema.num_columns(); ++i) columns_.push_back(static_cast<int>(i));
    }
    for (int c : columns_) {
      if (c < 0 || static_cast<size_t>(c) >= schema.num_columns()) {
        fail_invalid("{}: no column {}", file_->path(), c);
      }
      const ColumnDescriptor& d = schema.column(static_cast<size_t>(c));
      if (!d.unsupported.empty()) {
        fail_unsupported("{}: column '{}': {}", file_->path(), d.dotted_path, d.unsupported);
      }
    }
    cursors_.resize(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      cursors_[i].column = columns_[i];
      cursors_[i].desc = &schema.column(static_cast<size_t>(columns_[i]));
    }
  }

  const std::vector<int>& columns() const { return columns_; }

  bool next(std::vector<Value>& row) {
    while (row_group_ < 0 || row_in_group_ >= group_rows_) {
      if (row_group_ >= file_->num_row_groups()) return false;
      if (row_group_ >= 0) finish_row_group();
      if (!open_row_group(row_group_ + 1)) return false;
    }
    row.resize(cursors_.size());
    for (size_t i = 0; i < cursors_.size(); ++i) read_field(cursors_[i], row[i]);
    ++row_in_group_;
    return true;
  }

  void seek(int64_t row) {
    int rg = file_->row_group_of(row);
    if (rg < 0) {
      row_group_ = file_->num_row_groups();
      row_in_group_ = group_rows_ = 0;
      return;
    }
    // Within the same row group the column readers (and their decoded
    // dictionaries) are kept: repeated lookups in a store decode a
    // dictionary once.
    if (rg != row_group_ || cursors_.empty() || !cursors_[0].reader) open_row_group(rg);
    int64_t target = row - file_->row_group_first_row(rg);
    for (ColumnCursor& c : cursors_) seek_cursor(c, target);
    row_in_group_ = target;
  }

 private:
  bool open_row_group(int rg) {
    if (rg >= file_->num_row_groups()) {
      row_group_ = file_->num_row_groups();
      return false;
    }
    row_group_ = rg;
    row_in_group_ = 0;
    group_rows_ = file_->metadata().row_groups[static_cast<size_t>(rg)].num_rows;
    for (ColumnCursor& c : cursors_) {
      c.reader = std::make_unique<ColumnChunkReader>(file_, rg, c.column);
      c.page = nullptr;
      c.level = c.value = 0;
      c.chunk_done = false;
    }
    return true;
  }

  // After the row group's last row every column must be used up: a column
  // with more rows than the row group is as corrupt as one with fewer.
  void finish_row_group() {
    for (ColumnCursor& c : cursors_) {
      bool extra = (c.page != nullptr && c.level < c.page->num_levels) || load_next_page(c);
      if (extra) {
        fail_corrupt("{}: column chunk holds more than the row group's {} rows", where(c), group_rows_);
      }
    }
  }

  // Loads the next page; false at the end of the chunk.
  static bool load_next_page(ColumnCursor& c) {
    if (c.chunk_done || !c.reader->next_page()) {
      c.chunk_done = true;
      return false;
    }
    c.page = &c.reader->decode();
    c.level = c.value = 0;
    return true;
  }

  void ensure_level(ColumnCursor& c) {
    while (c.page == nullptr || c.level >= c.page->num_levels) {
      if (!load_next_page(c)) {
        fail_corrupt("{}: column chunk ends after {} of its {} rows", where(c), row_in_group_, group_rows_);
      }
    }
  }

  // True when the next level continues the current list row. Before moving
  // to the next page, the row's elements so far are copied out of the page
  // buffers they view.
  static bool row_continues(ColumnCursor& c, Value& row) {
    while (c.level >= c.page->num_levels) {
      carry_elements(c, row);
      if (!load_next_page(c)) return false;
    }
    return c.page->rep_levels[c.level] != 0;
  }

  static void carry_elements(ColumnCursor& c, Value& row) {
    for (size_t i = c.carried_elements; i < row.list.size(); ++i) {
      Value& element = row.list[i];
      if (element.kind != Value::Kind::kBytes && element.kind != Value::Kind::kInt96) continue;
      c.carried.emplace_back(element.bytes);
      element.bytes = c.carried.back();
    }
    c.carried_elements = row.list.size();
  }

  void read_field(ColumnCursor& c, Value& out) {
    ensure_level(c);
    const ColumnDescriptor& d = *c.desc;
    out.list.clear();
    c.carried.clear();
    c.carried_elements = 0;
    if (!d.is_list) {
      bool present = c.page->def_levels == nullptr || c.page->def_levels[c.level] == d.max_def_level;
      if (c.page->rep_levels && c.page->rep_levels[c.level] != 0) {
        fail_corrupt("{}: row starts with repetition level {}", where(c), c.page->rep_levels[c.level]);
      }
      ++c.level;
      if (present)
        set_value(c, c.value++, out);
      else
        out.kind = Value::Kind::kNull;
      return;
    }
    if (c.page->rep_levels[c.level] != 0) {
      fail_corrupt("{}: row starts with repetition level {} instead of 0", where(c),
                   c.page->rep_levels[c.level]);
    }
    int16_t def = c.page->def_levels[c.level];
    if (def < d.list_def_level) {
      ++c.level;
      out.kind = Value::Kind::kNull;
      return;
    }
    out.kind = Value::Kind::kList;
    if (def == d.list_def_level) {
      ++c.level;
      return;
    }
    do {
      def = c.page->def_levels[c.level];
      if (def <= d.list_def_level) fail_corrupt("{}: empty list entry inside a list", where(c));
      out.list.emplace_back();
      ++c.level;
      if (def == d.max_def_level) set_value(c, c.value++, out.list.back());
    } while (row_continues(c, out));
  }

  // Positions a cursor on row `target` of the current row group.
  void seek_cursor(ColumnCursor& c, int64_t target) {
    if (!c.reader->seek_to_row(target)) {
      fail_corrupt("{}: row {} is not in the column chunk", where(c), target);
    }
    c.page = &c.reader->decode();
    c.chunk_done = false;
    int64_t rows_to_skip = target - c.reader->page().first_row;
    const DecodedPage& p = *c.page;
    int64_t level = 0;
    if (p.rep_levels) {
      while (level < p.num_levels && p.rep_levels[level] != 0) ++level;  // tail of the previous row
      for (int64_t rows = 0; level < p.num_levels; ++level) {
        if (p.rep_levels[level] == 0 && rows++ == rows_to_skip) break;
      }
    } else {
      level = rows_to_skip;
    }
    if (level > p.num_levels) fail_corrupt("{}: page holds fewer rows than the offset index says", where(c));
    int64_t values = 0;
    if (p.def_levels) {
      for (int64_t i = 0; i < level; ++i) values += p.def_levels[i] == c.desc->max_def_level;
    } else {
      values = level;
    }
    c.level = level;
    c.value = values;
  }

  std::string where(const ColumnCursor& c) const {
    return fmt::format("{}, page at offset {}", file_->where(row_group_, c.column), c.reader->page().offset);
  }

  void set_value(const ColumnCursor& c, int64_t index, Value& out) const {
    if (index >= c.page->num_values) {
      fail_corrupt("{}: page has fewer values than its levels announce", where(c));
    }
    store_value(*c.desc, *c.page, static_cast<size_t>(index), out);
  }

  std::shared_ptr<const ParquetFile> file_;
  std::vector<int> columns_;
  std::vector<ColumnCursor> cursors_;
  int row_group_ = -1;
  int64_t row_in_group_ = 0;
  int64_t group_rows_ = 0;
};

RowReader::RowReader(std::shared_ptr<const ParquetFile> file, std::vector<int> columns)
    : impl_(std::make_unique<Impl>(std::move(file), std::move(columns))) {}
RowReader::~RowReader() = default;
const std::vector<int>& RowReader::columns() const { return impl_->columns(); }
void RowReader::seek(int64_t row) { impl_->seek(row); }
bool RowReader::next(std::vector<Value>& row) { return impl_->next(row); }

}  // namespace mimicit::parquet
