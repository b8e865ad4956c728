// Thumbnails: sizes (aspect kept, never enlarged), pixels against the
// Pillow-exact resize, errors; the LRU cache: hits, eviction within the
// byte budget, nothing cached on failure, many threads at once.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "server/thumbnails.h"

namespace mimicit::server {
namespace {

Buffer png_of(uint32_t width, uint32_t height) {
  image::RgbImage rgb{width, height, std::vector<uint8_t>(size_t{width} * height * 3)};
  for (size_t i = 0; i < rgb.pixels.size(); ++i)
    rgb.pixels[i] = static_cast<uint8_t>((i / 3) % width * 255 / width);
  Buffer out;
  image::encode_png(rgb, out);
  return out;
}

image::ImageInfo info_of(const std::string& jpeg) { return image::probe(as_bytes(jpeg)); }

TEST(Thumbnail, KeepsTheAspectAndNeverEnlarges) {
  struct Case {
    uint32_t width, height, side, want_width, want_height;
  };
  for (const Case& c : std::vector<Case>{{400, 300, 256, 256, 192},
                                         {300, 400, 256, 192, 256},
                                         {64, 48, 256, 64, 48},
                                         {256, 256, 256, 256, 256},
                                         {1000, 3, 100, 100, 1},
                                         {2, 999, 64, 1, 64}}) {
    const std::string jpeg = make_thumbnail(png_of(c.width, c.height), c.side);
    const image::ImageInfo info = info_of(jpeg);
    EXPECT_EQ(info.format, image::ImageFormat::kJpeg);
    EXPECT_EQ(info.width, c.want_width) << c.width << "x" << c.height;
    EXPECT_EQ(info.height, c.want_height) << c.width << "x" << c.height;
  }
}

TEST(Thumbnail, IsTheResizedImage) {
  const Buffer png = png_of(300, 200);
  const image::RgbImage expected = image::resize_bicubic(image::decode_rgb(png), 150, 100);
  const std::string jpeg = make_thumbnail(png, 150);
  const image::RgbImage got = image::decode_rgb(as_bytes(jpeg));
  ASSERT_EQ(got.pixels.size(), expected.pixels.size());
  double diff = 0;
  for (size_t i = 0; i < got.pixels.size(); ++i)
    diff += std::abs(int{got.pixels[i]} - int{expected.pixels[i]});
  EXPECT_LT(diff / static_cast<double>(got.pixels.size()), 3.0);  // JPEG noise only
}

TEST(Thumbnail, UndecodableBytesThrow) {
  EXPECT_THROW(make_thumbnail(as_bytes("\xff\xd8\xff not a jpeg"), 64), Error);
  EXPECT_THROW(make_thumbnail(as_bytes(""), 64), Error);
}

TEST(ThumbnailCache, HitsDoNotMakeAgain) {
  ThumbnailCache cache(1000);
  int made = 0;
  auto make = [&] {
    ++made;
    return std::string(100, 'j');
  };
  const auto first = cache.get("a", make);
  const auto second = cache.get("a", make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(cache.bytes(), 101u);
}

TEST(ThumbnailCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
  ThumbnailCache cache(350);  // three entries of 101 bytes fit
  int made = 0;
  auto make = [&] {
    ++made;
    return std::string(100, 'j');
  };
  for (const char* id : {"a", "b", "c"}) cache.get(id, make);
  cache.get("a", make);  // a is now the most recently used
  cache.get("d", make);  // evicts b
  EXPECT_EQ(cache.entries(), 3u);
  EXPECT_LE(cache.bytes(), 350u);
  made = 0;
  cache.get("a", make);
  cache.get("c", make);
  cache.get("d", make);
  EXPECT_EQ(made, 0);
  cache.get("b", make);
  EXPECT_EQ(made, 1);
  // An entry larger than the whole budget is returned, not kept.
  const auto huge = cache.get("huge", [] { return std::string(1000, 'h'); });
  EXPECT_EQ(huge->size(), 1000u);
  EXPECT_LE(cache.bytes(), 350u);
}

TEST(ThumbnailCache, FailuresAreNotCached) {
  ThumbnailCache cache(1000);
  EXPECT_THROW(cache.get("bad", []() -> std::string { fail_corrupt("bad image"); }), Error);
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(*cache.get("bad", [] { return std::string("ok"); }), "ok");
}

TEST(ThumbnailCache, ManyThreadsShareOneCache) {
  ThumbnailCache cache(64 * 40);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string id = std::to_string((i * 7 + t) % 97);
        const auto value =
            cache.get(id, [&] { return std::string(60, static_cast<char>('A' + std::stoi(id) % 26)); });
        if (value->size() != 60 || (*value)[0] != static_cast<char>('A' + std::stoi(id) % 26)) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.bytes(), 64u * 40u);
}

}  // namespace
}  // namespace mimicit::server
