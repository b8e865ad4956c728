// Format sniffing, dispatch, and the helpers shared by the decoders.
#include "mimicit/image.h"

#include <cstring>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image {

using namespace internal;

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kGif: return "gif";
    case ImageFormat::kBmp: return "bmp";
    case ImageFormat::kUnknown: break;
  }
  return "unknown";
}

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

[[noreturn]] void fail_unknown(ByteView b) {
  fail_corrupt("image: unknown format ({})", head_hex(b));
}

}  // namespace

ImageInfo probe(ByteView bytes) {
  switch (sniff_format(bytes)) {
    case ImageFormat::kJpeg: return probe_jpeg(bytes);
    case ImageFormat::kPng: return probe_png(bytes);
    case ImageFormat::kWebp: return probe_webp(bytes);
    case ImageFormat::kGif: return probe_gif(bytes);
    case ImageFormat::kBmp: return probe_bmp(bytes);
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
    case ImageFormat::kUnknown: fail_unknown(bytes);
  }
  if (options.apply_exif_orientation) {
    int orientation = exif_orientation(find_exif(format, bytes));
    if (orientation != 1) image = apply_orientation(std::move(image), orientation);
  }
  return image;
}

namespace internal {

void check_pixel_limit(std::string_view format, uint64_t width, uint64_t height,
                       uint64_t max_pixels) {
  if (width == 0 || height == 0) fail_corrupt("{}: empty image ({}x{})", format, width, height);
  uint64_t pixels = width * height;  // both < 2^32: no overflow
  if (pixels > max_pixels) {
    fail(ErrorCode::kLimit,
         "{}: image size ({} pixels) exceeds limit of {} pixels, could be decompression bomb "
         "DOS attack",
         format, pixels, max_pixels);
  }
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
