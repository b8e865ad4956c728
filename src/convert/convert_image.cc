#include "convert/convert_image.h"

#include "mimicit/error.h"
#include "mimicit/image.h"

namespace mimicit::convert {

std::string process_image(const ConvertOptions& options, const Buffer& in, Buffer& out) {
  bool reencode = options.reencode != Reencode::kKeep || options.resize > 0;
  if (!reencode && !options.verify) {
    out.assign(in.view());
    return {};
  }
  image::RgbImage rgb;
  try {
    rgb = image::decode_rgb(in.view());
  } catch (const Error& e) {
    return fmt::format("undecodable image: {}", e.what());
  }
  if (!reencode) {
    out.assign(in.view());
    return {};
  }
  if (options.resize > 0) rgb = image::resize_bicubic(rgb, options.resize, options.resize);
  out.clear();
  if (options.reencode == Reencode::kJpeg)
    image::encode_jpeg(rgb, out, options.jpeg_quality);
  else if (options.png_level == ConvertOptions::kPngFast)
    image::encode_png_fast(rgb, out);
  else
    image::encode_png(rgb, out, options.png_level);
  return {};
}

}  // namespace mimicit::convert
