// PNG encoding speed of `--png-level fast` (image::encode_png_fast: Up
// filter + libdeflate level 1) against the previous implementation (libspng
// with zlib's Z_RLE, kept as internal::encode_png_rle) and zlib levels 1
// and 6 with adaptive filters (encode_png, Pillow's defaults at 6), in ms
// and bytes per image on the same pixels.
//
//   png_encode_bench [--seconds=2] [--rounds=5] FILE...
//
// FILEs are decoded to RGB first (e.g. the 640x480 crops that
// bench/png_decode_bench.py writes). For each file, `rounds` rounds each run
// every encoder for about seconds / rounds / 4, alternating so that other
// load on a shared machine hits them alike; the figure is the median of the
// rounds' means. Checks that every output decodes to the input pixels.
// Prints one line per file and a mean line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench_util.h"
#include "image/png_internal.h"
#include "mimicit/image.h"

namespace {

using mimicit::Buffer;
using mimicit::bench::mean_ms;
using mimicit::bench::median;
using mimicit::bench::parse_rounds_args;
using mimicit::bench::read_file;
using mimicit::image::RgbImage;

}  // namespace

int main(int argc, char** argv) {
  const auto [seconds, rounds, files] =
      parse_rounds_args(argc, argv, "png_encode_bench [--seconds=2] [--rounds=5] FILE...");
  using Encoder = void (*)(const RgbImage&, Buffer&);
  const std::pair<const char*, Encoder> encoders[] = {
      {"fast", [](const RgbImage& im, Buffer& out) { mimicit::image::encode_png_fast(im, out); }},
      {"previous_fast",
       [](const RgbImage& im, Buffer& out) { mimicit::image::internal::encode_png_rle(im, out); }},
      {"level1", [](const RgbImage& im, Buffer& out) { mimicit::image::encode_png(im, out, 1); }},
      {"level6", [](const RgbImage& im, Buffer& out) { mimicit::image::encode_png(im, out, 6); }},
  };
  constexpr size_t kN = std::size(encoders);
  double sum_ms[kN] = {}, sum_bytes[kN] = {};
  std::printf("%-28s", "file");
  for (auto& [name, fn] : encoders) std::printf(" %13s ms %9s B", name, name);
  std::printf("\n");
  for (const std::string& file : files) {
    std::vector<uint8_t> bytes = read_file(file);
    RgbImage image = mimicit::image::decode_rgb({bytes.data(), bytes.size()});
    std::vector<std::vector<double>> ms(kN);
    size_t sizes[kN] = {};
    for (size_t e = 0; e < kN; ++e) {
      Buffer out;
      encoders[e].second(image, out);
      sizes[e] = out.size();
      if (mimicit::image::decode_rgb(out.view()).pixels != image.pixels) {
        std::fprintf(stderr, "%s: %s does not round-trip\n", file.c_str(), encoders[e].first);
        return 1;
      }
    }
    for (int r = 0; r < rounds; ++r) {
      for (size_t e = 0; e < kN; ++e) {
        Buffer out;
        ms[e].push_back(mean_ms([&] { encoders[e].second(image, out); }, seconds / rounds / double(kN)));
      }
    }
    std::string name = file.substr(file.find_last_of('/') + 1);
    std::printf("%-28s", name.c_str());
    for (size_t e = 0; e < kN; ++e) {
      const double m = median(ms[e]);
      sum_ms[e] += m;
      sum_bytes[e] += double(sizes[e]);
      std::printf(" %16.2f %11zu", m, sizes[e]);
    }
    std::printf("\n");
  }
  std::printf("%-28s", "mean");
  for (size_t e = 0; e < kN; ++e) {
    std::printf(" %16.2f %11.0f", sum_ms[e] / double(files.size()), sum_bytes[e] / double(files.size()));
  }
  std::printf("\n");
}
