// WebP through libwebp. Pillow decodes every WebP with WebPAnimDecoder into
// non-premultiplied RGBA; for a still image that is a plain decode of the one
// frame (the first frame of an animation is always a key frame), so still
// images decode straight to RGB here, which gives the same bytes faster.
// Animations go through WebPAnimDecoder like Pillow and keep frame 1.
#include <webp/decode.h>
#include <webp/demux.h>

#include <cstring>
#include <memory>

#include "image/decoders.h"
#include "mimicit/error.h"

namespace mimicit::image::internal {
namespace {

const char* status_name(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated file)";
    default: return "error";
  }
}

WebPBitstreamFeatures features_of(ByteView b) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(b.data(), b.size(), &features);
  if (status != VP8_STATUS_OK) fail_corrupt("webp: header: {}", status_name(status));
  return features;
}

RgbImage decode_animation_first_frame(ByteView bytes, uint64_t max_pixels) {
  WebPData data{bytes.data(), bytes.size()};
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) fail(ErrorCode::kInternal, "webp: ABI mismatch");
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  WebPAnimInfo info;
  {
    // The canvas size comes from the demuxer; check it before the decoder
    // allocates the canvas.
    std::unique_ptr<WebPDemuxer, decltype(&WebPDemuxDelete)> demux(WebPDemux(&data), &WebPDemuxDelete);
    if (!demux) fail_corrupt("webp: cannot parse the animation container");
    check_pixel_limit("webp", WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_WIDTH),
                      WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_HEIGHT), max_pixels);
  }
  std::unique_ptr<WebPAnimDecoder, decltype(&WebPAnimDecoderDelete)> decoder(
      WebPAnimDecoderNew(&data, &options), &WebPAnimDecoderDelete);
  if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info)) {
    fail_corrupt("webp: cannot decode the animation");
  }
  uint8_t* rgba = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &rgba, &timestamp)) {
    fail_corrupt("webp: cannot decode the first frame");
  }
  RgbImage image = new_rgb(info.canvas_width, info.canvas_height);
  size_t pixels = size_t(info.canvas_width) * info.canvas_height;
  for (size_t i = 0; i < pixels; ++i) std::memcpy(&image.pixels[3 * i], rgba + 4 * i, 3);
  return image;
}

}  // namespace

ImageInfo probe_webp(ByteView b) {
  WebPBitstreamFeatures features = features_of(b);
  ImageInfo info;
  info.format = ImageFormat::kWebp;
  info.width = uint32_t(features.width);
  info.height = uint32_t(features.height);
  info.channels_in_file = features.has_alpha ? 4 : 3;
  info.animated = features.has_animation != 0;
  return info;
}

RgbImage decode_webp(ByteView bytes, uint64_t max_pixels) {
  WebPBitstreamFeatures features = features_of(bytes);
  if (features.has_animation) return decode_animation_first_frame(bytes, max_pixels);
  check_pixel_limit("webp", uint32_t(features.width), uint32_t(features.height), max_pixels);
  RgbImage image = new_rgb(uint32_t(features.width), uint32_t(features.height));
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) fail(ErrorCode::kInternal, "webp: ABI mismatch");
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA = {image.pixels.data(), features.width * 3, image.pixels.size()};
  VP8StatusCode status = WebPDecode(bytes.data(), bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);  // frees nothing with external memory; for symmetry
  if (status != VP8_STATUS_OK) fail_corrupt("webp: {}", status_name(status));
  return image;
}

}  // namespace mimicit::image::internal
