// PageStream: one compressed page read front to back as a stream, with
// memory bounded by a small window instead of the page size.
//
// Why: a point lookup in a store that pandas/pyarrow wrote lands in pages of
// hundreds of MB (pyarrow puts the first 1024 images of a row group into one
// dictionary page, and checks the page size only once per 1024 values).
// Decompressing such a page whole to return one image costs its full size in
// time and in fresh memory. A stream stops at the wanted value and holds only
// its window; the compressed bytes it has walked over are dropped from the
// process's resident set as it goes (MappedFile::release).
//
// Streams exist for UNCOMPRESSED, SNAPPY, ZSTD, GZIP and LZ4_RAW (what
// pandas, dask, pyarrow, duckdb, polars and mimicit write). open_page_stream() returns nullptr for
// the other codecs, and a snappy stream whose back-references reach further
// than its window (never the case for what libsnappy writes, whose copies
// stay inside 64 KiB blocks) throws Error(kUnsupported): callers then
// decompress the page whole, as before.
//
// A stream can also record restart points as it goes, and start again at
// one (seek_table.h): that is how a read reaches a value deep inside a page
// without decoding what lies before it.
//
// Errors: Error(kCorrupt) naming the codec when the data is corrupt or ends
// before the requested bytes, or produces more than the page header declared.
// Not thread-safe; one stream per thread. The MappedFile must outlive it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "mimicit/bytes.h"
#include "mimicit/file.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

class RestartRecorder;
struct RestartPoint;

class PageStream {
 public:
  virtual ~PageStream() = default;
  // Copies the next n bytes to dst.
  virtual void read(uint8_t* dst, size_t n) = 0;
  // Discards the next n bytes.
  virtual void skip(uint64_t n) = 0;
  // A hint: the reader wants nothing past decompressed offset `out` for
  // now, whose compressed input ends by stream offset `in_end` (a restart
  // point at or after `out`, or the stream's end), so refills need not
  // decode, nor fetch, what lies beyond. Reads past `out` still work: they
  // decode further as usual.
  virtual void stop_at(uint64_t out, uint64_t in_end) {
    (void)out;
    (void)in_end;
  }

  uint32_t read_u32_le() {
    uint8_t b[4];
    read(b, 4);
    return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  }
};

// The common part of streams that decompress into a buffer: read() and
// skip() consume buffer_[pos_, len_) and call refill() when it is empty.
// refill() must leave pos_ < len_ or throw.
class BufferedPageStream : public PageStream {
 public:
  void read(uint8_t* dst, size_t n) override;
  void skip(uint64_t n) override;

 protected:
  virtual void refill() = 0;
  void stop_at(uint64_t out, uint64_t in_end) override {
    stop_ = out;
    (void)in_end;
  }
  // Where a refill that starts at decompressed offset `produced` should
  // stop: the hint when it lies ahead, else `expected` (the page's end).
  uint64_t refill_end(uint64_t produced, uint64_t expected) const {
    return stop_ > produced ? std::min(stop_, expected) : expected;
  }
  Buffer buffer_;
  size_t pos_ = 0;     // next byte to hand out
  size_t len_ = 0;     // bytes of buffer_ holding output
  uint64_t stop_ = 0;  // stop_at()'s hint (0: none)

 private:
  // Makes bytes available and consumes up to n of them; returns how many.
  size_t take(size_t n);
};

// A stream over `file` bytes [offset, offset + compressed_size) holding a
// page that decompresses to `uncompressed_size` bytes; nullptr for codecs
// without a stream. The range must lie inside the file (callers check it).
// With a `recorder`, the stream reports its restart points to it as it
// decodes (SNAPPY, GZIP, LZ4_RAW and ZSTD; other codecs ignore it).
std::unique_ptr<PageStream> open_page_stream(Codec codec, const MappedFile& file, uint64_t offset,
                                             uint64_t compressed_size, uint64_t uncompressed_size,
                                             RestartRecorder* recorder = nullptr);

// The same stream started at `restart`, a point recorded for it, with
// `window` (the restart's history) and `flags` (SeekTableHeader::flags):
// the first byte it yields is decompressed byte restart.out. `later`: the
// restart points after it, which a ZSTD stream hops to as it reaches them
// (it is verified only up to the next one). nullptr for codecs without
// restart points.
std::unique_ptr<PageStream> open_page_stream_at(Codec codec, const MappedFile& file, uint64_t offset,
                                                uint64_t compressed_size, uint64_t uncompressed_size,
                                                const RestartPoint& restart, ByteView window, uint32_t flags,
                                                std::span<const RestartPoint> later = {});

// The compressed input of a stream: bytes handed out front to back; those
// consumed are released from `file` (when not null and `in` lies in it) in
// steps of a few MB.
//
// The input need not be present when the stream opens: `in` is a view()
// of a file that may fill on demand (an object in remote storage, whose
// blocks are fetched as they are first read). Decoders read only what
// available() or ensure() made present, so a stream started deep inside a
// page of hundreds of MB fetches the stretch it decodes, not the page.
// Fills grow from 1 MiB to 16 MiB as a stream keeps going (a sequential
// pass costs few requests); for a local file every byte is present and
// they cost nothing.
class StreamInput {
 public:
  // `origin`: the stream offset of in[0] (a restart point's, or 0).
  StreamInput(const MappedFile* file, ByteView in, uint64_t origin = 0);
  ~StreamInput() { release_consumed(); }
  StreamInput(const StreamInput&) = delete;
  StreamInput& operator=(const StreamInput&) = delete;

  const uint8_t* data() const { return in_.data() + pos_; }
  // Bytes left in the stream (not all of them present yet).
  size_t size() const { return in_.size() - pos_; }
  // Fills stop at stream offset `in_end` (see PageStream::stop_at) unless
  // a read needs more.
  void set_horizon(uint64_t in_end) { horizon_ = in_end > origin_ ? in_end - origin_ : 0; }
  // Bytes present from the cursor on: at least one unless the stream ends.
  size_t available() {
    if (pos_ == filled_) fill(1);
    return filled_ - pos_;
  }
  // Makes the next min(n, size()) bytes present.
  void ensure(size_t n) {
    if (n > filled_ - pos_) fill(n);
  }
  uint64_t consumed() const { return pos_; }
  // n <= the bytes made present.
  void consume(size_t n);
  // Passes n <= size() bytes whether present or not: those not present are
  // never filled (an LZ4 literal run jumped over, page_stream_lz4.cc).
  void consume_unread(size_t n);

 private:
  void fill(size_t n);
  void release_consumed();
  const MappedFile* file_ = nullptr;  // set when in_ lies in it
  ByteView in_;
  uint64_t origin_;
  size_t pos_ = 0;
  size_t filled_ = 0;          // in_[pos_, filled_) is present
  size_t step_ = 0;            // the last fill's size
  size_t horizon_ = SIZE_MAX;  // fills stop here unless a read needs more
  uint64_t file_offset_ = 0;   // of in_[0] in file_
  size_t released_ = 0;
};

// The common part of the LZ77 streams whose decoder state is a window of
// recent output (snappy, LZ4): buffer_ holds kHistory bytes of history and
// up to kWindow bytes of new output; a stream started at a restart point
// begins with the restart's window as its history. Subclasses decode
// elements into buffer_ at len_, calling append() for what they add and
// record_restart() at element boundaries the recorder wants.
class WindowedStream : public BufferedPageStream {
 protected:
  static constexpr size_t kHistory = size_t{64} << 10;
  static constexpr size_t kWindow = size_t{1} << 20;  // output produced per refill

  WindowedStream(const char* codec, const MappedFile* file, ByteView in, uint64_t uncompressed_size,
                 RestartRecorder* recorder);
  WindowedStream(const char* codec, const MappedFile* file, ByteView in, uint64_t uncompressed_size,
                 const RestartPoint& restart, ByteView window);

  void stop_at(uint64_t out, uint64_t in_end) override {
    BufferedPageStream::stop_at(out, in_end);
    input_.set_horizon(in_end);
  }
  // Keeps the last kHistory bytes at the front; new output goes after them.
  void keep_history();
  uint8_t next_byte();
  void append(size_t n);
  void record_restart();
  // Checks a back-reference `offset` bytes behind the output and tells the
  // recorder about it.
  void check_reference(uint64_t offset);

  const char* codec_;
  StreamInput input_;
  uint64_t expected_;
  uint64_t produced_ = 0;
  RestartRecorder* recorder_ = nullptr;
};

// The snappy stream on its own (page_stream_snappy.cc), over any bytes;
// `file` as in StreamInput. The second form starts at a restart point:
// `in` is the whole stream.
std::unique_ptr<PageStream> open_snappy_stream(const MappedFile* file, ByteView in,
                                               uint64_t uncompressed_size,
                                               RestartRecorder* recorder = nullptr);
std::unique_ptr<PageStream> open_snappy_stream_at(const MappedFile* file, ByteView in,
                                                  uint64_t uncompressed_size, const RestartPoint& restart,
                                                  ByteView window);

// The same for an LZ4 block (LZ4_RAW pages; page_stream_lz4.cc).
std::unique_ptr<PageStream> open_lz4_stream(const MappedFile* file, ByteView in, uint64_t uncompressed_size,
                                            RestartRecorder* recorder = nullptr);
std::unique_ptr<PageStream> open_lz4_stream_at(const MappedFile* file, ByteView in,
                                               uint64_t uncompressed_size, const RestartPoint& restart,
                                               ByteView window);

}  // namespace mimicit::parquet
