// EXIF orientation: finding the EXIF block, reading tag 0x0112, and the
// eight transposes of ImageOps.exif_transpose.
#include <cstring>

#include "image/decoders.h"

namespace mimicit::image::internal {
namespace {

bool has_prefix(ByteView b, size_t offset, const char* magic, size_t n) {
  return b.size() >= offset + n && std::memcmp(b.data() + offset, magic, n) == 0;
}

// JPEG: the first APP1 segment holding "Exif\0\0", before the first scan.
ByteView jpeg_exif(ByteView b) {
  size_t pos = 2;
  while (pos + 4 <= b.size() && b[pos] == 0xFF) {
    uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }                                             // fill byte
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan / end of image
    size_t length = load_be16(&b[pos + 2]);
    if (length < 2 || pos + 2 + length > b.size()) break;
    if (marker == 0xE1 && has_prefix(b, pos + 4, "Exif\0\0", 6)) {
      return b.subspan(pos + 10, length - 8);
    }
    pos += 2 + length;
  }
  return {};
}

// PNG: the eXIf chunk, anywhere before IEND.
ByteView png_exif(ByteView b) {
  size_t pos = 8;
  while (pos + 12 <= b.size()) {
    size_t length = load_be32(&b[pos]);
    if (length > b.size() - pos - 12) break;
    if (has_prefix(b, pos + 4, "eXIf", 4)) return b.subspan(pos + 8, length);
    if (has_prefix(b, pos + 4, "IEND", 4)) break;
    pos += 12 + length;
  }
  return {};
}

// WebP: the RIFF "EXIF" chunk.
ByteView webp_exif(ByteView b) {
  size_t pos = 12;
  while (pos + 8 <= b.size()) {
    size_t length = load_le32(&b[pos + 4]);
    if (length > b.size() - pos - 8) break;
    if (has_prefix(b, pos, "EXIF", 4)) return b.subspan(pos + 8, length);
    pos += 8 + length + (length & 1);
  }
  return {};
}

// Source pixel of output pixel (x, y) for an input of size w x h.
struct Mapping {
  bool swap;  // output is h x w
  int orientation;
  void source(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t& sx, uint32_t& sy) const {
    switch (orientation) {
      case 2:
        sx = w - 1 - x;
        sy = y;
        break;  // FLIP_LEFT_RIGHT
      case 3:
        sx = w - 1 - x;
        sy = h - 1 - y;
        break;  // ROTATE_180
      case 4:
        sx = x;
        sy = h - 1 - y;
        break;  // FLIP_TOP_BOTTOM
      case 5:
        sx = y;
        sy = x;
        break;  // TRANSPOSE
      case 6:
        sx = y;
        sy = h - 1 - x;
        break;  // ROTATE_270
      case 7:
        sx = w - 1 - y;
        sy = h - 1 - x;
        break;  // TRANSVERSE
      default:
        sx = w - 1 - y;
        sy = x;
        break;  // 8: ROTATE_90
    }
  }
};

}  // namespace

ByteView find_exif(ImageFormat format, ByteView bytes) {
  switch (format) {
    case ImageFormat::kJpeg: return jpeg_exif(bytes);
    case ImageFormat::kPng: return png_exif(bytes);
    case ImageFormat::kWebp: return webp_exif(bytes);
    default: return {};
  }
}

int exif_orientation(ByteView exif) {
  if (has_prefix(exif, 0, "Exif\0\0", 6)) exif = exif.subspan(6);
  if (exif.size() < 8) return 1;
  bool little = has_prefix(exif, 0, "II*\0", 4);
  if (!little && !has_prefix(exif, 0, "MM\0*", 4)) return 1;
  auto u16 = [&](size_t at) { return little ? load_le16(&exif[at]) : load_be16(&exif[at]); };
  auto u32 = [&](size_t at) { return little ? load_le32(&exif[at]) : load_be32(&exif[at]); };
  size_t ifd = u32(4);
  if (ifd > exif.size() - 2) return 1;
  size_t count = u16(ifd);
  for (size_t i = 0; i < count; ++i) {
    size_t entry = ifd + 2 + 12 * i;
    if (entry + 12 > exif.size()) break;
    if (u16(entry) != 0x0112) continue;
    int value = u16(entry + 2) == 3 ? u16(entry + 8) : 1;  // type SHORT, value inline
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

RgbImage apply_orientation(RgbImage in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  Mapping map{orientation >= 5, orientation};
  uint32_t w = in.width, h = in.height;
  RgbImage out;
  out.width = map.swap ? h : w;
  out.height = map.swap ? w : h;
  out.pixels.resize(in.pixels.size());
  for (uint32_t y = 0; y < out.height; ++y) {
    uint8_t* dst = &out.pixels[size_t(y) * out.width * 3];
    for (uint32_t x = 0; x < out.width; ++x, dst += 3) {
      uint32_t sx, sy;
      map.source(x, y, w, h, sx, sy);
      std::memcpy(dst, &in.pixels[(size_t(sy) * w + sx) * 3], 3);
    }
  }
  return out;
}

}  // namespace mimicit::image::internal
