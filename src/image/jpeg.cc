// JPEG through the TurboJPEG 2 API of libjpeg-turbo.
//
// Pillow decodes with libjpeg's defaults (ISLOW DCT, fancy upsampling), which
// are also TurboJPEG's defaults when no TJFLAG_FAST* flag is given, so the
// RGB output is identical. Pillow's two quirks reproduced here:
//   - 4-component JPEGs are always read as Adobe-inverted CMYK ("CMYK;I",
//     whatever the APP14 marker says) and converted by cmyk2rgb;
//   - a truncated file gets a fake EOI marker (JpegImagePlugin.load_read),
//     which is exactly what TurboJPEG's memory source does at the end of the
//     data; the resulting libjpeg warning is not an error.
// One difference: a progressive JPEG of more than 500 scans is refused
// (TJFLAG_LIMITSCANS, Error(kLimit)). Each scan rereads the whole image's
// coefficients, so a few KB of scans can keep a decoder busy for minutes
// (libjpeg-turbo's "TwoIssueswiththeJPEGStandard"); real encoders write
// about 10.
#include <turbojpeg.h>

#include <memory>
#include <string>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct HandleDeleter {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using Handle = std::unique_ptr<void, HandleDeleter>;

// One decompressor and one compressor per thread: creating a handle costs
// more than decoding a thumbnail. TurboJPEG 2.1 leaves a handle mid-header
// after a failed tjDecompressHeader3 (the next header read then continues
// the old stream), so a handle that reported anything is replaced.
Handle& decompressor_slot() {
  thread_local Handle handle;
  return handle;
}

tjhandle decompressor() {
  Handle& slot = decompressor_slot();
  if (!slot) slot.reset(tjInitDecompress());
  if (!slot) fail(ErrorCode::kInternal, "jpeg: tjInitDecompress failed");
  return slot.get();
}

tjhandle compressor() {
  thread_local Handle handle(tjInitCompress());
  if (!handle) fail(ErrorCode::kInternal, "jpeg: tjInitCompress failed");
  return handle.get();
}

// TurboJPEG's defaults are Pillow's (ISLOW DCT, fancy upsampling).
constexpr int kDecodeFlags = TJFLAG_LIMITSCANS;

bool is_sof(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Pillow's cmyk2rgb on inverted ("CMYK;I") samples: with c' = 255 - c etc.,
// out = clip(nk - c' * nk / 255) with nk = 255 - k', where x * y / 255 is
// the rounded MULDIV255.
inline uint8_t cmyk_channel(uint8_t c, int nk) {
  int v = nk - muldiv255(255 - c, nk);
  return uint8_t(v < 0 ? 0 : v);
}

void cmyk_to_rgb(const uint8_t* in, uint8_t* out, size_t pixels) {
  for (size_t i = 0; i < pixels; ++i, in += 4, out += 3) {
    int nk = in[3];  // 255 - (255 - k): the inversion cancels
    out[0] = cmyk_channel(in[0], nk);
    out[1] = cmyk_channel(in[1], nk);
    out[2] = cmyk_channel(in[2], nk);
  }
}

// tjDecompress2 returns -1 for warnings too (corrupt data skipped, premature
// end of data); Pillow ignores libjpeg warnings.
void check(tjhandle handle, int rc, const char* what) {
  if (rc == 0) return;
  bool warning = tjGetErrorCode(handle) == TJERR_WARNING;
  std::string reason = tjGetErrorStr2(handle);
  decompressor_slot().reset();
  if (warning) return;
  // TJFLAG_LIMITSCANS' error ("Progressive JPEG image has more than 500 scans").
  if (reason.find("more than 500 scans") != std::string::npos) fail(ErrorCode::kLimit, "jpeg: {}", reason);
  fail_corrupt("jpeg: {}: {}", what, reason);
}

}  // namespace

ImageInfo probe_jpeg(ByteView b) {
  size_t pos = 2;
  while (pos + 4 <= b.size()) {
    if (b[pos] != 0xFF) fail_corrupt("jpeg: no marker at offset {}", pos);
    uint8_t marker = b[pos + 1];
    if (marker == 0xFF) {
      ++pos;
      continue;
    }  // fill byte
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // scan or end before any frame header
    size_t length = load_be16(&b[pos + 2]);
    if (length < 2) fail_corrupt("jpeg: bad segment length at offset {}", pos);
    if (is_sof(marker)) {
      if (length < 8 || pos + 10 > b.size()) break;
      const uint8_t* sof = &b[pos + 4];
      ImageInfo info;
      info.format = ImageFormat::kJpeg;
      info.bits_per_channel = sof[0];
      info.height = load_be16(sof + 1);
      info.width = load_be16(sof + 3);
      info.channels_in_file = sof[5];
      if (info.width == 0 || info.height == 0) {
        fail_corrupt("jpeg: frame header gives size {}x{}", info.width, info.height);
      }
      return info;
    }
    pos += 2 + length;
  }
  fail_corrupt("jpeg: no frame header (SOF) before the image data");
}

namespace {

// The scale for decode_jpeg_into's `min_side`: the smallest of 1/2, 1/4, 1/8
// (the factors libjpeg-turbo has SIMD IDCTs for) whose output keeps both
// sides >= min_side; 1/1 when none does or min_side is 0.
tjscalingfactor pick_scale(int width, int height, uint32_t min_side) {
  tjscalingfactor best{1, 1};
  if (min_side == 0) return best;
  int count = 0;
  tjscalingfactor* factors = tjGetScalingFactors(&count);
  for (int i = 0; factors != nullptr && i < count; ++i) {
    tjscalingfactor f = factors[i];
    if (f.num != 1 || (f.denom != 2 && f.denom != 4 && f.denom != 8)) continue;
    if (f.denom <= best.denom) continue;
    if (uint32_t(TJSCALED(width, f)) >= min_side && uint32_t(TJSCALED(height, f)) >= min_side) {
      best = f;
    }
  }
  return best;
}

}  // namespace

void decode_jpeg_into(ByteView bytes, uint64_t max_pixels, uint32_t min_side, RgbImage& out) {
  ImageInfo info = probe_jpeg(bytes);
  if (info.bits_per_channel != 8) {
    fail_unsupported("jpeg: {}-bit samples (only 8-bit JPEG is supported, as in Pillow)",
                     info.bits_per_channel);
  }
  tjhandle handle = decompressor();
  auto* data = const_cast<unsigned char*>(bytes.data());
  unsigned long size = bytes.size();
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  check(handle, tjDecompressHeader3(handle, data, size, &width, &height, &subsamp, &colorspace), "header");
  handle = decompressor();  // check() may have replaced it; tjDecompress2 rereads the header
  // The limit applies to the file's size, whatever scale it is decoded at.
  check_pixel_limit("jpeg", uint32_t(width), uint32_t(height), max_pixels);
  tjscalingfactor scale = pick_scale(width, height, min_side);
  width = TJSCALED(width, scale);
  height = TJSCALED(height, scale);
  // No zero-fill: on success (and on warnings, e.g. a truncated file)
  // libjpeg writes every row; on errors `out` is not used.
  out.width = uint32_t(width);
  out.height = uint32_t(height);
  out.pixels.resize(size_t(width) * height * 3);
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    std::vector<uint8_t> cmyk(size_t(width) * height * 4, 0);
    check(handle, tjDecompress2(handle, data, size, cmyk.data(), width, 0, height, TJPF_CMYK, kDecodeFlags),
          "decode");
    cmyk_to_rgb(cmyk.data(), out.pixels.data(), size_t(width) * height);
  } else {
    check(handle,
          tjDecompress2(handle, data, size, out.pixels.data(), width, 0, height, TJPF_RGB, kDecodeFlags),
          "decode");
  }
}

RgbImage decode_jpeg(ByteView bytes, uint64_t max_pixels) {
  RgbImage image;
  decode_jpeg_into(bytes, max_pixels, 0, image);
  return image;
}

}  // namespace mimicit::image::internal

namespace mimicit::image {

void encode_jpeg(const RgbImage& image, Buffer& out, int quality) {
  using internal::compressor;
  if (quality < 1 || quality > 100) fail_invalid("jpeg: quality {} is not in 1..100", quality);
  if (image.width == 0 || image.height == 0 || image.width > 65535 || image.height > 65535) {
    fail_invalid("jpeg: cannot encode a {}x{} image", image.width, image.height);
  }
  tjhandle handle = compressor();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(handle, image.pixels.data(), int(image.width), 0, int(image.height), TJPF_RGB, &jpeg,
                       &size, TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, decltype(&tjFree)> owned(jpeg, &tjFree);
  if (rc != 0) fail(ErrorCode::kInternal, "jpeg: encode: {}", tjGetErrorStr2(handle));
  out.assign({jpeg, size});
}

}  // namespace mimicit::image
