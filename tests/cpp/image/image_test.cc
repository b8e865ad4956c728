// Image module: probe and decode_rgb on the real-world images of the test
// data (pixel hashes of Pillow's Image.open(f).convert("RGB") with
// LOAD_TRUNCATED_IMAGES, computed once with Pillow 13 and written here), the
// error cases, EXIF orientation, encoders, and robustness on cut and
// corrupted inputs (no crash, only mimicit::Error).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "test_data.h"

namespace mimicit::image {
namespace {

using mimicit::testing::read_file_bytes;
using mimicit::testing::testdata_dir;

std::filesystem::path images_dir() {
  auto dir = testdata_dir();
  return dir.empty() ? dir : dir / "images";
}

#define SKIP_WITHOUT_IMAGES()                                         \
  if (images_dir().empty() || !std::filesystem::exists(images_dir())) \
  GTEST_SKIP() << "no $MIMICIT_TESTDATA/images"

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

struct Expected {
  const char* file;
  uint32_t width, height;
  uint64_t pixel_hash;  // FNV-1a of Pillow's RGB bytes
};

// Every file of the test data that Pillow decodes.
constexpr Expected kPillowDecodes[] = {
    {"libjpeg-turbo/testimgari.jpg", 227, 149, 0x0cc30ec4defc0ec6ull},  // arithmetic coding
    {"libjpeg-turbo/testimgint.jpg", 227, 149, 0x0cc30ec4defc0ec6ull},  // progressive
    {"libjpeg-turbo/testorig.jpg", 227, 149, 0x6636942c099383b0ull},
    {"libjpeg-turbo/testorig.png", 227, 149, 0x5782edb7d99855bcull},
    {"libjpeg-turbo/vgl_5674_0098.png", 120, 96, 0xf327967da7d0ab41ull},
    {"pillow/1_trns.png", 64, 64, 0x9f0ae82fbaf29365ull},
    {"pillow/apng_mode_16bit.png", 128, 64, 0x55fbb7f12f944325ull},
    {"pillow/exif_gps.jpg", 8, 8, 0xab0c262759a1d225ull},
    {"pillow/flower.jpg", 480, 360, 0xf03fb417b0c6354aull},
    {"pillow/flower.webp", 480, 360, 0x665a5fc0acce024dull},
    {"pillow/flower2.jpg", 300, 225, 0xcbf4c39239e32387ull},
    {"pillow/hopper.bmp", 128, 128, 0x9fd5849cfd0b4536ull},
    {"pillow/hopper.gif", 128, 128, 0x5df8fb3f47e8f1b3ull},
    {"pillow/hopper.jpg", 128, 128, 0x7f9673b5bd70bde5ull},
    {"pillow/hopper.png", 128, 128, 0x9fd5849cfd0b4536ull},
    {"pillow/hopper.webp", 128, 128, 0x6b14da995aad5f2eull},
    {"pillow/hopper_16bit_qtables.jpg", 128, 128, 0x1bb8c1420a7633bcull},
    {"pillow/hopper_gray.jpg", 128, 128, 0x02384eefaf4ef5eaull},
    {"pillow/hopper_orientation_3.jpg", 128, 128, 0x267a191942228e8eull},
    {"pillow/i_trns.png", 64, 64, 0xcbdb1c84dff420d3ull},  // 16-bit grey
    {"pillow/l_trns.png", 64, 64, 0xcbdb1c84dff420d3ull},
    {"pillow/p_trns_single.png", 64, 64, 0xac8b6ccf8fc25b19ull},
    {"pillow/pil_sample_rgb.jpg", 100, 100, 0x817cba73bf3421eaull},
    {"pillow/rgb.jpg", 100, 100, 0x2e478015e727f765ull},
    {"pillow/rgb_trns.png", 64, 64, 0xac8b6ccf8fc25b19ull},
    {"pillow/transparent.gif", 200, 150, 0xf90974251ec45428ull},
    {"pillow/transparent.webp", 200, 150, 0x7fe123208a892571ull},
    {"pillow/truncated_jpeg.jpg", 100, 100, 0xcba2e08bd6dd3e8cull},
};

std::vector<uint8_t> load(const std::string& name) { return read_file_bytes(images_dir() / name); }

ErrorCode decode_error(const std::vector<uint8_t>& bytes, std::string* message = nullptr,
                       const DecodeOptions& options = {}) {
  try {
    decode_rgb(bytes, options);
  } catch (const Error& e) {
    if (message) *message = e.message();
    return e.code();
  }
  ADD_FAILURE() << "decode_rgb did not throw";
  return ErrorCode::kInternal;
}

TEST(ImageDecode, MatchesPillowOnTheTestImages) {
  SKIP_WITHOUT_IMAGES();
  for (const Expected& e : kPillowDecodes) {
    SCOPED_TRACE(e.file);
    std::vector<uint8_t> bytes = load(e.file);
    ASSERT_FALSE(bytes.empty());
    RgbImage image = decode_rgb(bytes);
    EXPECT_EQ(image.width, e.width);
    EXPECT_EQ(image.height, e.height);
    ASSERT_EQ(image.pixels.size(), size_t(e.width) * e.height * 3);
    EXPECT_EQ(fnv1a(image.pixels), e.pixel_hash);
  }
}

TEST(ImageProbe, ReportsFormatAndSizeOfEveryTestImage) {
  SKIP_WITHOUT_IMAGES();
  for (const Expected& e : kPillowDecodes) {
    SCOPED_TRACE(e.file);
    ImageInfo info = probe(load(e.file));
    EXPECT_EQ(info.width, e.width);
    EXPECT_EQ(info.height, e.height);
    std::string ext = std::filesystem::path(e.file).extension().string().substr(1);
    EXPECT_EQ(format_name(info.format), ext == "jpg" ? std::string("jpeg") : ext);
  }
  ImageInfo grey = probe(load("pillow/hopper_gray.jpg"));
  EXPECT_EQ(grey.channels_in_file, 1);
  ImageInfo rgba16 = probe(load("pillow/apng_mode_16bit.png"));
  EXPECT_EQ(rgba16.channels_in_file, 4);
  EXPECT_EQ(rgba16.bits_per_channel, 16);
  EXPECT_TRUE(rgba16.animated);
  ImageInfo alpha = probe(load("pillow/transparent.webp"));
  EXPECT_EQ(alpha.channels_in_file, 4);
  ImageInfo twelve = probe(load("libjpeg-turbo/monkey12.jpg"));
  EXPECT_EQ(twelve.bits_per_channel, 12);
  // Header only: the bomb probes fine, decoding refuses it.
  ImageInfo bomb = probe(load("pillow/decompression_bomb.gif"));
  EXPECT_EQ(uint64_t(bomb.width) * bomb.height, 4364696535ull);
}

TEST(ImageDecode, ErrorsNameFormatAndReason) {
  SKIP_WITHOUT_IMAGES();
  std::string message;
  EXPECT_EQ(decode_error(load("libjpeg-turbo/monkey12.jpg"), &message), ErrorCode::kUnsupported);
  EXPECT_NE(message.find("jpeg: 12-bit"), std::string::npos) << message;
  EXPECT_EQ(decode_error(load("pillow/decompression_bomb.gif"), &message), ErrorCode::kLimit);
  EXPECT_NE(message.find("4364696535 pixels"), std::string::npos) << message;
  EXPECT_NE(message.find("decompression bomb"), std::string::npos) << message;
  EXPECT_EQ(decode_error(load("pillow/broken.png"), &message), ErrorCode::kCorrupt);
  EXPECT_EQ(message.rfind("png: ", 0), 0u) << message;
  std::string html = "<html><body>404</body></html>";
  EXPECT_EQ(decode_error({html.begin(), html.end()}, &message), ErrorCode::kCorrupt);
  EXPECT_NE(message.find("unknown format"), std::string::npos) << message;
  EXPECT_EQ(decode_error({}, &message), ErrorCode::kCorrupt);
}

TEST(ImageDecode, MaxPixelsRefusesBeforeDecoding) {
  SKIP_WITHOUT_IMAGES();
  DecodeOptions options;
  options.max_pixels = 128 * 128 - 1;
  for (const char* name : {"pillow/hopper.jpg", "pillow/hopper.png", "pillow/hopper.webp",
                           "pillow/hopper.gif", "pillow/hopper.bmp"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(decode_error(load(name), nullptr, options), ErrorCode::kLimit);
    options.max_pixels = 128 * 128;
    EXPECT_NO_THROW(decode_rgb(load(name), options));
    options.max_pixels = 128 * 128 - 1;
  }
}

TEST(ImageDecode, ExifOrientationOnlyWhenAsked) {
  SKIP_WITHOUT_IMAGES();
  std::vector<uint8_t> bytes = load("pillow/hopper_orientation_3.jpg");
  RgbImage plain = decode_rgb(bytes);
  DecodeOptions options;
  options.apply_exif_orientation = true;
  RgbImage turned = decode_rgb(bytes, options);
  ASSERT_EQ(turned.width, plain.width);
  ASSERT_EQ(turned.height, plain.height);
  size_t n = size_t(plain.width) * plain.height;
  for (size_t i = 0; i < n; ++i) {  // orientation 3 = rotate 180
    ASSERT_EQ(std::memcmp(&turned.pixels[3 * i], &plain.pixels[3 * (n - 1 - i)], 3), 0) << i;
  }
  // No EXIF block: unchanged.
  EXPECT_EQ(decode_rgb(load("pillow/hopper.jpg"), options).pixels,
            decode_rgb(load("pillow/hopper.jpg")).pixels);
}

RgbImage gradient(uint32_t width, uint32_t height) {
  RgbImage image{width, height, std::vector<uint8_t>(size_t(width) * height * 3)};
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[(size_t(y) * width + x) * 3];
      p[0] = uint8_t(x * 255 / width);
      p[1] = uint8_t(y * 255 / height);
      p[2] = uint8_t((x + y) & 0xFF);
    }
  }
  return image;
}

TEST(ImageEncode, PngRoundTripIsExact) {
  RgbImage image = gradient(37, 23);
  for (int level : {0, 6, 9}) {
    Buffer png;
    encode_png(image, png, level);
    EXPECT_EQ(probe(png).format, ImageFormat::kPng);
    RgbImage back = decode_rgb(png);
    EXPECT_EQ(back.width, 37u);
    EXPECT_EQ(back.height, 23u);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST(ImageEncode, FastPngRoundTripIsExact) {
  for (auto [w, h] : {std::pair{37u, 23u}, std::pair{1u, 1u}, std::pair{300u, 2u}}) {
    RgbImage image = gradient(w, h);
    Buffer png;
    encode_png_fast(image, png);
    EXPECT_EQ(probe(png).format, ImageFormat::kPng);
    RgbImage back = decode_rgb(png);
    EXPECT_EQ(back.width, w);
    EXPECT_EQ(back.height, h);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST(ImageEncode, JpegRoundTripIsClose) {
  RgbImage image = gradient(64, 48);
  Buffer jpeg;
  encode_jpeg(image, jpeg, 95);
  ImageInfo info = probe(jpeg);
  EXPECT_EQ(info.format, ImageFormat::kJpeg);
  EXPECT_EQ(info.channels_in_file, 3);
  RgbImage back = decode_rgb(jpeg);
  ASSERT_EQ(back.pixels.size(), image.pixels.size());
  int max_diff = 0;
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(int(back.pixels[i]) - int(image.pixels[i])));
  }
  EXPECT_LE(max_diff, 24);  // chroma subsampling of a colorful gradient
}

TEST(ImageEncode, RejectsBadArguments) {
  RgbImage image = gradient(4, 4);
  Buffer out;
  EXPECT_THROW(encode_jpeg(image, out, 0), Error);
  EXPECT_THROW(encode_png(image, out, 10), Error);
  RgbImage empty;
  EXPECT_THROW(encode_png(empty, out), Error);
  EXPECT_THROW(encode_jpeg(empty, out), Error);
}

// Every prefix length class and random byte corruption of every test image
// either decodes or throws mimicit::Error: never a crash (run under ASan).
TEST(ImageDecode, CutAndCorruptedInputsNeverCrash) {
  SKIP_WITHOUT_IMAGES();
  std::mt19937 rng(42);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(images_dir())) {
    if (!entry.is_regular_file() || entry.path().extension() == ".txt") continue;
    if (entry.path().filename() == "decompression_bomb.gif") continue;
    SCOPED_TRACE(entry.path().string());
    std::vector<uint8_t> bytes = read_file_bytes(entry.path());
    for (size_t cut : {size_t(0), size_t(1), size_t(10), size_t(40), bytes.size() / 3, bytes.size() / 2,
                       bytes.size() - 1}) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + std::min(cut, bytes.size()));
      try {
        RgbImage image = decode_rgb(prefix);
        EXPECT_EQ(image.pixels.size(), size_t(image.width) * image.height * 3);
      } catch (const Error&) {
      }
    }
    for (int round = 0; round < 20; ++round) {
      std::vector<uint8_t> bad = bytes;
      for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = uint8_t(rng());
      try {
        decode_rgb(bad);
      } catch (const Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace mimicit::image
