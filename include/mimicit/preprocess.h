// Image preprocessing for training: an image file (or its base64 text) ->
// the S x S tensor the model sees, as the reference pipeline builds it
// (Otter's mimicit_dataset: Pillow open -> convert("RGB") ->
// torchvision Resize((S, S), BICUBIC) -> ToTensor -> Normalize):
//
//   decode_rgb (image.h: Pillow's convert("RGB"), truncated files decoded as
//   far as they go, EXIF orientation not applied)
//   -> resize to S x S ignoring the aspect ratio, Pillow BICUBIC
//      (resize_bicubic, image.h)
//   -> either uint8 HWC (the resized RGB bytes, for users who normalise on
//      the GPU)
//      or float32 CHW: (x / 255 - mean[c]) / std[c], evaluated in float32 in
//      exactly that order (x / 255 is ToTensor's division, then Normalize's
//      subtraction and division by float32 mean/std), so the floats are
//      bit-identical to torch's, not merely close.
// In the default mode the uint8 pixels equal Pillow's and the floats equal
// torch's for every image Pillow decodes the same way (see image.h).
//
// Fast mode (PreprocessOptions::fast, off by default): a JPEG whose half
// (quarter, eighth) is still at least S x S is decoded at that reduced scale
// by libjpeg's DCT scaling (the smallest of 1/2, 1/4, 1/8 that keeps both
// sides >= S), then resized from there as usual. It skips most of the
// inverse DCT, upsampling and colour conversion and resizes a smaller image.
// It is NOT pixel-exact to Pillow: the scaled IDCT is a different filter.
// Measured on the 11 photos of the test data resized to 640x480 and saved by
// Pillow as JPEG quality 90, uint8 output against the default mode
// (bench/preprocess_bench --compare-fast):
//   S = 224 (decoded at 1/2): max abs difference 12-31 levels (at sharp
//     edges), mean abs difference 0.5-2.9 levels per sample (5 Pillow-drawn
//     scenes: max 19-31, mean 0.9-1.1);
//   S = 64 (decoded at 1/4): max 3-8 levels, mean 0.3-1.1.
// The original photos at S = 224: hubble_deep_field.jpg 1000x872 (1/2) max
// 8, mean 0.45; retina.jpg 1411x1411 (1/4) max 36, mean 0.54.
// Other formats, and JPEGs too small to halve (e.g. 640x427 for S = 224:
// 427 / 2 < 224), are decoded exactly as in the default mode.
//
// Memory and ownership: a Preprocessor keeps its scratch memory (the
// base64-decoded file, the decoded pixels, the buffer between the resize
// passes, the resize weights of the last few source sizes) across calls, so
// that after the first images of each size the JPEG path makes no
// allocations of its own (libjpeg still sets up its per-image working
// memory; the other formats' decoders allocate their pixels).
// The output goes straight into caller memory (to_chw/to_hwc take a span
// that must be exactly one image: a loader passes image k's slot of its
// batch buffer). The input is only read during the call.
//
// Limits: a source image of more than max_pixels pixels (the file's full
// size, also in fast mode) fails with Error(kLimit) before any pixel memory
// is allocated. Errors: kCorrupt for undecodable input and bad base64 (the
// message names the format and the decoder's reason, or the base64 offset),
// kUnsupported (image.h), kLimit, kInvalidArgument for bad options or a
// destination of the wrong size. Messages say what is wrong; the caller adds
// which image it was. After an error the destination's contents are
// unspecified and the Preprocessor remains usable.
//
// Thread-safety: a Preprocessor is used by one thread at a time (make one per
// worker thread); separate Preprocessors are independent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "mimicit/bytes.h"
#include "mimicit/image.h"

namespace mimicit::image {

// Per-channel (R, G, B) mean and standard deviation of the normalisation,
// in float32 as torchvision converts them (torch.as_tensor(mean,
// dtype=float32)).
struct Normalization {
  std::array<float, 3> mean;
  std::array<float, 3> std;
};

// Otter / OpenFlamingo (the reference pipeline's default).
inline constexpr Normalization kOtterNormalization = {{0.481f, 0.458f, 0.408f}, {0.269f, 0.261f, 0.276f}};
// IDEFICS (CLIP's constants).
inline constexpr Normalization kIdeficsNormalization = {{0.48145466f, 0.4578275f, 0.40821073f},
                                                        {0.26862954f, 0.26130258f, 0.27577711f}};

struct PreprocessOptions {
  // Target side S: every image becomes S x S. 1..kMaxPreprocessSize.
  uint32_t size = 224;
  // Used by to_chw only. Means and stds must be finite, stds non-zero
  // (torchvision refuses a zero std too).
  Normalization normalization = kOtterNormalization;
  // Source images with more pixels fail with Error(kLimit); the default is
  // the reference's training limit (kReferenceMaxPixels, image.h), not
  // Pillow's: the one place Dataset, Loader and the CLI take it from.
  uint64_t max_pixels = kReferenceMaxPixels;
  // DCT-scaled JPEG decoding (see the top of this file). Not pixel-exact.
  bool fast = false;
};

inline constexpr uint32_t kMaxPreprocessSize = 16384;

class Preprocessor {
 public:
  // Checks the options: Error(kInvalidArgument) naming the bad one.
  explicit Preprocessor(const PreprocessOptions& options = {});
  ~Preprocessor();
  Preprocessor(Preprocessor&&) noexcept;
  Preprocessor& operator=(Preprocessor&&) noexcept;

  const PreprocessOptions& options() const;

  // Values in one output image: 3 * S * S (floats for to_chw, bytes for
  // to_hwc).
  size_t output_size() const;

  // The image file `file` -> `chw`: 3 planes (R, G, B) of S rows of S
  // normalised floats. `chw` must hold exactly output_size() floats.
  void to_chw(ByteView file, std::span<float> chw);

  // The image file `file` -> `hwc`: S rows of S pixels of R, G, B bytes (not
  // normalised). `hwc` must hold exactly output_size() bytes.
  void to_hwc(ByteView file, std::span<uint8_t> hwc);

  // The file bytes of base64 `text` (base64.h's decoder: the standard and
  // URL-safe alphabets, missing padding, whitespace, a data: URI prefix),
  // decoded into this Preprocessor's own buffer: the view stays valid until
  // the next decode_base64() call, and may be passed to to_chw/to_hwc:
  //   pre.to_chw(pre.decode_base64(text), slot);
  ByteView decode_base64(std::string_view text);

 private:
  struct Scratch;
  void decode_and_resize(ByteView file, uint8_t* hwc);
  void check_size(size_t got, const char* what) const;

  PreprocessOptions options_;
  // lut_[c][v] = (v / 255.0f - mean[c]) / std[c]: the float result for every
  // byte value, computed once with torch's float32 operations.
  std::array<std::array<float, 256>, 3> lut_;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace mimicit::image
