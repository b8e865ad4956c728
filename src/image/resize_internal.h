// Internal interface of the Pillow-exact BICUBIC resizer (resize.cc), for
// callers that resize many images: the preprocessing pipeline reuses the
// weights of each (source size, target size) and the intermediate buffer
// across images, and writes the result straight into its destination.
//
// The two passes (resize_passes.cc) have portable and AVX2 versions chosen
// at run time; both compute Pillow's integer sums exactly, so the result
// does not depend on the CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mimicit/bytes.h"

namespace mimicit::image::internal {

// Pillow's PRECISION_BITS: 8 bits of result, 2 of headroom for the kernel's
// overshoot and the sign, the rest fraction.
constexpr int kPrecisionBits = 32 - 8 - 2;

// Weights of one axis: output index i reads `count[i]` source indices from
// `first[i]` with weights[i * taps ...] (22-bit fixed point).
struct AxisWindows {
  int in_size = 0;
  int out_size = 0;
  int taps = 0;  // room per window (Pillow's ksize)
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
  // The AVX2 horizontal pass's copy of the weights (resize_passes.cc): per
  // output index, groups of 4 taps, each group 16 int16 of the high parts
  // (weight >> 11) then 16 of the low parts (weight & 2047), laid out for
  // vpmaddwd; group_start[i] indexes the groups of output i. Empty when the
  // portable kernels are in use.
  std::vector<int16_t> madd_weights;
  std::vector<int> group_start;
};

// Pillow's windows for resizing an axis of `in_size` samples to `out_size`.
AxisWindows make_windows(int in_size, int out_size);

// What a thread reuses across resizes: the windows of the sizes it has seen
// (a few: training images come in a handful of sizes) and the buffer between
// the two passes. Not thread-safe.
class ResizeScratch {
 public:
  ResizeScratch();
  ~ResizeScratch();
  ResizeScratch(ResizeScratch&&) noexcept;
  ResizeScratch& operator=(ResizeScratch&&) noexcept;

  // The windows for in_size -> out_size, computed on first use.
  const AxisWindows& windows(int in_size, int out_size);
  Buffer& intermediate() { return intermediate_; }

 private:
  static constexpr size_t kMaxCached = 16;
  std::vector<std::unique_ptr<AxisWindows>> cache_;  // most recently used last
  Buffer intermediate_;
};

// Resizes `in` (in_width x in_height RGB, rows packed) to out_width x
// out_height into `out` (out_width * out_height * 3 bytes, rows packed),
// exactly as Pillow's resize(..., BICUBIC); same size copies. Sizes must be
// 1..INT32_MAX (resize_bicubic checks them).
void resize_rgb_into(const uint8_t* in, uint32_t in_width, uint32_t in_height, uint8_t* out,
                     uint32_t out_width, uint32_t out_height, ResizeScratch& scratch);

// The passes (resize_passes.cc). `in` holds `rows` packed rows of
// `in_width` pixels; in_end is the end of readable memory at or after the
// last row (the AVX2 kernels read whole vectors and stay below it).
//   horizontal: resamples each row along x into `out` (rows of
//     w.out_size pixels).
//   vertical: output row y reads input rows w.first[y] - row0 ...; `out`
//     gets w.out_size rows of in_width pixels.
void horizontal_pass(const uint8_t* in, size_t in_width, int rows, const uint8_t* in_end,
                     const AxisWindows& w, uint8_t* out);
void vertical_pass(const uint8_t* in, size_t in_width, int row0, const AxisWindows& w, uint8_t* out);

// The kernels the passes use: the best the CPU has, at most the limit.
enum class ResizeKernels { kPortable, kAvx2 };
ResizeKernels resize_kernels();
// Tests: caps the kernels (weights computed after the call follow it).
void limit_resize_kernels(ResizeKernels most);

// Fills w.madd_weights / group_start for the current kernels (make_windows
// does it).
void prepare_madd_weights(AxisWindows& w);

}  // namespace mimicit::image::internal
