// ICO (Windows icon), parsed here, as Pillow's IcoImagePlugin reads it:
// the frame Pillow shows is the first of the directory's entries sorted by
// color depth (ascending), then, stably, by width x height (descending):
// the largest entry, and of equal sizes the one of fewest colors, first in
// the file among equals. Widths and heights of 0 mean 256; the color depth
// is the entry's bits per pixel, else ceil(log2(colors)), else 256.
//   - A frame starting with the PNG signature is a PNG (png.cc; the bytes
//     from its offset to the end of the file, as Pillow reads them);
//   - otherwise it is a DIB (bmp.cc) whose height counts the AND mask too:
//     the picture is its first height / 2 rows; the mask is alpha, which
//     convert("RGB") drops. Pillow fails where it would seek before the
//     start of the file for the mask (a frame whose size is too small).
// The size reported is the frame's own (Pillow's, after loading), which
// may differ from the directory's.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

struct IcoEntry {
  uint32_t width = 0, height = 0;
  uint16_t bpp = 0;
  uint32_t size = 0, offset = 0;
  double color_depth = 0;
};

// The entry Pillow decodes.
IcoEntry chosen_entry(ByteView b) {
  if (b.size() < 6) fail_corrupt("ico: truncated header");
  const size_t count = load_le16(&b[4]);
  if (count == 0) fail_corrupt("ico: no images in the icon");
  if (b.size() < 6 + 16 * count) fail_corrupt("ico: truncated directory ({} entries)", count);
  std::vector<IcoEntry> entries(count);
  for (size_t i = 0; i < count; ++i) {
    const uint8_t* s = &b[6 + 16 * i];
    IcoEntry& e = entries[i];
    e.width = s[0] ? s[0] : 256;
    e.height = s[1] ? s[1] : 256;
    e.bpp = load_le16(s + 6);
    e.size = load_le32(s + 8);
    e.offset = load_le32(s + 12);
    const unsigned colors = s[2];
    // Python: bpp or (colors != 0 and ceil(log(colors, 2))) or 256.
    const double from_colors = colors ? std::ceil(std::log(double(colors)) / std::log(2.0)) : 0;
    e.color_depth = e.bpp ? double(e.bpp) : from_colors != 0 ? from_colors : 256;
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const IcoEntry& a, const IcoEntry& b) { return a.color_depth < b.color_depth; });
  std::stable_sort(entries.begin(), entries.end(), [](const IcoEntry& a, const IcoEntry& b) {
    return uint64_t(a.width) * a.height > uint64_t(b.width) * b.height;
  });
  return entries[0];
}

bool is_png_frame(ByteView b, const IcoEntry& e) {
  return e.offset <= b.size() && b.size() - e.offset >= 8 && std::memcmp(&b[e.offset], kPngSignature, 8) == 0;
}

// Pillow seeks to the AND mask of a non-32-bit DIB frame before anything
// else; a position before the file's start is a ValueError there.
void check_mask_position(const IcoEntry& e, const DibSize& dib) {
  if (e.bpp == 32) return;
  const uint64_t width = (uint64_t(dib.width) + 31) / 32 * 32, height = dib.height / 2;
  const uint64_t mask_bytes = width * height / 8;
  if (uint64_t(e.offset) + e.size < mask_bytes) fail_corrupt("ico: the frame is too small for its mask");
}

}  // namespace

ImageInfo probe_ico(ByteView b) {
  const IcoEntry e = chosen_entry(b);
  ImageInfo info;
  info.format = ImageFormat::kIco;
  if (is_png_frame(b, e)) {
    const ImageInfo png = probe_png(b.subspan(e.offset));
    info.width = png.width;
    info.height = png.height;
    info.channels_in_file = png.channels_in_file;
    info.bits_per_channel = png.bits_per_channel;
    return info;
  }
  const DibSize dib = dib_size(b, e.offset);
  info.width = dib.width;
  info.height = dib.height / 2;
  info.channels_in_file = 4;  // color and the AND mask (alpha)
  if (info.width == 0 || info.height == 0) fail_corrupt("ico: frame of size {}x{}", info.width, info.height);
  return info;
}

RgbImage decode_ico(ByteView bytes, uint64_t max_pixels) {
  const IcoEntry e = chosen_entry(bytes);
  if (is_png_frame(bytes, e)) return decode_png(bytes.subspan(e.offset), max_pixels);
  check_mask_position(e, dib_size(bytes, e.offset));
  return decode_ico_dib(bytes, e.offset, max_pixels);
}

}  // namespace mimicit::image::internal
