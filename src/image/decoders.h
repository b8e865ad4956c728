// Internal interface of the image module: one probe and one decoder per
// format, plus the shared helpers. decode_rgb() (image.cc) sniffs the format
// and dispatches here; each decoder returns Pillow's convert("RGB") result.
//
// Decoders check `max_pixels` (check_pixel_limit) before allocating pixels.
#pragma once

#include <cstdint>
#include <string_view>

#include "mimicit/bytes.h"
#include "mimicit/image.h"

namespace mimicit::image::internal {

ImageInfo probe_jpeg(ByteView bytes);
ImageInfo probe_png(ByteView bytes);
ImageInfo probe_webp(ByteView bytes);
ImageInfo probe_gif(ByteView bytes);
ImageInfo probe_bmp(ByteView bytes);

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

// Throws Error(kLimit) worded like Pillow's DecompressionBombError when
// width * height exceeds max_pixels, and kCorrupt for a zero dimension.
void check_pixel_limit(std::string_view format, uint64_t width, uint64_t height,
                       uint64_t max_pixels);

// An image of the given size with zeroed pixels (black), the state Pillow
// leaves pixels in when a truncated file does not reach them.
RgbImage new_rgb(uint32_t width, uint32_t height);

// The EXIF Orientation tag (1..8) of a TIFF-structured EXIF block (starting
// at "II*\0" or "MM\0*", optionally preceded by "Exif\0\0"), or 1.
int exif_orientation(ByteView exif);

// The EXIF block of a JPEG (APP1), PNG (eXIf) or WebP (EXIF chunk); empty
// when there is none.
ByteView find_exif(ImageFormat format, ByteView bytes);

// Applies orientation 2..8 like ImageOps.exif_transpose.
RgbImage apply_orientation(RgbImage image, int orientation);

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
