// The resizer's portable and AVX2 kernels (src/image/resize_passes.cc) give
// the same bytes: the Pillow comparisons (resize_test.cc,
// preprocess_test.cc, tests/python/test_image_resize.py) check the best
// kernels of the machine, and this test carries that over to the portable
// ones, over sizes
// that hit every edge: window counts that are not multiples of 4, rows whose
// width is not a multiple of 8 or 32 samples, windows that reach the end of
// the buffer, upscales, one-axis resizes and the vertical-first order.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "image/resize_internal.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace {

RgbImage noise(uint32_t width, uint32_t height, std::mt19937& random) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(size_t{width} * height * 3);
  for (uint8_t& b : image.pixels) b = static_cast<uint8_t>(random() >> 24);
  return image;
}

// Runs resize_bicubic with the kernels capped at `most`.
RgbImage resize_with(internal::ResizeKernels most, const RgbImage& in, uint32_t width, uint32_t height) {
  internal::limit_resize_kernels(most);
  RgbImage out = resize_bicubic(in, width, height);
  internal::limit_resize_kernels(internal::ResizeKernels::kAvx2);
  return out;
}

TEST(ResizeKernels, AllKernelsAgree) {
  using internal::ResizeKernels;
  std::mt19937 random(7);
  const uint32_t sizes[][4] = {
      {640, 480, 224, 224}, {640, 427, 224, 224},   {1, 1, 5, 3},     {3, 2, 1, 1},    {13, 7, 5, 3},
      {97, 61, 31, 17},     {5, 9, 64, 64},         {1000, 3, 7, 3},  {3, 1000, 3, 7}, {20, 100, 25, 10},
      {333, 222, 336, 336}, {451, 300, 64, 64},     {2, 2, 1, 3},     {8, 8, 3, 8},    {77, 1, 11, 1},
      {1, 77, 1, 11},       {1411, 1411, 224, 224}, {300, 40, 17, 40}};
  for (const auto& s : sizes) {
    SCOPED_TRACE(::testing::Message() << s[0] << "x" << s[1] << " -> " << s[2] << "x" << s[3]);
    RgbImage in = noise(s[0], s[1], random);
    RgbImage portable = resize_with(ResizeKernels::kPortable, in, s[2], s[3]);
    EXPECT_EQ(resize_with(ResizeKernels::kAvx2, in, s[2], s[3]).pixels, portable.pixels);
  }
}

}  // namespace
}  // namespace mimicit::image
