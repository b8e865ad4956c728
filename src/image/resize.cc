// Pillow-exact BICUBIC resizing (Image.resize((w, h), Image.BICUBIC) on RGB).
//
// The training pipeline resizes with Pillow, so a model trained on its output
// must see the same bytes from us: every step below reproduces Pillow's
// arithmetic (libImaging's two-pass resampler), not just its kernel.
//   - Per axis, each output index i has a window of source indices centred
//     at (i + 0.5) * scale, with the kernel stretched by max(scale, 1)
//     (antialiasing when downscaling). The window's weights are computed in
//     double, divided by their sum, then rounded half away from zero to
//     fixed point with 22 fractional bits.
//   - Each output sample is 2^21 (one half, for rounding) plus the integer
//     products, shifted right by 22 and clamped to 0..255.
//   - Horizontal pass first (over only the rows the vertical pass reads),
//     except when the height shrinks much more than the width (Pillow 13's
//     rule, see vertical_first); a pass whose size does not change is
//     skipped.
// This file is compiled with -ffp-contract=off (CMakeLists.txt): a fused
// multiply-add would round the weights differently from Pillow's x86-64
// build and move some samples by one level.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace {

// Pillow's PRECISION_BITS: 8 bits of result, 2 of headroom for the kernel's
// overshoot and the sign, the rest fraction.
constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
constexpr double kSupport = 2.0;  // the bicubic kernel is zero from |x| = 2 on

// Keys' cubic convolution kernel with a = -0.5, evaluated in the same
// operation order as Pillow so that the doubles round identically.
double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Weights of one axis: output index i reads `count[i]` source indices from
// `first[i]` with weights[i * taps ...]. Computed once per call and axis.
struct AxisWindows {
  int taps = 0;  // room per window (Pillow's ksize)
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

int32_t to_fixed(double weight) {
  double scaled = weight * (1 << kPrecisionBits);
  return static_cast<int32_t>(weight < 0 ? scaled - 0.5 : scaled + 0.5);
}

AxisWindows make_windows(int in_size, int out_size) {
  // Pillow receives the source box as floats: the size goes through float.
  double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  double filter_scale = std::max(scale, 1.0);
  double support = kSupport * filter_scale;
  double inverse = 1.0 / filter_scale;

  AxisWindows w;
  w.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  w.first.resize(out_size);
  w.count.resize(out_size);
  w.weights.assign(static_cast<size_t>(out_size) * w.taps, 0);
  std::vector<double> k(w.taps);
  for (int i = 0; i < out_size; ++i) {
    double center = (i + 0.5) * scale;
    // (int) truncation, then clamping, as Pillow rounds the window ends.
    int lo = std::max(0, static_cast<int>(center - support + 0.5));
    int hi = std::min(in_size, static_cast<int>(center + support + 0.5));
    int n = hi - lo;
    double sum = 0.0;
    for (int t = 0; t < n; ++t) {
      k[t] = bicubic((t + lo - center + 0.5) * inverse);
      sum += k[t];
    }
    int32_t* out = &w.weights[static_cast<size_t>(i) * w.taps];
    for (int t = 0; t < n; ++t) out[t] = to_fixed(sum != 0.0 ? k[t] / sum : k[t]);
    w.first[i] = lo;
    w.count[i] = n;
  }
  return w;
}

uint8_t clip8(int32_t acc) {
  return static_cast<uint8_t>(std::clamp(acc >> kPrecisionBits, 0, 255));
}

RgbImage blank(uint32_t width, uint32_t height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  return image;
}

// Rows [row0, row0 + rows) of `in`, resampled along x.
RgbImage horizontal_pass(const RgbImage& in, const AxisWindows& w, int row0, int rows) {
  RgbImage out = blank(static_cast<uint32_t>(w.first.size()), static_cast<uint32_t>(rows));
  size_t in_stride = static_cast<size_t>(in.width) * 3;
  size_t out_stride = static_cast<size_t>(out.width) * 3;
  for (uint32_t y = 0; y < out.height; ++y) {
    const uint8_t* src = in.pixels.data() + (row0 + y) * in_stride;
    uint8_t* dst = out.pixels.data() + y * out_stride;
    for (uint32_t x = 0; x < out.width; ++x) {
      const int32_t* k = &w.weights[static_cast<size_t>(x) * w.taps];
      const uint8_t* p = src + static_cast<size_t>(w.first[x]) * 3;
      int32_t r = kHalf, g = kHalf, b = kHalf;
      for (int t = 0; t < w.count[x]; ++t, p += 3) {
        r += p[0] * k[t];
        g += p[1] * k[t];
        b += p[2] * k[t];
      }
      dst[3 * x] = clip8(r);
      dst[3 * x + 1] = clip8(g);
      dst[3 * x + 2] = clip8(b);
    }
  }
  return out;
}

// `in` resampled along y; `in` starts at source row `row0` (the first row
// the horizontal pass kept). Whole rows are accumulated at once so that the
// inner loop is contiguous and vectorises; integer sums do not depend on the
// order, so this equals Pillow's per-pixel loop.
RgbImage vertical_pass(const RgbImage& in, const AxisWindows& w, int row0) {
  RgbImage out = blank(in.width, static_cast<uint32_t>(w.first.size()));
  size_t stride = static_cast<size_t>(in.width) * 3;
  std::vector<int32_t> acc(stride);
  for (uint32_t y = 0; y < out.height; ++y) {
    std::fill(acc.begin(), acc.end(), kHalf);
    const int32_t* k = &w.weights[static_cast<size_t>(y) * w.taps];
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(w.first[y] - row0) * stride;
    for (int t = 0; t < w.count[y]; ++t, src += stride) {
      int32_t weight = k[t];
      for (size_t i = 0; i < stride; ++i) acc[i] += src[i] * weight;
    }
    uint8_t* dst = out.pixels.data() + y * stride;
    for (size_t i = 0; i < stride; ++i) dst[i] = clip8(acc[i]);
  }
  return out;
}

// Pillow (since 13) runs the vertical pass first when the height loses more
// than twice as many pixels as the width, to make the second pass cheaper.
// Each pass rounds to 8 bits, so the order changes the result: follow it.
bool vertical_first(const RgbImage& in, uint32_t width, uint32_t height) {
  int64_t shrink_y = static_cast<int64_t>(in.height) - height;
  int64_t shrink_x = static_cast<int64_t>(in.width) - width;
  return shrink_y > 0 && shrink_y > shrink_x * 2;
}

void check_sizes(const RgbImage& in, uint32_t width, uint32_t height) {
  auto bad = [](uint32_t v) { return v == 0 || v > static_cast<uint32_t>(INT32_MAX); };
  if (bad(width) || bad(height)) fail_invalid("resize: bad target size {}x{}", width, height);
  if (bad(in.width) || bad(in.height)) {
    fail_invalid("resize: bad source size {}x{}", in.width, in.height);
  }
  if (in.pixels.size() != static_cast<size_t>(in.width) * in.height * 3) {
    fail_invalid("resize: {}x{} RGB image with {} bytes", in.width, in.height, in.pixels.size());
  }
}

}  // namespace

RgbImage resize_bicubic(const RgbImage& in, uint32_t width, uint32_t height) {
  check_sizes(in, width, height);
  int in_w = static_cast<int>(in.width), in_h = static_cast<int>(in.height);
  bool horizontal = width != in.width;
  bool vertical = height != in.height;
  if (!horizontal && !vertical) return in;
  if (!horizontal) return vertical_pass(in, make_windows(in_h, static_cast<int>(height)), 0);
  AxisWindows columns = make_windows(in_w, static_cast<int>(width));
  if (!vertical) return horizontal_pass(in, columns, 0, in_h);

  AxisWindows rows = make_windows(in_h, static_cast<int>(height));
  if (vertical_first(in, width, height)) {
    return horizontal_pass(vertical_pass(in, rows, 0), columns, 0, static_cast<int>(height));
  }
  // Only the source rows that some output row reads.
  int row0 = rows.first.front();
  int row_end = rows.first.back() + rows.count.back();
  return vertical_pass(horizontal_pass(in, columns, row0, row_end - row0), rows, row0);
}

}  // namespace mimicit::image
