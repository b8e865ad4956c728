#include "parquet/writer/column_writer.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/bloom_filter.h"
#include "parquet/encoder/dictionary_encoder.h"
#include "parquet/encoder/plain_encoder.h"
#include "parquet/encoder/rle_encoder.h"

namespace mimicit::parquet {

namespace {

static_assert(std::endian::native == std::endian::little, "PLAIN is little-endian");

bool dictionary_enabled(const WriterColumn& column, const WriterOptions& options) {
  // BOOLEAN has nothing to gain from a dictionary; Arrow never uses one.
  return column.dictionary && column.type != Type::BOOLEAN && options.dictionary_bytes > 0;
}

bool is_data_page(PageType type) { return type == PageType::DATA_PAGE || type == PageType::DATA_PAGE_V2; }

void count_page(std::vector<PageEncodingStats>& stats, PageType type, Encoding encoding) {
  for (PageEncodingStats& s : stats) {
    if (s.page_type == type && s.encoding == encoding) {
      ++s.count;
      return;
    }
  }
  stats.push_back({type, encoding, 1});
}

// ASCENDING / DESCENDING when the bounds of the non-null pages are sorted
// that way (min and max alike), which lets readers binary-search the index.
BoundaryOrder boundary_order(Type type, const ColumnIndex& index) {
  bool ascending = true;
  bool descending = true;
  const std::string* prev_min = nullptr;
  const std::string* prev_max = nullptr;
  for (size_t i = 0; i < index.null_pages.size(); ++i) {
    if (index.null_pages[i]) continue;
    if (prev_min != nullptr) {
      int min_order = compare_plain(type, *prev_min, index.min_values[i]);
      int max_order = compare_plain(type, *prev_max, index.max_values[i]);
      ascending &= min_order <= 0 && max_order <= 0;
      descending &= min_order >= 0 && max_order >= 0;
    }
    prev_min = &index.min_values[i];
    prev_max = &index.max_values[i];
  }
  if (ascending) return BoundaryOrder::ASCENDING;
  if (descending) return BoundaryOrder::DESCENDING;
  return BoundaryOrder::UNORDERED;
}

}  // namespace

ColumnWriter::ColumnWriter(const LeafColumn& leaf, const WriterOptions& options)
    : column_(leaf.column),
      path_(leaf.path),
      max_def_(leaf.max_def),
      max_rep_(leaf.max_rep),
      options_(options),
      track_statistics_(options.statistics || options.page_index),
      page_writer_(options.codec, options.compression_level, options.write_crc),
      mode_(Mode::kPlain),
      page_stats_(column_.type, options.max_statistics_bytes, column_.is_string),
      chunk_stats_(column_.type, options.max_statistics_bytes, column_.is_string) {
  if (dictionary_enabled(column_, options_)) {
    dictionary_ = std::make_unique<DictionaryBuilder>(column_.type);
  }
  reset_chunk();
}

ColumnWriter::~ColumnWriter() = default;

void ColumnWriter::reset_chunk() {
  mode_ = dictionary_ ? Mode::kDictionary : Mode::kPlain;
  if (dictionary_) dictionary_->clear();
  data_pages_ = Buffer();
  chunk_first_row_ += chunk_rows_;
  chunk_rows_ = 0;
  chunk_levels_ = 0;
  total_uncompressed_ = 0;
  chunk_stats_.reset();
  encoding_stats_.clear();
  page_locations_.clear();
  column_index_ = ColumnIndex();
  column_index_valid_ = true;
  bloom_hashes_.clear();
}

// ---------------------------------------------------------------------------
// Values

void ColumnWriter::append_null(int16_t def, int16_t rep) {
  def_levels_.push_back(def);
  if (max_rep_ > 0) rep_levels_.push_back(rep);
  ++page_levels_;
  if (track_statistics_) page_stats_.add_null();
}

void ColumnWriter::append_bool(bool value, int16_t rep) {
  plain_scratch_[0] = value ? 1 : 0;
  add_value(ByteView(plain_scratch_, 1), rep, [] { return 0u; });
  if (track_statistics_) page_stats_.add_bool(value);
}

void ColumnWriter::append_int32(int32_t value, int16_t rep) {
  std::memcpy(plain_scratch_, &value, 4);
  add_value(ByteView(plain_scratch_, 4), rep, [&] { return dictionary_->put_int32(value); });
  if (track_statistics_) page_stats_.add_int32(value);
}

void ColumnWriter::append_int64(int64_t value, int16_t rep) {
  std::memcpy(plain_scratch_, &value, 8);
  add_value(ByteView(plain_scratch_, 8), rep, [&] { return dictionary_->put_int64(value); });
  if (track_statistics_) page_stats_.add_int64(value);
}

void ColumnWriter::append_double(double value, int16_t rep) {
  std::memcpy(plain_scratch_, &value, 8);
  add_value(ByteView(plain_scratch_, 8), rep, [&] { return dictionary_->put_double(value); });
  if (track_statistics_) page_stats_.add_double(value);
}

void ColumnWriter::append_bytes(std::string_view value, int16_t rep) {
  add_value(as_bytes(value), rep, [&] { return dictionary_->put_bytes(value); });
  if (track_statistics_) page_stats_.add_bytes(value);
}

template <typename Put>
void ColumnWriter::add_value(ByteView plain_value, int16_t rep, Put&& put) {
  // Leaving the dictionary ends the page first, so that every page is
  // wholly dictionary-encoded or wholly PLAIN. The page holds whole rows
  // here: this column's value for the current row is not in it yet.
  if (mode_ == Mode::kDictionary && !dictionary_has_room(plain_value.size())) {
    flush_page();
    mode_ = Mode::kPlain;
  }
  if (max_def_ > 0) def_levels_.push_back(max_def_);
  if (max_rep_ > 0) rep_levels_.push_back(rep);
  ++page_levels_;
  ++page_values_;
  if (column_.bloom_filter) bloom_hashes_.insert(bloom_hash(plain_value));
  if (mode_ == Mode::kDictionary) {
    indices_.push_back(put());
  } else {
    append_plain(plain_value);
  }
}

// Whether a value of `plain_size` bytes can be added without the
// dictionary page outgrowing `dictionary_bytes`. Checked before the value
// is entered (a value already in the dictionary would not grow it, but the
// builder has no lookup; falling back a value early costs nothing), so the
// limit is never exceeded and a single huge value (an image) never lands in
// a dictionary.
bool ColumnWriter::dictionary_has_room(size_t plain_size) const {
  uint64_t entry = column_.type == Type::BYTE_ARRAY ? 4 + plain_size : plain_size;
  return dictionary_->dictionary_page_bytes() + entry <= static_cast<uint64_t>(options_.dictionary_bytes);
}

void ColumnWriter::append_plain(ByteView plain_value) {
  switch (column_.type) {
    case Type::BOOLEAN: bool_values_.push_back(plain_value[0]); break;
    case Type::BYTE_ARRAY: append_plain_byte_array(as_string_view(plain_value), plain_values_); break;
    default: plain_values_.append(plain_value); break;
  }
}

// ---------------------------------------------------------------------------
// Pages

void ColumnWriter::end_row() {
  ++page_rows_;
  if (page_rows_ >= options_.page_rows || page_bytes_estimate() >= options_.page_bytes) {
    flush_page();
  }
}

int ColumnWriter::dictionary_bit_width() const {
  // Arrow writes 1 bit for a one-entry dictionary; some readers mishandle 0.
  return std::max(1, dictionary_->index_bit_width());
}

int64_t ColumnWriter::page_bytes_estimate() const {
  int64_t levels = static_cast<int64_t>(def_levels_.size() + rep_levels_.size()) / 8;
  if (mode_ == Mode::kDictionary) {
    return levels + static_cast<int64_t>(indices_.size()) * dictionary_bit_width() / 8;
  }
  return levels + static_cast<int64_t>(plain_values_.size() + bool_values_.size() / 8);
}

int64_t ColumnWriter::buffered_bytes() const {
  int64_t dictionary = dictionary_ ? static_cast<int64_t>(dictionary_->dictionary_page_bytes()) : 0;
  return static_cast<int64_t>(data_pages_.size()) + dictionary + page_bytes_estimate();
}

void ColumnWriter::flush_page() {
  if (page_rows_ == 0) return;
  // A page of only nulls before the first value has nothing to index, and
  // RLE_DICTIONARY would require a dictionary page: such pages are PLAIN.
  bool use_dictionary = mode_ == Mode::kDictionary && dictionary_->size() > 0;
  Encoding encoding = use_dictionary ? Encoding::RLE_DICTIONARY : Encoding::PLAIN;
  int64_t first_row = chunk_first_row_ + chunk_rows_;
  with_context(fmt::format("data page starting at row {}", first_row), [&] {
    WrittenPage page = write_data_page(encoding, encode_values(encoding));
    record_page(page, options_.data_page_version == 2 ? PageType::DATA_PAGE_V2 : PageType::DATA_PAGE,
                encoding);
  });
  if (options_.page_index) add_column_index_entry();
  if (track_statistics_) chunk_stats_.merge(page_stats_);

  chunk_rows_ += page_rows_;
  chunk_levels_ += page_levels_;
  page_rows_ = 0;
  page_levels_ = 0;
  page_values_ = 0;
  page_stats_.reset();
  def_levels_.clear();
  rep_levels_.clear();
  indices_.clear();
  plain_values_.clear();
  bool_values_.clear();
}

ByteView ColumnWriter::encode_values(Encoding encoding) {
  if (encoding == Encoding::RLE_DICTIONARY) {
    values_buffer_.clear();
    encode_dictionary_indices(indices_.data(), indices_.size(), dictionary_bit_width(), values_buffer_);
    return values_buffer_;
  }
  if (column_.type == Type::BOOLEAN) {
    values_buffer_.clear();
    encode_plain_boolean(bool_values_.data(), bool_values_.size(), values_buffer_);
    return values_buffer_;
  }
  return plain_values_;
}

WrittenPage ColumnWriter::write_data_page(Encoding encoding, ByteView values) {
  std::optional<Statistics> statistics;
  if (options_.statistics) {
    statistics = page_stats_.to_thrift();
  }
  // page_rows_ <= options.page_rows <= 2^31-1 (checked by the file writer);
  // a list column's page may hold more entries than rows.
  int32_t num_values = checked_page_size(page_levels_, "entries of a page");
  if (options_.data_page_version == 1) {
    // A required, unnested column's page is its values alone: compressed
    // from where they are, not copied behind levels first.
    ByteView body = values;
    if (max_rep_ > 0 || max_def_ > 0) {
      body_buffer_.clear();
      if (max_rep_ > 0) encode_levels_v1(rep_levels_.data(), rep_levels_.size(), max_rep_, body_buffer_);
      if (max_def_ > 0) encode_levels_v1(def_levels_.data(), def_levels_.size(), max_def_, body_buffer_);
      body_buffer_.append(values);
      body = body_buffer_.view();
    }
    DataPageHeader header;
    header.num_values = num_values;
    header.encoding = encoding;
    header.definition_level_encoding = Encoding::RLE;
    header.repetition_level_encoding = Encoding::RLE;
    header.statistics = std::move(statistics);
    return page_writer_.write_data_page_v1(std::move(header), body, data_pages_);
  }
  levels_buffer_.clear();
  size_t rep_bytes = 0;
  if (max_rep_ > 0) {
    rep_bytes = encode_levels_v2(rep_levels_.data(), rep_levels_.size(), max_rep_, levels_buffer_);
  }
  if (max_def_ > 0) encode_levels_v2(def_levels_.data(), def_levels_.size(), max_def_, levels_buffer_);
  DataPageHeaderV2 header;
  header.num_values = num_values;
  header.num_nulls = static_cast<int32_t>(page_levels_ - page_values_);
  header.num_rows = static_cast<int32_t>(page_rows_);
  header.encoding = encoding;
  header.statistics = std::move(statistics);
  return page_writer_.write_data_page_v2(std::move(header), levels_buffer_, rep_bytes, values, data_pages_);
}

void ColumnWriter::record_page(const WrittenPage& page, PageType type, Encoding encoding) {
  PageLocation location;
  location.offset = static_cast<int64_t>(page.offset);  // fixed up in finish_chunk()
  location.compressed_page_size = page.compressed_size;
  location.first_row_index = chunk_rows_;
  page_locations_.push_back(location);
  total_uncompressed_ += page.uncompressed_size;
  count_page(encoding_stats_, type, encoding);
}

void ColumnWriter::add_column_index_entry() {
  column_index_.null_counts.push_back(page_levels_ - page_values_);
  EncodedBounds bounds;
  if (page_values_ > 0) {
    bounds = page_stats_.bounds();
    // A page of only NaN, or whose max cannot be shortened, has no bounds;
    // min_values/max_values are required, so the chunk gets no ColumnIndex.
    if (!bounds.complete()) column_index_valid_ = false;
  }
  column_index_.null_pages.push_back(page_values_ == 0);
  column_index_.min_values.push_back(bounds.min.value_or(""));
  column_index_.max_values.push_back(bounds.max.value_or(""));
}

// ---------------------------------------------------------------------------
// Chunks

ColumnChunkOutput ColumnWriter::finish_chunk() {
  flush_page();
  ColumnChunkOutput out;
  // Entries enter the dictionary only with an index that a page then
  // stores, so a non-empty dictionary is always used.
  if (dictionary_ && dictionary_->size() > 0) write_dictionary_page(out);
  int64_t dictionary_size = static_cast<int64_t>(out.dictionary_page.size());
  for (PageLocation& page : page_locations_) page.offset += dictionary_size;
  out.data_pages = std::move(data_pages_);
  out.metadata = chunk_metadata(out);
  out.offset_index.page_locations = std::move(page_locations_);
  if (options_.page_index && column_index_valid_) out.column_index = finish_column_index();
  if (column_.bloom_filter) finish_bloom_filter(out);
  reset_chunk();
  return out;
}

void ColumnWriter::write_dictionary_page(ColumnChunkOutput& out) {
  values_buffer_.clear();
  dictionary_->write_dictionary_page(values_buffer_);
  with_context("dictionary page", [&] {
    WrittenPage page = page_writer_.write_dictionary_page(
        values_buffer_, static_cast<int64_t>(dictionary_->size()), out.dictionary_page);
    total_uncompressed_ += page.uncompressed_size;
  });
  count_page(encoding_stats_, PageType::DICTIONARY_PAGE, Encoding::PLAIN);
}

ColumnMetaData ColumnWriter::chunk_metadata(const ColumnChunkOutput& out) const {
  ColumnMetaData meta;
  meta.type = column_.type;
  meta.path_in_schema = path_;
  meta.codec = options_.codec;
  meta.num_values = chunk_levels_;
  meta.total_uncompressed_size = total_uncompressed_;
  meta.total_compressed_size = static_cast<int64_t>(out.size());
  if (!out.dictionary_page.empty()) meta.dictionary_page_offset = 0;
  meta.data_page_offset = static_cast<int64_t>(out.dictionary_page.size());
  if (options_.statistics) {
    meta.statistics = chunk_stats_.to_thrift();
  }
  // Levels are RLE (declared so even for required columns, as Arrow does).
  std::vector<Encoding> encodings = {Encoding::RLE};
  for (const PageEncodingStats& s : encoding_stats_) encodings.push_back(s.encoding);
  std::sort(encodings.begin(), encodings.end());
  encodings.erase(std::unique(encodings.begin(), encodings.end()), encodings.end());
  meta.encodings = std::move(encodings);
  // The dictionary page first, then data pages, as readers expect.
  meta.encoding_stats = encoding_stats_;
  std::stable_partition(meta.encoding_stats.begin(), meta.encoding_stats.end(),
                        [](const PageEncodingStats& s) { return !is_data_page(s.page_type); });
  return meta;
}

ColumnIndex ColumnWriter::finish_column_index() {
  ColumnIndex index = std::move(column_index_);
  index.boundary_order = boundary_order(column_.type, index);
  return index;
}

void ColumnWriter::finish_bloom_filter(ColumnChunkOutput& out) const {
  BloomFilterBuilder filter(bloom_filter_bytes(bloom_hashes_.size(), options_.bloom_filter_fpp));
  for (uint64_t hash : bloom_hashes_) filter.insert(hash);
  out.bloom_filter.append(filter.bitset());
}

}  // namespace mimicit::parquet
