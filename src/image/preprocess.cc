// Preprocessor: decode -> Pillow BICUBIC resize -> uint8 HWC or normalised
// float32 CHW, with per-thread scratch memory (see preprocess.h).
#include "mimicit/preprocess.h"

#include <cmath>
#include <cstring>

#include "image/decoders.h"
#include "image/resize_internal.h"
#include "mimicit/base64.h"
#include "mimicit/error.h"

namespace mimicit::image {

struct Preprocessor::Scratch {
  Buffer file;                     // decode_base64's output
  RgbImage jpeg;                   // decoded JPEGs (memory reused)
  RgbImage other;                  // other formats (decode_rgb allocates anyway)
  Buffer resized;                  // to_chw: the S x S HWC bytes before normalising
  internal::ResizeScratch resize;  // weights by size, the buffer between the passes
};

namespace {

void check_options(const PreprocessOptions& o) {
  if (o.size == 0 || o.size > kMaxPreprocessSize) {
    fail_invalid("preprocess: size {} is not in 1..{}", o.size, kMaxPreprocessSize);
  }
  for (int c = 0; c < 3; ++c) {
    float mean = o.normalization.mean[c];
    float std = o.normalization.std[c];
    if (!std::isfinite(mean) || !std::isfinite(std) || std == 0.0f) {
      fail_invalid("preprocess: channel {} has mean {} and std {} (need finite values, std != 0)", c, mean,
                   std);
    }
  }
}

}  // namespace

Preprocessor::Preprocessor(const PreprocessOptions& options)
    : options_(options), scratch_(std::make_unique<Scratch>()) {
  check_options(options_);
  for (int c = 0; c < 3; ++c) {
    // torch: ToTensor's x.float().div(255), then Normalize's
    // tensor.sub_(mean).div_(std), all in float32 (no FMA can apply here).
    float mean = options_.normalization.mean[c];
    float std = options_.normalization.std[c];
    for (int v = 0; v < 256; ++v) lut_[c][v] = (static_cast<float>(v) / 255.0f - mean) / std;
  }
}

Preprocessor::~Preprocessor() = default;
Preprocessor::Preprocessor(Preprocessor&&) noexcept = default;
Preprocessor& Preprocessor::operator=(Preprocessor&&) noexcept = default;

const PreprocessOptions& Preprocessor::options() const { return options_; }

size_t Preprocessor::output_size() const { return size_t{3} * options_.size * options_.size; }

void Preprocessor::check_size(size_t got, const char* what) const {
  if (got != output_size()) {
    fail_invalid("preprocess: the destination holds {} {}, a 3x{}x{} image needs {}", got, what,
                 options_.size, options_.size, output_size());
  }
}

ByteView Preprocessor::decode_base64(std::string_view text) {
  base64_decode(text, scratch_->file);
  return scratch_->file.view();
}

void Preprocessor::decode_and_resize(ByteView file, uint8_t* hwc) {
  const uint32_t size = options_.size;
  const RgbImage* image = &scratch_->jpeg;
  if (sniff_format(file) == ImageFormat::kJpeg) {
    internal::decode_jpeg_into(file, options_.max_pixels, options_.fast ? size : 0, scratch_->jpeg);
  } else {
    DecodeOptions decode;
    decode.max_pixels = options_.max_pixels;
    scratch_->other = decode_rgb(file, decode);
    image = &scratch_->other;
  }
  // Decoded sizes are at most 2^32 - 1 per side but their product is within
  // max_pixels; the resizer takes sides up to INT32_MAX.
  if (image->width > static_cast<uint32_t>(INT32_MAX) || image->height > static_cast<uint32_t>(INT32_MAX)) {
    fail(ErrorCode::kLimit, "preprocess: a {}x{} image is too wide to resize", image->width, image->height);
  }
  internal::resize_rgb_into(image->pixels.data(), image->width, image->height, hwc, size, size,
                            scratch_->resize);
}

void Preprocessor::to_hwc(ByteView file, std::span<uint8_t> hwc) {
  check_size(hwc.size(), "bytes");
  decode_and_resize(file, hwc.data());
}

void Preprocessor::to_chw(ByteView file, std::span<float> chw) {
  check_size(chw.size(), "floats");
  Buffer& rgb = scratch_->resized;
  rgb.resize(output_size());
  decode_and_resize(file, rgb.data());
  // HWC bytes -> three planes, normalised by table lookup in one pass.
  const size_t pixels = size_t{options_.size} * options_.size;
  const uint8_t* p = rgb.data();
  float* r = chw.data();
  float* g = r + pixels;
  float* b = g + pixels;
  const float* lut_r = lut_[0].data();
  const float* lut_g = lut_[1].data();
  const float* lut_b = lut_[2].data();
  for (size_t i = 0; i < pixels; ++i, p += 3) {
    r[i] = lut_r[p[0]];
    g[i] = lut_g[p[1]];
    b[i] = lut_b[p[2]];
  }
}

}  // namespace mimicit::image
