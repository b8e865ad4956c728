// PCX, parsed here (no library), as Pillow's PcxImagePlugin and
// PcxDecode.c read it, then convert("RGB"):
//   - 1 bit x 1 plane (bilevel), 1 bit x 2 or 4 planes (16-color header
//     palette), version 5 at 8 bits x 1 plane (grey, or the 256-color
//     palette that follows a 0x0C byte 769 bytes before the end of the file
//     unless that palette is the identity grey ramp) and 8 bits x 3 planes
//     (RGB); anything else is Pillow's "unknown PCX mode" (kUnsupported);
//   - the size is the header's bounding box; each row is run-length
//     decoded into planes x stride bytes, where the stride is Pillow's own
//     (the header's is not trusted), and a run that overflows the row is cut
//     there;
//   - a cut file keeps its whole rows, the others stay black (palette
//     entry 0).
#include <cstring>
#include <vector>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

constexpr size_t kHeaderBytes = 128;

struct PcxHeader {
  uint8_t version = 0, bits = 0, planes = 0;
  uint32_t width = 0, height = 0;
  size_t stride = 0;  // bytes per plane and row
};

bool accept(ByteView b) {
  return b.size() >= 2 && b[0] == 10 && (b[1] == 0 || b[1] == 2 || b[1] == 3 || b[1] == 5);
}

PcxHeader parse_header(ByteView b) {
  if (!accept(b)) fail_corrupt("pcx: not a PCX file");
  if (b.size() < 68) fail_corrupt("pcx: truncated header");
  PcxHeader h;
  h.version = b[1];
  h.bits = b[3];
  h.planes = b[65];
  const int x0 = load_le16(&b[4]), y0 = load_le16(&b[6]);
  const int x1 = load_le16(&b[8]) + 1, y1 = load_le16(&b[10]) + 1;
  if (x1 <= x0 || y1 <= y0) fail_corrupt("pcx: bad PCX image size");
  h.width = uint32_t(x1 - x0);
  h.height = uint32_t(y1 - y0);
  h.stride = (size_t(h.width) * h.bits + 7) / 8;
  if (load_le16(&b[66]) != h.stride) h.stride += h.stride % 2;
  return h;
}

enum class PcxMode { kBilevel, kPlanar, kGrey, kPalette, kRgb };

PcxMode mode_of(const PcxHeader& h, ByteView b) {
  if (h.bits == 1 && h.planes == 1) return PcxMode::kBilevel;
  if (h.bits == 1 && (h.planes == 2 || h.planes == 4)) return PcxMode::kPlanar;
  if (h.version == 5 && h.bits == 8 && h.planes == 3) return PcxMode::kRgb;
  if (h.version == 5 && h.bits == 8 && h.planes == 1) {
    if (b.size() < 769 || b[b.size() - 769] != 12) return PcxMode::kGrey;
    const uint8_t* palette = &b[b.size() - 768];
    for (int i = 0; i < 256; ++i) {
      if (palette[3 * i] != i || palette[3 * i + 1] != i || palette[3 * i + 2] != i) return PcxMode::kPalette;
    }
    return PcxMode::kGrey;
  }
  fail_unsupported("pcx: unknown PCX mode ({} bits x {} planes, version {})", h.bits, h.planes, h.version);
}

// One decoded row (planes x stride bytes) to RGB.
void convert_row(const PcxHeader& h, PcxMode mode, const uint8_t* palette, const uint8_t* row, uint8_t* out) {
  const size_t plane = mode == PcxMode::kRgb ? h.stride : 0;
  for (uint32_t x = 0; x < h.width; ++x, out += 3) {
    switch (mode) {
      case PcxMode::kBilevel: out[0] = out[1] = out[2] = (row[x >> 3] >> (7 - (x & 7))) & 1 ? 255 : 0; break;
      case PcxMode::kPlanar: {
        unsigned index = 0;
        for (unsigned p = 0; p < h.planes; ++p)
          index |= ((row[p * h.stride + (x >> 3)] >> (7 - (x & 7))) & 1) << p;
        std::memcpy(out, palette + 3 * index, 3);
        break;
      }
      case PcxMode::kGrey: out[0] = out[1] = out[2] = row[x]; break;
      case PcxMode::kPalette: std::memcpy(out, palette + 3 * row[x], 3); break;
      case PcxMode::kRgb: out[0] = row[x], out[1] = row[plane + x], out[2] = row[2 * plane + x]; break;
    }
  }
}

}  // namespace

bool looks_like_pcx(ByteView b) { return accept(b); }

ImageInfo probe_pcx(ByteView b) {
  const PcxHeader h = parse_header(b);
  ImageInfo info;
  info.format = ImageFormat::kPcx;
  info.width = h.width;
  info.height = h.height;
  info.channels_in_file = h.planes == 3 ? 3 : 1;
  info.bits_per_channel = h.bits;
  return info;
}

RgbImage decode_pcx(ByteView bytes, uint64_t max_pixels) {
  const PcxHeader h = parse_header(bytes);
  const PcxMode mode = mode_of(h, bytes);
  check_pixel_limit("pcx", h.width, h.height, max_pixels);
  uint8_t palette[256 * 3] = {};
  if (mode == PcxMode::kPlanar) std::memcpy(palette, &bytes[16], 48);
  if (mode == PcxMode::kPalette) std::memcpy(palette, &bytes[bytes.size() - 768], 768);
  RgbImage image = new_rgb(h.width, h.height);
  const size_t row_bytes = size_t(h.planes) * h.stride;
  std::vector<uint8_t> row(row_bytes, 0);
  size_t x = 0, pos = kHeaderBytes;
  uint32_t y = 0;
  while (pos < bytes.size() && y < h.height) {
    if ((bytes[pos] & 0xC0) == 0xC0) {  // a run
      if (bytes.size() - pos < 2) break;
      for (unsigned n = bytes[pos] & 0x3F; n > 0 && x < row_bytes; --n) row[x++] = bytes[pos + 1];
      pos += 2;
    } else {
      row[x++] = bytes[pos++];
    }
    if (x >= row_bytes) {
      convert_row(h, mode, palette, row.data(), &image.pixels[size_t(y) * h.width * 3]);
      x = 0;
      ++y;
    }
  }
  if (mode == PcxMode::kPlanar || mode == PcxMode::kPalette) {  // rows never read: index 0
    for (size_t i = size_t(y) * h.width; i < size_t(h.width) * h.height; ++i)
      std::memcpy(&image.pixels[3 * i], palette, 3);
  }
  return image;
}

}  // namespace mimicit::image::internal
