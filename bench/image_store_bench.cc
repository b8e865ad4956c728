// Speed of opening an ImageStore (building the index from the id column,
// then re-opening from the saved index) and of random get().
//
//   image_store_bench [--dir=D] [--images=N] [--files=K] [--gets=N]
//
// Writes D/part.<k>.parquet (unless present with the right row count): N
// rows over K files, ids "LA_IMG_<12 digits>" in shuffled order (the index
// must sort), base64 payloads of 40..200 bytes, pandas index metadata. Then
// reports: open without a saved index, open + save, re-open from the saved
// index (best of 3), index bytes per image, and get() latency percentiles
// over random ids. A plain program: a few numbers per run is what matters.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/writer.h"
#include "store/open_store.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir = "/tmp/mimicit_image_store_bench";
  int64_t images = 1000000;
  int files = 4;
  int gets = 20000;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string id_of(int64_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "LA_IMG_%012lld", static_cast<long long>(n));
  return text;
}

bool store_present(const Options& o) {
  int64_t rows = 0;
  for (int k = 0; k < o.files; ++k) {
    fs::path path = fs::path(o.dir) / ("part." + std::to_string(k) + ".parquet");
    if (!fs::exists(path)) return false;
    rows += mimicit::parquet::ParquetFile::open(path.string())->num_rows();
  }
  return rows == o.images;
}

void generate(const Options& o) {
  fs::remove_all(o.dir);
  fs::create_directories(o.dir);
  std::vector<int64_t> order(static_cast<size_t>(o.images));
  for (int64_t i = 0; i < o.images; ++i) order[static_cast<size_t>(i)] = i * 3;
  std::mt19937_64 random(42);
  std::shuffle(order.begin(), order.end(), random);
  mimicit::parquet::WriterOptions options;
  options.pandas_index_column = "__index_level_0__";
  size_t next = 0;
  for (int k = 0; k < o.files; ++k) {
    fs::path path = fs::path(o.dir) / ("part." + std::to_string(k) + ".parquet");
    mimicit::parquet::ParquetWriter writer(
        path.string(),
        {{.name = "base64", .is_string = true, .dictionary = false},
         {.name = "__index_level_0__", .is_string = true, .dictionary = false}},
        options);
    size_t end = order.size() * static_cast<size_t>(k + 1) / static_cast<size_t>(o.files);
    std::string payload;
    for (; next < end; ++next) {
      payload.assign(40 + order[next] % 160, static_cast<char>('a' + order[next] % 26));
      writer.append_bytes(0, mimicit::base64_encode(mimicit::as_bytes(payload)));
      writer.append_bytes(1, id_of(order[next]));
      writer.end_row();
    }
    writer.close();
  }
}

double time_open(const Options& o, const mimicit::ImageStoreOptions& options,
                 mimicit::store::OpenReport& report, std::shared_ptr<const mimicit::ImageStore>& store) {
  auto start = Clock::now();
  store = mimicit::store::open_store({o.dir}, options, &report);
  return seconds_since(start);
}

void run(const Options& o) {
  if (!store_present(o)) {
    auto start = Clock::now();
    generate(o);
    std::printf("generated %lld images in %d files: %.2f s\n", static_cast<long long>(o.images), o.files,
                seconds_since(start));
  }
  fs::remove(fs::path(o.dir) / ".mimicit-index");
  mimicit::store::OpenReport report;
  std::shared_ptr<const mimicit::ImageStore> store;
  mimicit::ImageStoreOptions no_saving;
  no_saving.use_saved_index = no_saving.save_index = false;
  std::printf("open, building the index:        %.3f s\n", time_open(o, no_saving, report, store));
  std::printf("open, building + saving:         %.3f s\n", time_open(o, {}, report, store));
  double best = 1e9;
  for (int i = 0; i < 3; ++i) best = std::min(best, time_open(o, {}, report, store));
  std::printf("re-open from the saved index:    %.3f s (mapped: %s)\n", best,
              report.used_saved_index ? "yes" : "NO");
  std::printf("images %zu, index %.1f bytes/image (ids are 19 bytes)\n", store->size(),
              static_cast<double>(store->index_bytes()) / static_cast<double>(store->size()));

  std::mt19937_64 random(7);
  std::vector<double> micros;
  mimicit::Buffer out;
  for (int i = 0; i < o.gets; ++i) {
    std::string id = id_of(static_cast<int64_t>(random() % static_cast<uint64_t>(o.images)) * 3);
    auto start = Clock::now();
    store->get(id, out);
    micros.push_back(seconds_since(start) * 1e6);
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<size_t>(q * static_cast<double>(micros.size() - 1))]; };
  std::printf("random get: p50 %.1f us, p90 %.1f us, p99 %.1f us (%d gets)\n", at(0.5), at(0.9), at(0.99),
              o.gets);
  auto start = Clock::now();
  size_t found = 0;
  for (int i = 0; i < o.gets; ++i) {
    found += store->contains(id_of(static_cast<int64_t>(random() % static_cast<uint64_t>(o.images)) * 3));
  }
  std::printf("contains: %.2f us per lookup (%zu found)\n", seconds_since(start) * 1e6 / o.gets, found);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      size_t n = std::strlen(name);
      return arg.compare(0, n, name) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--dir="))
      o.dir = v;
    else if (const char* v = value("--images="))
      o.images = std::atoll(v);
    else if (const char* v = value("--files="))
      o.files = std::atoi(v);
    else if (const char* v = value("--gets="))
      o.gets = std::atoi(v);
    else {
      std::fprintf(stderr, "usage: image_store_bench [--dir=D] [--images=N] [--files=K] [--gets=N]\n");
      return 2;
    }
  }
  try {
    run(o);
  } catch (const mimicit::Error& e) {
    std::fprintf(stderr, "image_store_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
