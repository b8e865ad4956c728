// PNG decoding, identical to Pillow's convert("RGB") (include/mimicit/image.h).
//
// Pillow's rules, which differ from libspng's built-in conversions:
//   - 16-bit RGB(A) and grey+alpha keep the high byte ("RGB;16B" etc.);
//   - 16-bit grey is Pillow's "I;16", whose convert("RGB") clips to 255;
//   - 1/2/4-bit grey scales to 0..255 (x 255, 85, 17);
//   - tRNS, alpha, gAMA, iCCP are ignored (alpha dropped, not composited).
// Pillow checks the CRCs of the chunks before the image data (ancillary
// ones not when loading truncated images), not those of IDAT: critical-chunk
// CRCs are ignored by libspng and checked here (IHDR, PLTE).
//
// libspng reads and validates every chunk up to the first IDAT (so errors
// and their messages are libspng's whatever the path), then
//   - the fast path gathers the IDAT chunks, inflates the whole zlib stream
//     at once with libdeflate into a buffer of exactly the expected size,
//     unfilters each scanline in place (png_unfilter.cc) and converts it to
//     RGB (png_rows.cc) straight into the output image;
//   - whenever that meets anything it does not expect (a stream that is
//     truncated, corrupt, too long or too short, a wrong adler32, a bad
//     filter type, a file cut inside a chunk), the row-by-row path
//     (png_rowwise.cc) reads the data as Pillow does, so that the scanlines
//     kept and lost are Pillow's; the rest stays a zero-filled image of the
//     file's mode (black, or palette entry 0). libdeflate is all-or-nothing,
//     so it cannot do that part.
// Both give the same pixels on every file the fast path accepts: the
// fuzzer (fuzz/image_fuzz.cc) and tests/cpp/image/png_test.cc check it.
// Either way, the chunks after the image data are walked as Pillow's
// load_end walks them (png_check_chunks_after_idat).
#include <libdeflate.h>
#include <spng.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <vector>

#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct CtxDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using Ctx = std::unique_ptr<spng_ctx, CtxDeleter>;

[[noreturn]] void fail_spng(int rc, const char* what) {
  fail_corrupt("png: {}: {}", what, spng_strerror(rc));
}

// Pillow's palette for a P image: the PLTE entries, then black (indices
// past the end of PLTE come out black in Pillow).
void load_palette(spng_ctx* ctx, uint8_t* palette) {
  std::memset(palette, 0, 256 * 3);
  spng_plte plte;
  if (int rc = spng_get_plte(ctx, &plte); rc != 0) fail_spng(rc, "palette");
  for (uint32_t i = 0; i < plte.n_entries && i < 256; ++i) {
    palette[3 * i] = plte.entries[i].red;
    palette[3 * i + 1] = plte.entries[i].green;
    palette[3 * i + 2] = plte.entries[i].blue;
  }
}

Ctx open_decoder(ByteView bytes) {
  Ctx ctx(spng_ctx_new(0));
  if (!ctx) fail(ErrorCode::kInternal, "png: spng_ctx_new failed");
  spng_set_crc_action(ctx.get(), SPNG_CRC_USE, SPNG_CRC_DISCARD);
  spng_set_chunk_limits(ctx.get(), size_t(1) << 26, size_t(1) << 28);
  spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size());
  return ctx;
}

// ---------------------------------------------------------------------------
// The fast path.

// Per-thread reusable state: allocating libdeflate's decompressor (~10 KB of
// tables) and touching fresh pages for every image costs more than a small
// image takes to decode.
struct ThreadScratch {
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  std::unique_ptr<libdeflate_decompressor, Free> inflater{libdeflate_alloc_decompressor()};
  std::unique_ptr<uint8_t[]> buffer;
  size_t capacity = 0;

  // Buffers above this are released after the image, not kept per thread.
  static constexpr size_t kKeepBytes = size_t(32) << 20;

  uint8_t* reserve(size_t size) {
    if (size > capacity) {
      buffer.reset();  // free before allocating: never hold both
      buffer.reset(new uint8_t[size]);
      capacity = size;
    }
    return buffer.get();
  }
  void trim() {
    if (capacity > kKeepBytes) buffer.reset(), capacity = 0;
  }
};

ThreadScratch& thread_scratch() {
  thread_local ThreadScratch scratch;
  return scratch;
}

// Readable bytes kept after each buffer for png_unfilter_row's 8-byte loads.
constexpr size_t kSlack = 16;

// The image data: the IDAT chunks that follow the first one without
// another chunk in between (libspng stops at the first other chunk too).
struct IdatChunks {
  std::vector<ByteView> parts;
  size_t total = 0;
};

// Finds the whole IDAT chunks of a file whose chunks before them libspng
// has accepted.
bool find_idat(ByteView file, IdatChunks& idat) {
  size_t pos = 8;
  bool in_idat = false;
  while (pos + 8 <= file.size()) {
    size_t length = load_be32(&file[pos]);
    if (length > file.size() - pos - 8) break;
    bool is_idat = std::memcmp(&file[pos + 4], "IDAT", 4) == 0;
    if (in_idat && !is_idat) break;
    if (is_idat) {
      in_idat = true;
      idat.parts.emplace_back(&file[pos + 8], length);
      idat.total += length;
    }
    pos += 12 + length;
  }
  return idat.total > 0;
}

// Where the first IDAT chunk's header starts (libspng has found it: the
// header is whole).
size_t find_first_idat(ByteView file) {
  size_t pos = 8;
  while (pos + 8 <= file.size()) {
    if (std::memcmp(&file[pos + 4], "IDAT", 4) == 0) return pos;
    const size_t length = load_be32(&file[pos]);
    if (length > file.size() - pos - 8) break;
    pos += 12 + length;
  }
  fail_corrupt("png: no IDAT chunk");
}

// Deflate expands at most 1032:1 (a 258-byte match in 2 bits): a stream too
// short for the image is cut, and the fast path would only fail after
// allocating the whole image (e.g. a decompression bomb under max_pixels).
bool can_hold(size_t compressed, size_t expected) { return compressed >= expected / 1032; }

// Byte sizes of the scanlines of one image or Adam7 pass.
struct Scanlines {
  uint32_t width = 0, height = 0;
  size_t row_bytes = 0;  // without the filter byte

  size_t bytes() const { return width == 0 || height == 0 ? 0 : height * (row_bytes + 1); }
};

Scanlines scanlines(uint32_t width, uint32_t height, unsigned bits_per_pixel) {
  return {width, height, (size_t(width) * bits_per_pixel + 7) / 8};
}

Scanlines adam7_pass(const spng_ihdr& ihdr, int p, unsigned bits_per_pixel) {
  auto count = [](uint32_t size, uint32_t start, uint32_t step) {
    return size > start ? (size - start + step - 1) / step : 0;
  };
  return scanlines(count(ihdr.width, kAdam7X0[p], kAdam7Dx[p]), count(ihdr.height, kAdam7Y0[p], kAdam7Dy[p]),
                   bits_per_pixel);
}

// Unfilters the `lines` stored at `data` (each behind its filter byte) in
// place; `row_fn(y, row)` receives each unfiltered scanline, a few at a time
// so that they are still in cache. `zeros` is a zero scanline with slack
// (the first row's upper neighbour).
template <typename RowFn>
bool unfilter_scanlines(uint8_t* data, const Scanlines& lines, unsigned bpp, const uint8_t* zeros,
                        RowFn&& row_fn) {
  const size_t stride = lines.row_bytes + 1;
  const uint8_t* prev = zeros;
  for (uint32_t y = 0; y < lines.height;) {
    uint8_t* line = data + y * stride;
    const size_t done = png_unfilter_lines(line, lines.height - y, prev, lines.row_bytes, bpp);
    if (done == 0) return false;
    for (size_t k = 0; k < done; ++k) row_fn(uint32_t(y + k), line + k * stride + 1);
    prev = line + (done - 1) * stride + 1;
    y += uint32_t(done);
  }
  return true;
}

// Decodes the whole image from `idat` into `image`; false (with `image`
// partly written) when the data is anything but a complete, valid stream of
// exactly the expected size.
bool decode_fast_with(ThreadScratch& scratch, const spng_ihdr& ihdr, const IdatChunks& idat,
                      const PngRowConverter& convert, RgbImage& image) {
  const unsigned bits_per_pixel = unsigned(png_channels(ihdr.color_type)) * ihdr.bit_depth;
  const unsigned bpp = bits_per_pixel < 8 ? 1 : bits_per_pixel / 8;
  const Scanlines full = scanlines(ihdr.width, ihdr.height, bits_per_pixel);
  const bool interlaced = ihdr.interlace_method != 0;
  size_t expected = full.bytes();
  if (interlaced) {
    expected = 0;
    for (int p = 0; p < 7; ++p) expected += adam7_pass(ihdr, p, bits_per_pixel).bytes();
  }
  if (!can_hold(idat.total, expected)) return false;

  // One buffer: [zero scanline][inflated data][full raw image if interlaced]
  // [gathered IDAT if several chunks], each followed by kSlack bytes.
  const size_t zeros_size = full.row_bytes + kSlack;
  const size_t raw_size = interlaced ? ihdr.height * full.row_bytes + kSlack : 0;
  const size_t gather_size = idat.parts.size() > 1 ? idat.total : 0;
  uint8_t* zeros = scratch.reserve(zeros_size + expected + kSlack + raw_size + gather_size);
  uint8_t* data = zeros + zeros_size;
  uint8_t* raw = data + expected + kSlack;
  std::memset(zeros, 0, zeros_size);
  std::memset(data + expected, 0, kSlack);  // defined bytes for the slack reads

  const uint8_t* stream = idat.parts[0].data();
  if (gather_size > 0) {
    uint8_t* gathered = raw + raw_size;
    size_t at = 0;
    for (ByteView part : idat.parts) std::memcpy(gathered + at, part.data(), part.size()), at += part.size();
    stream = gathered;
  }
  // With no actual-size pointer, libdeflate succeeds only when the stream
  // decompresses to exactly `expected` bytes.
  if (libdeflate_zlib_decompress(scratch.inflater.get(), stream, idat.total, data, expected, nullptr) !=
      LIBDEFLATE_SUCCESS) {
    return false;
  }

  const size_t out_stride = size_t(ihdr.width) * 3;
  uint8_t* out = image.pixels.data();
  bool ok = true;
  if (!interlaced) {
    ok = unfilter_scanlines(data, full, bpp, zeros,
                            [&](uint32_t y, const uint8_t* row) { convert(row, out + y * out_stride); });
  } else {
    std::memset(raw, 0, raw_size);  // packed samples are OR-ed in
    for (int p = 0; p < 7 && ok; ++p) {
      Scanlines pass = adam7_pass(ihdr, p, bits_per_pixel);
      if (pass.bytes() == 0) continue;
      ok = unfilter_scanlines(data, pass, bpp, zeros, [&](uint32_t y, const uint8_t* row) {
        uint8_t* target = raw + size_t(kAdam7Y0[p] + y * kAdam7Dy[p]) * full.row_bytes;
        for (uint32_t k = 0; k < pass.width; ++k) {
          png_place_pixel(row, k, target, kAdam7X0[p] + k * kAdam7Dx[p], bits_per_pixel);
        }
      });
      data += pass.bytes();
    }
    for (uint32_t y = 0; ok && y < ihdr.height; ++y) convert(raw + y * full.row_bytes, out + y * out_stride);
  }
  return ok;
}

bool decode_fast(const spng_ihdr& ihdr, const IdatChunks& idat, const PngRowConverter& convert,
                 RgbImage& image) {
  ThreadScratch& scratch = thread_scratch();
  if (!scratch.inflater) return false;
  bool ok = decode_fast_with(scratch, ihdr, idat, convert, image);
  scratch.trim();
  return ok;
}

// Pillow checks the CRC of every chunk before the image data, ancillary
// ones aside when it loads truncated images: critical ones (IHDR, PLTE)
// fail it ("broken PNG file"). libspng is told to ignore critical CRCs.
void check_critical_crcs(ByteView b) {
  size_t pos = 8;
  while (pos + 8 <= b.size() && std::memcmp(&b[pos + 4], "IDAT", 4) != 0) {
    const size_t length = load_be32(&b[pos]);
    if (length > b.size() - pos - 8 || b.size() - pos - 8 - length < 4) return;  // libspng's to report
    const uint8_t* type = &b[pos + 4];
    if ((type[0] & 0x20) == 0 &&
        crc32(crc32(0, type, 4), type + 4, uInt(length)) != load_be32(type + 4 + length)) {
      fail_corrupt("png: broken PNG file (bad header checksum in {})",
                   std::string_view(reinterpret_cast<const char*>(type), 4));
    }
    pos += 12 + length;
  }
}

RgbImage decode(ByteView bytes, uint64_t max_pixels, bool fast) {
  ImageInfo info = probe_png(bytes);
  check_critical_crcs(bytes);
  check_pixel_limit("png", info.width, info.height, max_pixels);
  Ctx ctx = open_decoder(bytes);
  spng_ihdr ihdr;
  if (int rc = spng_get_ihdr(ctx.get(), &ihdr); rc != 0) fail_spng(rc, "header");
  uint8_t palette[256 * 3];
  if (ihdr.color_type == kPngPalette) load_palette(ctx.get(), palette);
  // Reads (and validates) every chunk up to the first IDAT, whose data
  // libspng is never asked for.
  spng_trns trns;
  if (int rc = spng_get_trns(ctx.get(), &trns); rc != 0 && rc != SPNG_ECHUNKAVAIL) fail_spng(rc, "decode");
  const size_t first_idat = find_first_idat(bytes);
  png_check_chunks_after_idat(bytes, first_idat, info.animated);
  PngRowConverter convert{ihdr.color_type, ihdr.bit_depth, ihdr.width, palette};
  RgbImage image = new_rgb(ihdr.width, ihdr.height);
  IdatChunks idat;
  if (fast && find_idat(bytes, idat) && decode_fast(ihdr, idat, convert, image)) {
    return image;
  }
  const PngLayout layout{ihdr.width, ihdr.height, unsigned(png_channels(ihdr.color_type)) * ihdr.bit_depth,
                         ihdr.interlace_method != 0};
  const size_t row_bytes = (size_t(ihdr.width) * layout.bits_per_pixel + 7) / 8;
  std::vector<uint8_t> raw(row_bytes * ihdr.height, 0);
  png_decode_rowwise(bytes, first_idat, layout, raw.data());
  for (uint32_t y = 0; y < ihdr.height; ++y) {
    convert(&raw[y * row_bytes], &image.pixels[size_t(y) * ihdr.width * 3]);
  }
  return image;
}

}  // namespace

ImageInfo probe_png(ByteView b) {
  if (b.size() < 33 || std::memcmp(b.data() + 12, "IHDR", 4) != 0 || load_be32(&b[8]) != 13) {
    fail_corrupt("png: no IHDR chunk after the signature");
  }
  ImageInfo info;
  info.format = ImageFormat::kPng;
  info.width = load_be32(&b[16]);
  info.height = load_be32(&b[20]);
  info.bits_per_channel = b[24];
  int color_type = b[25];
  if (color_type > 6 || color_type == 1 || color_type == 5) {
    fail_corrupt("png: invalid color type {}", color_type);
  }
  info.channels_in_file = color_type == kPngPalette ? 3 : png_channels(color_type);
  if (info.width == 0 || info.height == 0) {
    fail_corrupt("png: IHDR gives size {}x{}", info.width, info.height);
  }
  // Scan the chunk headers up to IDAT for tRNS (palette alpha) and acTL.
  size_t pos = 33;
  while (pos + 8 <= b.size()) {
    size_t length = load_be32(&b[pos]);
    const uint8_t* type = &b[pos + 4];
    if (std::memcmp(type, "IDAT", 4) == 0) break;
    if (std::memcmp(type, "tRNS", 4) == 0 && color_type == kPngPalette) info.channels_in_file = 4;
    if (std::memcmp(type, "acTL", 4) == 0 && pos + 12 <= b.size()) info.animated = load_be32(&b[pos + 8]) > 1;
    if (length > b.size() - pos - 8) break;
    pos += 12 + length;
  }
  return info;
}

RgbImage decode_png(ByteView bytes, uint64_t max_pixels) { return decode(bytes, max_pixels, true); }

RgbImage decode_png_rowwise(ByteView bytes, uint64_t max_pixels) { return decode(bytes, max_pixels, false); }

}  // namespace mimicit::image::internal

namespace mimicit::image {

namespace {

struct PngEncoding {
  int level;
  int filter;    // SPNG_FILTER_CHOICE_* mask
  int strategy;  // zlib strategy
};

void encode_png_with(const RgbImage& image, Buffer& out, const PngEncoding& encoding) {
  using internal::Ctx;
  if (image.width == 0 || image.height == 0 ||
      image.pixels.size() != size_t(image.width) * image.height * 3) {
    fail_invalid("png: cannot encode a {}x{} image of {} bytes", image.width, image.height,
                 image.pixels.size());
  }
  Ctx ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!ctx) fail(ErrorCode::kInternal, "png: spng_ctx_new failed");
  spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_LEVEL, encoding.level);
  spng_set_option(ctx.get(), SPNG_FILTER_CHOICE, encoding.filter);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_STRATEGY, encoding.strategy);
  spng_ihdr ihdr{};
  ihdr.width = image.width;
  ihdr.height = image.height;
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  int rc = spng_set_ihdr(ctx.get(), &ihdr);
  if (rc == 0) {
    rc = spng_encode_image(ctx.get(), image.pixels.data(), image.pixels.size(), SPNG_FMT_PNG,
                           SPNG_ENCODE_FINALIZE);
  }
  if (rc != 0) fail(ErrorCode::kInternal, "png: encode: {}", spng_strerror(rc));
  size_t size = 0;
  void* png = spng_get_png_buffer(ctx.get(), &size, &rc);
  if (png == nullptr) fail(ErrorCode::kInternal, "png: encode: {}", spng_strerror(rc));
  out.assign({static_cast<const uint8_t*>(png), size});
  std::free(png);
}

}  // namespace

void encode_png(const RgbImage& image, Buffer& out, int compression_level) {
  if (compression_level < 0 || compression_level > 9) {
    fail_invalid("png: compression level {} is not in 0..9", compression_level);
  }
  // Adaptive filters (libspng's default, as libpng's and Pillow's).
  encode_png_with(image, out, {compression_level, SPNG_FILTER_CHOICE_ALL, Z_DEFAULT_STRATEGY});
}

// encode_png_fast: the Up filter on every row (the row minus the row above:
// as small as adaptive filters on photographs, vectorised, and the fastest
// filter to undo when the file is read), the whole filtered image deflated
// at once by libdeflate's level 1 into one IDAT chunk. Measured on 640x480
// photographs (docs/benchmarks.md): faster and ~13 % smaller than zlib's
// Z_RLE, which this replaced; Paeth was ~4 % smaller at about the same
// encoding speed but is the slowest filter to decode; levels 2-4 were
// 2-4 % smaller at twice the time.
namespace {

constexpr int kFastLevel = 1;
// Larger filtered images (~11 Mpixels and up) go through libspng and zlib's
// Z_RLE row by row instead: the libdeflate path holds the filtered image and
// its compressed bound at once, which per thread is too much for them.
constexpr size_t kFastMaxFilteredBytes = size_t(32) << 20;
// Buffers kept per thread up to this (a 1600x1200 image's); larger are freed.
constexpr size_t kKeepBytes = size_t(6) << 20;

struct FastEncoder {
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  std::unique_ptr<libdeflate_compressor, Free> compressor{libdeflate_alloc_compressor(kFastLevel)};
  Buffer filtered;
  Buffer compressed;
};

FastEncoder& fast_encoder() {
  thread_local FastEncoder encoder;
  if (!encoder.compressor) fail(ErrorCode::kInternal, "png: libdeflate_alloc_compressor failed");
  return encoder;
}

void put_be32(Buffer& out, uint32_t v) {
  const uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  out.append(b, 4);
}

// Appends a chunk: length, type, data, CRC of type and data.
void put_chunk(Buffer& out, const char* type, ByteView data) {
  put_be32(out, uint32_t(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out.append(data);
  put_be32(out, libdeflate_crc32(0, out.data() + start, 4 + data.size()));
}

}  // namespace

void internal::encode_png_rle(const RgbImage& image, Buffer& out) {
  // Z_RLE ignores the level beyond "not 0".
  encode_png_with(image, out, {1, SPNG_FILTER_CHOICE_UP, Z_RLE});
}

void encode_png_fast(const RgbImage& image, Buffer& out) {
  const size_t stride = size_t(image.width) * 3;
  const size_t filtered_size = (stride + 1) * image.height;
  if (image.width == 0 || image.height == 0 || image.pixels.size() != stride * image.height ||
      filtered_size > kFastMaxFilteredBytes) {
    internal::encode_png_rle(image, out);  // also reports bad images
    return;
  }
  FastEncoder& encoder = fast_encoder();
  encoder.filtered.resize(filtered_size);
  const uint8_t* src = image.pixels.data();
  uint8_t* dst = encoder.filtered.data();
  dst[0] = 2;  // Up; the first row's "above" is zeros
  std::memcpy(dst + 1, src, stride);
  for (uint32_t y = 1; y < image.height; ++y) {
    const uint8_t* __restrict row = src + y * stride;
    const uint8_t* __restrict up = row - stride;
    uint8_t* __restrict f = dst + y * (stride + 1);
    *f++ = 2;
    for (size_t i = 0; i < stride; ++i) f[i] = uint8_t(row[i] - up[i]);
  }
  const size_t bound = libdeflate_zlib_compress_bound(encoder.compressor.get(), filtered_size);
  encoder.compressed.resize(bound);
  const size_t size = libdeflate_zlib_compress(encoder.compressor.get(), dst, filtered_size,
                                               encoder.compressed.data(), bound);
  if (size == 0) fail(ErrorCode::kInternal, "png: libdeflate_zlib_compress failed");

  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  uint8_t ihdr[13] = {};
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = uint8_t(image.width >> (24 - 8 * i));
    ihdr[4 + i] = uint8_t(image.height >> (24 - 8 * i));
  }
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 2;  // truecolor; compression, filter and interlace methods 0
  out.clear();
  out.reserve(8 + 25 + 12 + size + 12);
  out.append(kSignature, 8);
  put_chunk(out, "IHDR", {ihdr, 13});
  put_chunk(out, "IDAT", {encoder.compressed.data(), size});
  put_chunk(out, "IEND", {});
  if (filtered_size > kKeepBytes) encoder = FastEncoder{};  // release the large buffers
}

}  // namespace mimicit::image
