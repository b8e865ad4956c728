// Format sniffing, dispatch, and the helpers shared by the decoders.
#include "mimicit/image.h"

#include <cstring>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image {

using namespace internal;

ImageFormat sniff_format(ByteView b) {
  auto starts = [&](const char* magic, size_t offset = 0) {
    size_t n = std::strlen(magic);
    return b.size() >= offset + n && std::memcmp(b.data() + offset, magic, n) == 0;
  };
  if (starts("\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (starts("RIFF") && starts("WEBP", 8)) return ImageFormat::kWebp;
  if (starts("GIF87a") || starts("GIF89a")) return ImageFormat::kGif;
  if (starts("BM")) return ImageFormat::kBmp;
  // Pillow's PPM magics (P1..P6, and the variants ppm.cc refuses), ended
  // by whitespace.
  auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (const char* magic : {"P1", "P2", "P3", "P4", "P5", "P6", "Pf", "P0CMYK", "PyP", "PyRGBA", "PyCMYK"}) {
    const size_t n = std::strlen(magic);
    if (starts(magic) && (b.size() == n || space(b[n]))) return ImageFormat::kPpm;
  }
  auto starts4 = [&](const char* magic) { return b.size() >= 4 && std::memcmp(b.data(), magic, 4) == 0; };
  // TIFF and BigTIFF (Pillow's prefixes, odd byte orders included).
  for (const char* magic : {"MM\0*", "II*\0", "MM*\0", "II\0*", "MM\0+", "II+\0"}) {
    if (starts4(magic)) return ImageFormat::kTiff;
  }
  if (starts4("\0\0\1\0")) return ImageFormat::kIco;
  if (starts4("\xFF\x4F\xFF\x51")) return ImageFormat::kJpeg2000;
  if (b.size() >= 12 && std::memcmp(b.data(), "\0\0\0\x0CjP  \r\n\x87\n", 12) == 0)
    return ImageFormat::kJpeg2000;
  if (starts("ftyp", 4) &&
      (starts("avif", 8) || starts("avis", 8) || starts("mif1", 8) || starts("msf1", 8))) {
    return ImageFormat::kAvif;
  }
  if (looks_like_pcx(b)) return ImageFormat::kPcx;
  if (looks_like_tga(b)) return ImageFormat::kTga;
  return ImageFormat::kUnknown;
}

namespace {

// The first bytes in hex, so that "not an image" errors show what it was
// (often HTML or JSON from a failed download).
std::string head_hex(ByteView b) {
  std::string out;
  for (size_t i = 0; i < b.size() && i < 8; ++i) out += fmt::format("{:02x}", b[i]);
  return out.empty() ? "empty input" : "starts with " + out;
}

[[noreturn]] void fail_unknown(ByteView b) { fail_corrupt("image: unknown format ({})", head_hex(b)); }

}  // namespace

ImageInfo probe(ByteView bytes) {
  switch (sniff_format(bytes)) {
    case ImageFormat::kJpeg: return probe_jpeg(bytes);
    case ImageFormat::kPng: return probe_png(bytes);
    case ImageFormat::kWebp: return probe_webp(bytes);
    case ImageFormat::kGif: return probe_gif(bytes);
    case ImageFormat::kBmp: return probe_bmp(bytes);
    case ImageFormat::kTiff: return probe_tiff(bytes);
    case ImageFormat::kPpm: return probe_ppm(bytes);
    case ImageFormat::kTga: return probe_tga(bytes);
    case ImageFormat::kIco: return probe_ico(bytes);
    case ImageFormat::kPcx: return probe_pcx(bytes);
    case ImageFormat::kJpeg2000: return probe_jpeg2000(bytes);
    case ImageFormat::kAvif: return probe_avif(bytes);
    case ImageFormat::kUnknown: break;
  }
  fail_unknown(bytes);
}

RgbImage decode_rgb(ByteView bytes, const DecodeOptions& options) {
  ImageFormat format = sniff_format(bytes);
  RgbImage image;
  switch (format) {
    case ImageFormat::kJpeg: image = decode_jpeg(bytes, options.max_pixels); break;
    case ImageFormat::kPng: image = decode_png(bytes, options.max_pixels); break;
    case ImageFormat::kWebp: image = decode_webp(bytes, options.max_pixels); break;
    case ImageFormat::kGif: image = decode_gif(bytes, options.max_pixels); break;
    case ImageFormat::kBmp: image = decode_bmp(bytes, options.max_pixels); break;
    case ImageFormat::kTiff: image = decode_tiff(bytes, options.max_pixels); break;
    case ImageFormat::kPpm: image = decode_ppm(bytes, options.max_pixels); break;
    case ImageFormat::kTga: image = decode_tga(bytes, options.max_pixels); break;
    case ImageFormat::kIco: image = decode_ico(bytes, options.max_pixels); break;
    case ImageFormat::kPcx: image = decode_pcx(bytes, options.max_pixels); break;
    case ImageFormat::kJpeg2000: image = decode_jpeg2000(bytes, options.max_pixels); break;
    case ImageFormat::kAvif: image = decode_avif(bytes, options.max_pixels); break;
    case ImageFormat::kUnknown: fail_unknown(bytes);
  }
  if (options.apply_exif_orientation) {
    int orientation = exif_orientation(find_exif(format, bytes));
    if (orientation != 1) image = apply_orientation(std::move(image), orientation);
  }
  return image;
}

namespace internal {

void check_pixel_limit(std::string_view format, uint64_t width, uint64_t height, uint64_t max_pixels) {
  if (width == 0 || height == 0) fail_corrupt("{}: empty image ({}x{})", format, width, height);
  uint64_t pixels = width * height;  // both < 2^32: no overflow
  if (pixels > max_pixels) {
    fail(ErrorCode::kLimit,
         "{}: image size ({} pixels) exceeds limit of {} pixels, could be decompression bomb "
         "DOS attack",
         format, pixels, max_pixels);
  }
}

namespace {

// Pillow's YCbCr tables: (int)(coefficient * 64 * (v - 128) + 0.5) for
// R += 1.402 Cr, G += -0.34414 Cb - 0.71414 Cr, B += 1.772 Cb.
struct YccTables {
  int16_t r_cr[256], g_cb[256], g_cr[256], b_cb[256];
  constexpr YccTables() : r_cr(), g_cb(), g_cr(), b_cb() {
    for (int i = 0; i < 256; ++i) {
      r_cr[i] = int16_t(1.40200 * 64 * (i - 128) + 0.5);
      g_cb[i] = int16_t(-0.34414 * 64 * (i - 128) + 0.5);
      g_cr[i] = int16_t(-0.71414 * 64 * (i - 128) + 0.5);
      b_cb[i] = int16_t(1.77200 * 64 * (i - 128) + 0.5);
    }
  }
};
constexpr YccTables kYcc;

uint8_t clip8(int v) { return uint8_t(v <= 0 ? 0 : v >= 255 ? 255 : v); }

}  // namespace

void ycbcr_to_rgb_pixel(uint8_t y, uint8_t cb, uint8_t cr, uint8_t* rgb) {
  rgb[0] = clip8(y + (kYcc.r_cr[cr] >> 6));
  rgb[1] = clip8(y + ((kYcc.g_cb[cb] + kYcc.g_cr[cr]) >> 6));
  rgb[2] = clip8(y + (kYcc.b_cb[cb] >> 6));
}

RgbImage new_rgb(uint32_t width, uint32_t height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.assign(size_t(width) * height * 3, 0);
  return image;
}

}  // namespace internal
}  // namespace mimicit::image
