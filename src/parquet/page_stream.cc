#include "parquet/page_stream.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

// Consumed input is released in steps of this size: large enough that the
// madvise calls cost nothing, small enough that RSS stays a few MB.
constexpr size_t kReleaseStep = size_t{4} << 20;
// Decompressed bytes are produced into a buffer of this size.
constexpr size_t kChunkBytes = size_t{256} << 10;

class UncompressedStream final : public PageStream {
 public:
  UncompressedStream(const MappedFile* file, ByteView in) : input_(file, in) {}

  void read(uint8_t* dst, size_t n) override {
    need(n);
    if (n == 0) return;  // dst may be null then (an empty value)
    std::memcpy(dst, input_.data(), n);
    input_.consume(n);
  }
  void skip(uint64_t n) override {
    need(n);
    input_.consume(static_cast<size_t>(n));
  }

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
  explicit ChunkedStream(uint64_t uncompressed_size) : expected_(uncompressed_size) {
    buffer_.resize(kChunkBytes);
  }

 protected:
  // Writes up to `capacity` bytes at `out` and returns how many; 0 only at
  // the end of the stream.
  virtual size_t produce(uint8_t* out, size_t capacity) = 0;
  virtual const char* codec_name() const = 0;

 private:
  void refill() override {
    len_ = produce(buffer_.data(), buffer_.size());
    pos_ = 0;
    produced_ += len_;
    if (len_ == 0) fail_corrupt("{}: the page ends before the value", codec_name());
    if (produced_ > expected_) {
      fail_corrupt("{}: the page decompresses to more than the {} bytes its header states",
                   codec_name(), expected_);
    }
  }

  uint64_t produced_ = 0;
  uint64_t expected_;
};

class ZstdStream final : public ChunkedStream {
 public:
  ZstdStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size)
      : ChunkedStream(uncompressed_size), input_(file, in), ctx_(ZSTD_createDStream()) {
    if (ctx_ == nullptr) fail(ErrorCode::kInternal, "ZSTD: cannot allocate a stream");
  }
  ~ZstdStream() override { ZSTD_freeDStream(ctx_); }

 private:
  size_t produce(uint8_t* out, size_t capacity) override {
    ZSTD_outBuffer output{out, capacity, 0};
    while (output.pos == 0) {
      if (input_.size() == 0 && finished_frame_) return 0;
      ZSTD_inBuffer input{input_.data(), input_.size(), 0};
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
  ZSTD_DStream* ctx_;
  bool finished_frame_ = false;
};

class GzipStream final : public ChunkedStream {
 public:
  GzipStream(const MappedFile* file, ByteView in, uint64_t uncompressed_size)
      : ChunkedStream(uncompressed_size), input_(file, in) {
    // 32 + MAX_WBITS: gzip or zlib header, detected (as the whole-page path does).
    if (inflateInit2(&z_, 32 + MAX_WBITS) != Z_OK) fail(ErrorCode::kInternal, "GZIP: cannot allocate a stream");
  }
  ~GzipStream() override { inflateEnd(&z_); }

 private:
  size_t produce(uint8_t* out, size_t capacity) override {
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(capacity);
    while (z_.avail_out == capacity) {
      if (input_.size() == 0) return 0;
      z_.next_in = const_cast<Bytef*>(input_.data());
      z_.avail_in = static_cast<uInt>(std::min<size_t>(input_.size(), size_t{1} << 30));
      uInt before = z_.avail_in;
      int rc = inflate(&z_, Z_NO_FLUSH);
      input_.consume(before - z_.avail_in);
      if (rc == Z_STREAM_END) {
        // Concatenated members (what some writers produce): go on with the next.
        if (inflateReset(&z_) != Z_OK) fail_corrupt("GZIP: cannot restart after a member");
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail_corrupt("GZIP: {}", z_.msg != nullptr ? z_.msg : "corrupt stream");
      } else if (before == z_.avail_in && z_.avail_out == capacity) {
        return 0;  // no progress: truncated input
      }
    }
    return capacity - z_.avail_out;
  }
  const char* codec_name() const override { return "GZIP"; }

  StreamInput input_;
  z_stream z_{};
};

}  // namespace

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

void StreamInput::consume(size_t n) {
  pos_ += n;
  if (pos_ - released_ >= kReleaseStep) release_consumed();
}

void StreamInput::release_consumed() {
  if (file_ == nullptr || pos_ == released_) return;
  const uint8_t* base = file_->bytes().data();
  if (in_.data() < base || in_.data() + in_.size() > base + file_->size()) return;
  uint64_t start = static_cast<uint64_t>(in_.data() - base) + released_;
  file_->release(start, pos_ - released_);
  released_ = pos_;
}

std::unique_ptr<PageStream> open_page_stream(Codec codec, const MappedFile& file, uint64_t offset,
                                             uint64_t compressed_size, uint64_t uncompressed_size) {
  ByteView in = file.slice(offset, compressed_size);
  switch (codec) {
    case Codec::UNCOMPRESSED: return std::make_unique<UncompressedStream>(&file, in);
    case Codec::SNAPPY: return open_snappy_stream(&file, in, uncompressed_size);
    case Codec::ZSTD: return std::make_unique<ZstdStream>(&file, in, uncompressed_size);
    case Codec::GZIP: return std::make_unique<GzipStream>(&file, in, uncompressed_size);
    default: return nullptr;
  }
}

}  // namespace mimicit::parquet
