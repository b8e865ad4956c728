// Fuzz target: image files, from the bytes to the model's input: probe,
// decode_rgb (every format: JPEG, PNG, WebP, GIF, BMP, TIFF, PPM, TGA, ICO,
// PCX, JPEG 2000, AVIF), the EXIF orientation, resize_bicubic and the
// Preprocessor in fast mode (JPEG DCT scaling).
//
// The input is the image file. Pixel limits are 4M (instead of Pillow's 89M)
// so a valid but huge image stops at Error(kLimit) instead of filling
// libFuzzer's memory limit. Checks, beyond "no crash": a decoded image holds
// width * height * 3 bytes and probe() agrees with its size; rotating by the
// EXIF orientation keeps the pixel count; resizing gives 17x13 pixels; a
// PNG decodes to the same pixels (or the same error) through the fast path
// (libdeflate + SIMD unfiltering) as through the row-by-row path alone.
// Seeds: $MIMICIT_TESTDATA/images (real-world edge cases: truncated,
// CMYK, 16-bit, palette, animated, a decompression bomb), photos, and small
// files of every format written by Pillow (fuzz/make_seeds.py).
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/image.h"
#include "mimicit/preprocess.h"

namespace {

using namespace mimicit::image;
using mimicit::ByteView;

constexpr uint64_t kMaxPixels = 4u << 20;

[[noreturn]] void fail_check(const char* why) {
  std::fprintf(stderr, "image: %s\n", why);
  std::abort();
}

void check_size(const RgbImage& image) {
  if (image.pixels.size() != uint64_t{image.width} * image.height * 3) fail_check("pixel buffer size");
}

// The PNG decoder's two paths: same pixels, or the same error message.
void check_png_paths_agree(ByteView bytes) {
  auto run = [&](auto&& decode, std::string& error) {
    RgbImage image;
    try {
      image = decode(bytes, kMaxPixels);
    } catch (const mimicit::Error& e) {
      error = e.what();
    }
    return image;
  };
  std::string fast_error, rowwise_error;
  RgbImage fast = run(internal::decode_png, fast_error);
  RgbImage rowwise = run(internal::decode_png_rowwise, rowwise_error);
  if (fast_error != rowwise_error || fast.pixels != rowwise.pixels) {
    fail_check("the PNG fast path and the row-by-row path disagree");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView bytes(data, size);
  (void)sniff_format(bytes);
  std::optional<ImageInfo> info;
  mimicit::fuzz::accept_errors([&] { info = probe(bytes); });
  if (sniff_format(bytes) == ImageFormat::kPng) check_png_paths_agree(bytes);

  mimicit::fuzz::accept_errors([&] {
    DecodeOptions options;
    options.max_pixels = kMaxPixels;
    RgbImage image = decode_rgb(bytes, options);
    check_size(image);
    if (info && (info->width != image.width || info->height != image.height) &&
        info->format != ImageFormat::kGif) {  // a GIF canvas grows to its first frame
      fail_check("probe() and decode_rgb() disagree on the size");
    }
    const int orientation = internal::exif_orientation(internal::find_exif(sniff_format(bytes), bytes));
    if (orientation != 1) {
      RgbImage turned =
          internal::apply_orientation(RgbImage{image.width, image.height, image.pixels}, orientation);
      check_size(turned);
      if (uint64_t{turned.width} * turned.height != uint64_t{image.width} * image.height) {
        fail_check("the EXIF orientation changes the pixel count");
      }
    }
    if (image.width > 0 && image.height > 0) {
      RgbImage small = resize_bicubic(image, 17, 13);
      if (small.width != 17 || small.height != 13) fail_check("resize size");
      check_size(small);
    }
  });

  mimicit::fuzz::accept_errors([&] {
    PreprocessOptions options;
    options.size = 24;
    options.max_pixels = kMaxPixels;
    options.fast = true;
    Preprocessor pre(options);
    std::vector<uint8_t> hwc(pre.output_size());
    pre.to_hwc(bytes, hwc);
  });
  return 0;
}
