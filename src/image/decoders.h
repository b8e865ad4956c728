// Internal interface of the image module: one probe and one decoder per
// format, plus the shared helpers. decode_rgb() (image.cc) sniffs the format
// and dispatches here; each decoder returns Pillow's convert("RGB") result.
//
// Decoders check `max_pixels` (check_pixel_limit) before allocating pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/image.h"

namespace mimicit::image::internal {

ImageInfo probe_jpeg(ByteView bytes);
ImageInfo probe_png(ByteView bytes);
ImageInfo probe_webp(ByteView bytes);
ImageInfo probe_gif(ByteView bytes);
ImageInfo probe_bmp(ByteView bytes);
ImageInfo probe_tiff(ByteView bytes);
ImageInfo probe_ppm(ByteView bytes);
ImageInfo probe_tga(ByteView bytes);
ImageInfo probe_ico(ByteView bytes);
ImageInfo probe_pcx(ByteView bytes);
ImageInfo probe_jpeg2000(ByteView bytes);
ImageInfo probe_avif(ByteView bytes);

RgbImage decode_jpeg(ByteView bytes, uint64_t max_pixels);
// decode_jpeg into `out`, reusing its memory (the preprocessing hot path).
// With min_side > 0, decodes at the smallest DCT scale of 1/2, 1/4, 1/8
// whose output still has both sides >= min_side (libjpeg's scaled IDCT: not
// what Pillow's full-size decode gives); max_pixels applies to the file's
// full size either way.
void decode_jpeg_into(ByteView bytes, uint64_t max_pixels, uint32_t min_side, RgbImage& out);
RgbImage decode_png(ByteView bytes, uint64_t max_pixels);
RgbImage decode_webp(ByteView bytes, uint64_t max_pixels);
RgbImage decode_gif(ByteView bytes, uint64_t max_pixels);
RgbImage decode_bmp(ByteView bytes, uint64_t max_pixels);
RgbImage decode_tiff(ByteView bytes, uint64_t max_pixels);
RgbImage decode_ppm(ByteView bytes, uint64_t max_pixels);
RgbImage decode_tga(ByteView bytes, uint64_t max_pixels);
RgbImage decode_ico(ByteView bytes, uint64_t max_pixels);
RgbImage decode_pcx(ByteView bytes, uint64_t max_pixels);
RgbImage decode_jpeg2000(ByteView bytes, uint64_t max_pixels);
RgbImage decode_avif(ByteView bytes, uint64_t max_pixels);

// Formats without a magic number of their own, recognised by the header
// checks Pillow's plugins make (sniff_format tries them last).
bool looks_like_tga(ByteView bytes);
bool looks_like_pcx(ByteView bytes);

// ICO frames that are DIBs (bmp.cc): the DIB header at `at` gives the
// width and the height of picture and mask together; decode_ico_dib
// decodes the picture (the first height / 2 rows), checking max_pixels
// against it.
struct DibSize {
  uint32_t width = 0, height = 0;
};
DibSize dib_size(ByteView bytes, size_t at);
RgbImage decode_ico_dib(ByteView bytes, size_t at, uint64_t max_pixels);

// Throws Error(kLimit) worded like Pillow's DecompressionBombError when
// width * height exceeds max_pixels, and kCorrupt for a zero dimension.
void check_pixel_limit(std::string_view format, uint64_t width, uint64_t height, uint64_t max_pixels);

// An image of the given size with zeroed pixels (black), the state Pillow
// leaves pixels in when a truncated file does not reach them.
RgbImage new_rgb(uint32_t width, uint32_t height);

// Pillow's convert("RGB") of one pixel of its "CMYK" mode (cmyk2rgb):
// each channel nk - c * nk / 255 with nk = 255 - k, the product rounded as
// Pillow's MULDIV255.
inline int muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}
inline void cmyk_to_rgb_pixel(const uint8_t* cmyk, uint8_t* rgb) {
  const int nk = 255 - cmyk[3];
  for (int c = 0; c < 3; ++c) {
    const int v = nk - muldiv255(cmyk[c], nk);
    rgb[c] = uint8_t(v < 0 ? 0 : v);
  }
}

// Pillow's convert("RGB") of one pixel of its "YCbCr" mode
// (ImagingConvertYCbCr2RGB): JFIF's full-range equations in 6-bit fixed
// point, clipped.
void ycbcr_to_rgb_pixel(uint8_t y, uint8_t cb, uint8_t cr, uint8_t* rgb);

// The EXIF Orientation tag (1..8) of a TIFF-structured EXIF block (starting
// at "II*\0" or "MM\0*", optionally preceded by "Exif\0\0"), or 1.
int exif_orientation(ByteView exif);

// The EXIF block of a JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk); empty
// when there is none.
ByteView find_exif(ImageFormat format, ByteView bytes);

// Applies orientation 2..8 like ImageOps.exif_transpose.
RgbImage apply_orientation(RgbImage image, int orientation);

// Pillow's image of a decoder's own mode before convert("RGB"): packed rows
// of `pixel_bytes` per pixel, zeroed (black) where a truncated file leaves
// pixels unwritten. `ModeT` is the decoder's enum of the modes it produces.
template <class ModeT>
struct ModeImage {
  ModeT mode;
  uint32_t width, height;
  size_t pixel_bytes;
  std::vector<uint8_t> data;

  ModeImage(ModeT m, uint32_t w, uint32_t h, size_t bytes_per_pixel)
      : mode(m),
        width(w),
        height(h),
        pixel_bytes(bytes_per_pixel),
        data(size_t(w) * h * bytes_per_pixel, 0) {}
  uint8_t* row(uint32_t y) { return data.data() + size_t(y) * width * pixel_bytes; }
  uint8_t* at(uint32_t x, uint32_t y) { return row(y) + size_t(x) * pixel_bytes; }
};

// Little/big-endian loads (bounds are the caller's business).
inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace mimicit::image::internal
