// Throughput of the image preprocessing pipeline (include/mimicit/preprocess.h):
// base64 text in memory -> file bytes -> decode -> BICUBIC resize -> float32
// CHW normalised (or uint8 HWC), written into a contiguous batch buffer as a
// data loader does, on a WorkerPool of --threads threads.
//
//   preprocess_bench [--size=224] [--threads=1] [--seconds=3] [--batch=64]
//                    [--fast] [--hwc] [--compare-fast] FILE...
//
// Prints one JSON object: samples/s, the settings, and the time split of one
// thread over the inputs (base64 / decode / resize / normalise). With
// --compare-fast it prints, per file, how far fast mode's uint8 output is
// from the exact one (max and mean abs difference in levels) instead.
// bench/image_pipeline_bench.py runs it and compares with the reference.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/preprocess.h"
#include "util/worker_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using mimicit::image::PreprocessOptions;
using mimicit::image::Preprocessor;

struct Options {
  PreprocessOptions preprocess;
  int threads = 1;
  double seconds = 3.0;
  size_t batch = 64;
  bool hwc = false;
  bool compare_fast = false;
  std::vector<std::string> files;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process (all threads), which other load on a
// shared machine disturbs less than wall time.
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      size_t n = std::strlen(name);
      return a.compare(0, n, name) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--size=")) {
      o.preprocess.size = static_cast<uint32_t>(std::atoi(v));
    } else if (const char* v = value("--threads=")) {
      o.threads = std::atoi(v);
    } else if (const char* v = value("--seconds=")) {
      o.seconds = std::atof(v);
    } else if (const char* v = value("--batch=")) {
      o.batch = static_cast<size_t>(std::atoi(v));
    } else if (a == "--fast") {
      o.preprocess.fast = true;
    } else if (a == "--hwc") {
      o.hwc = true;
    } else if (a == "--compare-fast") {
      o.compare_fast = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      std::exit(2);
    } else {
      o.files.push_back(a);
    }
  }
  if (o.files.empty() || o.threads < 1 || o.batch < 1) {
    std::fprintf(stderr,
                 "usage: preprocess_bench [--size=224] [--threads=1] [--seconds=3] [--batch=64] "
                 "[--fast] [--hwc] [--compare-fast] FILE...\n");
    std::exit(2);
  }
  return o;
}

// One Preprocessor per pool thread, made on its first item.
Preprocessor& thread_preprocessor(const PreprocessOptions& options) {
  thread_local std::unique_ptr<Preprocessor> pre;
  if (!pre) pre = std::make_unique<Preprocessor>(options);
  return *pre;
}

// Where one thread's time goes, image by image (the pieces of to_chw run
// separately, so the sum is a little more than the whole).
void print_split(const Options& o, const std::vector<std::string>& texts) {
  Preprocessor pre(o.preprocess);
  std::vector<float> chw(pre.output_size());
  mimicit::Buffer file;
  double t_base64 = 0, t_decode = 0, t_resize = 0, t_all = 0;
  int rounds = 0;
  auto start = Clock::now();
  while (seconds_since(start) < 1.0) {
    for (const std::string& text : texts) {
      auto t0 = Clock::now();
      mimicit::base64_decode(text, file);
      auto t1 = Clock::now();
      mimicit::image::RgbImage image = mimicit::image::decode_rgb(file);
      auto t2 = Clock::now();
      mimicit::image::RgbImage small =
          mimicit::image::resize_bicubic(image, o.preprocess.size, o.preprocess.size);
      auto t3 = Clock::now();
      pre.to_chw(pre.decode_base64(text), chw);
      auto t4 = Clock::now();
      t_base64 += std::chrono::duration<double>(t1 - t0).count();
      t_decode += std::chrono::duration<double>(t2 - t1).count();
      t_resize += std::chrono::duration<double>(t3 - t2).count();
      t_all += std::chrono::duration<double>(t4 - t3).count();
    }
    ++rounds;
  }
  double n = static_cast<double>(rounds) * static_cast<double>(texts.size()) / 1e3;  // -> ms
  std::printf(
      "  \"split_ms\": {\"base64\": %.4f, \"decode_rgb\": %.4f, \"resize_bicubic\": %.4f, "
      "\"to_chw_total\": %.4f},\n",
      t_base64 / n, t_decode / n, t_resize / n, t_all / n);
}

void run(const Options& o) {
  std::vector<std::string> texts;
  size_t file_bytes = 0;
  for (const std::string& path : o.files) {
    std::vector<uint8_t> bytes = read_file(path);
    file_bytes += bytes.size();
    texts.push_back(mimicit::base64_encode(bytes));
  }
  size_t per_image = Preprocessor(o.preprocess).output_size();
  std::vector<float> floats(o.hwc ? 0 : per_image * o.batch);
  std::vector<uint8_t> bytes(o.hwc ? per_image * o.batch : 0);
  mimicit::WorkerPool pool(o.threads);
  size_t next = 0;
  auto one_batch = [&] {
    size_t first = next;
    pool.run(o.batch, [&](size_t i) {
      Preprocessor& pre = thread_preprocessor(o.preprocess);
      mimicit::ByteView file = pre.decode_base64(texts[(first + i) % texts.size()]);
      if (o.hwc) {
        pre.to_hwc(file, std::span<uint8_t>(bytes).subspan(i * per_image, per_image));
      } else {
        pre.to_chw(file, std::span<float>(floats).subspan(i * per_image, per_image));
      }
    });
    next += o.batch;
  };
  // Warm-up: every thread sees every size once (weights, buffers).
  auto warm = Clock::now();
  while (seconds_since(warm) < 0.3) one_batch();
  next = 0;
  auto start = Clock::now();
  double cpu_start = cpu_seconds();
  while (seconds_since(start) < o.seconds) one_batch();
  double elapsed = seconds_since(start);
  double cpu = cpu_seconds() - cpu_start;
  std::printf("{\n  \"samples_per_s\": %.1f,\n  \"samples\": %zu,\n  \"seconds\": %.3f,\n",
              static_cast<double>(next) / elapsed, next, elapsed);
  std::printf("  \"samples_per_cpu_s\": %.1f,\n  \"cpu_seconds\": %.3f,\n", static_cast<double>(next) / cpu,
              cpu);
  std::printf(
      "  \"threads\": %d,\n  \"size\": %u,\n  \"fast\": %s,\n  \"layout\": \"%s\",\n  \"batch\": "
      "%zu,\n  \"files\": %zu,\n  \"mean_file_bytes\": %.0f,\n",
      o.threads, o.preprocess.size, o.preprocess.fast ? "true" : "false", o.hwc ? "hwc" : "chw", o.batch,
      texts.size(), static_cast<double>(file_bytes) / static_cast<double>(texts.size()));
  if (!o.preprocess.fast && !o.hwc) print_split(o, texts);
  std::printf("  \"checksum\": %.6g\n}\n",
              o.hwc ? static_cast<double>(bytes[bytes.size() / 2]) : floats[floats.size() / 2]);
}

// Fast mode against the exact mode, uint8 output, per file.
void compare_fast(const Options& o) {
  PreprocessOptions exact = o.preprocess, fast = o.preprocess;
  exact.fast = false;
  fast.fast = true;
  Preprocessor a(exact), b(fast);
  std::vector<uint8_t> x(a.output_size()), y(b.output_size());
  std::printf("[\n");
  for (size_t f = 0; f < o.files.size(); ++f) {
    std::vector<uint8_t> file = read_file(o.files[f]);
    mimicit::image::ImageInfo info = mimicit::image::probe(file);
    a.to_hwc(file, x);
    b.to_hwc(file, y);
    int max_diff = 0;
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      int d = std::abs(int{x[i]} - int{y[i]});
      max_diff = std::max(max_diff, d);
      sum += d;
    }
    std::printf(
        "  {\"file\": \"%s\", \"width\": %u, \"height\": %u, \"max_abs\": %d, "
        "\"mean_abs\": %.3f}%s\n",
        o.files[f].c_str(), info.width, info.height, max_diff, sum / static_cast<double>(x.size()),
        f + 1 < o.files.size() ? "," : "");
  }
  std::printf("]\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  try {
    if (o.compare_fast) {
      compare_fast(o);
    } else {
      run(o);
    }
  } catch (const mimicit::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
