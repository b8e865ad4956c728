// A streaming snappy decoder with a bounded window.
//
// libsnappy decompresses only into a buffer of the full output size (its
// Source/Sink API allocates the whole output as well), so this is our own
// decoder of the raw format (github.com/google/snappy, format_description.txt):
// a varint of the uncompressed length, then elements, each a tag byte whose
// low two bits say literal (00) or copy with a 1-, 2- or 4-byte offset.
//
// Output goes into a window buffer; when the reader has consumed it all, the
// last kHistory bytes move to the front so that later copies can reach back.
// libsnappy compresses in 64 KiB blocks whose copies never leave the block,
// so kHistory = 64 KiB covers every stream it writes; a copy reaching further
// throws kUnsupported and the caller decompresses the page whole instead.
//
// Restart points (seek_table.h) are element boundaries: there the decoder's
// whole state is the input position, the output position and the history.
// A recording stream reports them, preferring 64 KiB output boundaries
// (libsnappy's blocks, whose windows are empty), and every copy's source so
// the recorder knows how much history each restart really needs.
#include <algorithm>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/reader/page_stream.h"
#include "parquet/reader/seek_table.h"

namespace mimicit::parquet {

namespace {

constexpr size_t kMaxCopy = 64;                 // the longest copy element
constexpr uint64_t kBlock = uint64_t{1} << 16;  // libsnappy's unit of compression

class SnappyStream final : public WindowedStream {
 public:
  SnappyStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, RestartRecorder* recorder)
      : WindowedStream("SNAPPY", file, in, uncompressed_size, recorder) {
    uint64_t declared = read_preamble();
    if (declared != expected_) {
      fail_corrupt("SNAPPY: the stream holds {} bytes but the page header states {}", declared, expected_);
    }
  }

  // Starts at a restart point: its window becomes the history.
  SnappyStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, const RestartPoint& restart,
               ByteView window)
      : WindowedStream("SNAPPY", file, in, uncompressed_size, restart, window) {}

 private:
  uint64_t read_preamble() {
    uint64_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b = next_byte();
      value |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return value;
    }
    fail_corrupt("SNAPPY: bad length preamble");
  }

  uint32_t next_le(int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint32_t{next_byte()} << (8 * i);
    return v;
  }

  // Keeps the history, then decodes elements until the window is full or
  // the stream ends.
  void refill() override {
    keep_history();
    size_t start = len_;
    uint64_t end = refill_end(produced_, expected_);
    while (len_ + kMaxCopy <= buffer_.size() && produced_ < end) {
      if (literal_left_ > 0) {
        copy_literal();
      } else {
        if (recorder_ != nullptr && recorder_->wants(produced_, produced_ % kBlock == 0)) record_restart();
        decode_element();
      }
    }
    if (len_ == start) fail_corrupt("SNAPPY: the page ends before the value");
  }

  void copy_literal() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(literal_left_, buffer_.size() - len_));
    n = std::min(n, input_.available());
    if (n == 0) fail_corrupt("SNAPPY: a literal runs past the end of the stream");
    std::memcpy(buffer_.data() + len_, input_.data(), n);
    input_.consume(n);
    append(n);
    literal_left_ -= n;
  }

  void decode_element() {
    uint8_t tag = next_byte();
    switch (tag & 3) {
      case 0: {
        uint32_t len = tag >> 2;
        if (len >= 60) len = next_le(static_cast<int>(len - 59));
        literal_left_ = uint64_t{len} + 1;
        return;
      }
      case 1: copy(((tag >> 2) & 7) + 4, (uint32_t{tag} >> 5) << 8 | next_byte()); return;
      case 2: copy((tag >> 2) + 1, next_le(2)); return;
      default: copy((tag >> 2) + 1, next_le(4)); return;
    }
  }

  void copy(uint32_t length, uint32_t offset) {
    check_reference(offset);
    uint8_t* dst = buffer_.data() + len_;
    const uint8_t* src = dst - offset;
    if (offset >= length) {
      std::memcpy(dst, src, length);
    } else {
      for (uint32_t i = 0; i < length; ++i) dst[i] = src[i];  // overlaps forwards: a run
    }
    append(length);
  }

  uint64_t literal_left_ = 0;
};

}  // namespace

std::unique_ptr<PageStream> open_snappy_stream(const MappedFile* file, ByteView in,
                                               uint64_t uncompressed_size, RestartRecorder* recorder) {
  return std::make_unique<SnappyStream>(file, in, uncompressed_size, recorder);
}

std::unique_ptr<PageStream> open_snappy_stream_at(const MappedFile* file, ByteView in,
                                                  uint64_t uncompressed_size, const RestartPoint& restart,
                                                  ByteView window) {
  return std::make_unique<SnappyStream>(file, in, uncompressed_size, restart, window);
}

}  // namespace mimicit::parquet
