// resize_bicubic against Pillow 13: FNV-1a hashes of
// Image.fromarray(pattern(w, h)).resize((W, H), Image.BICUBIC), computed once
// with Pillow and written here, for upscales, downscales by large factors,
// one-axis resizes, non-square targets, 1x1 and Pillow 13's vertical-first
// order; plus the properties that need no oracle and the error cases.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::image {
namespace {

// Deterministic texture with edges in both directions, so that a wrong
// weight, window or pass order shows in the hash.
RgbImage pattern(uint32_t width, uint32_t height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.reserve(static_cast<size_t>(width) * height * 3);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      for (uint32_t c = 0; c < 3; ++c) {
        image.pixels.push_back(static_cast<uint8_t>((x * x * 7 + y * 13 + c * 50 + (x * y) % 17 * 9) % 256));
      }
    }
  }
  return image;
}

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

struct Case {
  uint32_t width, height, new_width, new_height;
  uint64_t pixel_hash;  // of Pillow's output
};

constexpr Case kPillowResizes[] = {
    {5, 3, 17, 11, 0xb051b32091c50298ull},        // upscale both
    {97, 61, 7, 5, 0xccd23983a99b90b7ull},        // downscale ~13x
    {97, 61, 1, 1, 0x2fbd121ae17f4037ull},        // to one pixel
    {1000, 7, 2, 7, 0x26177f42ecaf1525ull},       // 500x, horizontal pass only
    {7, 1000, 7, 2, 0x3bbd85001714afaaull},       // 500x, vertical pass only
    {20, 100, 25, 10, 0xc41f679aaa698038ull},     // vertical pass first (Pillow 13)
    {640, 480, 224, 224, 0x0262026d774b438cull},  // the training size
    {33, 47, 33, 200, 0x04fb2459106562a7ull},     // vertical upscale only
    {1, 1, 9, 4, 0x4ffa158365670fd5ull},          // from one pixel
    {300, 200, 150, 100, 0x0ea2d594354c752full},  // exact halving
};

TEST(ResizeBicubic, EqualsPillow) {
  for (const Case& c : kPillowResizes) {
    RgbImage out = resize_bicubic(pattern(c.width, c.height), c.new_width, c.new_height);
    EXPECT_EQ(out.width, c.new_width);
    EXPECT_EQ(out.height, c.new_height);
    ASSERT_EQ(out.pixels.size(), size_t{c.new_width} * c.new_height * 3);
    EXPECT_EQ(fnv1a(out.pixels), c.pixel_hash)
        << c.width << "x" << c.height << " -> " << c.new_width << "x" << c.new_height;
  }
}

TEST(ResizeBicubic, SameSizeIsACopy) {
  RgbImage in = pattern(31, 17);
  RgbImage out = resize_bicubic(in, 31, 17);
  EXPECT_EQ(out.width, 31u);
  EXPECT_EQ(out.height, 17u);
  EXPECT_EQ(out.pixels, in.pixels);
}

TEST(ResizeBicubic, FlatColorStaysFlat) {
  // The weights of every window sum to one: no drift at any scale.
  RgbImage in;
  in.width = 50;
  in.height = 30;
  for (int i = 0; i < 50 * 30; ++i) in.pixels.insert(in.pixels.end(), {200, 3, 77});
  for (auto [w, h] : {std::pair{1u, 1u}, {7u, 300u}, {224u, 224u}, {3u, 2u}}) {
    RgbImage out = resize_bicubic(in, w, h);
    for (size_t i = 0; i < out.pixels.size(); i += 3) {
      ASSERT_EQ(out.pixels[i], 200);
      ASSERT_EQ(out.pixels[i + 1], 3);
      ASSERT_EQ(out.pixels[i + 2], 77);
    }
  }
}

TEST(ResizeBicubic, BadSizesAreInvalidArguments) {
  RgbImage in = pattern(4, 4);
  auto code = [](auto&& call) -> std::optional<ErrorCode> {
    try {
      call();
    } catch (const Error& e) {
      return e.code();
    }
    return std::nullopt;
  };
  EXPECT_EQ(code([&] { resize_bicubic(in, 0, 4); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code([&] { resize_bicubic(in, 4, 0); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code([&] { resize_bicubic(in, 0x80000000u, 1); }), ErrorCode::kInvalidArgument);
  in.pixels.pop_back();
  EXPECT_EQ(code([&] { resize_bicubic(in, 2, 2); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code([&] { resize_bicubic(RgbImage{}, 2, 2); }), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mimicit::image
