// PNG decoding speed: the decoder (libdeflate + SIMD unfiltering, src/image/
// png.cc) against the row-by-row path it falls back to on damaged files
// (zlib, as Pillow reads: internal::decode_png_rowwise; before issue 13 that
// was libspng row by row), in ms per image on the same files.
//
//   png_decode_bench [--seconds=2] [--rounds=5] FILE...
//
// For each file, `rounds` rounds each run both decoders for about
// seconds / rounds / 2 each, alternating so that other load on a shared
// machine hits both alike; the figure is the median of the rounds' means.
// Also checks that both give the same pixels. Prints one JSON object:
// {"files": [{"file", "width", "height", "bytes", "fast_ms", "rowwise_ms"}], ...}.
// bench/png_decode_bench.py runs it and adds Pillow.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench_util.h"
#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/error.h"
#include "mimicit/image.h"

namespace {

using mimicit::ByteView;
using mimicit::bench::mean_ms;
using mimicit::bench::median;
using mimicit::bench::parse_rounds_args;
using mimicit::bench::read_file;
using mimicit::image::RgbImage;

constexpr uint64_t kMaxPixels = 89478485;

}  // namespace

int main(int argc, char** argv) {
  const auto [seconds, rounds, files] =
      parse_rounds_args(argc, argv, "png_decode_bench [--seconds=2] [--rounds=5] FILE...");
  const double slice = seconds / rounds / 2;
  std::printf("{\"seconds\": %g, \"rounds\": %d, \"files\": [", seconds, rounds);
  for (size_t f = 0; f < files.size(); ++f) {
    const std::vector<uint8_t> bytes = read_file(files[f]);
    const ByteView view(bytes.data(), bytes.size());
    auto fast = [&] { return mimicit::image::internal::decode_png(view, kMaxPixels); };
    auto rowwise = [&] { return mimicit::image::internal::decode_png_rowwise(view, kMaxPixels); };
    RgbImage a, b;
    try {
      a = fast();
      b = rowwise();
    } catch (const mimicit::Error& e) {
      std::fprintf(stderr, "%s: %s\n", files[f].c_str(), e.what());
      return 1;
    }
    if (a.pixels != b.pixels) {
      std::fprintf(stderr, "%s: the decoders disagree\n", files[f].c_str());
      return 1;
    }
    std::vector<double> fast_ms, rowwise_ms;
    for (int r = 0; r < rounds; ++r) {
      fast_ms.push_back(mean_ms(
          [&] {
            if (fast().pixels.empty()) std::abort();
          },
          slice));
      rowwise_ms.push_back(mean_ms(
          [&] {
            if (rowwise().pixels.empty()) std::abort();
          },
          slice));
    }
    std::printf(
        "%s\n  {\"file\": \"%s\", \"width\": %u, \"height\": %u, \"bytes\": %zu, "
        "\"fast_ms\": %.4f, \"rowwise_ms\": %.4f}",
        f ? "," : "", files[f].c_str(), a.width, a.height, bytes.size(), median(fast_ms), median(rowwise_ms));
  }
  std::printf("\n]}\n");
  return 0;
}
