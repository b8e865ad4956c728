// ColumnChunkReader: walks the pages of one column chunk, loads the
// dictionary, verifies CRCs, decompresses, and decodes levels and values.
//
// Memory: pages that need no decompression are decoded straight from the
// mapped file (zero copy: byte-array views point into the map); compressed
// pages are inflated into one reusable buffer. Views handed out stay valid
// until the reader moves to another page.
#include <algorithm>
#include <bit>
#include <cstring>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "parquet/compression.h"
#include "parquet/decoder/dictionary_decoder.h"
#include "parquet/metadata_codec.h"
#include "parquet/reader/page_decoding.h"
#include "parquet/reader/page_stream.h"
#include "parquet/reader/seek_table.h"
#include "util/crc32.h"
#include "util/worker_pool.h"

namespace mimicit::parquet {

class ColumnChunkReader::Impl {
 public:
  Impl(std::shared_ptr<const ParquetFile> file, int row_group, int column)
      : file_(std::move(file)),
        row_group_(row_group),
        column_(column),
        desc_(file_->schema().column(static_cast<size_t>(column))),
        meta_(file_->chunk_metadata(row_group, column)) {
    if (!can_decompress(meta_.codec)) {
      fail_unsupported("{}: unsupported compression codec {}", file_->where(row_group, column),
                       to_string(meta_.codec));
    }
    locate_chunk();
    pos_ = chunk_start_;
  }

  // The public entry points name the place (file, row group, column, and
  // the page when there is one) once, around everything below them.
  bool next_page() {
    return guarded([&] { return advance(); });
  }

  bool seek_to_row(int64_t row) {
    return guarded([&] { return seek(row); });
  }

  const PageInfo& page() const { return page_; }

  const DecodedPage& decode() {
    return guarded([&]() -> const DecodedPage& { return decode_cached(); });
  }

  const ColumnDescriptor& descriptor() const { return desc_; }
  int64_t pages_read() const { return pages_read_; }
  int64_t bytes_read() const { return bytes_read_; }

 private:
  struct RawPage {
    PageHeader header;
    uint64_t offset = 0;  // of the header
    ByteView data;        // compressed page bytes after the header
  };

  template <typename Fn>
  auto guarded(Fn&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (Error& e) {
      std::string place = file_->where(row_group_, column_);
      if (has_page_) place += fmt::format(", page at offset {}", page_.offset);
      e.add_context(place);
      throw;
    }
  }

  const DecodedPage& decode_cached() {
    if (!has_page_) fail(ErrorCode::kInternal, "decode() without a current page");
    if (!decoded_) {
      decode_current();
      decoded_ = true;
    }
    return decoded_page_;
  }

  // The chunk's byte range: from its first page (the dictionary page when
  // there is one) for total_compressed_size bytes, plus the file's
  // chunk_padding() when the file's end leaves room (PARQUET-816).
  void locate_chunk() {
    if (meta_.num_values == 0) return;  // nothing to read; some writers leave offsets at 0
    uint64_t start = static_cast<uint64_t>(meta_.data_page_offset);
    if (meta_.dictionary_page_offset && *meta_.dictionary_page_offset >= 4 &&
        (static_cast<uint64_t>(*meta_.dictionary_page_offset) < start || start < 4)) {
      start = static_cast<uint64_t>(*meta_.dictionary_page_offset);
    }
    uint64_t size = static_cast<uint64_t>(meta_.total_compressed_size);
    uint64_t file_size = file_->file().size();
    if (start < 4 || start > file_size || size > file_size - start) {
      fail_corrupt("{}: column chunk [{}, {}+{}) lies outside the file ({} bytes)",
                   file_->where(row_group_, column_), start, start, size, file_size);
    }
    size += std::min<uint64_t>(file_->chunk_padding(), file_size - start - size);
    chunk_start_ = start;
    chunk_end_ = start + size;
  }

  // A page header is small: a file filled on demand (a remote object)
  // fetches its first kHeaderProbe bytes, and the rest of the chunk only for
  // a header that does not fit (one with large statistics).
  PageHeader decode_page_header_at(uint64_t offset, size_t* header_size) const {
    static constexpr uint64_t kHeaderProbe = 64 * 1024;
    const MappedFile& f = file_->file();
    const uint64_t rest = chunk_end_ - offset;
    if (f.filled_on_demand() && rest > kHeaderProbe) {
      try {
        return decode_page_header(f.slice(offset, kHeaderProbe), header_size);
      } catch (const Error&) {
      }
    }
    return decode_page_header(f.slice(offset, rest), header_size);
  }

  // `bytes` of the file, made present (a remote object's are fetched).
  ByteView present(ByteView bytes) const {
    file_->file().fill(static_cast<uint64_t>(bytes.data() - file_->file().base()), bytes.size());
    return bytes;
  }

  RawPage read_page_at(uint64_t offset) {
    RawPage page;
    page.offset = offset;
    if (offset >= chunk_end_) fail_corrupt("page offset {} is past the end of the chunk", offset);
    size_t header_size = 0;
    page.header = with_context(fmt::format("page header at offset {}", offset),
                               [&] { return decode_page_header_at(offset, &header_size); });
    const PageHeader& h = page.header;
    if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
      fail_corrupt("page at offset {} has a negative size", offset);
    }
    uint64_t data_start = offset + header_size;
    if (static_cast<uint64_t>(h.compressed_page_size) > chunk_end_ - data_start) {
      fail_corrupt("page at offset {} ({} bytes) runs past the end of the column chunk", offset,
                   h.compressed_page_size);
    }
    // Not filled yet: a point read through a seek table fetches only the
    // stretch it decodes (present() fills what is read whole).
    page.data = file_->file().view(data_start, static_cast<uint64_t>(h.compressed_page_size));
    bytes_read_ += static_cast<int64_t>(header_size) + h.compressed_page_size;
    return page;
  }

  bool advance() {
    has_page_ = false;
    decoded_ = false;
    // After a jump through the offset index the values before are not
    // counted, so the chunk's end bounds the walk instead.
    while (index_jumped_ ? pos_ < chunk_end_ : values_seen_ < meta_.num_values) {
      if (pos_ >= chunk_end_) {
        fail_corrupt("column chunk ends after {} of its {} values", values_seen_, meta_.num_values);
      }
      RawPage raw = read_page_at(pos_);
      pos_ = static_cast<uint64_t>(raw.data.data() - file_->file().base()) + raw.data.size();
      switch (raw.header.type) {
        case PageType::DICTIONARY_PAGE:
          if (!dictionary_loaded_ && !defer_dictionary_) load_dictionary(raw);
          continue;
        case PageType::DATA_PAGE:
        case PageType::DATA_PAGE_V2: enter_data_page(std::move(raw)); return true;
        default: continue;  // index pages and unknown page types carry no values
      }
    }
    return false;
  }

  void enter_data_page(RawPage raw) {
    const PageHeader& h = raw.header;
    int32_t num_values = 0;
    int64_t num_rows = -1;
    Encoding encoding = Encoding::PLAIN;
    if (h.type == PageType::DATA_PAGE) {
      if (!h.data_page_header) fail_corrupt("data page at offset {} has no data page header", raw.offset);
      num_values = h.data_page_header->num_values;
      encoding = h.data_page_header->encoding;
    } else {
      if (!h.data_page_header_v2) fail_corrupt("data page at offset {} has no v2 header", raw.offset);
      num_values = h.data_page_header_v2->num_values;
      num_rows = h.data_page_header_v2->num_rows;
      encoding = h.data_page_header_v2->encoding;
      if (num_rows < 0) fail_corrupt("data page at offset {} has {} rows", raw.offset, num_rows);
    }
    if (num_values < 0) fail_corrupt("data page at offset {} has {} values", raw.offset, num_values);
    if (static_cast<uint64_t>(num_values) > file_->options().max_page_values) {
      fail(ErrorCode::kLimit, "data page at offset {} has {} values, over the limit of {}", raw.offset,
           num_values, file_->options().max_page_values);
    }
    raw_ = std::move(raw);
    page_ = PageInfo{};
    page_.type = h.type;
    page_.offset = raw_.offset;
    page_.first_row = next_first_row_;
    page_.num_levels = num_values;
    page_.encoding = encoding;
    page_.compressed_size = h.compressed_page_size;
    page_.uncompressed_size = h.uncompressed_page_size;
    has_page_ = true;
    ++pages_read_;
    values_seen_ += num_values;
    if (desc_.max_rep_level == 0) num_rows = num_values;
    if (num_rows < 0) num_rows = decode_cached().num_rows;  // v1 page of a list column: count from levels
    next_first_row_ += num_rows;
  }

  bool seek(int64_t row) {
    if (row < 0) return false;
    if (!offset_index_loaded_) {
      offset_index_ = file_->offset_index(row_group_, column_);
      offset_index_loaded_ = true;
    }
    if (offset_index_ && !offset_index_->page_locations.empty()) return seek_with_index(row);
    // No offset index: walk from the start (or from here when the row is ahead).
    if (!has_page_ || row < page_.first_row) restart();
    while (true) {
      if (has_page_ && row < next_first_row_ && row >= page_.first_row) return true;
      if (!advance()) return false;
    }
  }

  bool seek_with_index(int64_t row) {
    const auto& locs = offset_index_->page_locations;
    auto it = std::upper_bound(locs.begin(), locs.end(), row,
                               [](int64_t r, const PageLocation& l) { return r < l.first_row_index; });
    if (it == locs.begin()) return false;
    size_t i = static_cast<size_t>(it - locs.begin()) - 1;
    int64_t rg_rows = file_->metadata().row_groups[row_group_].num_rows;
    if (row >= rg_rows) return false;
    if (locs[i].offset < 0) fail_corrupt("offset index has a negative page offset");
    if (has_page_ && page_.offset == static_cast<uint64_t>(locs[i].offset)) return true;
    has_page_ = false;
    decoded_ = false;
    pos_ = static_cast<uint64_t>(locs[i].offset);
    if (pos_ < chunk_start_ || pos_ >= chunk_end_) {
      fail_corrupt("offset index points at offset {}, outside the column chunk", pos_);
    }
    next_first_row_ = locs[i].first_row_index;
    index_jumped_ = true;
    // Read exactly the one data page at this location.
    RawPage raw = read_page_at(pos_);
    pos_ = static_cast<uint64_t>(raw.data.data() - file_->file().base()) + raw.data.size();
    if (raw.header.type != PageType::DATA_PAGE && raw.header.type != PageType::DATA_PAGE_V2) {
      fail_corrupt("offset index points at a non-data page at offset {}", raw.offset);
    }
    enter_data_page(std::move(raw));
    // Row counts from the index are authoritative for the next page.
    next_first_row_ = i + 1 < locs.size() ? locs[i + 1].first_row_index : rg_rows;
    return true;
  }

  void restart() {
    pos_ = chunk_start_;
    values_seen_ = 0;
    index_jumped_ = false;
    next_first_row_ = 0;
    has_page_ = false;
    decoded_ = false;
  }

  void verify_crc(const RawPage& raw) {
    if (!raw.header.crc || !file_->options().verify_crc) return;
    uint32_t actual = crc32(present(raw.data));
    uint32_t expected = static_cast<uint32_t>(*raw.header.crc);
    if (actual != expected) {
      fail_corrupt("page CRC mismatch (checksum in header {:08x}, computed {:08x})", expected, actual);
    }
  }

  // Returns the page payload, decompressed when needed. `skip` leading bytes
  // are stored uncompressed (v2 levels) and are not part of the result.
  ByteView payload(const RawPage& raw, size_t skip, bool compressed) {
    ByteView data = present(raw.data.subspan(skip));
    int64_t uncompressed =
        static_cast<int64_t>(raw.header.uncompressed_page_size) - static_cast<int64_t>(skip);
    if (!compressed || meta_.codec == Codec::UNCOMPRESSED) return data;
    if (uncompressed < 0) fail_corrupt("uncompressed page size is smaller than its levels");
    if (static_cast<uint64_t>(uncompressed) > file_->options().max_page_bytes) {
      fail(ErrorCode::kLimit, "page of {} bytes exceeds the limit of {} bytes", uncompressed,
           file_->options().max_page_bytes);
    }
    Buffer& out = raw.header.type == PageType::DICTIONARY_PAGE ? dictionary_data_ : decompressed_;
    out.resize(static_cast<size_t>(uncompressed));
    decompress(meta_.codec, data, out.data(), out.size());
    return out.view();
  }

  void load_dictionary(const RawPage& raw) {
    with_context(fmt::format("dictionary page at offset {}", raw.offset), [&] {
      const PageHeader& h = raw.header;
      if (!h.dictionary_page_header) fail_corrupt("dictionary page has no dictionary header");
      const DictionaryPageHeader& dh = *h.dictionary_page_header;
      if (dh.encoding != Encoding::PLAIN && dh.encoding != Encoding::PLAIN_DICTIONARY) {
        fail_unsupported("unsupported dictionary page encoding {}", to_string(dh.encoding));
      }
      if (dh.num_values < 0) fail_corrupt("dictionary has a negative size {}", dh.num_values);
      if (static_cast<uint64_t>(dh.num_values) > file_->options().max_dictionary_values) {
        fail(ErrorCode::kLimit, "dictionary of {} values exceeds the limit of {}", dh.num_values,
             file_->options().max_dictionary_values);
      }
      verify_crc(raw);
      ByteView data = payload(raw, 0, true);
      dictionary_.load(desc_, data, static_cast<size_t>(dh.num_values));
      dictionary_loaded_ = true;
    });
  }

  // Loads the dictionary page at the start of the chunk (after a seek that
  // jumped over it).
  void ensure_dictionary() {
    if (dictionary_loaded_) return;
    RawPage raw = read_page_at(chunk_start_);
    if (raw.header.type != PageType::DICTIONARY_PAGE) {
      fail_corrupt("dictionary-encoded page but the chunk has no dictionary page");
    }
    load_dictionary(raw);
  }

  void decode_current() {
    PageLevels levels;
    ByteView values = decode_levels(levels, levels_);
    DecodedPage& out = decoded_page_;
    out = DecodedPage{};
    out.num_levels = page_.num_levels;
    out.def_levels = levels.def;
    out.rep_levels = levels.rep;
    out.num_values = static_cast<int64_t>(levels.num_present);
    out.num_rows = static_cast<int64_t>(levels.num_rows);
    if (is_dictionary_encoding(page_.encoding)) {
      ensure_dictionary();
      decode_dictionary_values(desc_, values, levels.num_present, dictionary_, values_, out);
    } else {
      decode_values(desc_, page_.encoding, values, levels.num_present, values_, out);
    }
  }

  static bool is_dictionary_encoding(Encoding e) {
    return e == Encoding::PLAIN_DICTIONARY || e == Encoding::RLE_DICTIONARY;
  }

  // Checks the current page's CRC, decodes its levels into `levels` and
  // returns its value bytes (decompressed).
  ByteView decode_levels(PageLevels& levels, LevelStorage& storage) {
    verify_crc(raw_);
    const PageHeader& h = raw_.header;
    ByteView values;
    size_t n = static_cast<size_t>(page_.num_levels);
    if (h.type == PageType::DATA_PAGE) {
      const DataPageHeader& dh = *h.data_page_header;
      ByteView body = payload(raw_, 0, true);
      size_t used = decode_levels_v1(desc_, body, n, dh.repetition_level_encoding,
                                     dh.definition_level_encoding, storage, levels);
      values = body.subspan(used);
    } else {
      auto [rep_len, def_len] = v2_level_sizes();
      decode_levels_v2(desc_, raw_.data.subspan(0, rep_len), raw_.data.subspan(rep_len, def_len), n, storage,
                       levels);
      values = payload(raw_, rep_len + def_len, h.data_page_header_v2->is_compressed);
    }
    // Only a page that continues a row from an earlier page may start inside
    // a list; no row has begun before the first page.
    if (levels.rep && n > 0 && levels.rep[0] != 0 && page_.first_row == 0) {
      fail_corrupt("repetition levels start with {} instead of 0", levels.rep[0]);
    }
    return values;
  }

  std::pair<uint64_t, uint64_t> v2_level_sizes() const {
    const DataPageHeaderV2& dh = *raw_.header.data_page_header_v2;
    if (dh.repetition_levels_byte_length < 0 || dh.definition_levels_byte_length < 0) {
      fail_corrupt("negative level sizes");
    }
    uint64_t rep_len = static_cast<uint64_t>(dh.repetition_levels_byte_length);
    uint64_t def_len = static_cast<uint64_t>(dh.definition_levels_byte_length);
    if (rep_len + def_len > raw_.data.size()) fail_corrupt("level sizes exceed the page size");
    present(raw_.data.subspan(0, rep_len + def_len));  // read by the callers
    return {rep_len, def_len};
  }

  // ---- Point reads of one byte-array value (read_byte_array_at) ----

 public:
  std::optional<std::string_view> read_byte_array_at(int64_t row, uint32_t element, Buffer& scratch) {
    if (desc_.type != Type::BYTE_ARRAY || desc_.max_rep_level > 1) {
      fail_invalid("{}: a point read needs a BYTE_ARRAY column without nested lists",
                   file_->where(row_group_, column_));
    }
    if (desc_.max_rep_level == 0 && element != 0) {
      fail_invalid("{}: element {} of a column that holds no lists", file_->where(row_group_, column_),
                   element);
    }
    return guarded([&] { return fetch_byte_array(row, element, scratch); });
  }

 private:
  // A value to read: element `element` of the row `row` levels into the
  // current page (a column without lists: element 0 of each row).
  struct Target {
    int64_t row = 0;  // within the row group, for messages
    size_t row_in_page = 0;
    uint32_t element = 0;
  };

  std::optional<std::string_view> fetch_byte_array(int64_t row, uint32_t element, Buffer& scratch) {
    defer_dictionary_ = true;  // a point read may never need it
    if (!seek(row)) fail_invalid("row {} is outside the row group", row);
    const Target target{row, static_cast<size_t>(row - page_.first_row), element};
    if (desc_.max_rep_level == 0 && target.row_in_page >= static_cast<size_t>(page_.num_levels)) {
      fail_corrupt("row {} is past the {} values of its page", row, page_.num_levels);
    }
    if (!decoded_) {
      try {
        std::optional<std::optional<std::string_view>> streamed = try_stream(target, scratch);
        if (streamed) return *streamed;
      } catch (Error& e) {
        if (e.code() != ErrorCode::kUnsupported) throw;  // else: decode the page whole
      }
    }
    return value_in_decoded_page(target);
  }

  std::optional<std::string_view> value_in_decoded_page(const Target& target) {
    const DecodedPage& page = decode_cached();
    PageLevels levels;
    levels.def = page.def_levels;
    levels.rep = page.rep_levels;
    std::optional<size_t> j = value_index(levels, static_cast<size_t>(page.num_levels), target);
    if (!j) return std::nullopt;
    return page.bytes[*j];
  }

  // Index among the page's non-null values of `target`; nullopt when that
  // value is null. kInvalidArgument when the row's list has no such
  // element; kUnsupported when the list goes on in the next page (writers
  // that keep rows whole, as the page index requires, never do that).
  std::optional<size_t> value_index(const PageLevels& levels, size_t num_levels, const Target& target) const {
    const size_t at = level_of(levels, num_levels, target);
    const int16_t* def = levels.def;
    if (def == nullptr) return at;
    if (def[at] != desc_.max_def_level) return std::nullopt;
    size_t j = 0;
    for (size_t i = 0; i < at; ++i) j += def[i] == desc_.max_def_level;
    return j;
  }

  // The level of `target` in a page of `num_levels` levels.
  size_t level_of(const PageLevels& levels, size_t num_levels, const Target& target) const {
    const int16_t* rep = levels.rep;
    if (rep == nullptr) return target.row_in_page;
    size_t start = 0;
    for (size_t rows = 0; start < num_levels; ++start) {
      if (rep[start] == 0 && rows++ == target.row_in_page) break;
    }
    if (start == num_levels) fail_corrupt("row {} is past the rows of its page", target.row);
    if (levels.def != nullptr && levels.def[start] <= desc_.list_def_level) {
      fail_invalid("row {} holds no list element {}: its list is {}", target.row, target.element,
                   levels.def[start] < desc_.list_def_level ? "null" : "empty");
    }
    const size_t at = start + target.element;
    for (size_t i = start + 1; i <= at; ++i) {
      if (i == num_levels) {
        fail_unsupported("row {}'s list goes on in the next page (a point read of its element {})",
                         target.row, target.element);
      }
      if (rep[i] == 0)
        fail_invalid("row {} holds no list element {}: its list has {}", target.row, target.element,
                     i - start);
    }
    return at;
  }

  // The value streamed from a large page; nullopt (outer) when the page is
  // small or its codec has no stream, so the caller decodes it whole.
  std::optional<std::optional<std::string_view>> try_stream(const Target& at, Buffer& scratch) {
    if (is_dictionary_encoding(page_.encoding)) return stream_from_dictionary(at, scratch);
    if (page_.encoding != Encoding::PLAIN) return std::nullopt;
    if (static_cast<uint64_t>(page_.uncompressed_size) <= file_->options().stream_pages_above)
      return std::nullopt;
    if (const SeekTableView* table = find_table(page_.offset)) return read_with_table(*table, at, scratch);
    return stream_from_plain_page(at, scratch);
  }

  const SeekTableView* find_table(uint64_t page_offset) const {
    return seek_tables_ != nullptr ? seek_tables_->find(page_offset) : nullptr;
  }

  // The value at level `at` of the current PLAIN page through its seek
  // table: the levels come from the table (v1) or the page (v2, stored
  // uncompressed), the value from the restart point before it.
  std::optional<std::optional<std::string_view>> read_with_table(const SeekTableView& table, const Target& at,
                                                                 Buffer& scratch) {
    if (point_page_.offset != page_.offset) {
      point_page_ = PointPage{};
      size_t n = static_cast<size_t>(page_.num_levels);
      if (raw_.header.type == PageType::DATA_PAGE) {
        const DataPageHeader& dh = *raw_.header.data_page_header;
        decode_levels_v1(desc_, ByteView(table.levels, table.header->levels_bytes), n,
                         dh.repetition_level_encoding, dh.definition_level_encoding, point_levels_,
                         point_page_.levels);
      } else {
        auto [rep_len, def_len] = v2_level_sizes();
        decode_levels_v2(desc_, raw_.data.subspan(0, rep_len), raw_.data.subspan(rep_len, def_len), n,
                         point_levels_, point_page_.levels);
      }
      point_page_.offset = page_.offset;
    }
    if (point_page_.levels.num_present != table.header->num_values) {
      fail_corrupt("the page's levels say {} values, its seek table {}", point_page_.levels.num_present,
                   table.header->num_values);
    }
    std::optional<size_t> j = value_index(point_page_.levels, static_cast<size_t>(page_.num_levels), at);
    if (!j) return std::optional<std::string_view>();
    return std::optional<std::optional<std::string_view>>(
        seek_cursor_.read(table, file_->file(), *j, file_->options().max_page_bytes, scratch));
  }

  // Point reads keep their stream between calls: a read of a later value of
  // the same page continues where the last one stopped, so reading a page's
  // rows in order (the converter does) streams it once; going back reopens.
  struct PointStream {
    std::unique_ptr<PageStream> stream;
    uint64_t page_offset = UINT64_MAX;  // the page (dictionary or data) it reads
    size_t next_value = 0;              // index of the value it yields next
  };

  // Levels (and, for a dictionary-encoded page, every index) of the current
  // data page, decoded once per page for point reads.
  struct PointPage {
    uint64_t offset = UINT64_MAX;
    PageLevels levels;
    bool has_indices = false;
  };

  std::optional<std::optional<std::string_view>> stream_from_dictionary(const Target& at, Buffer& scratch) {
    if (dictionary_loaded_) return std::nullopt;
    RawPage dict = read_page_at(chunk_start_);
    if (dict.header.type != PageType::DICTIONARY_PAGE || !dict.header.dictionary_page_header) {
      return std::nullopt;  // the whole-page path reports it
    }
    const DictionaryPageHeader& dh = *dict.header.dictionary_page_header;
    uint64_t size = static_cast<uint64_t>(std::max(0, dict.header.uncompressed_page_size));
    if (size <= file_->options().stream_pages_above || dh.num_values < 0 ||
        (dh.encoding != Encoding::PLAIN && dh.encoding != Encoding::PLAIN_DICTIONARY)) {
      return std::nullopt;
    }
    // The data page holds only indices: decode them all, once per page.
    if (point_page_.offset != page_.offset || !point_page_.has_indices) {
      point_page_.offset = UINT64_MAX;
      ByteView values = decode_levels(point_page_.levels, point_levels_);
      indices_.resize(point_page_.levels.num_present);
      decode_dictionary_indices(values, indices_.size(), indices_.data());
      point_page_.offset = page_.offset;
      point_page_.has_indices = true;
    }
    std::optional<size_t> j = value_index(point_page_.levels, static_cast<size_t>(page_.num_levels), at);
    if (!j) return std::optional<std::string_view>();
    uint32_t k = indices_[*j];
    if (k >= static_cast<uint32_t>(dh.num_values)) {
      fail_corrupt("dictionary index {} is past the {} dictionary values", k, dh.num_values);
    }
    return with_context(fmt::format("dictionary page at offset {}", dict.offset), [&] {
      if (const SeekTableView* table = find_table(dict.offset)) {
        return std::optional<std::optional<std::string_view>>(
            seek_cursor_.read(*table, file_->file(), k, file_->options().max_page_bytes, scratch));
      }
      if (point_stream_.page_offset != dict.offset || point_stream_.next_value > k) {
        point_stream_ = PointStream{};
        point_stream_.stream = open_stream(dict, 0, true);
        if (!point_stream_.stream) return std::optional<std::optional<std::string_view>>();
        point_stream_.page_offset = dict.offset;
      }
      return std::optional<std::optional<std::string_view>>(read_streamed_value(k, scratch));
    });
  }

  std::optional<std::optional<std::string_view>> stream_from_plain_page(const Target& at, Buffer& scratch) {
    const PageHeader& h = raw_.header;
    size_t n = static_cast<size_t>(page_.num_levels);
    bool fresh = point_stream_.page_offset != page_.offset || point_page_.offset != page_.offset;
    if (!fresh) {
      std::optional<size_t> j = value_index(point_page_.levels, static_cast<size_t>(page_.num_levels), at);
      if (!j) return std::optional<std::string_view>();
      if (*j >= point_stream_.next_value)
        return std::optional<std::optional<std::string_view>>(read_streamed_value(*j, scratch));
    }
    point_stream_ = PointStream{};
    point_page_ = PointPage{};
    if (h.type == PageType::DATA_PAGE) {
      point_stream_.stream = open_stream(raw_, 0, true);
      if (!point_stream_.stream) return std::nullopt;
      read_streamed_levels_v1(*point_stream_.stream, n, point_page_.levels, point_levels_);
    } else {
      auto [rep_len, def_len] = v2_level_sizes();
      decode_levels_v2(desc_, raw_.data.subspan(0, rep_len), raw_.data.subspan(rep_len, def_len), n,
                       point_levels_, point_page_.levels);
      point_stream_.stream = open_stream(raw_, rep_len + def_len, h.data_page_header_v2->is_compressed);
      if (!point_stream_.stream) return std::nullopt;
    }
    point_stream_.page_offset = page_.offset;
    point_page_.offset = page_.offset;
    std::optional<size_t> j = value_index(point_page_.levels, static_cast<size_t>(page_.num_levels), at);
    if (!j) return std::optional<std::string_view>();
    return std::optional<std::optional<std::string_view>>(read_streamed_value(*j, scratch));
  }

  // A stream over `raw`'s bytes after `skip` (uncompressed) leading bytes.
  std::unique_ptr<PageStream> open_stream(const RawPage& raw, uint64_t skip, bool compressed) {
    uint64_t offset = static_cast<uint64_t>(raw.data.data() - file_->file().base()) + skip;
    uint64_t size = raw.data.size() - skip;
    int64_t uncompressed =
        static_cast<int64_t>(raw.header.uncompressed_page_size) - static_cast<int64_t>(skip);
    if (uncompressed < 0) fail_corrupt("uncompressed page size is smaller than its levels");
    Codec codec = compressed ? meta_.codec : Codec::UNCOMPRESSED;
    return open_page_stream(codec, file_->file(), offset, size, static_cast<uint64_t>(uncompressed));
  }

  // ---- Seek tables of the chunk's large pages (build_seek_tables) ----

 public:
  void set_seek_tables(const SeekTables* tables) { seek_tables_ = tables; }

  // Walks the page headers, then builds the tables of the large pages.
  void build_seek_tables(std::vector<SeekTable>& out, const std::function<void(uint64_t)>& progress,
                         WorkerPool* pool) {
    if (desc_.type != Type::BYTE_ARRAY || desc_.max_rep_level > 1 || meta_.num_values == 0) return;
    std::vector<RawPage> large;
    guarded([&] {
      uint64_t pos = chunk_start_;
      int64_t values = 0;
      while (values < meta_.num_values && pos < chunk_end_) {
        RawPage raw = read_page_at(pos);
        pos = file_offset(raw.data) + raw.data.size();
        if (raw.header.data_page_header) values += raw.header.data_page_header->num_values;
        if (raw.header.data_page_header_v2) values += raw.header.data_page_header_v2->num_values;
        if (static_cast<uint64_t>(raw.header.uncompressed_page_size) > file_->options().stream_pages_above) {
          large.push_back(std::move(raw));
        } else if (progress) {
          progress(pos - raw.offset);
        }
      }
    });
    std::vector<std::optional<SeekTable>> tables(large.size());
    auto build = [&](size_t i) {
      const RawPage& raw = large[i];
      tables[i] =
          with_context(fmt::format("{}, page at offset {}", file_->where(row_group_, column_), raw.offset),
                       [&] { return table_of(raw); });
      if (progress) progress(file_offset(raw.data) + raw.data.size() - raw.offset);
    };
    if (pool != nullptr) {
      pool->run(large.size(), build);
    } else {
      for (size_t i = 0; i < large.size(); ++i) build(i);
    }
    for (std::optional<SeekTable>& table : tables) {
      if (table) out.push_back(std::move(*table));
    }
  }

 private:
  uint64_t file_offset(ByteView bytes) const {
    return static_cast<uint64_t>(bytes.data() - file_->file().base());
  }

  // The seek table of a large PLAIN page (dictionary or data), or nullopt
  // for pages a table does not serve (other encodings, BIT_PACKED levels).
  std::optional<SeekTable> table_of(const RawPage& raw) const {
    const PageHeader& h = raw.header;
    uint64_t data = file_offset(raw.data);
    uint64_t uncompressed = static_cast<uint64_t>(h.uncompressed_page_size);
    if (h.type == PageType::DICTIONARY_PAGE && h.dictionary_page_header) {
      const DictionaryPageHeader& dh = *h.dictionary_page_header;
      if ((dh.encoding != Encoding::PLAIN && dh.encoding != Encoding::PLAIN_DICTIONARY) ||
          dh.num_values < 0) {
        return std::nullopt;
      }
      return build_seek_table(meta_.codec, file_->file(), raw.offset, data, raw.data.size(), uncompressed, 0,
                              static_cast<uint64_t>(dh.num_values));
    }
    if (h.type == PageType::DATA_PAGE && h.data_page_header &&
        h.data_page_header->encoding == Encoding::PLAIN) {
      const DataPageHeader& dh = *h.data_page_header;
      if (desc_.max_def_level > 0 && dh.definition_level_encoding != Encoding::RLE) return std::nullopt;
      if (desc_.max_rep_level > 0 && dh.repetition_level_encoding != Encoding::RLE) return std::nullopt;
      const int sections = (desc_.max_rep_level > 0) + (desc_.max_def_level > 0);
      return build_seek_table(meta_.codec, file_->file(), raw.offset, data, raw.data.size(), uncompressed,
                              sections, UINT64_MAX);
    }
    if (h.type == PageType::DATA_PAGE_V2 && h.data_page_header_v2 &&
        h.data_page_header_v2->encoding == Encoding::PLAIN) {
      const DataPageHeaderV2& dh = *h.data_page_header_v2;
      if (dh.repetition_levels_byte_length < 0 || dh.definition_levels_byte_length < 0 || dh.num_nulls < 0 ||
          dh.num_nulls > dh.num_values) {
        return std::nullopt;  // the read path reports it
      }
      uint64_t skip = static_cast<uint64_t>(dh.repetition_levels_byte_length) +
                      static_cast<uint64_t>(dh.definition_levels_byte_length);
      if (skip > raw.data.size() || skip > uncompressed) return std::nullopt;
      Codec codec = dh.is_compressed ? meta_.codec : Codec::UNCOMPRESSED;
      return build_seek_table(codec, file_->file(), raw.offset, data + skip, raw.data.size() - skip,
                              uncompressed - skip, 0, static_cast<uint64_t>(dh.num_values - dh.num_nulls));
    }
    return std::nullopt;
  }

  // The levels at the start of a streamed v1 page: repetition levels of a
  // list column, then definition levels of a nullable one.
  void read_streamed_levels_v1(PageStream& stream, size_t n, PageLevels& levels, LevelStorage& storage) {
    const DataPageHeader& dh = *raw_.header.data_page_header;
    level_bytes_.clear();
    if (desc_.max_rep_level > 0)
      read_streamed_level_section(stream, n, dh.repetition_level_encoding, desc_.max_rep_level);
    if (desc_.max_def_level > 0)
      read_streamed_level_section(stream, n, dh.definition_level_encoding, desc_.max_def_level);
    decode_levels_v1(desc_, level_bytes_.view(), n, dh.repetition_level_encoding,
                     dh.definition_level_encoding, storage, levels);
  }

  // Appends one section of levels, as stored, to level_bytes_.
  void read_streamed_level_section(PageStream& stream, size_t n, Encoding encoding, int16_t max_level) {
    const size_t stored = level_bytes_.size();
    if (encoding == Encoding::RLE) {
      uint32_t length = stream.read_u32_le();
      if (length > static_cast<uint64_t>(raw_.header.uncompressed_page_size)) {
        fail_corrupt("levels of {} bytes in a page of {}", length, raw_.header.uncompressed_page_size);
      }
      level_bytes_.resize(stored + 4 + size_t{length});
      std::memcpy(level_bytes_.data() + stored, &length, 4);  // little-endian hosts only, as the decoders
      stream.read(level_bytes_.data() + stored + 4, length);
    } else {
      int width = std::bit_width(static_cast<unsigned>(max_level));
      size_t length = (n * static_cast<size_t>(width) + 7) / 8;
      level_bytes_.resize(stored + length);
      stream.read(level_bytes_.data() + stored, length);
    }
  }

  // Moves the point stream to PLAIN byte array `index` (at or after its
  // position) and copies that value into scratch. A failure drops the
  // stream, whose position is then unknown.
  std::string_view read_streamed_value(size_t index, Buffer& scratch) {
    PageStream& stream = *point_stream_.stream;
    try {
      for (; point_stream_.next_value < index; ++point_stream_.next_value) stream.skip(stream.read_u32_le());
      uint32_t length = stream.read_u32_le();
      if (length > file_->options().max_page_bytes) {
        fail_corrupt("a value of {} bytes is larger than any page may be", length);
      }
      scratch.resize(length);
      stream.read(scratch.data(), length);
      ++point_stream_.next_value;
      return {reinterpret_cast<const char*>(scratch.data()), length};
    } catch (...) {
      point_stream_ = PointStream{};
      throw;
    }
  }

  std::shared_ptr<const ParquetFile> file_;
  int row_group_;
  int column_;
  const ColumnDescriptor& desc_;
  const ColumnMetaData& meta_;
  uint64_t chunk_start_ = 0;
  uint64_t chunk_end_ = 0;
  uint64_t pos_ = 0;
  int64_t values_seen_ = 0;
  int64_t next_first_row_ = 0;
  bool index_jumped_ = false;

  RawPage raw_;
  PageInfo page_;
  bool has_page_ = false;
  bool decoded_ = false;
  DecodedPage decoded_page_;

  Buffer decompressed_;
  Buffer dictionary_data_;
  LevelStorage levels_;
  ValueStorage values_;
  Dictionary dictionary_;
  bool dictionary_loaded_ = false;
  bool defer_dictionary_ = false;  // set by point reads: load it only when a page needs it
  std::vector<uint32_t> indices_;  // point reads: dictionary indices of the page
  Buffer level_bytes_;             // point reads: the levels of a streamed page
  PointStream point_stream_;
  PointPage point_page_;
  const SeekTables* seek_tables_ = nullptr;
  SeekCursor seek_cursor_;
  LevelStorage point_levels_;  // point_page_'s levels (decode() has its own)

  std::optional<OffsetIndex> offset_index_;
  bool offset_index_loaded_ = false;
  int64_t pages_read_ = 0;
  int64_t bytes_read_ = 0;
};

ColumnChunkReader::ColumnChunkReader(std::shared_ptr<const ParquetFile> file, int row_group, int column)
    : impl_(std::make_unique<Impl>(std::move(file), row_group, column)) {}
ColumnChunkReader::~ColumnChunkReader() = default;
ColumnChunkReader::ColumnChunkReader(ColumnChunkReader&&) noexcept = default;
bool ColumnChunkReader::next_page() { return impl_->next_page(); }
bool ColumnChunkReader::seek_to_row(int64_t row) { return impl_->seek_to_row(row); }
const PageInfo& ColumnChunkReader::page() const { return impl_->page(); }
const DecodedPage& ColumnChunkReader::decode() { return impl_->decode(); }
std::optional<std::string_view> ColumnChunkReader::read_byte_array_at(int64_t row, Buffer& scratch,
                                                                      uint32_t element) {
  return impl_->read_byte_array_at(row, element, scratch);
}
void ColumnChunkReader::set_seek_tables(const SeekTables* tables) { impl_->set_seek_tables(tables); }
void ColumnChunkReader::build_seek_tables(std::vector<SeekTable>& out,
                                          const std::function<void(uint64_t)>& progress, WorkerPool* pool) {
  impl_->build_seek_tables(out, progress, pool);
}
const ColumnDescriptor& ColumnChunkReader::descriptor() const { return impl_->descriptor(); }
int64_t ColumnChunkReader::pages_read() const { return impl_->pages_read(); }
int64_t ColumnChunkReader::bytes_read() const { return impl_->bytes_read(); }

}  // namespace mimicit::parquet
