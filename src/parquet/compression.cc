#include "parquet/compression.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <new>

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

// Lower-case codec name used as the first word of every message here.
const char* codec_name(Codec codec) {
  switch (codec) {
    case Codec::UNCOMPRESSED: return "uncompressed";
    case Codec::SNAPPY: return "snappy";
    case Codec::GZIP: return "gzip";
    case Codec::LZO: return "lzo";
    case Codec::BROTLI: return "brotli";
    case Codec::LZ4: return "lz4";
    case Codec::ZSTD: return "zstd";
    case Codec::LZ4_RAW: return "lz4_raw";
  }
  return "unknown codec";
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// zlib counts bytes in 32-bit uInt; larger buffers are fed in pieces.
uInt zlib_chunk(size_t n) { return static_cast<uInt>(std::min<size_t>(n, UINT_MAX)); }

// ---------------------------------------------------------------------------
// Per-thread codec contexts. Creating a zstd or zlib context costs an
// allocation of tens to hundreds of KiB; scans decompress thousands of pages,
// so each thread keeps one of each for its lifetime.

struct ZstdDCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
struct ZstdCCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct Lz4fDCtxFree {
  void operator()(LZ4F_dctx* c) const { LZ4F_freeDecompressionContext(c); }
};

ZSTD_DCtx* thread_zstd_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxFree> ctx(ZSTD_createDCtx());
  if (ctx == nullptr) throw std::bad_alloc();
  return ctx.get();
}

ZSTD_CCtx* thread_zstd_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxFree> ctx(ZSTD_createCCtx());
  if (ctx == nullptr) throw std::bad_alloc();
  return ctx.get();
}

LZ4F_dctx* new_lz4f_dctx() {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return nullptr;
  return ctx;
}

LZ4F_dctx* thread_lz4f_dctx() {
  thread_local std::unique_ptr<LZ4F_dctx, Lz4fDCtxFree> ctx(new_lz4f_dctx());
  if (ctx == nullptr) throw std::bad_alloc();
  return ctx.get();
}

// An inflate stream that autodetects gzip and zlib headers (windowBits 15+32).
class Inflater {
 public:
  Inflater() {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = inflateInit2(&z_, 15 + 32) == Z_OK;
  }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // The stream, reset to expect a new header.
  z_stream* fresh() {
    if (!ok_) throw std::bad_alloc();
    inflateReset(&z_);
    return &z_;
  }

 private:
  z_stream z_;
  bool ok_ = false;
};

// A deflate stream writing gzip members (windowBits 15+16) at one level;
// re-created when a caller asks for another level.
class Deflater {
 public:
  Deflater() = default;
  ~Deflater() { end(); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  z_stream* fresh(int level) {
    if (ok_ && level == level_) {
      deflateReset(&z_);
      return &z_;
    }
    end();
    std::memset(&z_, 0, sizeof(z_));
    int rc = deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) fail_invalid("gzip: invalid compression level {}", level);
    ok_ = true;
    level_ = level;
    return &z_;
  }

 private:
  void end() {
    if (ok_) deflateEnd(&z_);
    ok_ = false;
  }

  z_stream z_;
  bool ok_ = false;
  int level_ = 0;
};

// ---------------------------------------------------------------------------
// Decompression, one function per codec. Each writes at most out_size bytes
// and throws unless exactly out_size bytes come out.

void copy_uncompressed(ByteView in, uint8_t* out, size_t out_size) {
  if (in.size() != out_size) {
    fail_corrupt("uncompressed: page has {} bytes, header says {}", in.size(), out_size);
  }
  std::memcpy(out, in.data(), out_size);
}

void snappy_decompress(ByteView in, uint8_t* out, size_t out_size) {
  const char* src = reinterpret_cast<const char*>(in.data());
  size_t stated = 0;
  if (!snappy::GetUncompressedLength(src, in.size(), &stated)) {
    fail_corrupt("snappy: corrupt input (bad length prefix)");
  }
  // Checked first so that RawUncompress can never be asked to write more.
  if (stated != out_size) {
    fail_corrupt("snappy: stream holds {} bytes, expected {}", stated, out_size);
  }
  if (!snappy::RawUncompress(src, in.size(), reinterpret_cast<char*>(out))) {
    fail_corrupt("snappy: corrupt input");
  }
}

// A Parquet GZIP page may hold several concatenated gzip members (RFC 1952
// section 2.2; some writers flush per batch); all of them are decoded.
void gzip_decompress(ByteView in, uint8_t* out, size_t out_size) {
  thread_local Inflater inflater;
  z_stream* z = inflater.fresh();
  const uint8_t* ip = in.data();
  size_t in_left = in.size();
  uint8_t* op = out;
  size_t out_left = out_size;
  for (;;) {
    uInt in_chunk = zlib_chunk(in_left);
    uInt out_chunk = zlib_chunk(out_left);
    z->next_in = const_cast<Bytef*>(ip);
    z->avail_in = in_chunk;
    z->next_out = op;
    z->avail_out = out_chunk;
    // Z_FINISH lets zlib skip maintaining its window when all fits at once.
    bool whole = in_chunk == in_left && out_chunk == out_left;
    int rc = inflate(z, whole ? Z_FINISH : Z_NO_FLUSH);
    size_t consumed = in_chunk - z->avail_in;
    size_t produced = out_chunk - z->avail_out;
    ip += consumed;
    in_left -= consumed;
    op += produced;
    out_left -= produced;
    if (rc == Z_STREAM_END) {
      if (in_left == 0) break;
      inflateReset(z);  // another member follows (or garbage, which the next call rejects)
      continue;
    }
    if ((rc == Z_OK || rc == Z_BUF_ERROR) && (consumed != 0 || produced != 0)) continue;
    if (rc == Z_OK || rc == Z_BUF_ERROR) {  // no progress possible
      if (out_left == 0) fail_corrupt("gzip: stream produces more than {} bytes", out_size);
      fail_corrupt("gzip: stream truncated after {} of {} bytes", out_size - out_left, out_size);
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    fail_corrupt("gzip: corrupt input at byte {} ({})", in.size() - in_left,
                 z->msg != nullptr ? z->msg : "inflate failed");
  }
  if (out_left != 0) {
    fail_corrupt("gzip: stream produced {} bytes, expected {}", out_size - out_left, out_size);
  }
}

// ZSTD_decompressDCtx decodes every frame (and skips skippable frames) and
// refuses to write past out_size.
void zstd_decompress(ByteView in, uint8_t* out, size_t out_size) {
  size_t n = ZSTD_decompressDCtx(thread_zstd_dctx(), out, out_size, in.data(), in.size());
  if (ZSTD_isError(n)) fail_corrupt("zstd: {} (expected {} bytes)", ZSTD_getErrorName(n), out_size);
  if (n != out_size) fail_corrupt("zstd: stream produced {} bytes, expected {}", n, out_size);
}

// One raw LZ4 block into at most `capacity` bytes: the number of bytes
// produced, or -1 when the block is corrupt or does not fit.
int64_t lz4_block_decompress(ByteView in, uint8_t* out, size_t capacity) {
  if (in.size() > INT_MAX) return -1;
  int cap = static_cast<int>(std::min<size_t>(capacity, INT_MAX));
  return LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out),
                             static_cast<int>(in.size()), cap);
}

void lz4_raw_decompress(ByteView in, uint8_t* out, size_t out_size) {
  if (out_size > INT_MAX) fail_corrupt("lz4_raw: {} bytes exceed the LZ4 block limit", out_size);
  int64_t n = lz4_block_decompress(in, out, out_size);
  if (n < 0) fail_corrupt("lz4_raw: corrupt input (or more than {} bytes)", out_size);
  if (static_cast<size_t>(n) != out_size) {
    fail_corrupt("lz4_raw: block produced {} bytes, expected {}", n, out_size);
  }
}

// Hadoop's block framing, as parquet-mr writes LZ4: a sequence of blocks, each
// [be32 decompressed size] followed by one or more [be32 compressed size][raw
// LZ4 chunk] whose outputs add up to that size. (Arrow writes exactly one chunk
// per block; Hadoop splits large blocks.) False when `in` is not so framed or
// does not decode to exactly out_size bytes.
bool lz4_hadoop_decompress(ByteView in, uint8_t* out, size_t out_size) {
  size_t ip = 0;
  size_t op = 0;
  while (ip < in.size()) {
    if (in.size() - ip < 4) return false;
    uint32_t block_size = load_be32(in.data() + ip);
    ip += 4;
    if (block_size > out_size - op) return false;
    size_t block_end = op + block_size;
    do {  // every iteration consumes at least 4 bytes: the loop ends
      if (in.size() - ip < 4) return false;
      uint32_t chunk_size = load_be32(in.data() + ip);
      ip += 4;
      if (chunk_size > in.size() - ip) return false;
      int64_t n = lz4_block_decompress(in.subspan(ip, chunk_size), out + op, block_end - op);
      if (n < 0) return false;
      ip += chunk_size;
      op += static_cast<size_t>(n);
    } while (op < block_end);
  }
  return op == out_size;
}

// The LZ4 frame format (magic 0x184D2204), possibly several frames in a row.
bool lz4_frame_decompress(ByteView in, uint8_t* out, size_t out_size) {
  LZ4F_dctx* dctx = thread_lz4f_dctx();
  LZ4F_resetDecompressionContext(dctx);  // a previous call may have failed mid-frame
  const uint8_t* ip = in.data();
  size_t in_left = in.size();
  size_t op = 0;
  for (;;) {
    size_t consumed = in_left;
    size_t produced = out_size - op;
    size_t hint = LZ4F_decompress(dctx, out + op, &produced, ip, &consumed, nullptr);
    if (LZ4F_isError(hint)) return false;
    ip += consumed;
    in_left -= consumed;
    op += produced;
    if (hint == 0) {  // a frame ended; the context is ready for the next one
      if (in_left == 0) return op == out_size;
      continue;
    }
    if (consumed == 0 && produced == 0) return false;  // truncated, or output full
  }
}

// The deprecated LZ4 codec: writers disagreed on what it means, so try every
// format seen in the wild, cheapest check first.
void lz4_decompress(ByteView in, uint8_t* out, size_t out_size) {
  if (lz4_hadoop_decompress(in, out, out_size)) return;
  if (lz4_block_decompress(in, out, out_size) == static_cast<int64_t>(out_size)) return;
  if (lz4_frame_decompress(in, out, out_size)) return;
  fail_corrupt("lz4: corrupt input (neither Hadoop-framed, raw block nor frame format decodes to {} bytes)",
               out_size);
}

struct BrotliDecoderFree {
  void operator()(BrotliDecoderState* s) const { BrotliDecoderDestroyInstance(s); }
};

void brotli_decompress(ByteView in, uint8_t* out, size_t out_size) {
  // brotli 1.0 cannot reset a decoder, so each call makes its own.
  std::unique_ptr<BrotliDecoderState, BrotliDecoderFree> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
  if (state == nullptr) throw std::bad_alloc();
  size_t avail_in = in.size();
  const uint8_t* next_in = in.data();
  size_t avail_out = out_size;
  uint8_t* next_out = out;
  BrotliDecoderResult r =
      BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
  switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
      if (avail_in != 0) fail_corrupt("brotli: {} bytes of trailing data", avail_in);
      if (avail_out != 0) {
        fail_corrupt("brotli: stream produced {} bytes, expected {}", out_size - avail_out, out_size);
      }
      return;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
      fail_corrupt("brotli: stream truncated after {} of {} bytes", out_size - avail_out, out_size);
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
      fail_corrupt("brotli: stream produces more than {} bytes", out_size);
    case BROTLI_DECODER_RESULT_ERROR: break;
  }
  fail_corrupt("brotli: corrupt input ({})",
               BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())));
}

// ---------------------------------------------------------------------------
// Compression.

void snappy_compress(ByteView in, Buffer& out) {
  // The snappy format stores the length as a 32-bit varint.
  if (in.size() > UINT32_MAX)
    fail(ErrorCode::kLimit, "snappy: cannot compress {} bytes (limit 4 GiB)", in.size());
  size_t old = out.size();
  out.resize(old + snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data() + old), &n);
  out.resize(old + n);
}

void gzip_compress(ByteView in, Buffer& out, int level) {
  thread_local Deflater deflater;
  z_stream* z = deflater.fresh(level == 0 ? Z_DEFAULT_COMPRESSION : level);
  size_t old = out.size();
  out.resize(old + deflateBound(z, in.size()));
  const uint8_t* ip = in.data();
  size_t in_left = in.size();
  size_t op = old;
  for (;;) {
    if (op == out.size()) out.resize(out.size() + out.size() / 2 + 64);  // bound was not enough
    uInt in_chunk = zlib_chunk(in_left);
    uInt out_chunk = zlib_chunk(out.size() - op);
    z->next_in = const_cast<Bytef*>(ip);
    z->avail_in = in_chunk;
    z->next_out = out.data() + op;
    z->avail_out = out_chunk;
    int rc = deflate(z, in_chunk == in_left ? Z_FINISH : Z_NO_FLUSH);
    size_t consumed = in_chunk - z->avail_in;
    size_t produced = out_chunk - z->avail_out;
    ip += consumed;
    in_left -= consumed;
    op += produced;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) fail(ErrorCode::kInternal, "gzip: deflate failed ({})", rc);
  }
  out.resize(op);
}

void zstd_compress(ByteView in, Buffer& out, int level) {
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    fail_invalid("zstd: invalid compression level {}", level);
  }
  size_t old = out.size();
  out.resize(old + ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(thread_zstd_cctx(), out.data() + old, out.size() - old, in.data(), in.size(),
                               level);  // level 0 is zstd's own default
  if (ZSTD_isError(n)) fail(ErrorCode::kInternal, "zstd: {}", ZSTD_getErrorName(n));
  out.resize(old + n);
}

void brotli_compress(ByteView in, Buffer& out, int level) {
  int quality = level == 0 ? 8 : level;
  if (quality < BROTLI_MIN_QUALITY || quality > BROTLI_MAX_QUALITY) {
    fail_invalid("brotli: invalid compression level {}", level);
  }
  size_t bound = BrotliEncoderMaxCompressedSize(in.size());
  if (bound == 0) fail(ErrorCode::kLimit, "brotli: cannot compress {} bytes", in.size());
  size_t old = out.size();
  out.resize(old + bound);
  size_t n = bound;
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(), in.data(), &n,
                             out.data() + old)) {
    fail(ErrorCode::kInternal, "brotli: compression failed");
  }
  out.resize(old + n);
}

// Levels follow the lz4 command line: below 3 the fast compressor (negative
// levels are its acceleration factor), 3 to 12 the high-compression one.
void lz4_raw_compress(ByteView in, Buffer& out, int level) {
  if (in.size() > LZ4_MAX_INPUT_SIZE) {
    fail(ErrorCode::kLimit, "lz4_raw: cannot compress {} bytes in one block", in.size());
  }
  int in_size = static_cast<int>(in.size());
  int bound = LZ4_compressBound(in_size);
  size_t old = out.size();
  out.resize(old + static_cast<size_t>(bound));
  const char* src = reinterpret_cast<const char*>(in.data());
  char* dst = reinterpret_cast<char*>(out.data() + old);
  int n;
  if (level >= 3) {
    n = LZ4_compress_HC(src, dst, in_size, bound, std::min(level, LZ4HC_CLEVEL_MAX));
  } else {
    n = LZ4_compress_fast(src, dst, in_size, bound, level < 0 ? -level : 1);
  }
  if (n <= 0) fail(ErrorCode::kInternal, "lz4_raw: compression failed");
  out.resize(old + static_cast<size_t>(n));
}

}  // namespace

void decompress(Codec codec, ByteView in, uint8_t* out, size_t out_size) {
  if (out_size == 0) {
    if (!can_decompress(codec)) fail_unsupported("{}: unsupported codec", codec_name(codec));
    return;
  }
  switch (codec) {
    case Codec::UNCOMPRESSED: return copy_uncompressed(in, out, out_size);
    case Codec::SNAPPY: return snappy_decompress(in, out, out_size);
    case Codec::GZIP: return gzip_decompress(in, out, out_size);
    case Codec::ZSTD: return zstd_decompress(in, out, out_size);
    case Codec::LZ4_RAW: return lz4_raw_decompress(in, out, out_size);
    case Codec::LZ4: return lz4_decompress(in, out, out_size);
    case Codec::BROTLI: return brotli_decompress(in, out, out_size);
    case Codec::LZO: fail_unsupported("lzo: unsupported codec");
  }
  fail_unsupported("unsupported compression codec {}", static_cast<int32_t>(codec));
}

void compress(Codec codec, ByteView in, Buffer& out, int level) {
  switch (codec) {
    case Codec::UNCOMPRESSED: return out.append(in);
    case Codec::SNAPPY: return snappy_compress(in, out);
    case Codec::GZIP: return gzip_compress(in, out, level);
    case Codec::ZSTD: return zstd_compress(in, out, level);
    case Codec::BROTLI: return brotli_compress(in, out, level);
    case Codec::LZ4_RAW: return lz4_raw_compress(in, out, level);
    case Codec::LZ4:
    case Codec::LZO: fail_unsupported("{}: unsupported compression codec", codec_name(codec));
  }
  fail_unsupported("unsupported compression codec {}", static_cast<int32_t>(codec));
}

bool can_decompress(Codec codec) {
  switch (codec) {
    case Codec::UNCOMPRESSED:
    case Codec::SNAPPY:
    case Codec::GZIP:
    case Codec::BROTLI:
    case Codec::LZ4:
    case Codec::ZSTD:
    case Codec::LZ4_RAW: return true;
    case Codec::LZO: return false;
  }
  return false;
}

}  // namespace mimicit::parquet
