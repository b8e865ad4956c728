// GIF, first frame, through giflib's record-level API (DGifSlurp would read
// every frame and give nothing for a truncated file).
//
// Pillow's rules for frame 0: the canvas is the logical screen, grown to the
// frame's extent when the frame is larger; it starts filled with the
// transparent index when the frame has one, else index 0; the frame's local
// color table replaces the global one; without any color table an index is
// its own grey level. Colors are the palette's, transparency ignored.
// Truncated or broken LZW data: the pixels decoded so far (Pillow with
// LOAD_TRUNCATED_IMAGES swallows decoder errors). Like giflib, Pillow only
// decodes complete data sub-blocks.
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct Reader {
  ByteView bytes;
  size_t pos = 0;
};

int read_bytes(GifFileType* gif, GifByteType* out, int n) {
  auto* reader = static_cast<Reader*>(gif->UserData);
  size_t available = reader->bytes.size() - reader->pos;
  size_t take = std::min(available, size_t(n < 0 ? 0 : n));
  std::memcpy(out, reader->bytes.data() + reader->pos, take);
  reader->pos += take;
  return int(take);
}

struct GifCloser {
  void operator()(GifFileType* gif) const { DGifCloseFile(gif, nullptr); }
};
using Gif = std::unique_ptr<GifFileType, GifCloser>;

// giflib's message for an error code; GifErrorString() returns null for
// codes it has no text for (0 among them, which a failed call can leave).
const char* gif_error(int code) {
  const char* text = GifErrorString(code);
  return text != nullptr ? text : "unknown error";
}

Gif open_gif(Reader& reader) {
  int error = 0;
  Gif gif(DGifOpen(&reader, &read_bytes, &error));
  if (!gif) fail_corrupt("gif: {}", gif_error(error));
  return gif;
}

[[noreturn]] void fail_gif(const GifFileType* gif, const char* what) {
  fail_corrupt("gif: {}: {}", what, gif_error(gif->Error));
}

// Reads records up to the first image descriptor; returns the transparent
// index of its graphic control extension, or -1.
int seek_first_image(GifFileType* gif) {
  int transparency = -1;
  for (;;) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) fail_gif(gif, "reading records");
    if (type == IMAGE_DESC_RECORD_TYPE) {
      if (DGifGetImageDesc(gif) == GIF_ERROR) fail_gif(gif, "image descriptor");
      return transparency;
    }
    if (type == TERMINATE_RECORD_TYPE) fail_corrupt("gif: image not found in GIF frame");
    if (type != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif, &code, &block) == GIF_ERROR) fail_gif(gif, "extension");
    // block[0] is the sub-block length; a GCE holds flags, delay, index.
    if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
      transparency = (block[1] & 1) ? block[4] : -1;
    }
    while (block != nullptr) {
      if (DGifGetExtensionNext(gif, &block) == GIF_ERROR) fail_gif(gif, "extension");
    }
  }
}

// Row order of the stored lines: interlaced GIFs store rows 0, 8, 16, ...,
// then 4, 12, ..., then 2, 6, ..., then 1, 3, ...
std::vector<uint32_t> row_order(uint32_t height, bool interlaced) {
  std::vector<uint32_t> rows;
  rows.reserve(height);
  if (!interlaced) {
    for (uint32_t y = 0; y < height; ++y) rows.push_back(y);
    return rows;
  }
  static constexpr uint32_t kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
  for (int pass = 0; pass < 4; ++pass) {
    for (uint32_t y = kStart[pass]; y < height; y += kStep[pass]) rows.push_back(y);
  }
  return rows;
}

// 256 x RGB: the color table's entries, then black (as in a Pillow
// palette); no table at all means index = grey level (Pillow's mode "L").
void build_palette(const ColorMapObject* map, uint8_t* palette) {
  if (map == nullptr) {
    for (int i = 0; i < 256; ++i) palette[3 * i] = palette[3 * i + 1] = palette[3 * i + 2] = uint8_t(i);
    return;
  }
  std::memset(palette, 0, 256 * 3);
  for (int i = 0; i < map->ColorCount && i < 256; ++i) {
    palette[3 * i] = map->Colors[i].Red;
    palette[3 * i + 1] = map->Colors[i].Green;
    palette[3 * i + 2] = map->Colors[i].Blue;
  }
}

// Offset of the first image descriptor (','), or 0 when there is none.
// Walks the blocks without decoding anything.
size_t first_descriptor(ByteView b) {
  size_t pos = 13;
  if (b[10] & 0x80) pos += size_t(3) << ((b[10] & 7) + 1);  // global color table
  while (pos < b.size()) {
    if (b[pos] == ',') return pos + 10 <= b.size() ? pos : 0;
    if (b[pos] != '!' || pos + 2 >= b.size()) return 0;
    pos += 2;  // introducer and label, then data sub-blocks up to a zero length
    while (pos < b.size() && b[pos] != 0) pos += size_t(b[pos]) + 1;
    ++pos;
  }
  return 0;
}

// The canvas size Pillow gives frame 0: the logical screen, grown to the
// first frame's extent (checked before giflib allocates anything).
void canvas_size(ByteView b, uint32_t& width, uint32_t& height) {
  width = load_le16(&b[6]);
  height = load_le16(&b[8]);
  if (size_t pos = first_descriptor(b)) {
    width = std::max<uint32_t>(width, uint32_t(load_le16(&b[pos + 1])) + load_le16(&b[pos + 5]));
    height = std::max<uint32_t>(height, uint32_t(load_le16(&b[pos + 3])) + load_le16(&b[pos + 7]));
  }
}

}  // namespace

ImageInfo probe_gif(ByteView b) {
  if (b.size() < 13) fail_corrupt("gif: truncated header");
  ImageInfo info;
  info.format = ImageFormat::kGif;
  canvas_size(b, info.width, info.height);
  info.channels_in_file = 3;
  return info;
}

RgbImage decode_gif(ByteView bytes, uint64_t max_pixels) {
  ImageInfo canvas = probe_gif(bytes);
  check_pixel_limit("gif", canvas.width, canvas.height, max_pixels);
  Reader reader{bytes};
  Gif gif = open_gif(reader);
  int transparency = seek_first_image(gif.get());
  const GifImageDesc& desc = gif->Image;
  uint32_t left = uint32_t(desc.Left), top = uint32_t(desc.Top);
  uint32_t frame_w = uint32_t(desc.Width), frame_h = uint32_t(desc.Height);
  uint32_t width = std::max<uint32_t>(gif->SWidth, left + frame_w);
  uint32_t height = std::max<uint32_t>(gif->SHeight, top + frame_h);
  check_pixel_limit("gif", width, height, max_pixels);  // same as canvas, unless bytes lied

  std::vector<uint8_t> indices(size_t(width) * height, uint8_t(transparency < 0 ? 0 : transparency));
  // A line cut short by the end of the data keeps the pixels decoded (giflib
  // writes them as it goes); the rest of it keeps the fill, as in Pillow.
  std::vector<GifPixelType> line(frame_w);
  for (uint32_t y : row_order(frame_h, desc.Interlace)) {
    if (frame_w == 0) break;
    uint8_t* row = &indices[size_t(top + y) * width + left];
    std::memcpy(line.data(), row, frame_w);
    bool ok = DGifGetLine(gif.get(), line.data(), int(frame_w)) != GIF_ERROR;
    std::memcpy(row, line.data(), frame_w);
    if (!ok) break;
  }

  uint8_t palette[256 * 3];
  build_palette(desc.ColorMap ? desc.ColorMap : gif->SColorMap, palette);
  RgbImage image = new_rgb(width, height);
  for (size_t i = 0; i < indices.size(); ++i) std::memcpy(&image.pixels[3 * i], palette + 3 * indices[i], 3);
  return image;
}

}  // namespace mimicit::image::internal
