// AVIF through libavif (Debian's, with its AV1 decoders), called as
// Pillow's _avif.c calls it: a decoder with the clean-aperture and 'pixi'
// strictness turned off, the first image (avifDecoderNthImage 0), and
// avifImageYUVToRGB into 8-bit RGB (RGBA when the file has alpha, whose
// color is the same) with libavif's default chroma upsampling. The
// pictures' transforms (irot, imir, clap) are not applied, as in Pillow.
//
// 8-bit pictures (every encoder's default, Pillow's included) come out
// identical to Pillow 13's (libavif 1.4 with libyuv): both libavifs hand
// 8-bit YUV to libyuv. 10- and 12-bit pictures may differ by a few levels:
// libavif 1.x converts them with libyuv's deep-color functions, Debian's
// libavif 0.11 with its own arithmetic (docs/reliability.md).
//
// A file libavif cannot parse or decode (a cut file included) is kCorrupt,
// as Pillow fails on it.
#include <avif/avif.h>

#include <memory>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

struct DecoderDeleter {
  void operator()(avifDecoder* d) const { avifDecoderDestroy(d); }
};
using Decoder = std::unique_ptr<avifDecoder, DecoderDeleter>;

// A parsed file (the decoder's image holds the size, nothing decoded yet).
Decoder open(ByteView bytes) {
  Decoder decoder(avifDecoderCreate());
  if (!decoder) fail(ErrorCode::kInternal, "avif: avifDecoderCreate failed");
  decoder->maxThreads = 1;
  decoder->strictFlags &= ~AVIF_STRICT_CLAP_VALID;
  decoder->strictFlags &= ~AVIF_STRICT_PIXI_REQUIRED;
  avifResult result = avifDecoderSetIOMemory(decoder.get(), bytes.data(), bytes.size());
  if (result == AVIF_RESULT_OK) result = avifDecoderParse(decoder.get());
  if (result != AVIF_RESULT_OK) fail_corrupt("avif: Failed to decode image: {}", avifResultToString(result));
  return decoder;
}

struct RgbPixels {
  avifRGBImage rgb{};
  ~RgbPixels() { avifRGBImageFreePixels(&rgb); }
};

}  // namespace

ImageInfo probe_avif(ByteView bytes) {
  Decoder decoder = open(bytes);
  const avifImage* image = decoder->image;
  ImageInfo info;
  info.format = ImageFormat::kAvif;
  info.width = image->width;
  info.height = image->height;
  const bool grey = image->yuvFormat == AVIF_PIXEL_FORMAT_YUV400;
  info.channels_in_file = (grey ? 1 : 3) + (decoder->alphaPresent ? 1 : 0);
  info.bits_per_channel = int(image->depth);
  info.animated = decoder->imageCount > 1;
  if (info.width == 0 || info.height == 0) fail_corrupt("avif: image of size {}x{}", info.width, info.height);
  return info;
}

RgbImage decode_avif(ByteView bytes, uint64_t max_pixels) {
  Decoder decoder = open(bytes);
  check_pixel_limit("avif", decoder->image->width, decoder->image->height, max_pixels);
  if (avifResult result = avifDecoderNthImage(decoder.get(), 0); result != AVIF_RESULT_OK) {
    fail_corrupt("avif: Failed to decode frame 0: {}", avifResultToString(result));
  }
  avifImage* image = decoder->image;
  RgbPixels pixels;
  avifRGBImage& rgb = pixels.rgb;
  avifRGBImageSetDefaults(&rgb, image);
  rgb.depth = 8;
  rgb.format = decoder->alphaPresent ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
  avifRGBImageAllocatePixels(&rgb);
  if (rgb.pixels == nullptr) fail(ErrorCode::kInternal, "avif: pixel allocation failed");
  if (avifResult result = avifImageYUVToRGB(image, &rgb); result != AVIF_RESULT_OK) {
    fail_corrupt("avif: Conversion from YUV failed: {}", avifResultToString(result));
  }
  check_pixel_limit("avif", rgb.width, rgb.height, max_pixels);
  RgbImage out = new_rgb(rgb.width, rgb.height);
  const size_t step = decoder->alphaPresent ? 4 : 3;
  for (uint32_t y = 0; y < rgb.height; ++y) {
    const uint8_t* in = rgb.pixels + size_t(y) * rgb.rowBytes;
    uint8_t* o = &out.pixels[size_t(y) * rgb.width * 3];
    for (uint32_t x = 0; x < rgb.width; ++x, in += step, o += 3) o[0] = in[0], o[1] = in[1], o[2] = in[2];
  }
  return out;
}

}  // namespace mimicit::image::internal
