// Image files: probe (format and size from the headers), decode to RGB the
// way the training pipeline's Pillow does, and encode PNG/JPEG.
//
// decode_rgb() is pixel-identical to Pillow's
//   ImageFile.LOAD_TRUNCATED_IMAGES = True
//   numpy.asarray(Image.open(f).convert("RGB"))
// for the formats below (each decoder's file in src/image/ says more). In
// Pillow's terms:
//   - JPEG: libjpeg-turbo with ISLOW DCT and fancy upsampling (Pillow's
//     defaults); grey replicated; CMYK (Adobe-inverted when the APP14 Adobe
//     marker says so, as Pillow's "CMYK;I") through Pillow's cmyk2rgb
//     formula; arithmetic coding and progressive supported; 12-bit JPEGs are
//     kUnsupported (Pillow cannot open them either).
//   - PNG: every color type and bit depth; 16-bit RGB(A) and grey+alpha keep
//     the high byte; 16-bit grey (Pillow's "I;16") clips to 255; palette
//     colors as stored; tRNS and alpha dropped, never composited; gamma and
//     ICC profiles ignored (Pillow ignores them too). Damaged image data is
//     read as Pillow reads it (zlib fed IDAT chunk by chunk): the whole rows
//     before a cut, a zlib error or a filter type above 4 are kept; a wrong
//     adler32 costs the last row when zlib meets it together with the end of
//     the data (one IDAT chunk holding the stream's end), nothing otherwise;
//     a chunk other than IDAT cut short after the image data fails.
//   - WebP: lossy and lossless, alpha dropped; animated: the first frame.
//   - GIF: the first frame on a canvas of the logical screen size (grown to
//     the frame when the frame is larger), palette colors as stored (the
//     transparent index keeps its color), the canvas outside the frame filled
//     with the transparent index when there is one, else index 0.
//   - BMP: 1/4/8-bit palette, 24-bit, 32-bit (BI_RGB or BI_BITFIELDS with
//     byte-aligned masks); RLE and 16-bit BMPs are kUnsupported.
//   - TIFF (libtiff): the first image; bilevel, 2/4/8-bit grey, grey+alpha,
//     16-bit grey ("I;16", clipped to 255), signed 16/32-bit integers ("I")
//     and 32-bit floats ("F") clipped to 0..255, 1/2/4/8-bit palettes, RGB(A)
//     at 8 and 16 bits (high byte; premultiplied alpha undone as Pillow
//     does), CMYK, YCbCr; strips or tiles, contiguous or planar, either byte
//     order, every compression libtiff has; the Orientation tag applied (as
//     Pillow's TIFF loader does). Uncompressed data keeps the whole rows a
//     cut file holds; compressed data that libtiff cannot read fails, as in
//     Pillow. LAB and Pillow's unknown layouts are kUnsupported.
//   - PPM/PGM/PBM (P1..P6): 1 is black in bilevel files; samples scaled to
//     0..255 as round(v / maxval * 255) (half to even), except 16-bit grey,
//     which Pillow keeps as "I" and clips to 255; binary files at maxval 255
//     (and P5 at 65535) keep the whole rows of a cut file, other cut or
//     malformed files fail as in Pillow.
//   - TGA: color-mapped, truecolor (16-bit as 5-5-5) and grey, raw or RLE,
//     any origin; a cut file keeps its whole rows; an RLE run crossing a row
//     ends the decoding there, as in Pillow.
//   - ICO: the entry Pillow picks (largest, then fewest colors), a PNG or a
//     DIB (its upper half: the picture; the AND mask is alpha, dropped).
//   - PCX: bilevel, 2/4-plane 16 colors, 8-bit grey or 256 colors, 24-bit.
//   - JPEG 2000 (OpenJPEG): JP2 files and raw J2K codestreams; grey, grey +
//     alpha, RGB(A), CMYK (JP2), more than 8 bits scaled to 8 with rounding
//     (a 1-component image over 8 bits is "I;16", clipped); tiles decoded as
//     far as the data goes, the rest black. Palette (pclr) JP2 files are
//     kUnsupported.
//   - AVIF (libavif): the first image; alpha dropped; 8-bit pictures exact;
//     10/12-bit ones within a few levels (docs/reliability.md).
// Truncated files decode as far as the data goes: the missing part is what
// Pillow leaves there (JPEG: what libjpeg makes of an early EOI marker; PNG,
// GIF, BMP, TIFF, PPM, TGA, ICO, PCX: zero samples, i.e. black or palette
// entry 0; JPEG 2000: the tiles decoded); AVIF and compressed TIFF fail, as
// in Pillow. Palette indices past the end of the palette are black, as in
// Pillow.
//
// Thread-safety: every function is reentrant; no shared state.
#pragma once

#include <cstdint>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/names.h"

namespace mimicit::image {

enum class ImageFormat {
  kUnknown,
  kJpeg,
  kPng,
  kWebp,
  kGif,
  kBmp,
  kTiff,
  kPpm,
  kTga,
  kIco,
  kPcx,
  kJpeg2000,
  kAvif
};

// Pillow's name of the format in lower case (Image.format).
inline constexpr NameTable<ImageFormat> kImageFormatNames{"image format",
                                                          {{ImageFormat::kUnknown, "unknown"},
                                                           {ImageFormat::kJpeg, "jpeg"},
                                                           {ImageFormat::kPng, "png"},
                                                           {ImageFormat::kWebp, "webp"},
                                                           {ImageFormat::kGif, "gif"},
                                                           {ImageFormat::kBmp, "bmp"},
                                                           {ImageFormat::kTiff, "tiff"},
                                                           {ImageFormat::kPpm, "ppm"},
                                                           {ImageFormat::kTga, "tga"},
                                                           {ImageFormat::kIco, "ico"},
                                                           {ImageFormat::kPcx, "pcx"},
                                                           {ImageFormat::kJpeg2000, "jpeg2000"},
                                                           {ImageFormat::kAvif, "avif"}}};
inline const char* format_name(ImageFormat format) { return kImageFormatNames.name(format); }

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

// Pillow's default MAX_IMAGE_PIXELS (Pillow warns above it and refuses
// above twice it; mimicit refuses above it).
inline constexpr uint64_t kPillowMaxPixels = 89478485;
// The limit the reference's training setup sets (Image.MAX_IMAGE_PIXELS =
// 1_000_000_000): the default of the training path (PreprocessOptions,
// hence Dataset, Loader, bench loader) and of validate's decode pass. At
// the limit one decoded RGB image takes 3 GB (docs/reliability.md).
inline constexpr uint64_t kReferenceMaxPixels = 1000000000;

struct DecodeOptions {
  // Images with more pixels fail with Error(kLimit) before any pixel memory
  // is allocated. The default is Pillow's (kPillowMaxPixels), as a script
  // calling Image.open() gets; training uses kReferenceMaxPixels.
  uint64_t max_pixels = kPillowMaxPixels;
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
