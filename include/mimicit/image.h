// Image files: probe (format and size from the headers), decode to RGB the
// way the training pipeline's Pillow does, and encode PNG/JPEG.
//
// decode_rgb() is pixel-identical to Pillow's
//   ImageFile.LOAD_TRUNCATED_IMAGES = True
//   numpy.asarray(Image.open(f).convert("RGB"))
// for the formats below. In Pillow's terms:
//   - JPEG: libjpeg-turbo with ISLOW DCT and fancy upsampling (Pillow's
//     defaults); grey replicated; CMYK (Adobe-inverted when the APP14 Adobe
//     marker says so, as Pillow's "CMYK;I") through Pillow's cmyk2rgb
//     formula; arithmetic coding and progressive supported; 12-bit JPEGs are
//     kUnsupported (Pillow cannot open them either).
//   - PNG: every color type and bit depth; 16-bit RGB(A) and grey+alpha keep
//     the high byte; 16-bit grey (Pillow's "I;16") clips to 255; palette
//     colors as stored; tRNS and alpha dropped, never composited; gamma and
//     ICC profiles ignored (Pillow ignores them too).
//   - WebP: lossy and lossless, alpha dropped; animated: the first frame.
//   - GIF: the first frame on a canvas of the logical screen size (grown to
//     the frame when the frame is larger), palette colors as stored (the
//     transparent index keeps its color), the canvas outside the frame filled
//     with the transparent index when there is one, else index 0.
//   - BMP: 1/4/8-bit palette, 24-bit, 32-bit (BI_RGB or BI_BITFIELDS with
//     byte-aligned masks); RLE and 16-bit BMPs are kUnsupported.
// Truncated files decode as far as the data goes: the missing part is what
// Pillow leaves there (JPEG: what libjpeg makes of an early EOI marker; PNG,
// GIF, BMP: zero samples, i.e. black or palette entry 0). Palette indices
// past the end of the palette are black, as in Pillow.
//
// Thread-safety: every function is reentrant; no shared state.
#pragma once

#include <cstdint>
#include <vector>

#include "mimicit/bytes.h"

namespace mimicit::image {

enum class ImageFormat {
  kUnknown, kJpeg, kPng, kWebp, kGif, kBmp, kTiff, kPpm, kTga, kIco, kPcx, kJpeg2000, kAvif
};

// Pillow's name of the format in lower case (Image.format): "jpeg", "png",
// "webp", "gif", "bmp", "tiff", "ppm", "tga", "ico", "pcx", "jpeg2000",
// "avif"; or "unknown".
const char* format_name(ImageFormat format);

struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  uint32_t width = 0;
  uint32_t height = 0;
  // Channels the file stores: 1 grey, 2 grey+alpha, 3 color, 4 color+alpha
  // or CMYK. Palette images count their palette's channels (3, or 4 with a
  // PNG tRNS chunk / GIF transparency).
  int channels_in_file = 0;
  int bits_per_channel = 8;  // 1..16 for PNG, 12 for 12-bit JPEG
  bool animated = false;     // GIF/WebP/APNG with more than one frame (when the header says so)
};

// Format from the magic bytes and dimensions from the headers, without
// decoding pixels. Reads at most a few headers, so it is cheap enough to run
// over millions of images. Unknown or garbled headers -> Error(kCorrupt)
// naming the format and the reason.
ImageInfo probe(ByteView bytes);

// Format from the magic bytes alone; kUnknown when no format matches.
ImageFormat sniff_format(ByteView bytes);

// Pixels in row-major order, 3 bytes (R, G, B) per pixel, no row padding.
struct RgbImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3 bytes
};

struct DecodeOptions {
  // Images with more pixels fail with Error(kLimit) before any pixel memory
  // is allocated. The default is Pillow's MAX_IMAGE_PIXELS (Pillow warns
  // above it and refuses above twice it; mimicit refuses above it).
  uint64_t max_pixels = 89478485;
  // Rotate/flip by the EXIF Orientation tag, as ImageOps.exif_transpose.
  // Off by default: the reference pipeline does not apply it.
  bool apply_exif_orientation = false;
};

// Decodes any supported format to RGB exactly as Pillow's convert("RGB").
// Errors: kCorrupt (undecodable: "<format>: <decoder's reason>"),
// kUnsupported (valid but out of scope, e.g. 12-bit JPEG), kLimit (pixels).
RgbImage decode_rgb(ByteView bytes, const DecodeOptions& options = {});

// Encoders (8-bit RGB); `out` is replaced by the file bytes. PNG:
// compression_level 0..9 (zlib). JPEG: quality 1..100, 4:2:0 chroma
// subsampling (Pillow's default). Bad arguments -> Error(kInvalidArgument).
void encode_png(const RgbImage& image, Buffer& out, int compression_level = 6);
// PNG built for speed: every row filtered with Up (no per-row choice among
// five filters) and the image deflated at once by libdeflate's level 1.
// On 640x480 photographs (docs/benchmarks.md, "PNG encoding"): ~16x faster
// than zlib level 6 (which Pillow uses), ~5x faster than level 1, as small
// as level 1 and ~7 % larger than level 6. Images over ~11 Mpixels use
// zlib's run-length strategy (Z_RLE) instead, to bound memory.
void encode_png_fast(const RgbImage& image, Buffer& out);
void encode_jpeg(const RgbImage& image, Buffer& out, int quality = 95);

// Resizes to width x height (aspect ratio not kept) pixel-identically to
// Pillow 13's `image.resize((width, height), Image.BICUBIC)` on an RGB image:
// bicubic kernel a = -0.5 stretched by the downscale factor (antialiased),
// Pillow's fixed-point 8-bit arithmetic, two separable passes each rounding
// to 8 bits, in Pillow 13's order (vertical first when the height shrinks by
// more than twice as many pixels as the width; Pillow <= 12 always went
// horizontal first, so it differs by a few levels in those cases). A pass
// whose size does not change is skipped: the same size returns a copy.
// Errors: kInvalidArgument for a zero or > INT32_MAX width/height (target
// or source), or when `in.pixels` does not hold width * height * 3 bytes.
RgbImage resize_bicubic(const RgbImage& in, uint32_t width, uint32_t height);

}  // namespace mimicit::image
