// find_sorted: point lookup in a column sorted ascending across the file.
// Statistics prune row groups, the column index prunes pages, and the
// offset index lets the reader jump to the one page left, so a lookup in a
// file written with statistics and a page index decodes a single page.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"

namespace mimicit::parquet {

namespace {

// A comparable form of one value: bytes for BYTE_ARRAY, a number for ints.
class KeyComparator {
 public:
  KeyComparator(const ColumnDescriptor& d, std::string_view key) : type_(d.type), key_(key) {
    if (type_ == Type::INT32 || type_ == Type::INT64) {
      auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), int_key_);
      valid_ = ec == std::errc() && p == key.data() + key.size();
      if (type_ == Type::INT32 && (int_key_ < INT32_MIN || int_key_ > INT32_MAX)) valid_ = false;
    }
  }
  bool valid() const { return valid_; }

  // <0, 0, >0 as the key is below, equal to or above the plain-encoded bound.
  int compare_to_stat(std::string_view plain) const {
    if (type_ == Type::BYTE_ARRAY) return key_.compare(plain) < 0 ? -1 : key_ == plain ? 0 : 1;
    return compare_int(decode_int(plain));
  }
  int compare_to_value(const DecodedPage& page, size_t i) const {
    if (type_ == Type::BYTE_ARRAY) {
      int c = key_.compare(page.bytes[i]);
      return c < 0 ? -1 : c > 0;
    }
    int64_t v = 0;
    if (type_ == Type::INT32) {
      int32_t x;
      std::memcpy(&x, page.fixed + i * 4, 4);
      v = x;
    } else {
      std::memcpy(&v, page.fixed + i * 8, 8);
    }
    return compare_int(v);
  }

 private:
  int compare_int(int64_t v) const { return int_key_ < v ? -1 : int_key_ > v; }
  int64_t decode_int(std::string_view plain) const {
    if (type_ == Type::INT32) {
      if (plain.size() != 4) fail_corrupt("INT32 statistic of {} bytes", plain.size());
      int32_t x;
      std::memcpy(&x, plain.data(), 4);
      return x;
    }
    if (plain.size() != 8) fail_corrupt("INT64 statistic of {} bytes", plain.size());
    int64_t x;
    std::memcpy(&x, plain.data(), 8);
    return x;
  }

  Type type_;
  std::string_view key_;
  int64_t int_key_ = 0;
  bool valid_ = true;
};

bool may_contain(const KeyComparator& key, const ColumnDescriptor& d, const ColumnMetaData& m) {
  if (!m.statistics) return true;
  const Statistics& s = *m.statistics;
  // Legacy min/max used signed byte order for byte arrays: trust them only for ints.
  const std::optional<std::string>& min =
      s.min_value ? s.min_value : (d.type != Type::BYTE_ARRAY ? s.min : s.min_value);
  const std::optional<std::string>& max =
      s.max_value ? s.max_value : (d.type != Type::BYTE_ARRAY ? s.max : s.max_value);
  if (min && key.compare_to_stat(*min) < 0) return false;
  if (max && key.compare_to_stat(*max) > 0) return false;
  return true;
}

// Row (within the row group) of the first value equal to the key in the
// current page, if any.
std::optional<int64_t> search_page(ColumnChunkReader& reader, const KeyComparator& key) {
  const DecodedPage& page = reader.decode();
  size_t n = static_cast<size_t>(page.num_values);
  size_t lo = 0, hi = n;
  while (lo < hi) {  // lower bound
    size_t mid = lo + (hi - lo) / 2;
    if (key.compare_to_value(page, mid) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == n || key.compare_to_value(page, lo) != 0) return std::nullopt;
  // Map the value index to its level (= row, for a flat column).
  int64_t level = static_cast<int64_t>(lo);
  if (page.def_levels) {
    int16_t max_def = reader.descriptor().max_def_level;
    int64_t seen = -1;
    for (level = 0; level < page.num_levels; ++level) {
      if (page.def_levels[level] == max_def && ++seen == static_cast<int64_t>(lo)) break;
    }
  }
  return reader.page().first_row + level;
}

std::optional<int64_t> search_chunk(const std::shared_ptr<const ParquetFile>& file, int rg, int column,
                                    const KeyComparator& key) {
  ColumnChunkReader reader(file, rg, column);
  std::optional<ColumnIndex> index = file->column_index(rg, column);
  std::optional<OffsetIndex> offsets = file->offset_index(rg, column);
  if (index && offsets && index->min_values.size() == offsets->page_locations.size() &&
      index->max_values.size() == offsets->page_locations.size() &&
      index->null_pages.size() == offsets->page_locations.size()) {
    for (size_t p = 0; p < offsets->page_locations.size(); ++p) {
      if (index->null_pages[p]) continue;
      if (key.compare_to_stat(index->min_values[p]) < 0) break;  // sorted: later pages are larger
      if (key.compare_to_stat(index->max_values[p]) > 0) continue;
      if (!reader.seek_to_row(offsets->page_locations[p].first_row_index)) continue;
      if (auto row = search_page(reader, key)) return row;
    }
    return std::nullopt;
  }
  while (reader.next_page()) {
    if (auto row = search_page(reader, key)) return row;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> find_sorted(const std::shared_ptr<const ParquetFile>& file, int column,
                                   std::string_view key) {
  const Schema& schema = file->schema();
  if (column < 0 || static_cast<size_t>(column) >= schema.num_columns()) {
    fail_invalid("{}: no column {}", file->path(), column);
  }
  const ColumnDescriptor& d = schema.column(static_cast<size_t>(column));
  if (d.is_list || (d.type != Type::BYTE_ARRAY && d.type != Type::INT32 && d.type != Type::INT64)) {
    fail_invalid("{}: column '{}' is not a sortable BYTE_ARRAY, INT32 or INT64 column", file->path(),
                 d.dotted_path);
  }
  KeyComparator key_cmp(d, key);
  if (!key_cmp.valid()) return std::nullopt;
  for (int rg = 0; rg < file->num_row_groups(); ++rg) {
    if (file->metadata().row_groups[static_cast<size_t>(rg)].num_rows == 0) continue;
    if (!may_contain(key_cmp, d, file->chunk_metadata(rg, column))) continue;
    auto row = search_chunk(file, rg, column, key_cmp);  // errors name the place themselves
    if (row) return file->row_group_first_row(rg) + *row;
  }
  return std::nullopt;
}

}  // namespace mimicit::parquet
