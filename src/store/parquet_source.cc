#include "store/parquet_source.h"

#include <charconv>
#include <mutex>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "parquet/reader/seek_table.h"
#include "store/source.h"
#include "util/json_walker.h"

namespace mimicit::store {

using parquet::ColumnDescriptor;
using parquet::ParquetFile;
using parquet::RowReader;
using parquet::Type;
using parquet::Value;

namespace {

// ---------------------------------------------------------------------------
// The pandas metadata.

// The string elements of `array`, a JSON array the walker has validated
// (objects such as {"kind": "range", ...} are passed over); empty when an
// element does not unescape.
std::vector<std::string> string_elements(std::string_view array) {
  const ByteView bytes = as_bytes(array);
  const uint8_t* p = bytes.data();
  const uint8_t* end = p + bytes.size();
  std::vector<std::string> names;
  int depth = 0;
  while (p != end) {
    if (*p == '"') {
      bool has_escapes = false;
      const char* error = nullptr;
      const uint8_t* close = json_string_end(p + 1, end, &has_escapes, &error);
      if (depth == 1) {  // an element, not a string inside one
        std::string name;
        size_t error_pos = 0;
        const std::string_view raw(reinterpret_cast<const char*>(p + 1), static_cast<size_t>(close - p - 1));
        if (unescape_json_string(raw, name, &error_pos) != nullptr) return {};
        names.push_back(std::move(name));
      }
      p = close + 1;
      continue;
    }
    if (*p == '[' || *p == '{') ++depth;
    if (*p == ']' || *p == '}') --depth;
    ++p;
  }
  return names;
}

// ---------------------------------------------------------------------------
// Column choice.

bool is_flat(const ColumnDescriptor& c) { return c.path.size() == 1 && c.max_rep_level == 0; }

bool usable_as_id(const ColumnDescriptor& c) {
  return is_flat(c) && (c.type == Type::BYTE_ARRAY || c.type == Type::INT32 || c.type == Type::INT64);
}

bool is_binary(const ColumnDescriptor& c) {
  return c.type == Type::BYTE_ARRAY && !c.is_string() && c.max_rep_level == 0;
}

int find_id_column(const ParquetFile& file) {
  const parquet::Schema& schema = file.schema();
  if (const std::string* pandas = file.key_value("pandas")) {
    std::vector<std::string> names = pandas_index_columns(*pandas);
    if (names.size() == 1) {  // a MultiIndex is no single id
      int index = schema.find_column(names[0]);
      if (index >= 0 && usable_as_id(schema.column(static_cast<size_t>(index)))) return index;
    }
  }
  for (const char* name : {"id", "image_id", "key"}) {
    int index = schema.find_column(name);
    if (index < 0) continue;
    const ColumnDescriptor& c = schema.column(static_cast<size_t>(index));
    if (is_flat(c) && c.type == Type::BYTE_ARRAY) return index;
  }
  return -1;
}

int find_embedded_bytes(const parquet::Schema& schema);

// The payload column and its kind, or -1.
int find_payload_column(const ParquetFile& file, int id, PayloadKind& kind) {
  const parquet::Schema& schema = file.schema();
  int index = schema.find_column("base64");
  if (index >= 0 && index != id) {
    const ColumnDescriptor& c = schema.column(static_cast<size_t>(index));
    if (is_flat(c) && c.type == Type::BYTE_ARRAY) {
      kind = PayloadKind::kBase64;
      return index;
    }
  }
  int first_binary = -1, preferred_binary = -1, struct_bytes = -1;
  for (const ColumnDescriptor& c : schema.columns()) {
    if (c.index == id || !is_binary(c)) continue;
    if (c.path.size() == 1) {
      const std::string& name = c.path[0];
      bool preferred = name == "image" || name == "bytes" || name == "data" || name == "payload";
      if (preferred && preferred_binary < 0) preferred_binary = c.index;
      if (first_binary < 0) first_binary = c.index;
    } else if (c.path.size() == 2 && c.path[1] == "bytes" && struct_bytes < 0) {
      struct_bytes = c.index;
    }
  }
  if (preferred_binary >= 0 || first_binary >= 0) {
    kind = PayloadKind::kBinary;
    return preferred_binary >= 0 ? preferred_binary : first_binary;
  }
  kind = PayloadKind::kHuggingFaceStruct;
  if (struct_bytes >= 0) return struct_bytes;
  kind = PayloadKind::kHuggingFaceList;
  return find_embedded_bytes(schema);
}

// The `bytes` leaf of a list of structs (`images: list<struct<bytes: binary,
// path: string>>`), preferring the list named `images`; -1 when none.
int find_embedded_bytes(const parquet::Schema& schema) {
  int found = -1;
  for (const ColumnDescriptor& c : schema.columns()) {
    if (!c.is_list || c.max_rep_level != 1 || c.type != Type::BYTE_ARRAY || c.is_string() ||
        !c.unsupported.empty() || c.path.back() != "bytes" || !c.field_name.ends_with(".bytes")) {
      continue;
    }
    if (found < 0 || c.field_name == "images.bytes") found = c.index;
  }
  return found;
}

// The string `path` leaf beside a list's `bytes` leaf, or -1.
int find_embedded_path(const parquet::Schema& schema, int bytes) {
  const std::string& field = schema.column(static_cast<size_t>(bytes)).field_name;
  const int index = schema.find_column(field.substr(0, field.size() - 5) + "path");
  if (index < 0) return -1;
  const ColumnDescriptor& c = schema.column(static_cast<size_t>(index));
  return c.is_list && c.type == Type::BYTE_ARRAY ? index : -1;
}

std::string describe_columns(const parquet::Schema& schema) {
  std::string text;
  for (const ColumnDescriptor& c : schema.columns()) {
    if (!text.empty()) text += ", ";
    text +=
        fmt::format("'{}' ({}{})", c.dotted_path, parquet::to_string(c.type), c.is_string() ? " string" : "");
  }
  return text.empty() ? "none" : text;
}

// ---------------------------------------------------------------------------
// The source.

class ParquetSource final : public Source {
 public:
  ParquetSource(std::shared_ptr<const ParquetFile> file, uint64_t max_image_bytes)
      : file_(std::move(file)), columns_(choose_columns(*file_)), max_image_bytes_(max_image_bytes) {}

  const std::string& path() const override { return file_->path(); }
  PayloadKind payload_kind() const override { return columns_.kind; }
  const MappedFile* mapped_file() const override { return &file_->file(); }

  void scan_ids(const std::function<void(std::string_view, uint64_t)>& fn) const override {
    if (columns_.kind == PayloadKind::kHuggingFaceList) return scan_embedded_ids(fn);
    RowReader reader(file_, {columns_.id});
    std::vector<Value> row;
    char digits[24];
    for (uint64_t r = 0; reader.next(row); ++r) {
      const Value& v = row[0];
      switch (v.kind) {
        case Value::Kind::kBytes: fn(v.bytes, r); break;
        case Value::Kind::kInt32:
        case Value::Kind::kInt64: {
          int64_t n = v.kind == Value::Kind::kInt32 ? v.i32 : v.i64;
          char* end = std::to_chars(digits, digits + sizeof digits, n).ptr;
          fn(std::string_view(digits, static_cast<size_t>(end - digits)), r);
          break;
        }
        default: break;  // a null id names no image
      }
    }
  }

  // Each picture of each row: the row's id and the list's `path` name it
  // (the payload column itself gives the count when there is no `path`).
  void scan_embedded_ids(const std::function<void(std::string_view, uint64_t)>& fn) const {
    RowReader reader(file_, {columns_.id, columns_.path >= 0 ? columns_.path : columns_.payload});
    std::vector<Value> row;
    std::string id;
    for (uint64_t r = 0; reader.next(row); ++r) {
      const Value& row_id = row[0];
      if (row_id.kind == Value::Kind::kNull || row[1].kind != Value::Kind::kList) continue;
      const std::string_view name = row_id.kind == Value::Kind::kBytes ? row_id.bytes : std::string_view();
      const std::vector<Value>& list = row[1].list;
      if (list.size() >= (size_t{1} << kElementBits) || r >= (uint64_t{1} << (64 - kElementBits))) {
        fail(ErrorCode::kLimit, "{}: row {} holds {} pictures, more than the {} a store locates", path(), r,
             list.size(), size_t{1} << kElementBits);
      }
      for (size_t i = 0; i < list.size(); ++i) {
        std::optional<std::string_view> named;
        if (columns_.path >= 0 && list[i].kind == Value::Kind::kBytes) named = list[i].bytes;
        id = embedded_image_id(name, i, named);
        fn(id, (r << kElementBits) | i);
      }
    }
  }

  uint64_t seek_table_work() const override {
    uint64_t total = 0;
    for (int rg = 0; rg < file_->num_row_groups(); ++rg) {
      total += static_cast<uint64_t>(file_->chunk_metadata(rg, columns_.payload).total_compressed_size);
    }
    return total;
  }

  // Row groups whose payload chunk cannot hold a large page (its whole
  // uncompressed size is below the threshold) are not walked.
  Buffer build_seek_tables(const std::function<void(uint64_t)>& progress, WorkerPool* pool) const override {
    std::vector<parquet::SeekTable> tables;
    for (int rg = 0; rg < file_->num_row_groups(); ++rg) {
      const parquet::ColumnMetaData& meta = file_->chunk_metadata(rg, columns_.payload);
      if (static_cast<uint64_t>(meta.total_uncompressed_size) <= file_->options().stream_pages_above) {
        if (progress) progress(static_cast<uint64_t>(meta.total_compressed_size));
        continue;
      }
      parquet::ColumnChunkReader reader(file_, rg, columns_.payload);
      reader.build_seek_tables(tables, progress, pool);
    }
    std::sort(tables.begin(), tables.end(), [](const parquet::SeekTable& a, const parquet::SeekTable& b) {
      return a.header.page_offset < b.header.page_offset;
    });
    Buffer out;
    if (!tables.empty()) parquet::append_seek_tables(tables, out);
    return out;
  }

  bool use_seek_tables(ByteView bytes, std::shared_ptr<const void> owner) override {
    if (bytes.empty()) return true;
    seek_tables_ = parquet::SeekTables::parse(bytes, file_->file().size(), std::move(owner));
    return seek_tables_.has_value();
  }

  // The row group: its dictionary and pages serve all its rows.
  uint64_t block_of(uint64_t locator) const override {
    const uint64_t row = row_of(locator);
    if (row >= static_cast<uint64_t>(file_->num_rows())) return UINT64_MAX;
    return static_cast<uint64_t>(file_->row_group_of(static_cast<int64_t>(row)));
  }

  void fetch(uint64_t locator, std::string_view id, Buffer& out, Base64Leniency* leniency) const override {
    const uint64_t row = row_of(locator);
    if (row >= static_cast<uint64_t>(file_->num_rows())) {
      fail_corrupt("{}: image '{}': row {} is outside the file ({} rows)", path(), id, row,
                   file_->num_rows());
    }
    const std::string place =
        embedded() ? fmt::format("row {}, picture {}", row, element_of(locator)) : fmt::format("row {}", row);
    std::unique_ptr<Cursor> cursor = take_cursor();
    std::optional<std::string_view> value = with_context(fmt::format("image '{}' ({})", id, place),
                                                         [&] { return read_payload(*cursor, locator); });
    if (!value) fail_corrupt("{}: image '{}' ({}): the payload is null", path(), id, place);
    with_context(fmt::format("{}: image '{}' ({})", path(), id, place), [&] {
      if (columns_.kind == PayloadKind::kBase64) {
        check_image_size(base64_decoded_size_upper_bound(value->size()), max_image_bytes_, "base64 text of",
                         value->size());
        base64_decode(*value, out, leniency);
      } else {
        if (leniency) *leniency = Base64Leniency::kNone;
        check_image_size(value->size(), max_image_bytes_, "a value of", value->size());
        out.assign(as_bytes(*value));
      }
    });
    // The page's file bytes leave this process's resident set (they stay in
    // the page cache), so random gets over a long run do not make the
    // process look as large as the store. A decoded page kept by the cursor
    // for its neighbours faults them back in if it views them.
    const parquet::PageInfo& page = cursor->reader->page();
    file_->file().release(page.offset, static_cast<uint64_t>(page.compressed_size) + kPageHeaderAllowance);
    give_back(std::move(cursor));
  }

 private:
  // A reader of the payload column in one row group. Cursors are pooled so
  // that repeated fetches keep their decoded small pages (and dictionary)
  // for neighbouring rows; each is used by one thread at a time. Large
  // pages are streamed up to the value and never held
  // (ColumnChunkReader::read_byte_array_at), so an idle cursor holds at
  // most a few MB.
  struct Cursor {
    int row_group = -1;
    std::optional<parquet::ColumnChunkReader> reader;
    Buffer scratch;
  };
  static constexpr size_t kMaxIdleCursors = 8;
  // Page headers take a few dozen bytes; an allowance too generous only
  // releases a memory page shared with the next Parquet page: harmless.
  static constexpr uint64_t kPageHeaderAllowance = 256;

  bool embedded() const { return columns_.kind == PayloadKind::kHuggingFaceList; }
  uint64_t row_of(uint64_t locator) const { return embedded() ? locator >> kElementBits : locator; }
  uint32_t element_of(uint64_t locator) const {
    return embedded() ? static_cast<uint32_t>(locator & ((uint64_t{1} << kElementBits) - 1)) : 0;
  }

  std::optional<std::string_view> read_payload(Cursor& cursor, uint64_t locator) const {
    const uint64_t row = row_of(locator);
    int rg = file_->row_group_of(static_cast<int64_t>(row));
    if (rg != cursor.row_group || !cursor.reader) {
      cursor.reader.reset();
      cursor.row_group = -1;
      cursor.reader.emplace(file_, rg, columns_.payload);
      cursor.reader->set_seek_tables(seek_tables_ ? &*seek_tables_ : nullptr);
      cursor.row_group = rg;
    }
    int64_t in_group = static_cast<int64_t>(row) - file_->row_group_first_row(rg);
    return cursor.reader->read_byte_array_at(in_group, cursor.scratch, element_of(locator));
  }

  std::unique_ptr<Cursor> take_cursor() const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Cursor> cursor = std::move(idle_.back());
        idle_.pop_back();
        return cursor;
      }
    }
    return std::make_unique<Cursor>();
  }

  // Only cursors that finished a fetch come back: one that threw may be
  // mid-page.
  void give_back(std::unique_ptr<Cursor> cursor) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < kMaxIdleCursors) idle_.push_back(std::move(cursor));
  }

  std::shared_ptr<const ParquetFile> file_;
  ParquetColumns columns_;
  uint64_t max_image_bytes_;
  std::optional<parquet::SeekTables> seek_tables_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Cursor>> idle_;
};

}  // namespace

std::vector<std::string> pandas_index_columns(std::string_view json) {
  try {
    // Validated up to `index_columns` (what follows it is never read).
    JsonObjectWalker walker(as_bytes(json), 0, {.validate_values = true, .utf8_keys = false});
    JsonMember member;
    while (walker.next(&member)) {
      if (member.key == "index_columns") {
        return string_elements(json.substr(member.value_begin, member.value_end - member.value_begin));
      }
    }
  } catch (const Error&) {
    // Malformed: the store falls back to the named columns.
  }
  return {};
}

ParquetColumns choose_columns(const ParquetFile& file) {
  ParquetColumns columns;
  columns.id = find_id_column(file);
  if (columns.id < 0) {
    fail_invalid(
        "{}: no image id column (the pandas index, or a string column named id, image_id or "
        "key); columns found: {}",
        file.path(), describe_columns(file.schema()));
  }
  columns.payload = find_payload_column(file, columns.id, columns.kind);
  if (columns.kind == PayloadKind::kHuggingFaceList && columns.payload >= 0) {
    columns.path = find_embedded_path(file.schema(), columns.payload);
  }
  if (columns.payload < 0) {
    fail_invalid(
        "{}: no image payload column (a 'base64' string column, a binary column, a struct "
        "with a binary 'bytes' field or a list of such structs); columns found: {}",
        file.path(), describe_columns(file.schema()));
  }
  return columns;
}

std::unique_ptr<Source> open_parquet_source(const std::string& path, const ImageStoreOptions& options) {
  return std::make_unique<ParquetSource>(ParquetFile::open(path, options.parquet), options.max_image_bytes);
}

}  // namespace mimicit::store
