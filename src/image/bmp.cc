// BMP, parsed here (no library), and the DIBs inside ICO files (ico.cc).
// Follows Pillow's BmpImagePlugin: OS/2 core
// (12-byte) and Windows v3..v5 headers; 1/4/8-bit palettes (BGR or BGRX
// entries, `colors` entries or 2^bits), 24-bit BGR, 32-bit BGRX or the
// byte-aligned BI_BITFIELDS layouts Pillow accepts; rows bottom-up unless the
// height is negative. A truncated pixel array keeps the rows present (a
// row needs its own bytes, not its padding); the others stay zero (black,
// or palette entry 0), as in Pillow; a cut palette keeps its whole entries,
// black past them. RLE and 16-bit BMPs are kUnsupported.
#include <algorithm>
#include <cstring>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct BmpHeader {
  uint32_t header_size = 0;
  uint32_t width = 0;
  uint32_t height = 0;
  bool top_down = false;
  int bits = 0;
  uint32_t compression = 0;
  uint32_t colors = 0;
  uint32_t masks[4] = {0, 0, 0, 0};  // r, g, b, a (BI_BITFIELDS)
  size_t palette_offset = 0;
  size_t palette_entry = 4;  // bytes per palette entry
  size_t data_offset = 0;
};

constexpr uint32_t kRaw = 0, kRle8 = 1, kRle4 = 2, kBitfields = 3;

// The info header at `at` (its size field first), as Pillow's _bitmap reads
// it; data_offset is left to the callers.
BmpHeader parse_info_header(ByteView b, size_t at) {
  if (b.size() < at + 16) fail_corrupt("bmp: truncated header");
  BmpHeader h;
  h.header_size = load_le32(&b[at]);
  const uint8_t* d = &b[at + 4];
  if (h.header_size == 12) {
    h.width = load_le16(d);
    h.height = load_le16(d + 2);
    h.bits = load_le16(d + 6);
    h.palette_entry = 3;
  } else if (h.header_size == 40 || h.header_size == 52 || h.header_size == 56 || h.header_size == 64 ||
             h.header_size == 108 || h.header_size == 124) {
    if (b.size() < at + size_t(h.header_size)) fail_corrupt("bmp: truncated header");
    h.width = load_le32(d);
    uint32_t height = load_le32(d + 4);
    h.top_down = d[7] == 0xFF;  // negative height (Pillow tests the top byte)
    h.height = h.top_down ? uint32_t(0) - height : height;
    h.bits = load_le16(d + 10);
    h.compression = load_le32(d + 12);
    h.colors = load_le32(d + 28);
    if (h.compression == kBitfields) {
      // 40-byte headers keep r, g, b masks after the header; later ones inside.
      size_t masks = h.header_size >= 52 ? at + 40 : at + h.header_size;
      int count = h.header_size >= 56 ? 4 : 3;
      if (b.size() < masks + 4 * size_t(count)) fail_corrupt("bmp: truncated bitfield masks");
      for (int i = 0; i < count; ++i) h.masks[i] = load_le32(&b[masks + 4 * i]);
    }
  } else {
    fail_unsupported("bmp: unsupported BMP header type ({})", h.header_size);
  }
  h.palette_offset = at + h.header_size;
  if (h.colors == 0 && h.bits <= 8) h.colors = 1u << h.bits;
  return h;
}

BmpHeader parse_header(ByteView b) {
  if (b.size() < 26) fail_corrupt("bmp: truncated header");
  BmpHeader h = parse_info_header(b, 14);
  h.data_offset = load_le32(&b[10]);
  if (h.data_offset == 14 + h.header_size && h.bits <= 8) h.data_offset += h.palette_entry * h.colors;
  return h;
}

// A DIB (an ICO frame): no file header, the pixels right after the
// header, the masks a 40-byte header's bitfields add, and the palette.
BmpHeader parse_dib_header(ByteView b, size_t at) {
  BmpHeader h = parse_info_header(b, at);
  h.data_offset = at + h.header_size;
  if (h.compression == kBitfields && h.header_size == 40) h.data_offset += 12;
  if (h.bits <= 8) h.data_offset += h.palette_entry * h.colors;
  return h;
}

// Byte index (0..3) of each of r, g, b in a 32-bit pixel, from the masks.
bool byte_lanes(const uint32_t* masks, int lanes[3]) {
  for (int c = 0; c < 3; ++c) {
    lanes[c] = -1;
    for (int k = 0; k < 4; ++k)
      if (masks[c] == 0xFFu << (8 * k)) lanes[c] = k;
    if (lanes[c] < 0) return false;
  }
  return true;
}

void check_supported(const BmpHeader& h, int lanes[3]) {
  lanes[0] = 2, lanes[1] = 1, lanes[2] = 0;  // BGR(X)
  if (h.bits != 1 && h.bits != 4 && h.bits != 8 && h.bits != 24 && h.bits != 32) {
    fail_unsupported("bmp: unsupported BMP pixel depth ({})", h.bits);
  }
  if (h.compression == kRle8 || h.compression == kRle4) {
    fail_unsupported("bmp: RLE-compressed BMP is not supported");
  }
  if (h.compression == kBitfields) {
    bool all_zero = !h.masks[0] && !h.masks[1] && !h.masks[2] && !h.masks[3];  // Pillow: BGRA
    if (h.bits < 24 || (!all_zero && !byte_lanes(h.masks, lanes))) {
      fail_unsupported("bmp: unsupported BMP bitfields layout");
    }
  } else if (h.compression != kRaw) {
    fail_unsupported("bmp: unsupported BMP compression ({})", h.compression);
  }
  if (h.bits <= 8 && (h.colors == 0 || h.colors > 65536)) {
    fail_unsupported("bmp: unsupported BMP palette size ({})", h.colors);
  }
}

// Pillow drops a palette of grey levels (entry i = (i, i, i), or black and
// white for two colors): the image is "L" (or "1"), whose samples are their
// own grey levels, indices past the palette included. Otherwise it keeps the
// entries the file holds, a cut palette included, black past them.
void load_palette(ByteView b, const BmpHeader& h, uint8_t* palette) {
  std::memset(palette, 0, 256 * 3);
  const size_t available = h.palette_offset < b.size() ? b.size() - h.palette_offset : 0;
  const size_t entries = std::min<size_t>(h.colors, available / h.palette_entry);
  bool grey = entries == h.colors;
  for (size_t i = 0; i < entries; ++i) {
    const uint8_t* e = &b[h.palette_offset + i * h.palette_entry];
    const uint8_t level = h.colors == 2 ? uint8_t(i * 255) : uint8_t(i);
    grey = grey && e[0] == level && e[1] == level && e[2] == level;
    if (i < 256) palette[3 * i] = e[2], palette[3 * i + 1] = e[1], palette[3 * i + 2] = e[0];
  }
  if (grey && h.colors != 2) {
    for (int i = 0; i < 256; ++i) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = uint8_t(i);
  }
}

void convert_row(const BmpHeader& h, const int lanes[3], const uint8_t* palette, const uint8_t* in,
                 uint8_t* out) {
  if (h.bits <= 8) {
    for (uint32_t x = 0; x < h.width; ++x, out += 3) {
      size_t bit = size_t(x) * h.bits;
      uint8_t index = uint8_t((in[bit >> 3] >> (8 - h.bits - (bit & 7))) & ((1 << h.bits) - 1));
      std::memcpy(out, palette + 3 * index, 3);
    }
    return;
  }
  size_t step = size_t(h.bits / 8);
  for (uint32_t x = 0; x < h.width; ++x, in += step, out += 3) {
    out[0] = in[lanes[0]];
    out[1] = in[lanes[1]];
    out[2] = in[lanes[2]];
  }
}

RgbImage decode_bitmap(ByteView bytes, const BmpHeader& h) {
  int lanes[3];
  check_supported(h, lanes);
  uint8_t palette[256 * 3];
  if (h.bits <= 8) load_palette(bytes, h, palette);
  size_t stride = ((size_t(h.width) * h.bits + 31) >> 3) & ~size_t(3);
  RgbImage image = new_rgb(h.width, h.height);
  // Pillow's raw decoder needs a row's own bytes; the padding only before
  // the next row.
  const size_t row_bytes = (size_t(h.width) * h.bits + 7) / 8;
  std::vector<uint8_t> zero_row(stride, 0);
  for (uint32_t i = 0; i < h.height; ++i) {
    size_t at = h.data_offset + i * stride;
    bool present = at <= bytes.size() && bytes.size() - at >= row_bytes;
    const uint8_t* row = present ? &bytes[at] : zero_row.data();
    uint32_t y = h.top_down ? i : h.height - 1 - i;
    convert_row(h, lanes, palette, row, &image.pixels[size_t(y) * h.width * 3]);
  }
  return image;
}

}  // namespace

ImageInfo probe_bmp(ByteView b) {
  BmpHeader h = parse_header(b);
  ImageInfo info;
  info.format = ImageFormat::kBmp;
  info.width = h.width;
  info.height = h.height;
  info.channels_in_file = h.bits == 32 && h.compression == kBitfields && h.masks[3] ? 4 : 3;
  if (h.width == 0 || h.height == 0) fail_corrupt("bmp: header gives size {}x{}", h.width, h.height);
  return info;
}

RgbImage decode_bmp(ByteView bytes, uint64_t max_pixels) {
  BmpHeader h = parse_header(bytes);
  int lanes[3];
  check_supported(h, lanes);
  check_pixel_limit("bmp", h.width, h.height, max_pixels);
  return decode_bitmap(bytes, h);
}

DibSize dib_size(ByteView bytes, size_t at) {
  const BmpHeader h = parse_dib_header(bytes, at);
  return {h.width, h.height};
}

RgbImage decode_ico_dib(ByteView bytes, size_t at, uint64_t max_pixels) {
  BmpHeader h = parse_dib_header(bytes, at);
  int lanes[3];
  check_supported(h, lanes);
  h.height /= 2;  // the XOR image; the AND mask (transparency) follows
  // Pillow refuses a DIB over twice its limit, mask included: the picture
  // over the limit.
  check_pixel_limit("ico", h.width, h.height, max_pixels);
  return decode_bitmap(bytes, h);
}

}  // namespace mimicit::image::internal
