// Speed of indexing a legacy images.json: one scan_ids() pass over the
// memory-mapped file (ids and value offsets, values skipped), and of
// fetching values by offset.
//
//   json_index_bench --file=F.json [--generate=2GiB] [--escape-slashes]
//                    [--repeats=N] [--fetches=N]
//
// --generate writes F.json first (unless it exists with that size class):
// ids "LA_IMG_<12 digits>", base64 values of 30..300 KB (a quarter of them
// as ["<base64>", {"w": .., "h": ..}] lists), pretty-printed one member per
// line. --escape-slashes writes every '/' of the base64 as "\/" (as PHP's
// json_encode does), the slow case of the scan. Each repeat reports wall
// time and GB/s; the first repeat may include reading the file from disk.
// A plain program (no Google Benchmark registration): one number per run is
// what matters here.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/error.h"
#include "store/json_source.h"

namespace {

struct Options {
  std::string file;
  uint64_t generate = 0;
  bool escape_slashes = false;
  int repeats = 3;
  int fetches = 2000;
};

uint64_t parse_size(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && (std::isdigit(static_cast<unsigned char>(s[digits])) || s[digits] == '.'))
    ++digits;
  double v = std::stod(std::string(s.substr(0, digits)));
  std::string unit(s.substr(digits));
  if (unit == "KiB") v *= 1024.0;
  if (unit == "MiB") v *= 1024.0 * 1024;
  if (unit == "GiB") v *= 1024.0 * 1024 * 1024;
  return static_cast<uint64_t>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view name) { return a.substr(name.size()); };
    if (a.starts_with("--file="))
      o.file = value("--file=");
    else if (a.starts_with("--generate="))
      o.generate = parse_size(value("--generate="));
    else if (a == "--escape-slashes")
      o.escape_slashes = true;
    else if (a.starts_with("--repeats="))
      o.repeats = std::stoi(std::string(value("--repeats=")));
    else if (a.starts_with("--fetches="))
      o.fetches = std::stoi(std::string(value("--fetches=")));
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (o.file.empty()) {
    std::fprintf(stderr, "usage: json_index_bench --file=F.json [--generate=2GiB] [--escape-slashes]\n");
    std::exit(2);
  }
  return o;
}

void generate(const Options& o) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937_64 rng(1);
  // A pool of base64 text and the offset of every 4-character group in it,
  // so that a value (a run of whole groups) is valid base64 even with "\/".
  std::string pool;
  std::vector<size_t> group;
  for (int i = 0; i < (1 << 20); ++i) {
    if (i % 4 == 0) group.push_back(pool.size());
    char c = kAlphabet[rng() % 64];
    if (c == '/' && o.escape_slashes) pool += '\\';
    pool += c;
  }
  group.push_back(pool.size());
  std::ofstream out(o.file, std::ios::binary);
  out << "{\n";
  uint64_t written = 2;
  char id[64];
  for (uint64_t n = 0; written < o.generate; ++n) {
    size_t groups = (30000 + rng() % 270000) / 4;
    size_t first = rng() % (group.size() - groups);
    size_t start = group[first];
    size_t length = group[first + groups] - start;
    int id_length = std::snprintf(id, sizeof id, "%s  \"LA_IMG_%012llu\": ", n ? ",\n" : "",
                                  static_cast<unsigned long long>(n));
    out.write(id, id_length);
    bool list = n % 4 == 3;
    out << (list ? "[\"" : "\"");
    out.write(pool.data() + start, static_cast<std::streamsize>(length));
    out << (list ? "\", {\"w\": 640, \"h\": 480}]" : "\"");
    written += static_cast<uint64_t>(id_length) + length + (list ? 26 : 2);
  }
  out << "\n}\n";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  try {
    if (o.generate != 0 && !std::filesystem::exists(o.file)) {
      auto start = std::chrono::steady_clock::now();
      generate(o);
      std::printf("generated %s in %.1f s\n", o.file.c_str(), seconds_since(start));
    }
    uint64_t size = std::filesystem::file_size(o.file);
    auto source = mimicit::store::open_json_source(o.file);
    std::vector<std::pair<std::string, uint64_t>> ids;
    for (int r = 0; r < o.repeats; ++r) {
      ids.clear();
      auto start = std::chrono::steady_clock::now();
      source->scan_ids(
          [&](std::string_view id, uint64_t offset) { ids.emplace_back(std::string(id), offset); });
      double s = seconds_since(start);
      std::printf("scan_ids: %zu ids, %.2f GB in %.3f s = %.2f GB/s\n", ids.size(), size / 1e9, s,
                  size / 1e9 / s);
    }
    std::mt19937_64 rng(2);
    mimicit::Buffer out;
    uint64_t bytes = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < o.fetches && !ids.empty(); ++i) {
      const auto& [id, offset] = ids[rng() % ids.size()];
      source->fetch(offset, id, out, nullptr);
      bytes += out.size();
    }
    double s = seconds_since(start);
    std::printf("fetch: %d random values, %.1f MB decoded in %.3f s = %.0f us/fetch, %.2f GB/s decoded\n",
                o.fetches, bytes / 1e6, s, s * 1e6 / o.fetches, bytes / 1e9 / s);
  } catch (const mimicit::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
