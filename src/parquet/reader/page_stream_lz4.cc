// A streaming LZ4 block decoder with a bounded window, for LZ4_RAW pages
// (what pyarrow writes for compression="lz4": one LZ4 block per page).
//
// liblz4 decodes a block only into a buffer of its full output size, so
// this is our own decoder of the block format (github.com/lz4/lz4,
// doc/lz4_Block_format.md): sequences of a token (literal length, match
// length), literals, a 2-byte little-endian offset and the match; the last
// sequence has literals only. Offsets are at most 65535, so 64 KiB of
// history covers every block.
//
// Restart points (seek_table.h) are sequence boundaries: there the state is
// the input position, the output position and the history, of which the
// recorder keeps only what later matches reach back to.
//
// Incompressible data (images) comes out of LZ4 as long literal runs with
// no sequence boundary in them: skip() jumps over the part of such a run no
// later match can reach (all but its last 64 KiB) without reading it, so a
// value deep in the page costs neither the bytes before it nor, for a
// remote file, their fetch.
#include <algorithm>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/reader/page_stream.h"
#include "parquet/reader/seek_table.h"

namespace mimicit::parquet {

namespace {

class Lz4Stream final : public WindowedStream {
 public:
  Lz4Stream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, RestartRecorder* recorder)
      : WindowedStream("LZ4", file, in, uncompressed_size, recorder) {}

  Lz4Stream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, const RestartPoint& restart,
            ByteView window)
      : WindowedStream("LZ4", file, in, uncompressed_size, restart, window) {}

  void skip(uint64_t n) override {
    if (recorder_ != nullptr) return WindowedStream::skip(n);  // a pass that records restarts
    skipping_ = true;
    while (n > 0) {
      if (pos_ == len_) {
        // At a sequence boundary the next token says how long its literal
        // run is (decoding it yields no output).
        if (literal_left_ == 0 && match_left_ == 0 && produced_ < expected_) decode_sequence();
        if (literal_left_ > kHistory) {
          n -= jump_literals(std::min<uint64_t>(n, literal_left_ - kHistory));
          continue;
        }
      }
      // What is buffered, else one refill (which stops where a long run
      // begins); a jump may follow.
      const uint64_t step = std::min<uint64_t>(n, pos_ < len_ ? len_ - pos_ : kWindow);
      WindowedStream::skip(step);
      n -= step;
    }
    skipping_ = false;
  }

 private:
  // Passes `n` literal bytes without reading them. The history before them
  // is dropped: at least kHistory literal bytes of the run follow, copied as
  // usual, before any match can look back.
  uint64_t jump_literals(uint64_t n) {
    input_.consume_unread(static_cast<size_t>(n));
    literal_left_ -= n;
    produced_ += n;
    len_ = pos_ = 0;
    return n;
  }

  // A length continued by 255-valued bytes (token nibble 15).
  uint64_t extended(uint64_t length) {
    if (length != 15) return length;
    uint8_t b;
    do {
      b = next_byte();
      length += b;
    } while (b == 255);
    return length;
  }

  // Keeps the history, then decodes until the window is full or the
  // block's output is complete.
  void refill() override {
    keep_history();
    size_t start = len_;
    uint64_t end = refill_end(produced_, expected_);
    while (len_ < buffer_.size() && produced_ < end) {
      if (literal_left_ > 0) {
        copy_literal();
      } else if (match_left_ > 0) {
        copy_match();
      } else {
        if (recorder_ != nullptr && recorder_->wants(produced_, true)) record_restart();
        decode_sequence();
        if (skipping_ && literal_left_ > kHistory && len_ > start) break;  // skip() jumps it
      }
    }
    if (len_ == start) fail_corrupt("LZ4: the page ends before the value");
  }

  // Reads a token and the literal length; the match part follows the
  // literals (the last sequence, which ends the output, has none).
  void decode_sequence() {
    token_ = next_byte();
    literal_left_ = extended(token_ >> 4);
    match_pending_ = true;
    if (literal_left_ == 0) start_match();
  }

  void copy_literal() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(literal_left_, buffer_.size() - len_));
    n = std::min(n, input_.available());
    if (n == 0) fail_corrupt("LZ4: literals run past the end of the block");
    std::memcpy(buffer_.data() + len_, input_.data(), n);
    input_.consume(n);
    append(n);
    literal_left_ -= n;
    if (literal_left_ == 0) start_match();
  }

  void start_match() {
    if (!match_pending_ || produced_ == expected_) return;  // the last sequence: literals only
    match_pending_ = false;
    uint32_t offset = next_byte();
    offset |= uint32_t{next_byte()} << 8;
    check_reference(offset);
    match_offset_ = offset;
    match_left_ = extended(token_ & 15) + 4;
  }

  // Matches can be long (a run): copied in pieces as the window allows.
  void copy_match() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(match_left_, buffer_.size() - len_));
    uint8_t* dst = buffer_.data() + len_;
    const uint8_t* src = dst - match_offset_;
    if (match_offset_ >= n) {
      std::memcpy(dst, src, n);
    } else {
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];  // overlaps forwards: a run
    }
    append(n);
    match_left_ -= n;
  }

  uint8_t token_ = 0;
  bool skipping_ = false;       // inside skip(): refills stop where a long literal run begins
  bool match_pending_ = false;  // the current sequence's match is still to be read
  uint64_t literal_left_ = 0;
  uint64_t match_left_ = 0;
  uint32_t match_offset_ = 0;
};

}  // namespace

std::unique_ptr<PageStream> open_lz4_stream(const MappedFile* file, ByteView in, uint64_t uncompressed_size,
                                            RestartRecorder* recorder) {
  return std::make_unique<Lz4Stream>(file, in, uncompressed_size, recorder);
}

std::unique_ptr<PageStream> open_lz4_stream_at(const MappedFile* file, ByteView in,
                                               uint64_t uncompressed_size, const RestartPoint& restart,
                                               ByteView window) {
  return std::make_unique<Lz4Stream>(file, in, uncompressed_size, restart, window);
}

}  // namespace mimicit::parquet
