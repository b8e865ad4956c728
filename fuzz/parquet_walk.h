// What the Parquet fuzz targets do with a file once it is open: everything
// `mimicit parquet cat` does (every row of every column assembled and
// rendered as JSON and CSV), every page of every column chunk decoded on its
// own, point reads (read_byte_array_at, streamed and whole), seeks and a
// sorted lookup, each step in its own accept_errors() so one corrupt column
// does not hide the others.
//
// The reader limits are tighter than the defaults (fuzz_reader_options):
// the defaults let a page ask for up to 2 GiB, which is a legitimate
// allocation for real data but trips libFuzzer's -rss_limit_mb. The walks
// are capped (pages, rows, point reads) so that a small input announcing
// millions of values costs bounded time; the caps are far above what the
// inputs of a fuzzing run hold.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "inspect/value_format.h"
#include "mimicit/parquet/reader.h"

namespace mimicit::fuzz {

inline parquet::ReaderOptions fuzz_reader_options(bool verify_crc, uint64_t stream_pages_above) {
  parquet::ReaderOptions o;
  o.verify_crc = verify_crc;
  o.max_footer_bytes = 16u << 20;
  o.max_page_bytes = 64u << 20;
  o.max_dictionary_values = 1u << 20;
  o.max_page_values = 1u << 20;
  o.stream_pages_above = stream_pages_above;
  return o;
}

constexpr int kMaxPagesPerChunk = 256;
constexpr int64_t kMaxRows = 1 << 16;
constexpr int64_t kMaxPointReads = 64;

inline void touch_page(const parquet::DecodedPage& p, const parquet::ColumnDescriptor& d) {
  const size_t levels = static_cast<size_t>(std::max<int64_t>(p.num_levels, 0));
  if (p.def_levels) touch(p.def_levels, levels * sizeof(int16_t));
  if (p.rep_levels) touch(p.rep_levels, levels * sizeof(int16_t));
  const size_t values = static_cast<size_t>(std::max<int64_t>(p.num_values, 0));
  if (p.bytes) {
    for (size_t i = 0; i < values; ++i) touch(p.bytes[i]);
  }
  if (p.fixed) touch(p.fixed, values * static_cast<size_t>(d.fixed_width()));
}

inline void walk_pages(const std::shared_ptr<const parquet::ParquetFile>& file, int rg, int col) {
  accept_errors([&] {
    parquet::ColumnChunkReader reader(file, rg, col);
    for (int pages = 0; pages < kMaxPagesPerChunk && reader.next_page(); ++pages) {
      touch_page(reader.decode(), reader.descriptor());
    }
  });
}

inline void walk_rows(const std::shared_ptr<const parquet::ParquetFile>& file) {
  accept_errors([&] {
    parquet::RowReader reader(file);
    std::vector<const parquet::ColumnDescriptor*> columns;
    for (int index : reader.columns()) columns.push_back(&file->schema().column(static_cast<size_t>(index)));
    std::vector<parquet::Value> row;
    std::string text;
    for (int64_t n = 0; n < kMaxRows && reader.next(row); ++n) {
      for (size_t i = 0; i < row.size() && i < columns.size(); ++i) {
        inspect::append_json_value(text, row[i], *columns[i]);
        inspect::append_csv_value(text, row[i], *columns[i]);
      }
      if (text.size() > (1u << 20)) text.clear();
    }
  });
}

inline void point_reads(const std::shared_ptr<const parquet::ParquetFile>& file, int rg, int col) {
  const parquet::ColumnDescriptor& d = file->schema().column(static_cast<size_t>(col));
  if (d.type != parquet::Type::BYTE_ARRAY || d.max_rep_level != 0) return;
  const int64_t rows = file->metadata().row_groups[static_cast<size_t>(rg)].num_rows;
  accept_errors([&] {
    parquet::ColumnChunkReader reader(file, rg, col);
    Buffer scratch;
    // Backwards first (each read starts over or streams again), then forwards.
    for (int64_t row = std::min(rows, kMaxPointReads) - 1; row >= 0; --row) {
      if (auto v = reader.read_byte_array_at(row, scratch)) touch(*v);
    }
  });
  accept_errors([&] {
    parquet::ColumnChunkReader reader(file, rg, col);
    if (reader.seek_to_row(rows / 2)) touch_page(reader.decode(), reader.descriptor());
  });
}

inline void walk_parquet_file(const std::shared_ptr<const parquet::ParquetFile>& file) {
  walk_rows(file);
  const int columns = static_cast<int>(file->schema().num_columns());
  for (int rg = 0; rg < file->num_row_groups(); ++rg) {
    for (int col = 0; col < columns; ++col) {
      walk_pages(file, rg, col);
      point_reads(file, rg, col);
    }
  }
  if (columns > 0) {
    accept_errors([&] { (void)parquet::find_sorted(file, 0, "m"); });
    accept_errors([&] {
      parquet::RowReader reader(file);
      reader.seek(file->num_rows() / 2);
      std::vector<parquet::Value> row;
      (void)reader.next(row);
    });
  }
}

}  // namespace mimicit::fuzz
