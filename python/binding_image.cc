// mimicit._core image functions (src/image), for the tests that compare
// with Pillow and for tools: decode_rgb, resize_rgb, probe_image. The GIL
// is released while decoding; `data` stays alive (and immutable) through
// the argument reference. Keyword defaults are image::DecodeOptions'.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cstdint>
#include <tuple>

#include "binding_util.h"
#include "mimicit/bytes.h"
#include "mimicit/image.h"

using namespace nanobind::literals;

namespace mimicit::python {

void bind_image(nb::module_& m) {
  m.def(
      "decode_rgb",
      [](nb::bytes data, uint64_t max_pixels, bool apply_exif_orientation) {
        image::DecodeOptions options;
        options.max_pixels = max_pixels;
        options.apply_exif_orientation = apply_exif_orientation;
        ByteView view(reinterpret_cast<const uint8_t*>(data.c_str()), data.size());
        image::RgbImage image;
        {
          nb::gil_scoped_release release;
          image = image::decode_rgb(view, options);
        }
        nb::bytes pixels(reinterpret_cast<const char*>(image.pixels.data()), image.pixels.size());
        return std::make_tuple(image.height, image.width, pixels);
      },
      "data"_a, "max_pixels"_a = image::DecodeOptions{}.max_pixels,
      "apply_exif_orientation"_a = image::DecodeOptions{}.apply_exif_orientation,
      "Decodes an image file like Pillow's Image.open(f).convert('RGB'): "
      "(height, width, HWC RGB bytes).");
  m.def(
      "resize_rgb",
      [](uint32_t height, uint32_t width, nb::bytes pixels, uint32_t new_width, uint32_t new_height) {
        image::RgbImage image;
        image.width = width;
        image.height = height;
        const auto* data = reinterpret_cast<const uint8_t*>(pixels.c_str());
        image.pixels.assign(data, data + pixels.size());
        {
          nb::gil_scoped_release release;
          image = image::resize_bicubic(image, new_width, new_height);
        }
        nb::bytes out(reinterpret_cast<const char*>(image.pixels.data()), image.pixels.size());
        return std::make_tuple(image.height, image.width, out);
      },
      "height"_a, "width"_a, "pixels"_a, "new_width"_a, "new_height"_a,
      "Resizes HWC RGB bytes like Pillow's resize((new_width, new_height), BICUBIC): "
      "(height, width, HWC RGB bytes).");
  m.def(
      "probe_image",
      [](nb::bytes data) {
        ByteView view(reinterpret_cast<const uint8_t*>(data.c_str()), data.size());
        image::ImageInfo info = image::probe(view);
        nb::dict out;
        out["format"] = image::kImageFormatNames.name(info.format);
        out["width"] = info.width;
        out["height"] = info.height;
        out["channels"] = info.channels_in_file;
        out["bits"] = info.bits_per_channel;
        out["animated"] = info.animated;
        return out;
      },
      "data"_a, "Format and size of an image file from its headers: a dict.");
}

}  // namespace mimicit::python
