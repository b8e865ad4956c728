// Internal interface of the PNG decoder (src/image/png*.cc):
//   png.cc           chunk walking, the fast path (libdeflate + SIMD
//                    unfiltering) and the libspng path it falls back to;
//   png_unfilter.cc  scanline unfiltering (SSE2), with a scalar reference;
//   png_rows.cc      raw scanlines -> RGB by Pillow's convert("RGB") rules.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mimicit/bytes.h"
#include "mimicit/image.h"

namespace mimicit::image::internal {

enum PngColorType { kPngGrey = 0, kPngRgb = 2, kPngPalette = 3, kPngGreyAlpha = 4, kPngRgba = 6 };

// Samples per pixel of a color type (palette: 1 index).
int png_channels(int color_type);

// PNG filter types (the byte in front of each scanline).
enum PngFilter : uint8_t { kFilterNone = 0, kFilterSub, kFilterUp, kFilterAverage, kFilterPaeth };

// Unfilters one scanline of `row_bytes` bytes in place. `prev` is the
// previous scanline, already unfiltered (all zeros for the first scanline of
// an image or of an Adam7 pass); `bpp` is the bytes of one complete pixel,
// 1..8 (1 for bit depths below 8). Returns false for a filter type above 4
// (the row is left as it was).
//
// May read up to 16 bytes past the end of `row` and of `prev` (never
// writes there): callers keep that much readable slack after their buffers.
bool png_unfilter_row(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t row_bytes,
                      unsigned bpp);

// Unfilters scanlines stored one after the other, each behind its filter
// byte (`lines`: stride row_bytes + 1), of which `count` > 0 remain; `prev`
// is the scanline above the first. Unfilters one scanline, or several at
// once when that is faster (consecutive Paeth scanlines), and returns how
// many; 0 for a filter type above 4. Same slack rule as png_unfilter_row.
size_t png_unfilter_lines(uint8_t* lines, size_t count, const uint8_t* prev, size_t row_bytes,
                          unsigned bpp);

// The PNG specification's formulas, byte by byte: the reference the tests
// hold png_unfilter_row to. Same contract (no slack needed).
bool png_unfilter_row_reference(uint8_t filter, uint8_t* row, const uint8_t* prev,
                                size_t row_bytes, unsigned bpp);

// Converts one raw scanline (samples in the file's big-endian order) to
// `width` RGB pixels by Pillow's convert("RGB") rules (png.cc's header).
// `palette` holds 256 RGB entries (black past the file's PLTE).
struct PngRowConverter {
  int color_type;
  int depth;
  uint32_t width;
  const uint8_t* palette;

  void operator()(const uint8_t* in, uint8_t* out) const;

 private:
  void grey(const uint8_t* in, uint8_t* out) const;
  void indexed(const uint8_t* in, uint8_t* out) const;
  void color(const uint8_t* in, uint8_t* out) const;
};

// The decoder before the fast path (libspng for everything): what
// decode_png falls back to, kept callable for the benchmark
// (bench/png_decode_bench.cc) and the tests and fuzzer that hold the two to
// the same output.
RgbImage decode_png_libspng(ByteView bytes, uint64_t max_pixels);

// encode_png_fast before libdeflate (libspng, Up filter, zlib's Z_RLE): what
// it still uses for images too large for its buffers, kept callable for the
// benchmark (bench/png_encode_bench.cc) and the tests.
void encode_png_rle(const RgbImage& image, Buffer& out);

}  // namespace mimicit::image::internal
