// PNG decoding speed: the decoder (libdeflate + SIMD unfiltering, src/image/
// png.cc) against the previous implementation (libspng row by row, kept as
// internal::decode_png_libspng), in ms per image on the same files.
//
//   png_decode_bench [--seconds=2] [--rounds=5] FILE...
//
// For each file, `rounds` rounds each run both decoders for about
// seconds / rounds / 2 each, alternating so that other load on a shared
// machine hits both alike; the figure is the median of the rounds' means.
// Also checks that both give the same pixels. Prints one JSON object:
// {"files": [{"file", "width", "height", "bytes", "fast_ms", "libspng_ms"}], ...}.
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

#include "image/decoders.h"
#include "image/png_internal.h"
#include "mimicit/error.h"
#include "mimicit/image.h"

namespace {

using Clock = std::chrono::steady_clock;
using mimicit::ByteView;
using mimicit::image::RgbImage;

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr uint64_t kMaxPixels = 89478485;

// Mean ms per decode over about `seconds` (at least 3 decodes).
template <typename Decode>
double mean_ms(Decode&& decode, double seconds) {
  size_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    RgbImage image = decode();
    if (image.pixels.empty()) std::abort();
    ++n;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds || n < 3);
  return elapsed * 1e3 / double(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  int rounds = 5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--seconds=", 0) == 0) seconds = std::atof(a.c_str() + 10);
    else if (a.rfind("--rounds=", 0) == 0) rounds = std::max(1, std::atoi(a.c_str() + 9));
    else files.push_back(a);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: png_decode_bench [--seconds=2] [--rounds=5] FILE...\n");
    return 2;
  }
  const double slice = seconds / rounds / 2;
  std::printf("{\"seconds\": %g, \"rounds\": %d, \"files\": [", seconds, rounds);
  for (size_t f = 0; f < files.size(); ++f) {
    const std::vector<uint8_t> bytes = read_file(files[f]);
    const ByteView view(bytes.data(), bytes.size());
    auto fast = [&] { return mimicit::image::internal::decode_png(view, kMaxPixels); };
    auto libspng = [&] { return mimicit::image::internal::decode_png_libspng(view, kMaxPixels); };
    RgbImage a, b;
    try {
      a = fast();
      b = libspng();
    } catch (const mimicit::Error& e) {
      std::fprintf(stderr, "%s: %s\n", files[f].c_str(), e.what());
      return 1;
    }
    if (a.pixels != b.pixels) {
      std::fprintf(stderr, "%s: the decoders disagree\n", files[f].c_str());
      return 1;
    }
    std::vector<double> fast_ms, libspng_ms;
    for (int r = 0; r < rounds; ++r) {
      fast_ms.push_back(mean_ms(fast, slice));
      libspng_ms.push_back(mean_ms(libspng, slice));
    }
    std::printf("%s\n  {\"file\": \"%s\", \"width\": %u, \"height\": %u, \"bytes\": %zu, "
                "\"fast_ms\": %.4f, \"libspng_ms\": %.4f}",
                f ? "," : "", files[f].c_str(), a.width, a.height, bytes.size(), median(fast_ms),
                median(libspng_ms));
  }
  std::printf("\n]}\n");
  return 0;
}
