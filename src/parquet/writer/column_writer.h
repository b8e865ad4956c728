// ColumnWriter: encodes the values of one column into the pages of one
// column chunk at a time.
//
// Entries arrive in row order (one per row in a flat column; any number,
// with repetition levels, in a leaf below a list: column_tree.h makes
// them). They collect in the current page (definition and repetition
// levels, and either dictionary indices or PLAIN-encoded values); end_row()
// cuts the page once it holds `page_rows` rows or about `page_bytes` bytes,
// so pages always end on a row boundary. Finished pages are compressed and
// kept in memory until finish_chunk() hands over the whole chunk: Parquet
// puts the dictionary page first, and the dictionary is only complete at the
// end of the chunk.
//
// Dictionary encoding: each distinct value is entered into a dictionary and
// the page stores RLE_DICTIONARY indices. When the dictionary would grow
// past `dictionary_bytes`, the current page is finished and the rest of the
// chunk is written PLAIN (the usual fallback); the next chunk starts with a
// fresh dictionary. BOOLEAN columns are always PLAIN.
//
// Offsets in the returned chunk are relative to its first byte; the file
// writer shifts them to file offsets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/parquet/writer.h"
#include "parquet/writer/column_tree.h"
#include "parquet/writer/page_writer.h"
#include "parquet/writer/statistics_builder.h"

namespace mimicit::parquet {

class DictionaryBuilder;

// One finished column chunk: its bytes (the dictionary page, if any, then
// the data pages) and everything the footer and page index say about it.
struct ColumnChunkOutput {
  Buffer dictionary_page;  // empty when the chunk has none
  Buffer data_pages;
  ColumnMetaData metadata;                  // offsets relative to the chunk start
  OffsetIndex offset_index;                 // offsets relative to the chunk start
  std::optional<ColumnIndex> column_index;  // absent when a page has no usable bounds
  Buffer bloom_filter;                      // the bitset; empty when not requested

  uint64_t size() const { return dictionary_page.size() + data_pages.size(); }
};

class ColumnWriter {
 public:
  ColumnWriter(const LeafColumn& leaf, const WriterOptions& options);
  ~ColumnWriter();
  ColumnWriter(const ColumnWriter&) = delete;
  ColumnWriter& operator=(const ColumnWriter&) = delete;

  // One entry of the current row, with its repetition level (0 for the
  // first entry of a row); a null entry also with its definition level
  // (below the leaf's maximum: which ancestor is null or empty). The caller
  // has checked the type and nullability against the column.
  void append_null(int16_t def = 0, int16_t rep = 0);
  void append_bool(bool value, int16_t rep = 0);
  void append_int32(int32_t value, int16_t rep = 0);
  void append_int64(int64_t value, int16_t rep = 0);
  void append_double(double value, int16_t rep = 0);
  void append_bytes(std::string_view value, int16_t rep = 0);
  // The row is complete: cuts the page when it is full.
  void end_row();

  // About how many bytes the chunk so far will take in the file.
  int64_t buffered_bytes() const;
  // Finishes the current page and returns the chunk; the writer is then
  // ready for the next chunk (of the next row group).
  ColumnChunkOutput finish_chunk();

  const WriterColumn& column() const { return column_; }

 private:
  enum class Mode { kDictionary, kPlain };

  // Adds one non-null value given as its PLAIN bytes (for byte arrays: the
  // bytes without the length prefix); `put` enters it in the dictionary.
  template <typename Put>
  void add_value(ByteView plain_value, int16_t rep, Put&& put);
  bool dictionary_has_room(size_t plain_size) const;
  void append_plain(ByteView plain_value);
  int64_t page_bytes_estimate() const;
  int dictionary_bit_width() const;
  void flush_page();
  ByteView encode_values(Encoding encoding);
  WrittenPage write_data_page(Encoding encoding, ByteView values);
  void record_page(const WrittenPage& page, PageType type, Encoding encoding);
  void add_column_index_entry();
  void write_dictionary_page(ColumnChunkOutput& out);
  ColumnMetaData chunk_metadata(const ColumnChunkOutput& out) const;
  ColumnIndex finish_column_index();
  void finish_bloom_filter(ColumnChunkOutput& out) const;
  void reset_chunk();

  const WriterColumn column_;
  const std::vector<std::string> path_;
  const int16_t max_def_;
  const int16_t max_rep_;
  const WriterOptions& options_;
  const bool track_statistics_;
  PageWriter page_writer_;

  // The current page.
  Mode mode_;
  std::vector<int16_t> def_levels_;   // one per entry; empty when max_def_ is 0
  std::vector<int16_t> rep_levels_;   // one per entry; empty when max_rep_ is 0
  int64_t page_levels_ = 0;           // entries (values and nulls)
  std::vector<uint32_t> indices_;     // kDictionary: one per non-null value
  Buffer plain_values_;               // kPlain: the PLAIN encoding of the non-null values
  std::vector<uint8_t> bool_values_;  // kPlain BOOLEAN: one byte per value, packed at the end
  int64_t page_rows_ = 0;
  int64_t page_values_ = 0;
  StatisticsBuilder page_stats_;

  // The current chunk.
  std::unique_ptr<DictionaryBuilder> dictionary_;  // null for BOOLEAN or dictionary off
  Buffer data_pages_;
  int64_t chunk_first_row_ = 0;  // row of the file where the chunk starts (for errors)
  int64_t chunk_rows_ = 0;       // rows in finished pages
  int64_t chunk_levels_ = 0;     // entries in finished pages
  int64_t total_uncompressed_ = 0;
  StatisticsBuilder chunk_stats_;
  std::vector<PageEncodingStats> encoding_stats_;
  std::vector<PageLocation> page_locations_;
  ColumnIndex column_index_;                   // one entry per data page so far
  bool column_index_valid_ = true;             // false once a non-null page has no usable bounds
  std::unordered_set<uint64_t> bloom_hashes_;  // distinct hashes, when a bloom filter is wanted

  // Scratch.
  Buffer levels_buffer_;
  Buffer values_buffer_;
  Buffer body_buffer_;
  uint8_t plain_scratch_[8];
};

}  // namespace mimicit::parquet
