// PNG through libspng, decoded in the file's own sample format
// (SPNG_FMT_PNG; 16-bit samples in host order) and converted here, because Pillow's rules differ from
// libspng's built-in conversions:
//   - 16-bit RGB(A) and grey+alpha keep the high byte ("RGB;16B" etc.);
//   - 16-bit grey is Pillow's "I;16", whose convert("RGB") clips to 255;
//   - 1/2/4-bit grey scales to 0..255 (x 255, 85, 17);
//   - tRNS, alpha, gAMA, iCCP are ignored (alpha dropped, not composited).
// Pillow does not check IDAT checksums (it checks the header chunks), so
// critical-chunk CRCs are ignored by libspng and the IHDR CRC is checked
// here. Truncated data: the rows decoded so far, the rest as a zero-filled
// image of the file's mode converts (black, or palette entry 0).
#include <spng.h>
#include <zlib.h>

#include <cstring>
#include <memory>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct CtxDeleter {
  void operator()(spng_ctx* ctx) const { spng_ctx_free(ctx); }
};
using Ctx = std::unique_ptr<spng_ctx, CtxDeleter>;

enum ColorType { kGrey = 0, kRgb = 2, kPalette = 3, kGreyAlpha = 4, kRgba = 6 };

int channels_of(int color_type) {
  switch (color_type) {
    case kGrey: return 1;
    case kRgb: return 3;
    case kPalette: return 1;
    case kGreyAlpha: return 2;
    default: return 4;
  }
}

// 16-bit sample i of a row: SPNG_FMT_PNG gives host-endian 16-bit samples.
inline uint16_t sample16(const uint8_t* row, size_t i) {
  uint16_t v;
  std::memcpy(&v, row + 2 * i, 2);
  return v;
}

// Sample i of a row of packed 1/2/4-bit samples (most significant first).
inline uint8_t packed_sample(const uint8_t* row, size_t i, int depth) {
  size_t bit = i * depth;
  return uint8_t((row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1));
}

// Converts one raw row to RGB. `palette` has 256 entries x 3.
struct RowConverter {
  int color_type;
  int depth;
  uint32_t width;
  const uint8_t* palette;

  void operator()(const uint8_t* in, uint8_t* out) const {
    switch (color_type) {
      case kGrey: grey(in, out); break;
      case kPalette: indexed(in, out); break;
      default: color(in, out); break;
    }
  }

  void grey(const uint8_t* in, uint8_t* out) const {
    for (uint32_t x = 0; x < width; ++x, out += 3) {
      uint8_t v;
      if (depth == 8) {
        v = in[x];
      } else if (depth == 16) {
        uint16_t wide = sample16(in, x);
        v = wide > 255 ? 255 : uint8_t(wide);  // I;16 -> RGB clips
      } else {
        v = uint8_t(packed_sample(in, x, depth) * (255 / ((1 << depth) - 1)));
      }
      out[0] = out[1] = out[2] = v;
    }
  }

  void indexed(const uint8_t* in, uint8_t* out) const {
    for (uint32_t x = 0; x < width; ++x, out += 3) {
      uint8_t index = depth == 8 ? in[x] : packed_sample(in, x, depth);
      std::memcpy(out, palette + 3 * index, 3);
    }
  }

  // RGB, RGBA, grey+alpha at 8 or 16 bits: the high byte of each of the
  // first 1 or 3 samples.
  void color(const uint8_t* in, uint8_t* out) const {
    size_t channels = size_t(channels_of(color_type));
    if (color_type == kRgb && depth == 8) {
      std::memcpy(out, in, size_t(width) * 3);
      return;
    }
    // Index of the luma or red, green, blue samples of a pixel.
    size_t g = channels <= 2 ? 0 : 1, b = channels <= 2 ? 0 : 2;
    for (uint32_t x = 0; x < width; ++x, out += 3) {
      size_t first = x * channels;
      if (depth == 8) {
        out[0] = in[first];
        out[1] = in[first + g];
        out[2] = in[first + b];
      } else {
        out[0] = uint8_t(sample16(in, first) >> 8);
        out[1] = uint8_t(sample16(in, first + g) >> 8);
        out[2] = uint8_t(sample16(in, first + b) >> 8);
      }
    }
  }
};

[[noreturn]] void fail_spng(int rc, const char* what) {
  fail_corrupt("png: {}: {}", what, spng_strerror(rc));
}

// Pillow's palette for a P image: the PLTE entries, then black (indices
// past the end of PLTE come out black in Pillow).
void load_palette(spng_ctx* ctx, uint8_t* palette) {
  std::memset(palette, 0, 256 * 3);
  spng_plte plte;
  if (int rc = spng_get_plte(ctx, &plte); rc != 0) fail_spng(rc, "palette");
  for (uint32_t i = 0; i < plte.n_entries && i < 256; ++i) {
    palette[3 * i] = plte.entries[i].red;
    palette[3 * i + 1] = plte.entries[i].green;
    palette[3 * i + 2] = plte.entries[i].blue;
  }
}

// A file cut inside a chunk: libspng refuses the whole chunk, Pillow decodes
// the bytes that are there. Returns a copy whose last chunk is shortened to
// the bytes present (with a dummy CRC: critical CRCs are not checked), or an
// empty vector when no chunk is cut.
std::vector<uint8_t> shorten_cut_chunk(ByteView b) {
  size_t pos = 8;
  while (pos + 8 <= b.size()) {
    size_t length = load_be32(&b[pos]);
    size_t available = b.size() - pos - 8;
    if (length + 4 <= available) {
      pos += 12 + length;
      continue;
    }
    size_t kept = length < available ? length : available;
    std::vector<uint8_t> copy(b.begin(), b.begin() + pos + 8 + kept);
    for (int i = 0; i < 4; ++i) copy[pos + i] = uint8_t(kept >> (24 - 8 * i));
    copy.insert(copy.end(), 4, 0);  // CRC
    return copy;
  }
  return {};
}

Ctx open_decoder(ByteView bytes) {
  Ctx ctx(spng_ctx_new(0));
  if (!ctx) fail(ErrorCode::kInternal, "png: spng_ctx_new failed");
  spng_set_crc_action(ctx.get(), SPNG_CRC_USE, SPNG_CRC_DISCARD);
  spng_set_chunk_limits(ctx.get(), size_t(1) << 26, size_t(1) << 28);
  spng_set_png_buffer(ctx.get(), bytes.data(), bytes.size());
  return ctx;
}

// Decodes rows into `raw` (height x row_bytes, zero-initialised) until the
// image ends or the data does; returns normally on truncation.
void decode_rows(spng_ctx* ctx, uint8_t* raw, size_t row_bytes) {
  if (int rc = spng_decode_image(ctx, nullptr, 0, SPNG_FMT_PNG, SPNG_DECODE_PROGRESSIVE); rc != 0) {
    fail_spng(rc, "decode");
  }
  for (;;) {
    spng_row_info info;
    if (spng_get_row_info(ctx, &info) != 0) return;
    int rc = spng_decode_row(ctx, raw + size_t(info.row_num) * row_bytes, row_bytes);
    if (rc == SPNG_EOI) return;
    if (rc != 0) return;  // truncated or corrupt data: keep what was decoded
  }
}

}  // namespace

ImageInfo probe_png(ByteView b) {
  if (b.size() < 33 || std::memcmp(b.data() + 12, "IHDR", 4) != 0 || load_be32(&b[8]) != 13) {
    fail_corrupt("png: no IHDR chunk after the signature");
  }
  ImageInfo info;
  info.format = ImageFormat::kPng;
  info.width = load_be32(&b[16]);
  info.height = load_be32(&b[20]);
  info.bits_per_channel = b[24];
  int color_type = b[25];
  if (color_type > 6 || color_type == 1 || color_type == 5) {
    fail_corrupt("png: invalid color type {}", color_type);
  }
  info.channels_in_file = color_type == kPalette ? 3 : channels_of(color_type);
  if (info.width == 0 || info.height == 0) {
    fail_corrupt("png: IHDR gives size {}x{}", info.width, info.height);
  }
  // Scan the chunk headers up to IDAT for tRNS (palette alpha) and acTL.
  size_t pos = 33;
  while (pos + 8 <= b.size()) {
    size_t length = load_be32(&b[pos]);
    const uint8_t* type = &b[pos + 4];
    if (std::memcmp(type, "IDAT", 4) == 0) break;
    if (std::memcmp(type, "tRNS", 4) == 0 && color_type == kPalette) info.channels_in_file = 4;
    if (std::memcmp(type, "acTL", 4) == 0 && pos + 12 <= b.size()) info.animated = load_be32(&b[pos + 8]) > 1;
    if (length > b.size() - pos - 8) break;
    pos += 12 + length;
  }
  return info;
}

RgbImage decode_png(ByteView bytes, uint64_t max_pixels) {
  ImageInfo info = probe_png(bytes);
  if (crc32(crc32(0, &bytes[12], 4), &bytes[16], 13) != load_be32(&bytes[29])) {
    fail_corrupt("png: broken PNG file (bad header checksum in IHDR)");
  }
  check_pixel_limit("png", info.width, info.height, max_pixels);
  std::vector<uint8_t> shortened = shorten_cut_chunk(bytes);
  Ctx ctx = open_decoder(shortened.empty() ? bytes : ByteView(shortened));
  spng_ihdr ihdr;
  if (int rc = spng_get_ihdr(ctx.get(), &ihdr); rc != 0) fail_spng(rc, "header");
  uint8_t palette[256 * 3];
  if (ihdr.color_type == kPalette) load_palette(ctx.get(), palette);
  size_t row_bytes = (size_t(ihdr.width) * channels_of(ihdr.color_type) * ihdr.bit_depth + 7) / 8;
  std::vector<uint8_t> raw(row_bytes * ihdr.height, 0);
  decode_rows(ctx.get(), raw.data(), row_bytes);
  RowConverter convert{ihdr.color_type, ihdr.bit_depth, ihdr.width, palette};
  RgbImage image = new_rgb(ihdr.width, ihdr.height);
  for (uint32_t y = 0; y < ihdr.height; ++y) {
    convert(&raw[y * row_bytes], &image.pixels[size_t(y) * ihdr.width * 3]);
  }
  return image;
}

}  // namespace mimicit::image::internal

namespace mimicit::image {

namespace {

struct PngEncoding {
  int level;
  int filter;    // SPNG_FILTER_CHOICE_* mask
  int strategy;  // zlib strategy
};

void encode_png_with(const RgbImage& image, Buffer& out, const PngEncoding& encoding) {
  using internal::Ctx;
  if (image.width == 0 || image.height == 0 ||
      image.pixels.size() != size_t(image.width) * image.height * 3) {
    fail_invalid("png: cannot encode a {}x{} image of {} bytes", image.width, image.height,
                 image.pixels.size());
  }
  Ctx ctx(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!ctx) fail(ErrorCode::kInternal, "png: spng_ctx_new failed");
  spng_set_option(ctx.get(), SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_LEVEL, encoding.level);
  spng_set_option(ctx.get(), SPNG_FILTER_CHOICE, encoding.filter);
  spng_set_option(ctx.get(), SPNG_IMG_COMPRESSION_STRATEGY, encoding.strategy);
  spng_ihdr ihdr{};
  ihdr.width = image.width;
  ihdr.height = image.height;
  ihdr.bit_depth = 8;
  ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
  int rc = spng_set_ihdr(ctx.get(), &ihdr);
  if (rc == 0) {
    rc = spng_encode_image(ctx.get(), image.pixels.data(), image.pixels.size(), SPNG_FMT_PNG,
                           SPNG_ENCODE_FINALIZE);
  }
  if (rc != 0) fail(ErrorCode::kInternal, "png: encode: {}", spng_strerror(rc));
  size_t size = 0;
  void* png = spng_get_png_buffer(ctx.get(), &size, &rc);
  if (png == nullptr) fail(ErrorCode::kInternal, "png: encode: {}", spng_strerror(rc));
  out.assign({static_cast<const uint8_t*>(png), size});
  std::free(png);
}

}  // namespace

void encode_png(const RgbImage& image, Buffer& out, int compression_level) {
  if (compression_level < 0 || compression_level > 9) {
    fail_invalid("png: compression level {} is not in 0..9", compression_level);
  }
  // Adaptive filters (libspng's default, as libpng's and Pillow's).
  encode_png_with(image, out, {compression_level, SPNG_FILTER_CHOICE_ALL, Z_DEFAULT_STRATEGY});
}

void encode_png_fast(const RgbImage& image, Buffer& out) {
  // Z_RLE ignores the level beyond "not 0".
  encode_png_with(image, out, {1, SPNG_FILTER_CHOICE_UP, Z_RLE});
}

}  // namespace mimicit::image
