// ParquetFile: maps the file, checks the magic bytes, decodes and checks the
// footer. Nothing else is read at open time.
#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "parquet/metadata_codec.h"
#include "remote/object_cache.h"

namespace mimicit::parquet {

namespace {

constexpr uint64_t kMagicSize = 4;
constexpr uint64_t kTrailerSize = 8;  // footer length (4, LE) + magic (4)

uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void check_row_groups(const FileMetaData& m, const Schema& schema, std::vector<int64_t>& starts) {
  starts.reserve(m.row_groups.size() + 1);
  int64_t total = 0;
  for (size_t i = 0; i < m.row_groups.size(); ++i) {
    const RowGroup& rg = m.row_groups[i];
    if (rg.columns.size() != schema.num_columns()) {
      fail_corrupt("row group {} has {} column chunks but the schema has {} columns", i, rg.columns.size(),
                   schema.num_columns());
    }
    if (rg.num_rows < 0 || rg.num_rows > INT64_MAX - total) {
      fail_corrupt("row group {} has an invalid row count {}", i, rg.num_rows);
    }
    starts.push_back(total);
    total += rg.num_rows;
  }
  starts.push_back(total);
}

}  // namespace

std::shared_ptr<const ParquetFile> ParquetFile::open(const std::string& path, const ReaderOptions& options) {
  return open(remote::open_mapped(path), options);
}

std::shared_ptr<const ParquetFile> ParquetFile::open(std::shared_ptr<const MappedFile> file,
                                                     const ReaderOptions& options) {
  std::shared_ptr<ParquetFile> pf(new ParquetFile());
  pf->file_ = std::move(file);
  pf->options_ = options;
  const MappedFile& f = *pf->file_;
  with_context(f.path(), [&] {
    uint64_t size = f.size();
    if (size < kMagicSize + kTrailerSize) {
      fail_corrupt("not a Parquet file: {} bytes is too small", size);
    }
    // The magic at both ends and the footer length: all a remote file
    // fetches before the footer itself.
    f.fill(0, kMagicSize);
    f.fill(size - kTrailerSize, kTrailerSize);
    const uint8_t* data = f.base();
    const uint8_t* tail = data + size - kMagicSize;
    if (std::memcmp(tail, "PARE", 4) == 0) {
      fail_unsupported("unsupported: encrypted Parquet file (footer magic PARE)");
    }
    if (std::memcmp(tail, "PAR1", 4) != 0 || std::memcmp(data, "PAR1", 4) != 0) {
      fail_corrupt("not a Parquet file: magic bytes PAR1 missing at the start or end");
    }
    uint64_t footer_len = load_le32(data + size - kTrailerSize);
    if (footer_len > size - kMagicSize - kTrailerSize) {
      fail_corrupt("footer length {} exceeds the file size {}", footer_len, size);
    }
    if (footer_len > options.max_footer_bytes) {
      fail(ErrorCode::kLimit, "footer of {} bytes exceeds the limit of {} bytes", footer_len,
           options.max_footer_bytes);
    }
    pf->footer_bytes_ = footer_len;
    uint64_t footer_start = size - kTrailerSize - footer_len;
    pf->metadata_ = with_context(fmt::format("footer at offset {}", footer_start),
                                 [&] { return decode_file_metadata(f.slice(footer_start, footer_len)); });
    if (pf->metadata_.has_encryption_algorithm) {
      fail_unsupported("unsupported: encrypted Parquet file");
    }
    pf->schema_ = std::make_unique<Schema>(pf->metadata_);
    check_row_groups(pf->metadata_, *pf->schema_, pf->row_group_starts_);
    if (pf->metadata_.created_by && written_by_parquet_mr_before_1_2_9(*pf->metadata_.created_by)) {
      pf->chunk_padding_ = kParquet816Padding;
    }
  });
  return pf;
}

bool written_by_parquet_mr_before_1_2_9(std::string_view created_by) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  constexpr std::string_view kMark = " version ";
  const size_t mark = created_by.find(kMark);
  if (trim(created_by.substr(0, mark)) != "parquet-mr") return false;
  std::string_view rest =
      mark == std::string_view::npos ? std::string_view() : created_by.substr(mark + kMark.size());
  rest = trim(rest);
  std::array<uint64_t, 3> version{};  // major, minor, patch; missing parts 0
  for (uint64_t& part : version) {
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' && digits < 9) {
      part = part * 10 + static_cast<uint64_t>(rest[digits] - '0');
      ++digits;
    }
    if (digits == 0 || digits == rest.size() || rest[digits] != '.') break;
    rest.remove_prefix(digits + 1);
  }
  return version < std::array<uint64_t, 3>{1, 2, 9};
}

int ParquetFile::row_group_of(int64_t row) const {
  if (row < 0 || row >= row_group_starts_.back()) return -1;
  auto it = std::upper_bound(row_group_starts_.begin(), row_group_starts_.end() - 1, row);
  int rg = static_cast<int>(it - row_group_starts_.begin()) - 1;
  // Skip empty row groups that share the start.
  while (rg + 1 < num_row_groups() && row_group_starts_[rg + 1] <= row) ++rg;
  return rg;
}

const std::string* ParquetFile::key_value(std::string_view key) const {
  for (const auto& kv : metadata_.key_value_metadata) {
    if (kv.key == key) return kv.value ? &*kv.value : nullptr;
  }
  return nullptr;
}

std::string ParquetFile::where(int row_group, int column) const {
  std::string out = fmt::format("{}: row group {}", path(), row_group);
  if (column >= 0 && static_cast<size_t>(column) < schema_->num_columns()) {
    out += fmt::format(", column '{}'", schema_->column(column).dotted_path);
  }
  return out;
}

const ColumnMetaData& ParquetFile::chunk_metadata(int row_group, int column) const {
  if (row_group < 0 || row_group >= num_row_groups() || column < 0 ||
      static_cast<size_t>(column) >= schema_->num_columns()) {
    fail_invalid("{}: no column chunk ({}, {})", path(), row_group, column);
  }
  const ColumnChunk& chunk = metadata_.row_groups[row_group].columns[column];
  if (chunk.has_crypto_metadata || chunk.has_encrypted_column_metadata) {
    fail_unsupported("{}: unsupported: encrypted column", where(row_group, column));
  }
  if (!chunk.meta_data) fail_corrupt("{}: column chunk has no metadata", where(row_group, column));
  if (chunk.file_path && !chunk.file_path->empty()) {
    fail_unsupported("{}: unsupported: column chunk stored in another file ('{}')", where(row_group, column),
                     *chunk.file_path);
  }
  const ColumnMetaData& m = *chunk.meta_data;
  const ColumnDescriptor& d = schema_->column(column);
  if (m.type != d.type) {
    fail_corrupt("{}: chunk type {} differs from the schema type {}", where(row_group, column),
                 to_string(m.type), to_string(d.type));
  }
  if (m.num_values < 0 || m.total_compressed_size < 0 || m.data_page_offset < 0) {
    fail_corrupt("{}: negative size or offset in the chunk metadata", where(row_group, column));
  }
  return m;
}

std::optional<OffsetIndex> ParquetFile::offset_index(int row_group, int column) const {
  const ColumnChunk& chunk = metadata_.row_groups.at(row_group).columns.at(column);
  if (!chunk.offset_index_offset || !chunk.offset_index_length) return std::nullopt;
  return with_context(where(row_group, column) + ", offset index", [&] {
    if (*chunk.offset_index_offset < 0 || *chunk.offset_index_length < 0) {
      fail_corrupt("negative offset or length");
    }
    return decode_offset_index(file_->slice(static_cast<uint64_t>(*chunk.offset_index_offset),
                                            static_cast<uint64_t>(*chunk.offset_index_length)));
  });
}

std::optional<ColumnIndex> ParquetFile::column_index(int row_group, int column) const {
  const ColumnChunk& chunk = metadata_.row_groups.at(row_group).columns.at(column);
  if (!chunk.column_index_offset || !chunk.column_index_length) return std::nullopt;
  return with_context(where(row_group, column) + ", column index", [&] {
    if (*chunk.column_index_offset < 0 || *chunk.column_index_length < 0) {
      fail_corrupt("negative offset or length");
    }
    return decode_column_index(file_->slice(static_cast<uint64_t>(*chunk.column_index_offset),
                                            static_cast<uint64_t>(*chunk.column_index_length)));
  });
}

}  // namespace mimicit::parquet
