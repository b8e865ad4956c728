// Raw PNG scanlines -> RGB by Pillow's convert("RGB") rules (png.cc's
// header comment lists them). Samples arrive as the file stores them:
// 16-bit samples big-endian, 1/2/4-bit samples packed most significant first.
#include <cstring>

#include "image/png_internal.h"

namespace mimicit::image::internal {
namespace {

// Sample i of a row of packed 1/2/4-bit samples (most significant first).
inline uint8_t packed_sample(const uint8_t* row, size_t i, int depth) {
  size_t bit = i * depth;
  return uint8_t((row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1));
}

}  // namespace

int png_channels(int color_type) {
  switch (color_type) {
    case kPngGrey: return 1;
    case kPngRgb: return 3;
    case kPngPalette: return 1;
    case kPngGreyAlpha: return 2;
    default: return 4;
  }
}

void PngRowConverter::operator()(const uint8_t* in, uint8_t* out) const {
  switch (color_type) {
    case kPngGrey: grey(in, out); break;
    case kPngPalette: indexed(in, out); break;
    default: color(in, out); break;
  }
}

void PngRowConverter::grey(const uint8_t* in, uint8_t* out) const {
  if (depth == 8) {
    for (uint32_t x = 0; x < width; ++x, out += 3) out[0] = out[1] = out[2] = in[x];
  } else if (depth == 16) {
    for (uint32_t x = 0; x < width; ++x, out += 3) {
      // Pillow's "I;16" converts to RGB clipping at 255 (not the high byte).
      uint8_t v = in[2 * x] != 0 ? 255 : in[2 * x + 1];
      out[0] = out[1] = out[2] = v;
    }
  } else {
    const uint8_t scale = uint8_t(255 / ((1 << depth) - 1));  // 1/2/4 bits -> x 255, 85, 17
    for (uint32_t x = 0; x < width; ++x, out += 3) {
      out[0] = out[1] = out[2] = uint8_t(packed_sample(in, x, depth) * scale);
    }
  }
}

void PngRowConverter::indexed(const uint8_t* in, uint8_t* out) const {
  for (uint32_t x = 0; x < width; ++x, out += 3) {
    uint8_t index = depth == 8 ? in[x] : packed_sample(in, x, depth);
    std::memcpy(out, palette + 3 * index, 3);
  }
}

// RGB, RGBA, grey+alpha at 8 or 16 bits: the first 1 or 3 samples of each
// pixel (for 16 bits their high byte, the first one stored); alpha dropped.
void PngRowConverter::color(const uint8_t* in, uint8_t* out) const {
  const size_t channels = size_t(png_channels(color_type));
  if (color_type == kPngRgb && depth == 8) {
    std::memcpy(out, in, size_t(width) * 3);
    return;
  }
  const size_t step = channels * (depth / 8);  // bytes per pixel
  const size_t sample = depth / 8;             // bytes per sample
  const size_t g = channels <= 2 ? 0 : sample, b = channels <= 2 ? 0 : 2 * sample;
  for (uint32_t x = 0; x < width; ++x, in += step, out += 3) {
    out[0] = in[0];
    out[1] = in[g];
    out[2] = in[b];
  }
}

}  // namespace mimicit::image::internal
