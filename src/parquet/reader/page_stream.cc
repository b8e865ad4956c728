#include "parquet/reader/page_stream.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "mimicit/error.h"
#include "parquet/reader/seek_table.h"

namespace mimicit::parquet {

namespace {

// Consumed input is released in steps of this size: large enough that the
// madvise calls cost nothing, small enough that RSS stays a few MB.
constexpr size_t kReleaseStep = size_t{4} << 20;
// Decompressed bytes are produced into a buffer of this size.
constexpr size_t kChunkBytes = size_t{256} << 10;
// A stream over a file that fills on demand fetches its input in steps that
// double from the first to the last size: a point read costs one request of
// about what it decodes, a pass over a page few requests.
constexpr size_t kFirstFill = size_t{256} << 10;
constexpr size_t kLastFill = size_t{16} << 20;
// A ZSTD frame header is at most 18 bytes, a block header 3 (plus the byte
// after it that restartable_block() looks at).
constexpr size_t kZstdHeaderBytes = 18;

class UncompressedStream final : public PageStream {
 public:
  UncompressedStream(const MappedFile* file, ByteView in) : input_(file, in) {}

  void read(uint8_t* dst, size_t n) override {
    need(n);
    if (n == 0) return;  // dst may be null then (an empty value)
    input_.ensure(n);
    std::memcpy(dst, input_.data(), n);
    input_.consume(n);
  }
  void skip(uint64_t n) override {
    need(n);
    input_.consume(static_cast<size_t>(n));  // skipped bytes are never fetched
  }
  void stop_at(uint64_t, uint64_t in_end) override { input_.set_horizon(in_end); }

 private:
  void need(uint64_t n) const {
    if (n > input_.size()) fail_corrupt("page ends {} bytes early", n - input_.size());
  }
  StreamInput input_;
};

// Codecs with an incremental API of their own (zstd, zlib): each refill
// replaces the buffer with the next chunk of output from produce().
class ChunkedStream : public BufferedPageStream {
 public:
  // `produced`: the decompressed offset the stream starts at (a restart point).
  explicit ChunkedStream(uint64_t uncompressed_size, uint64_t produced = 0)
      : produced_(produced), expected_(uncompressed_size) {
    buffer_.resize(kChunkBytes);
  }

 protected:
  // Decompressed bytes handed to the buffer so far (from the page's start).
  uint64_t produced() const { return produced_; }
  // Writes up to `capacity` bytes at `out` and returns how many; 0 only at
  // the end of the stream.
  virtual size_t produce(uint8_t* out, size_t capacity) = 0;
  virtual const char* codec_name() const = 0;

 private:
  void refill() override {
    uint64_t end = refill_end(produced_, expected_);
    len_ = produce(buffer_.data(), static_cast<size_t>(std::min<uint64_t>(buffer_.size(), end - produced_)));
    pos_ = 0;
    produced_ += len_;
    if (len_ == 0) fail_corrupt("{}: the page ends before the value", codec_name());
    if (produced_ > expected_) {
      fail_corrupt("{}: the page decompresses to more than the {} bytes its header states", codec_name(),
                   expected_);
    }
  }

  uint64_t produced_ = 0;
  uint64_t expected_;
};

// The units of a zstd stream (RFC 8878, section 3.1): frame headers,
// blocks, content checksums and skippable frames, found from their headers
// without decoding. A recording or restarted ZSTD stream feeds its decoder
// one unit at a time, so that it knows where blocks begin and end.
class ZstdUnits {
 public:
  enum class Kind { kFrameHeader, kBlock, kChecksum, kSkippable, kBad };
  struct Unit {
    Kind kind = Kind::kBad;
    uint64_t end = 0;
  };

  // `in_frame`: `at` of the first next() is a block header of a frame
  // without checksum (a restart point).
  ZstdUnits(ByteView in, bool in_frame) : in_(in), in_frame_(in_frame) {}

  Unit next(uint64_t at) {
    if (!in_frame_) return frame_start(at);
    if (last_block_) {
      in_frame_ = false;
      last_block_ = false;
      if (checksum_) return {Kind::kChecksum, at + 4};
      return frame_start(at);
    }
    if (in_.size() - at < 3) return {};
    uint32_t h = uint32_t{in_[at]} | uint32_t{in_[at + 1]} << 8 | uint32_t{in_[at + 2]} << 16;
    uint32_t type = (h >> 1) & 3;
    if (type == 3) return {};
    last_block_ = (h & 1) != 0;
    return {Kind::kBlock, at + 3 + (type == 1 ? 1 : h >> 3)};
  }

  // Whether a stream could start at the block whose header is at `at`:
  // not the first block of a frame we cannot describe again (single
  // segment, or with a checksum), and not a block whose literals reuse the
  // previous block's Huffman table (Treeless). Whatever else it depends on
  // (repeat offsets, history, tables of later blocks) the restart's
  // verification finds.
  bool restartable_block(uint64_t at) const {
    if (!in_frame_ || last_block_ || single_segment_ || checksum_ || in_.size() - at < 4) return false;
    uint32_t type = (in_[at] >> 1) & 3;
    return type != 2 || (in_[at + 3] & 3) != 3;
  }
  uint8_t window_descriptor() const { return window_descriptor_; }

 private:
  Unit frame_start(uint64_t at) {
    if (in_.size() - at < 8) return {};
    uint32_t magic = uint32_t{in_[at]} | uint32_t{in_[at + 1]} << 8 | uint32_t{in_[at + 2]} << 16 |
                     uint32_t{in_[at + 3]} << 24;
    if ((magic & 0xFFFFFFF0u) == 0x184D2A50u) {  // a skippable frame
      uint32_t size = uint32_t{in_[at + 4]} | uint32_t{in_[at + 5]} << 8 | uint32_t{in_[at + 6]} << 16 |
                      uint32_t{in_[at + 7]} << 24;
      return {Kind::kSkippable, at + 8 + size};
    }
    if (magic != 0xFD2FB528u) return {};
    uint8_t fhd = in_[at + 4];
    single_segment_ = (fhd >> 5) & 1;
    checksum_ = (fhd >> 2) & 1;
    static constexpr uint64_t kDictIdBytes[] = {0, 1, 2, 4};
    static constexpr uint64_t kContentSizeBytes[] = {0, 2, 4, 8};
    uint64_t size = 5;
    if (!single_segment_) window_descriptor_ = in_[at + size++];
    size += kDictIdBytes[fhd & 3];
    uint64_t content = kContentSizeBytes[fhd >> 6];
    size += content == 0 && single_segment_ ? 1 : content;
    in_frame_ = true;
    return {Kind::kFrameHeader, at + size};
  }

  ByteView in_;
  bool in_frame_;
  bool last_block_ = false;
  bool single_segment_ = false;
  bool checksum_ = false;
  uint8_t window_descriptor_ = 0;
};

// ZSTD. A plain stream decodes as the data comes. A recording stream feeds
// the decoder one unit at a time and offers each block boundary where a
// block could start a stream again (ZstdUnits::restartable_block) as a
// restart point, with the window descriptor of its frame in `bits`, and
// hashes its output between restart points. A restarted stream begins a
// frame of its own (magic, a header naming the original window, then the
// original blocks) and hops to the next restart point when it reaches it:
// build_seek_table verified each restart point over exactly the stretch up
// to the next one (zstd's repeat offsets and Huffman tables carry over
// from block to block, and no API can restore them), so every byte a
// restarted stream yields was checked against the sequential decode.
class ZstdStream final : public ChunkedStream {
 public:
  ZstdStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, RestartRecorder* recorder)
      : ChunkedStream(uncompressed_size), input_(file, in), units_(in, false), recorder_(recorder) {
    open_context();
    if (recorder_ != nullptr) recorder_->enable_segment_hashes();
  }

  ZstdStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, const RestartPoint& restart,
             std::span<const RestartPoint> later)
      : ChunkedStream(uncompressed_size, restart.out),
        input_(file, in.subspan(restart.in), restart.in),
        units_(in, true),
        restarted_(true),
        base_(restart.in),
        unit_end_(restart.in),
        later_(later) {
    open_context();
    begin_frame(static_cast<uint8_t>(restart.bits));
  }
  ~ZstdStream() override { ZSTD_freeDStream(ctx_); }
  void stop_at(uint64_t out, uint64_t in_end) override {
    ChunkedStream::stop_at(out, in_end);
    input_.set_horizon(in_end);
  }

 private:
  void open_context() {
    ctx_ = ZSTD_createDStream();
    if (ctx_ == nullptr) fail(ErrorCode::kInternal, "ZSTD: cannot allocate a stream");
  }

  // A frame header of our own: no content size, no checksum, the window of
  // the original frame; the original blocks follow.
  void begin_frame(uint8_t window_descriptor) {
    ZSTD_DCtx_reset(ctx_, ZSTD_reset_session_only);
    const uint8_t header[6] = {0x28, 0xB5, 0x2F, 0xFD, 0x00, window_descriptor};
    ZSTD_inBuffer in{header, sizeof header, 0};
    ZSTD_outBuffer none{nullptr, 0, 0};
    while (in.pos < in.size) {
      size_t rc = ZSTD_decompressStream(ctx_, &none, &in);
      if (ZSTD_isError(rc)) fail_corrupt("ZSTD: a bad restart point: {}", ZSTD_getErrorName(rc));
    }
  }

  size_t produce(uint8_t* out, size_t capacity) override {
    if (recorder_ == nullptr && !restarted_) return produce_plain(out, capacity);
    ZSTD_outBuffer output{out, capacity, 0};
    hashed_ = 0;
    while (output.pos < capacity) {
      uint64_t at = base_ + input_.consumed();
      if (at == unit_end_) {
        if (!drained(output)) break;  // the output is full: the rest next time
        if (!next_unit(at, output)) break;
        continue;
      }
      size_t present = input_.available();
      ZSTD_inBuffer input{input_.data(), static_cast<size_t>(std::min<uint64_t>(present, unit_end_ - at)), 0};
      if (input.size == 0) break;  // truncated
      size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
      if (ZSTD_isError(rc)) fail_corrupt("ZSTD: {}", ZSTD_getErrorName(rc));
      input_.consume(input.pos);
    }
    if (recorder_ != nullptr) recorder_->hash(ByteView(out + hashed_, output.pos - hashed_));
    return output.pos;
  }

  // Flushes what the decoder holds; false when `output` filled first.
  bool drained(ZSTD_outBuffer& output) {
    while (true) {
      size_t before = output.pos;
      ZSTD_inBuffer none{nullptr, 0, 0};
      size_t rc = ZSTD_decompressStream(ctx_, &output, &none);
      if (ZSTD_isError(rc)) fail_corrupt("ZSTD: {}", ZSTD_getErrorName(rc));
      if (output.pos == before) return true;
      if (output.pos == output.size) return false;
    }
  }

  // At the end of a unit (all its output flushed): a restart point to
  // record or hop to, then the next unit. False at the end of the input.
  bool next_unit(uint64_t at, ZSTD_outBuffer& output) {
    uint64_t out = produced() + output.pos;
    if (restarted_ && !later_.empty() && at == later_.front().in) {
      if (out != later_.front().out) fail_corrupt("ZSTD: a restart point is not where its table says");
      begin_frame(static_cast<uint8_t>(later_.front().bits));
      later_ = later_.subspan(1);
    }
    if (at >= base_ + input_.consumed() + input_.size()) return false;
    input_.ensure(kZstdHeaderBytes + 1);  // the headers units_ reads at `at`
    if (recorder_ != nullptr && units_.restartable_block(at) && recorder_->wants(out, true)) {
      recorder_->hash(ByteView(static_cast<uint8_t*>(output.dst) + hashed_, output.pos - hashed_));
      hashed_ = output.pos;
      recorder_->boundary(at, units_.window_descriptor(), out, {});
    }
    ZstdUnits::Unit unit = units_.next(at);
    if (unit.kind == ZstdUnits::Kind::kBad) fail_corrupt("ZSTD: a bad frame or block header at byte {}", at);
    unit_end_ = std::min<uint64_t>(unit.end, base_ + input_.consumed() + input_.size());
    return true;
  }

  size_t produce_plain(uint8_t* out, size_t capacity) {
    ZSTD_outBuffer output{out, capacity, 0};
    while (output.pos == 0) {
      if (input_.size() == 0 && finished_frame_) return 0;
      size_t present = input_.available();
      ZSTD_inBuffer input{input_.data(), present, 0};
      size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
      if (ZSTD_isError(rc)) fail_corrupt("ZSTD: {}", ZSTD_getErrorName(rc));
      input_.consume(input.pos);
      finished_frame_ = rc == 0;
      if (input.pos == 0 && output.pos == 0 && input_.size() == 0) return 0;  // truncated
    }
    return output.pos;
  }
  const char* codec_name() const override { return "ZSTD"; }

  StreamInput input_;
  ZSTD_DStream* ctx_ = nullptr;
  bool finished_frame_ = false;
  ZstdUnits units_;
  RestartRecorder* recorder_ = nullptr;
  bool restarted_ = false;
  uint64_t base_ = 0;      // page offset of input_'s first byte
  uint64_t unit_end_ = 0;  // page offset where the unit being fed ends
  size_t hashed_ = 0;      // output of the current chunk already hashed
  std::span<const RestartPoint> later_;
};

// zlib or gzip members, concatenated. A recording stream inflates with
// Z_BLOCK, which stops at each deflate block boundary: there the state is
// the input position, the bits of the last input byte not yet consumed and
// the last 32 KiB of output (the zran technique, zlib's examples/zran.c).
// A stream started at such a point inflates raw deflate from there, primed
// with those bits and that history, and after the member's end goes on
// with the next member as usual.
class GzipStream final : public ChunkedStream {
 public:
  GzipStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, RestartRecorder* recorder)
      : ChunkedStream(uncompressed_size), input_(file, in), recorder_(recorder) {
    // 32 + MAX_WBITS: gzip or zlib header, detected (as the whole-page path does).
    if (inflateInit2(&z_, 32 + MAX_WBITS) != Z_OK)
      fail(ErrorCode::kInternal, "GZIP: cannot allocate a stream");
    if (recorder_ != nullptr) recorder_->set_full_windows();
  }

  GzipStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size, const RestartPoint& restart,
             ByteView window, uint32_t flags)
      : ChunkedStream(uncompressed_size, restart.out),
        input_(file, in.subspan(restart.in), restart.in),
        trailer_bytes_(flags & SeekTableHeader::kGzipWrapper ? 8 : 4) {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) fail(ErrorCode::kInternal, "GZIP: cannot allocate a stream");
    raw_ = true;
    if (restart.bits > 0) {
      if (restart.bits > 7 || restart.in == 0) fail_corrupt("GZIP: a bad restart point");
      int last = in[restart.in - 1];
      inflatePrime(&z_, static_cast<int>(restart.bits), last >> (8 - restart.bits));
    }
    if (!window.empty() &&
        inflateSetDictionary(&z_, window.data(), static_cast<uInt>(window.size())) != Z_OK) {
      fail_corrupt("GZIP: a bad restart window");
    }
  }
  ~GzipStream() override { inflateEnd(&z_); }
  void stop_at(uint64_t out, uint64_t in_end) override {
    ChunkedStream::stop_at(out, in_end);
    input_.set_horizon(in_end + 1);  // a restart's first byte may be partly the block before
  }

 private:
  static constexpr size_t kDeflateWindow = size_t{32} << 10;

  size_t produce(uint8_t* out, size_t capacity) override {
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(capacity);
    while (z_.avail_out == capacity) {
      if (input_.size() == 0) return 0;
      z_.next_in = const_cast<Bytef*>(input_.data());
      z_.avail_in = static_cast<uInt>(std::min<size_t>(input_.available(), size_t{1} << 30));
      uInt before = z_.avail_in;
      int rc = inflate(&z_, recorder_ != nullptr ? Z_BLOCK : Z_NO_FLUSH);
      input_.consume(before - z_.avail_in);
      if (rc == Z_STREAM_END) {
        next_member();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail_corrupt("GZIP: {}", z_.msg != nullptr ? z_.msg : "corrupt stream");
      } else if (before == z_.avail_in && z_.avail_out == capacity) {
        return 0;  // no progress: truncated input
      } else if (recorder_ != nullptr) {
        note_block_boundary(out, capacity - z_.avail_out);
      }
    }
    size_t n = capacity - z_.avail_out;
    if (recorder_ != nullptr) keep_history(ByteView(out, n));
    return n;
  }

  // Concatenated members (what some writers produce): go on with the next.
  // A stream started at a restart point inflates raw deflate, so it skips
  // the member's trailer itself and detects the next member's header.
  void next_member() {
    if (raw_) {
      input_.consume(std::min<size_t>(trailer_bytes_, input_.size()));
      raw_ = false;
      if (inflateReset2(&z_, 32 + MAX_WBITS) != Z_OK) fail_corrupt("GZIP: cannot restart after a member");
      return;
    }
    if (inflateReset(&z_) != Z_OK) fail_corrupt("GZIP: cannot restart after a member");
  }

  // At the end of a deflate block that is not the member's last, offers a
  // restart point with the 32 KiB of output before it.
  void note_block_boundary(const uint8_t* chunk, size_t chunk_len) {
    if ((z_.data_type & 128) == 0 || (z_.data_type & 64) != 0) return;
    uint64_t out = produced() + chunk_len;
    if (!recorder_->wants(out, true)) return;
    ByteView window = last_window(ByteView(chunk, chunk_len));
    recorder_->boundary(input_.consumed(), static_cast<uint32_t>(z_.data_type & 7), out, window);
  }

  // The last 32 KiB of the output so far followed by `chunk`: a view into
  // `chunk` when it is that long, else joined into joined_.
  ByteView last_window(ByteView chunk) {
    if (chunk.size() >= kDeflateWindow) return chunk.subspan(chunk.size() - kDeflateWindow);
    size_t keep = std::min(history_.size(), kDeflateWindow - chunk.size());
    joined_.assign(history_.view().subspan(history_.size() - keep));
    joined_.append(chunk);
    return joined_.view();
  }

  // The last 32 KiB of output so far, for windows that reach into an
  // earlier chunk.
  void keep_history(ByteView chunk) {
    ByteView window = last_window(chunk);
    if (window.data() == joined_.data()) {
      std::swap(history_, joined_);
    } else {
      history_.assign(window);
    }
  }

  const char* codec_name() const override { return "GZIP"; }

  StreamInput input_;
  z_stream z_{};
  RestartRecorder* recorder_ = nullptr;
  bool raw_ = false;            // inflating raw deflate after a restart
  uint32_t trailer_bytes_ = 0;  // of the member a restarted stream is in
  Buffer history_;
  Buffer joined_;
};

}  // namespace

WindowedStream::WindowedStream(const char* codec, const MappedFile* file, ByteView in,
                               uint64_t uncompressed_size, RestartRecorder* recorder)
    : codec_(codec), input_(file, in), expected_(uncompressed_size), recorder_(recorder) {
  buffer_.resize(kHistory + kWindow);
}

WindowedStream::WindowedStream(const char* codec, const MappedFile* file, ByteView in,
                               uint64_t uncompressed_size, const RestartPoint& restart, ByteView window)
    : codec_(codec),
      input_(file, in.subspan(restart.in), restart.in),
      expected_(uncompressed_size),
      produced_(restart.out) {
  if (window.size() > kHistory || restart.out > expected_) fail_corrupt("{}: a bad restart point", codec_);
  buffer_.resize(kHistory + kWindow);
  if (!window.empty()) std::memcpy(buffer_.data(), window.data(), window.size());
  len_ = pos_ = window.size();
}

void WindowedStream::keep_history() {
  if (len_ > kHistory) {
    std::memmove(buffer_.data(), buffer_.data() + len_ - kHistory, kHistory);
    len_ = kHistory;
  }
  pos_ = len_;
}

uint8_t WindowedStream::next_byte() {
  if (input_.available() == 0) fail_corrupt("{}: the stream ends early", codec_);
  uint8_t b = *input_.data();
  input_.consume(1);
  return b;
}

void WindowedStream::append(size_t n) {
  len_ += n;
  produced_ += n;
  if (produced_ > expected_) {
    fail_corrupt("{}: the page decompresses to more than the {} bytes its header states", codec_, expected_);
  }
}

void WindowedStream::record_restart() {
  size_t history = std::min(len_, kHistory);
  recorder_->boundary(input_.consumed(), 0, produced_, ByteView(buffer_.data() + len_ - history, history));
}

void WindowedStream::check_reference(uint64_t offset) {
  // Offset 0 would copy bytes not yet written: the formats forbid it (liblz4's
  // one-shot decoder lets it through and yields whatever its buffer held).
  if (offset == 0) fail_corrupt("{}: a copy at offset 0", codec_);
  if (offset > produced_) fail_corrupt("{}: a copy refers before the start of the page", codec_);
  if (recorder_ != nullptr) recorder_->reference(produced_ - offset);
  if (offset > len_)
    fail_unsupported("{}: a copy reaches {} bytes back, beyond the streaming window", codec_, offset);
}

void BufferedPageStream::read(uint8_t* dst, size_t n) {
  while (n > 0) {
    size_t got = take(n);
    std::memcpy(dst, buffer_.data() + pos_ - got, got);
    dst += got;
    n -= got;
  }
}

void BufferedPageStream::skip(uint64_t n) {
  while (n > 0) n -= take(static_cast<size_t>(std::min<uint64_t>(n, SIZE_MAX)));
}

size_t BufferedPageStream::take(size_t n) {
  if (pos_ == len_) refill();
  size_t got = std::min(n, len_ - pos_);
  pos_ += got;
  return got;
}

StreamInput::StreamInput(const MappedFile* file, ByteView in, uint64_t origin) : in_(in), origin_(origin) {
  // Bytes of `file` are filled and released through it; others (in memory) never.
  if (file != nullptr && in_.data() >= file->base() &&
      in_.data() + in_.size() <= file->base() + file->size()) {
    file_ = file;
    file_offset_ = static_cast<uint64_t>(in_.data() - file->base());
  }
  if (file_ == nullptr || !file_->filled_on_demand()) filled_ = in_.size();  // all present
}

void StreamInput::fill(size_t n) {
  size_t from = filled_;  // >= pos_
  size_t need = std::min(pos_ + n, in_.size());
  if (from >= in_.size()) return;
  step_ = step_ == 0 ? kFirstFill : std::min(step_ * 2, kLastFill);
  size_t cap = from < horizon_ ? horizon_ : in_.size();  // past the horizon: read on as usual
  size_t to = std::max(need, std::min({from + step_, cap, in_.size()}));
  if (to > from) file_->fill(file_offset_ + from, to - from);
  filled_ = to;
}

void StreamInput::consume(size_t n) {
  pos_ += n;
  filled_ = std::max(filled_, pos_);
  if (pos_ - released_ >= kReleaseStep) release_consumed();
}

void StreamInput::consume_unread(size_t n) {
  if (n > size()) fail_corrupt("a jump past the end of the stream");
  consume(n);
}

void StreamInput::release_consumed() {
  if (file_ == nullptr || pos_ == released_) return;
  file_->release(file_offset_ + released_, pos_ - released_);
  released_ = pos_;
}

std::unique_ptr<PageStream> open_page_stream(Codec codec, const MappedFile& file, uint64_t offset,
                                             uint64_t compressed_size, uint64_t uncompressed_size,
                                             RestartRecorder* recorder) {
  ByteView in = file.view(offset, compressed_size);  // the stream fills what it reads
  switch (codec) {
    case Codec::UNCOMPRESSED: return std::make_unique<UncompressedStream>(&file, in);
    case Codec::SNAPPY: return open_snappy_stream(&file, in, uncompressed_size, recorder);
    case Codec::ZSTD: return std::make_unique<ZstdStream>(&file, in, uncompressed_size, recorder);
    case Codec::GZIP: return std::make_unique<GzipStream>(&file, in, uncompressed_size, recorder);
    case Codec::LZ4_RAW: return open_lz4_stream(&file, in, uncompressed_size, recorder);
    default: return nullptr;
  }
}

std::unique_ptr<PageStream> open_page_stream_at(Codec codec, const MappedFile& file, uint64_t offset,
                                                uint64_t compressed_size, uint64_t uncompressed_size,
                                                const RestartPoint& restart, ByteView window, uint32_t flags,
                                                std::span<const RestartPoint> later) {
  ByteView in = file.view(offset, compressed_size);  // the stream fills what it reads
  if (restart.in > in.size()) fail_corrupt("a restart point lies past the end of the page");
  if (restart.in > 0) file.fill(offset + restart.in - 1, 1);  // GZIP: the bits of a restart's first byte
  switch (codec) {
    case Codec::SNAPPY: return open_snappy_stream_at(&file, in, uncompressed_size, restart, window);
    case Codec::GZIP:
      return std::make_unique<GzipStream>(&file, in, uncompressed_size, restart, window, flags);
    case Codec::LZ4_RAW: return open_lz4_stream_at(&file, in, uncompressed_size, restart, window);
    case Codec::ZSTD: return std::make_unique<ZstdStream>(&file, in, uncompressed_size, restart, later);
    default: return nullptr;
  }
}

}  // namespace mimicit::parquet
