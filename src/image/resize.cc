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
// The passes themselves are in resize_passes.cc; this file computes the
// weights and plans the passes.
// This file is compiled with -ffp-contract=off (CMakeLists.txt): a fused
// multiply-add would round the weights differently from Pillow's x86-64
// build and move some samples by one level.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "image/resize_internal.h"
#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace internal {
namespace {

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

int32_t to_fixed(double weight) {
  double scaled = weight * (1 << kPrecisionBits);
  return static_cast<int32_t>(weight < 0 ? scaled - 0.5 : scaled + 0.5);
}

// Pillow (since 13) runs the vertical pass first when the height loses more
// than twice as many pixels as the width, to make the second pass cheaper.
// Each pass rounds to 8 bits, so the order changes the result: follow it.
bool vertical_first(uint32_t in_width, uint32_t in_height, uint32_t width, uint32_t height) {
  int64_t shrink_y = static_cast<int64_t>(in_height) - height;
  int64_t shrink_x = static_cast<int64_t>(in_width) - width;
  return shrink_y > 0 && shrink_y > shrink_x * 2;
}

}  // namespace

AxisWindows make_windows(int in_size, int out_size) {
  // Pillow receives the source box as floats: the size goes through float.
  double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  double filter_scale = std::max(scale, 1.0);
  double support = kSupport * filter_scale;
  double inverse = 1.0 / filter_scale;

  AxisWindows w;
  w.in_size = in_size;
  w.out_size = out_size;
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
  prepare_madd_weights(w);
  return w;
}

ResizeScratch::ResizeScratch() = default;
ResizeScratch::~ResizeScratch() = default;
ResizeScratch::ResizeScratch(ResizeScratch&&) noexcept = default;
ResizeScratch& ResizeScratch::operator=(ResizeScratch&&) noexcept = default;

const AxisWindows& ResizeScratch::windows(int in_size, int out_size) {
  for (size_t i = cache_.size(); i-- > 0;) {
    if (cache_[i]->in_size == in_size && cache_[i]->out_size == out_size) {
      std::rotate(cache_.begin() + i, cache_.begin() + i + 1, cache_.end());
      return *cache_.back();
    }
  }
  if (cache_.size() == kMaxCached) cache_.erase(cache_.begin());
  cache_.push_back(std::make_unique<AxisWindows>(make_windows(in_size, out_size)));
  return *cache_.back();
}

void resize_rgb_into(const uint8_t* in, uint32_t in_width, uint32_t in_height, uint8_t* out, uint32_t width,
                     uint32_t height, ResizeScratch& scratch) {
  bool horizontal = width != in_width;
  bool vertical = height != in_height;
  const uint8_t* in_end = in + size_t{in_width} * in_height * 3;
  if (!horizontal && !vertical) {
    std::memcpy(out, in, size_t{in_width} * in_height * 3);
    return;
  }
  int in_w = static_cast<int>(in_width), in_h = static_cast<int>(in_height);
  if (!horizontal) {
    vertical_pass(in, in_width, 0, scratch.windows(in_h, static_cast<int>(height)), out);
    return;
  }
  const AxisWindows& columns = scratch.windows(in_w, static_cast<int>(width));
  if (!vertical) {
    horizontal_pass(in, in_width, in_h, in_end, columns, out);
    return;
  }
  const AxisWindows& rows = scratch.windows(in_h, static_cast<int>(height));
  Buffer& between = scratch.intermediate();
  if (vertical_first(in_width, in_height, width, height)) {
    between.resize(size_t{in_width} * height * 3);
    vertical_pass(in, in_width, 0, rows, between.data());
    horizontal_pass(between.data(), in_width, static_cast<int>(height), between.data() + between.size(),
                    columns, out);
    return;
  }
  // Only the source rows that some output row reads.
  int row0 = rows.first.front();
  int row_end = rows.first.back() + rows.count.back();
  between.resize(size_t{width} * static_cast<size_t>(row_end - row0) * 3);
  horizontal_pass(in + size_t{in_width} * 3 * static_cast<size_t>(row0), in_width, row_end - row0, in_end,
                  columns, between.data());
  vertical_pass(between.data(), width, row0, rows, out);
}

}  // namespace internal

namespace {

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
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  internal::ResizeScratch scratch;
  internal::resize_rgb_into(in.pixels.data(), in.width, in.height, out.pixels.data(), width, height, scratch);
  return out;
}

}  // namespace mimicit::image
