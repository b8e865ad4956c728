// Internal interface of the PNG decoder (src/image/png*.cc):
//   png.cc           headers (libspng), the fast path (libdeflate + SIMD
//                    unfiltering) and the choice between the two paths;
//   png_rowwise.cc   the row-by-row path for what the fast path refuses:
//                    Pillow's reading of damaged image data, step for step;
//   png_unfilter.cc  scanline unfiltering (SSE2), with a scalar reference;
//   png_rows.cc      raw scanlines -> RGB by Pillow's convert("RGB") rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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
bool png_unfilter_row(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t row_bytes, unsigned bpp);

// Unfilters scanlines stored one after the other, each behind its filter
// byte (`lines`: stride row_bytes + 1), of which `count` > 0 remain; `prev`
// is the scanline above the first. Unfilters one scanline, or several at
// once when that is faster (consecutive Paeth scanlines), and returns how
// many; 0 for a filter type above 4. Same slack rule as png_unfilter_row.
size_t png_unfilter_lines(uint8_t* lines, size_t count, const uint8_t* prev, size_t row_bytes, unsigned bpp);

// The PNG specification's formulas, byte by byte: the reference the tests
// hold png_unfilter_row to. Same contract (no slack needed).
bool png_unfilter_row_reference(uint8_t filter, uint8_t* row, const uint8_t* prev, size_t row_bytes,
                                unsigned bpp);

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

// Adam7: pass p covers the pixels (x0 + k dx, y0 + l dy).
inline constexpr uint32_t kAdam7X0[7] = {0, 4, 0, 2, 0, 1, 0};
inline constexpr uint32_t kAdam7Y0[7] = {0, 0, 4, 0, 2, 0, 1};
inline constexpr uint32_t kAdam7Dx[7] = {8, 8, 4, 4, 2, 2, 1};
inline constexpr uint32_t kAdam7Dy[7] = {8, 8, 8, 4, 4, 2, 2};

// Copies pixel k of an Adam7 pass scanline to column x of a full scanline
// (packed samples below 8 bits are OR-ed in: `row` starts zeroed).
inline void png_place_pixel(const uint8_t* pass_row, uint32_t k, uint8_t* row, uint32_t x,
                            unsigned bits_per_pixel) {
  if (bits_per_pixel >= 8) {
    const size_t n = bits_per_pixel / 8;
    std::memcpy(row + size_t(x) * n, pass_row + size_t(k) * n, n);
    return;
  }
  const unsigned depth = bits_per_pixel;  // one sample per pixel below 8 bits
  const size_t from = size_t(k) * depth, to = size_t(x) * depth;
  const unsigned sample = (pass_row[from >> 3] >> (8 - depth - (from & 7))) & ((1u << depth) - 1);
  row[to >> 3] = uint8_t(row[to >> 3] | sample << (8 - depth - (to & 7)));
}

// What the row-by-row path needs of the header.
struct PngLayout {
  uint32_t width = 0, height = 0;
  unsigned bits_per_pixel = 0;  // channels x bit depth
  bool interlaced = false;
};

// The row-by-row path (png_rowwise.cc): decodes the image data that starts
// with the IDAT chunk whose header is at `first_idat` exactly as Pillow
// reads it, into `raw` (height x row bytes of unfiltered samples, zeroed by
// the caller), keeping every scanline Pillow keeps; never fails on damaged
// data (it stops where Pillow stops).
void png_decode_rowwise(ByteView file, size_t first_idat, const PngLayout& layout, uint8_t* raw);

// Pillow's PngImageFile.load_end after the pixels: it reads the chunks that
// follow up to IEND, and a chunk other than IDAT that the end of the file
// cuts short makes it raise (OSError "Truncated File Read") even when every
// pixel is there. Error(kCorrupt) in that case.
void png_check_chunks_after_idat(ByteView file, size_t first_idat, bool animated);

// decode_png without the fast path (the row-by-row path for every file):
// kept callable for the benchmark (bench/png_decode_bench.cc) and for the
// tests and the fuzzer, which hold the two paths to the same output.
RgbImage decode_png_rowwise(ByteView bytes, uint64_t max_pixels);

// encode_png_fast before libdeflate (libspng, Up filter, zlib's Z_RLE): what
// it still uses for images too large for its buffers, kept callable for the
// benchmark (bench/png_encode_bench.cc) and the tests.
void encode_png_rle(const RgbImage& image, Buffer& out);

}  // namespace mimicit::image::internal
