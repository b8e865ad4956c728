// TGA (Targa), parsed here (no library), as Pillow's TgaImagePlugin and
// TgaRleDecode.c read it, then convert("RGB"):
//   - image types 1/9 (color-mapped, 8-bit indices; a 16-bit map is
//     BGRA;15Z, 24-bit BGR, 32-bit BGRA; entries before the map's first
//     index are black, as are indices past its end), 2/10 (truecolor: 16-bit
//     BGRA;15Z, 24-bit BGR, 32-bit BGRA) and 3/11 (grey, 8-bit; 16-bit is
//     grey+alpha; 1-bit is bilevel); types 9/10/11 are run-length encoded;
//   - bottom-up unless the descriptor's bit 5 says top-down; bit 4 flips
//     the image left to right;
//   - a cut file keeps its whole rows; the others stay black (palette entry
//     0 for color-mapped images). RLE as Pillow decodes it: a run may
//     not cross the end of a row (the decoding stops there, the rows done
//     are kept), a raw packet may, and a raw packet the file cuts is lost
//     whole. 1-bit RLE images stay black (Pillow's decoder makes no
//     progress on them).
// A header Pillow rejects ("not a TGA file", unknown mode or map depth) is
// kCorrupt; a known header Pillow has no decoder for (e.g. 16-bit indices)
// is kUnsupported.
#include <algorithm>
#include <cstring>
#include <vector>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct TgaHeader {
  uint8_t id_length = 0, colormap_type = 0, image_type = 0;
  uint16_t map_first = 0, map_length = 0;
  uint8_t map_depth = 0;
  uint32_t width = 0, height = 0;
  uint8_t depth = 0;
  bool top_down = false, mirrored = false;
  size_t data_offset = 0;
};

// The header checks of TgaImageFile._open; false when Pillow would say
// "not a TGA file" or "unknown TGA mode".
bool read_header(ByteView b, TgaHeader& h) {
  if (b.size() < 18) return false;
  h.id_length = b[0];
  h.colormap_type = b[1];
  h.image_type = b[2];
  h.map_first = load_le16(&b[3]);
  h.map_length = load_le16(&b[5]);
  h.map_depth = b[7];
  h.width = load_le16(&b[12]);
  h.height = load_le16(&b[14]);
  h.depth = b[16];
  const uint8_t flags = b[17];
  h.top_down = flags & 0x20;
  h.mirrored = flags & 0x10;
  if (h.colormap_type > 1 || h.width == 0 || h.height == 0) return false;
  if (h.depth != 1 && h.depth != 8 && h.depth != 16 && h.depth != 24 && h.depth != 32) return false;
  switch (h.image_type) {
    case 1:
    case 2:
    case 3:
    case 9:
    case 10:
    case 11: break;
    default: return false;
  }
  const size_t entry = h.map_depth == 16 ? 2 : h.map_depth == 24 ? 3 : 4;
  h.data_offset = 18 + size_t(h.id_length) + (h.colormap_type ? entry * h.map_length : 0);
  return true;
}

// Pillow's "BGRA;15Z" unpacker, color part.
void bgr15(const uint8_t* in, uint8_t* rgb) {
  const unsigned pixel = in[0] | in[1] << 8;
  rgb[2] = uint8_t((pixel & 31) * 255 / 31);
  rgb[1] = uint8_t(((pixel >> 5) & 31) * 255 / 31);
  rgb[0] = uint8_t(((pixel >> 10) & 31) * 255 / 31);
}

// How a row of the file's pixels becomes RGB.
struct RowFormat {
  enum Kind { kIndex, kBilevel, kGrey, kGreyAlpha, kBgr15, kBgr, kBgra } kind = kGrey;
  size_t pixel_bytes = 1;  // 0 for bilevel
  size_t row_bytes = 0;
};

RowFormat row_format(const TgaHeader& h) {
  const int type = h.image_type & 7;
  RowFormat f;
  if (type == 1 && h.depth == 8) {
    f.kind = h.colormap_type ? RowFormat::kIndex : RowFormat::kGrey;  // mode L reads the index
  } else if (type == 3 && h.depth == 1) {
    f.kind = RowFormat::kBilevel, f.pixel_bytes = 0;
  } else if (type == 3 && h.depth == 8) {
    f.kind = RowFormat::kGrey;
  } else if (type == 3 && h.depth == 16) {
    f.kind = RowFormat::kGreyAlpha, f.pixel_bytes = 2;
  } else if (type == 2 && h.depth == 16) {
    f.kind = RowFormat::kBgr15, f.pixel_bytes = 2;
  } else if (type == 2 && h.depth == 24) {
    f.kind = RowFormat::kBgr, f.pixel_bytes = 3;
  } else if (type == 2 && h.depth == 32) {
    f.kind = RowFormat::kBgra, f.pixel_bytes = 4;
  } else {
    fail_unsupported("tga: no decoder for image type {} at {} bits per pixel", h.image_type, h.depth);
  }
  f.row_bytes = f.pixel_bytes ? h.width * f.pixel_bytes : (size_t(h.width) + 7) / 8;
  return f;
}

// The palette Pillow builds for a P image: `map_first` black entries, then
// the map; 256 entries, black past the end.
void load_palette(ByteView b, const TgaHeader& h, uint8_t* palette) {
  std::memset(palette, 0, 256 * 3);
  const size_t entry = h.map_depth == 16 ? 2 : h.map_depth == 24 ? 3 : 4;
  size_t at = 18 + size_t(h.id_length);
  // Pillow's putpalette refuses more than 256 entries (those the file holds).
  const size_t stored = std::min(entry * h.map_length, at < b.size() ? b.size() - at : 0);
  if ((entry * h.map_first + stored) / entry > 256) fail_corrupt("tga: invalid palette size");
  for (size_t i = 0; i < h.map_length && at + entry <= b.size(); ++i, at += entry) {
    uint8_t* rgb = palette + 3 * (h.map_first + i);
    if (entry == 2) {
      bgr15(&b[at], rgb);
    } else {
      rgb[0] = b[at + 2], rgb[1] = b[at + 1], rgb[2] = b[at];
    }
  }
}

void convert_row(const RowFormat& f, const uint8_t* palette, const uint8_t* in, uint32_t width,
                 uint8_t* out) {
  for (uint32_t x = 0; x < width; ++x, out += 3) {
    switch (f.kind) {
      case RowFormat::kIndex: std::memcpy(out, palette + 3 * in[x], 3); break;
      case RowFormat::kBilevel: out[0] = out[1] = out[2] = (in[x >> 3] >> (7 - (x & 7))) & 1 ? 255 : 0; break;
      case RowFormat::kGrey: out[0] = out[1] = out[2] = in[x]; break;
      case RowFormat::kGreyAlpha: out[0] = out[1] = out[2] = in[2 * x]; break;
      case RowFormat::kBgr15: bgr15(in + 2 * x, out); break;
      case RowFormat::kBgr:
      case RowFormat::kBgra: {
        const uint8_t* p = in + x * f.pixel_bytes;
        out[0] = p[2], out[1] = p[1], out[2] = p[0];
        break;
      }
    }
  }
}

// TgaRleDecode.c: fills `rows` (height x row_bytes, in file order) as far
// as Pillow gets; returns the number of whole rows.
size_t decode_rle(ByteView data, const TgaHeader& h, const RowFormat& f, std::vector<uint8_t>& rows) {
  const size_t depth = h.depth / 8;  // bytes per pixel; 0 for 1-bit images
  const size_t row_bytes = f.row_bytes;
  if (depth == 0) return 0;
  size_t x = 0, y = 0, pos = 0;
  uint8_t* row = rows.data();
  while (pos < data.size()) {
    const uint8_t header = data[pos];
    size_t n = depth * ((header & 0x7f) + 1);
    size_t extra = 0;
    if (header & 0x80) {
      if (data.size() - pos < 1 + depth) break;
      if (x + n > row_bytes) break;  // Pillow: overrun, decoding stops
      for (size_t i = 0; i < n; i += depth) std::memcpy(row + x + i, &data[pos + 1], depth);
      pos += 1 + depth;
    } else {
      if (data.size() - pos < 1 + n) break;  // the packet is lost whole
      if (x + n > row_bytes) {
        extra = n - (row_bytes - x);
        n = row_bytes - x;
      }
      std::memcpy(row + x, &data[pos + 1], n);
      pos += 1 + n;
    }
    for (;;) {
      x += n;
      if (x >= row_bytes) {
        x = 0;
        if (++y == h.height) return y;
        row = rows.data() + y * row_bytes;
      }
      if (extra == 0) break;
      n = extra < row_bytes ? extra : row_bytes;
      std::memcpy(row + x, &data[pos], n);
      pos += n;
      extra -= n;
    }
  }
  return y;
}

}  // namespace

bool looks_like_tga(ByteView b) {
  TgaHeader h;
  return read_header(b, h);
}

ImageInfo probe_tga(ByteView b) {
  TgaHeader h;
  if (!read_header(b, h)) fail_corrupt("tga: not a TGA file");
  ImageInfo info;
  info.format = ImageFormat::kTga;
  info.width = h.width;
  info.height = h.height;
  const int type = h.image_type & 7;
  info.channels_in_file = type == 3   ? (h.depth == 16 ? 2 : 1)
                          : type == 1 ? (h.map_depth == 24 ? 3 : 4)
                                      : (h.depth == 24 ? 3 : 4);
  if (type == 1 && !h.colormap_type) info.channels_in_file = 1;
  info.bits_per_channel = h.depth == 1 ? 1 : h.depth == 16 && type == 2 ? 5 : 8;
  return info;
}

RgbImage decode_tga(ByteView bytes, uint64_t max_pixels) {
  TgaHeader h;
  if (!read_header(bytes, h)) fail_corrupt("tga: not a TGA file");
  if (h.colormap_type && h.map_depth != 16 && h.map_depth != 24 && h.map_depth != 32) {
    fail_corrupt("tga: unknown TGA map depth ({})", h.map_depth);
  }
  check_pixel_limit("tga", h.width, h.height, max_pixels);
  const RowFormat f = row_format(h);
  uint8_t palette[256 * 3];
  if (f.kind == RowFormat::kIndex) load_palette(bytes, h, palette);
  RgbImage image = new_rgb(h.width, h.height);
  const ByteView data = h.data_offset < bytes.size() ? bytes.subspan(h.data_offset) : ByteView();
  size_t rows = 0;
  std::vector<uint8_t> unpacked;
  const uint8_t* file_rows = data.data();
  if (h.image_type & 8) {
    unpacked.assign(f.row_bytes * h.height, 0);
    rows = decode_rle(data, h, f, unpacked);
    file_rows = unpacked.data();
  } else {
    rows = std::min<size_t>(h.height, data.size() / f.row_bytes);
  }
  for (size_t i = 0; i < rows; ++i) {
    const size_t y = h.top_down ? i : h.height - 1 - i;
    convert_row(f, palette, file_rows + i * f.row_bytes, h.width, &image.pixels[y * h.width * 3]);
  }
  if (rows < h.height && f.kind == RowFormat::kIndex) {  // rows never read: index 0
    for (size_t i = rows; i < h.height; ++i) {
      const size_t y = h.top_down ? i : h.height - 1 - i;
      for (uint32_t x = 0; x < h.width; ++x) std::memcpy(&image.pixels[(y * h.width + x) * 3], palette, 3);
    }
  }
  if (h.mirrored) {
    for (uint32_t y = 0; y < h.height; ++y) {
      uint8_t* row = &image.pixels[size_t(y) * h.width * 3];
      for (uint32_t a = 0, b = h.width - 1; a < b; ++a, --b)
        std::swap_ranges(row + 3 * a, row + 3 * a + 3, row + 3 * b);
    }
  }
  return image;
}

}  // namespace mimicit::image::internal
