// SeekTable: random access into one large compressed page.
//
// Why: pyarrow puts the first 1024 values of a row group into one dictionary
// page and later values into PLAIN pages of 1024 values each, so the pages
// of an image store written by pandas or dask hold 100-500 MB. A compressed
// stream can only be decoded from its start, so reading one image from such
// a page used to cost decoding half the page on average.
//
// A SeekTable is built in one sequential pass over the page and records
//   - where each value starts in the page's decompressed bytes (the offset
//     of its 4-byte PLAIN length prefix), and
//   - restart points, about every restart_spacing(codec) bytes of output: the
//     compressed and decompressed offsets of a place where decoding can
//     begin again, with the history the decoder needs there (the window).
// A read of value k then starts at the last restart point before it and
// decodes less than that spacing (at most 1 MiB) plus the value itself, whatever
// the page size.
//
// Per codec:
//   - UNCOMPRESSED: no restart points; the value offsets are file offsets.
//   - SNAPPY: a restart at an element boundary. Its window holds only the
//     bytes later copies really reach back to (measured while building).
//     libsnappy (pyarrow, pandas, dask, Spark) compresses in independent
//     64 KiB blocks, and restarts are placed on block boundaries where the
//     stream has them, so their windows are empty: the table costs about
//     8 bytes per value plus 40 bytes per restart.
//   - LZ4_RAW (pyarrow's "lz4"): a restart at a sequence boundary, with
//     the history later matches reach (at most 64 KiB), measured.
//   - GZIP (zlib or gzip wrapper, concatenated members): the zran
//     technique: a restart at a deflate block boundary, with its bit offset
//     and the 32 KiB window (stored compressed: 6-8 % of the store).
//   - ZSTD: blocks carry repeat offsets, Huffman tables and history from
//     block to block, and no zstd API restores them. A restart is a block
//     boundary from which a frame of our own (a header naming the original
//     window, then the original blocks) decodes, with no history, exactly
//     what the sequential decode produced up to the next restart (checked
//     by a digest of every stretch while building, so a restart is used
//     only where it was proven); a restarted stream hops from restart to
//     restart. Image payloads are incompressible, so zstd finds no matches
//     in them and most block boundaries qualify.
//   - other codecs (the Hadoop-framed LZ4, BROTLI): no table; reads stream
//     the page from its start (page_stream.h) as before.
//
// A table lives inside the store's saved index (store_index.h) and is used
// in place from its memory map (SeekTables::parse checks every offset, so a
// table is trusted only when it is self-consistent; the index file's
// checksum covers it too).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/file.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

class PageStream;

// The rules tables are built by: bump it when they change (a codec gains
// tables, restarts move), and saved indexes holding older tables rebuild
// theirs at the next open.
constexpr uint64_t kSeekTableFormat = 3;

// Output bytes between restart points: the most a read decodes before its
// value. Snappy and LZ4 decode at memory speed: 1 MiB. Inflate runs at
// ~300 MB/s, so deflate restarts come every 384 KiB (a get of a 270 KB
// image then inflates ~460 KB on average, about 1.5 ms); their 32 KiB
// windows, stored zstd-compressed, are ~6 % of the page (8 % of a gzip'd
// base64 page, whose windows compress to 3/4). ZSTD restarts carry no
// window and each costs a decoder's set-up: 512 KiB.
constexpr uint64_t kRestartSpacing = uint64_t{1} << 20;
constexpr uint64_t restart_spacing(Codec codec) {
  return codec == Codec::GZIP   ? (uint64_t{384} << 10)
         : codec == Codec::ZSTD ? kRestartSpacing / 2
                                : kRestartSpacing;
}

// A place where decoding can start again. Fixed layout: stored as is.
struct RestartPoint {
  uint64_t in = 0;         // compressed offset (from the stream's first byte)
  uint64_t out = 0;        // decompressed offset
  uint64_t window_at = 0;  // offset of its window record in the table's window bytes
  uint32_t window = 0;     // bytes of history before `out` the decoder needs
  uint32_t bits = 0;       // deflate: bits of byte in - 1 not yet consumed (0..7);
                           // ZSTD: the window descriptor of the restart's frame
};
static_assert(sizeof(RestartPoint) == 32);

// The history a restart starts with: a view into the table's window bytes
// (stored as is) or into `scratch` (decompressed). Error(kCorrupt) when the
// record does not decompress to exactly `restart.window` bytes.
ByteView restart_window(const uint8_t* windows, uint64_t window_bytes, const RestartPoint& restart,
                        Buffer& scratch);

// Fixed layout: stored as is, then values, restarts, windows and levels
// (each 8-aligned). A window is stored as a record: u32 stored size, then
// the history zstd-compressed (when that is smaller than `window` bytes)
// or as is (stored size == window).
struct SeekTableHeader {
  uint64_t page_offset = 0;    // file offset of the page header: the page's identity
  uint64_t stream_offset = 0;  // file offset of the compressed stream's first byte
  uint64_t stream_size = 0;    // compressed bytes
  uint64_t uncompressed = 0;   // decompressed bytes of the stream
  uint64_t num_values = 0;
  uint64_t num_restarts = 0;
  uint64_t window_bytes = 0;
  uint64_t levels_bytes = 0;  // v1 data page: its levels as stored ((u32 length, RLE bytes) per section)
  uint32_t codec = 0;         // Codec
  uint32_t flags = 0;         // kGzipWrapper
  static constexpr uint32_t kGzipWrapper = 1;  // deflate members end with an 8-byte trailer (else zlib's 4)
};
static_assert(sizeof(SeekTableHeader) == 72);

// A table being built (owned vectors).
struct SeekTable {
  SeekTableHeader header;
  std::vector<uint64_t> values;
  std::vector<RestartPoint> restarts;
  Buffer windows;
  Buffer levels;
};

// A table in place (views into a parsed blob).
struct SeekTableView {
  const SeekTableHeader* header = nullptr;
  const uint64_t* values = nullptr;
  const RestartPoint* restarts = nullptr;
  const uint8_t* windows = nullptr;
  const uint8_t* levels = nullptr;

  Codec codec() const { return static_cast<Codec>(header->codec); }
  // The restart point to read from offset `out` (nullptr: the stream's start).
  const RestartPoint* restart_before(uint64_t out) const;
};

// Records restart points while a stream decodes front to back. The stream
// calls boundary() at each place it could restart from, with the history it
// holds; reference() for every back-reference (snappy), so the window a
// restart needs is measured, not assumed.
class RestartRecorder {
 public:
  explicit RestartRecorder(uint64_t spacing = kRestartSpacing, uint32_t max_window = 64u << 10)
      : spacing_(spacing), max_window_(max_window) {}

  // `aligned`: a place the writer started afresh (snappy: a 64 KiB block
  // boundary), preferred because its window is likely empty. `history`: the
  // output bytes just before `out` the stream still holds.
  bool wants(uint64_t out, bool aligned) const {
    uint64_t since = out - last_out_;
    return since >= spacing_ && (aligned || since >= spacing_ + (64u << 10));
  }
  void boundary(uint64_t in, uint32_t bits, uint64_t out, ByteView history);
  // A copy at output `out` reading from output position `from`.
  void reference(uint64_t from) {
    if (open_ && from < last_out_) need_ = std::max<uint64_t>(need_, last_out_ - from);
  }
  // Every window at its full size (deflate: references cannot be seen).
  void set_full_windows() { full_windows_ = true; }
  // Keeps a digest of the output between restart points (fed by hash()),
  // against which restarts are verified (ZSTD).
  void enable_segment_hashes();
  void hash(ByteView output);
  // Digests of [start, r0), [r0, r1), ..., [rn, end) once finished.
  const std::vector<uint64_t>& segment_hashes() const { return hashes_; }
  // Closes the last restart; the table's restarts and windows.
  void finish(SeekTable& table);

 private:
  void close_open();
  void append_window(ByteView window);
  uint64_t spacing_;
  uint32_t max_window_;
  bool full_windows_ = false;
  uint64_t last_out_ = 0;
  bool open_ = false;  // a restart recorded whose window is not final
  uint64_t need_ = 0;  // history the open restart needs so far
  Buffer snapshot_;    // history at the open restart (up to max_window_)
  Buffer compressed_;  // a window being compressed
  std::vector<RestartPoint> restarts_;
  Buffer windows_;
  std::shared_ptr<void> hash_state_;  // XXH3 state while segment hashes are kept
  std::vector<uint64_t> hashes_;
};

// Builds the table of the page whose compressed stream is file bytes
// [stream_offset, stream_offset + stream_size), decompressing to
// `uncompressed` bytes of PLAIN byte arrays, preceded by `level_sections`
// sections of RLE levels, each a 4-byte length and that many bytes (a v1
// data page: repetition levels of a list column, then definition levels of
// a nullable one), which the table keeps so that a read needs no decoding
// to find its value's index.
// nullopt for codecs without tables. Errors: Error(kCorrupt) when the
// values run past the page's end, or (unless `expected_values` is
// UINT64_MAX) the page does not hold exactly that many.
std::optional<SeekTable> build_seek_table(Codec codec, const MappedFile& file, uint64_t page_offset,
                                          uint64_t stream_offset, uint64_t stream_size, uint64_t uncompressed,
                                          int level_sections, uint64_t expected_values);

// True for the codecs build_seek_table makes tables for.
bool has_seek_tables(Codec codec);

// Appends `tables` in their stored form (see SeekTables::parse).
void append_seek_tables(const std::vector<SeekTable>& tables, Buffer& out);

// The tables of one file, in place over stored bytes (8-aligned).
class SeekTables {
 public:
  // nullopt unless `bytes` holds well-formed tables that fit a file of
  // `file_size` bytes: offsets in range and increasing, windows inside the
  // window bytes. `owner` keeps the bytes alive.
  static std::optional<SeekTables> parse(ByteView bytes, uint64_t file_size,
                                         std::shared_ptr<const void> owner);
  const SeekTableView* find(uint64_t page_offset) const;
  size_t size() const { return tables_.size(); }

 private:
  std::vector<SeekTableView> tables_;  // sorted by page offset
  std::shared_ptr<const void> owner_;
};

// Reads the values of pages through their tables, in any order: a value
// ahead of the last one read, in the same page and no further than its
// restart point is, continues the same stream (a full pass in storage
// order decodes each page once); any other starts at the restart point
// before it. Not thread-safe.
class SeekCursor {
 public:
  SeekCursor();
  ~SeekCursor();
  // PLAIN byte array `index` of the page `table` describes, copied into
  // `scratch`. Errors: Error(kCorrupt) when the page's data disagrees with
  // its table.
  std::string_view read(const SeekTableView& table, const MappedFile& file, size_t index,
                        uint64_t max_value_bytes, Buffer& scratch);

 private:
  // Bytes fetched past a value's input: the codecs' look-ahead (a deflate
  // restart's partial byte, a zstd block header).
  static constexpr uint64_t kFetchSlack = 64;
  void fetch_ahead(const SeekTableView& table, const MappedFile& file, size_t index);
  const SeekTableHeader* page_ = nullptr;
  std::unique_ptr<PageStream> stream_;
  uint64_t at_ = 0;  // decompressed offset of the stream's next byte
  Buffer window_scratch_;
};

}  // namespace mimicit::parquet
