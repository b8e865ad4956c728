// Speed and memory of opening an instruction file (InstructionFile::open:
// the walk over the mapped file, every record validated with simdjson, the
// id index), and of reading records back.
//
//   instructions_bench --file=F_instructions.json [--threads=N] [--repeats=N] [--reads=N]
//
// Prints one JSON object: open seconds per repeat, records, the index's
// memory, the RSS after opening, the peak RSS (ru_maxrss) after opening and
// at the end, and the time of --reads random record reads (which fault the
// file's pages back in: they raise the final peak, not the open's). bench/dataset_bench.py runs it next to
// orjson.loads on the same file. A plain program (no Google Benchmark
// registration): one number per run is what matters here.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/dataset.h"
#include "mimicit/error.h"

namespace {

struct Options {
  std::string file;
  int threads = 0;
  int repeats = 3;
  int reads = 100000;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&](std::string_view name) { return std::string(a.substr(name.size())); };
    if (a.starts_with("--file="))
      o.file = value("--file=");
    else if (a.starts_with("--threads="))
      o.threads = std::stoi(value("--threads="));
    else if (a.starts_with("--repeats="))
      o.repeats = std::stoi(value("--repeats="));
    else if (a.starts_with("--reads="))
      o.reads = std::stoi(value("--reads="));
    else
      throw std::runtime_error("unknown argument " + std::string(a));
  }
  if (o.file.empty()) throw std::runtime_error("--file=F is required");
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// VmRSS now (KiB), from /proc/self/status.
long current_rss_kib() {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, status)) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    std::vector<double> open_seconds;
    std::shared_ptr<const mimicit::dataset::InstructionFile> file;
    for (int r = 0; r < options.repeats; ++r) {
      file.reset();
      const auto start = std::chrono::steady_clock::now();
      file = mimicit::dataset::InstructionFile::open(options.file, {.threads = options.threads});
      open_seconds.push_back(seconds_since(start));
    }
    const long rss_after_open = current_rss_kib();
    const long peak_after_open = peak_rss_kib();  // before the reads fault pages back in
    std::mt19937_64 rng(7);
    mimicit::dataset::Record record;
    size_t text_bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < options.reads && file->size() > 0; ++i) {
      file->read(rng() % file->size(), &record);
      text_bytes += record.instruction.size() + record.answer.size();
    }
    const double read_seconds = seconds_since(start);
    std::string opens;
    for (double s : open_seconds) opens += (opens.empty() ? "" : ", ") + std::to_string(s);
    std::printf(
        "{\"file\": \"%s\", \"records\": %zu, \"open_seconds\": [%s], \"index_bytes\": %zu, "
        "\"rss_after_open_kib\": %ld, \"open_peak_rss_kib\": %ld, \"peak_rss_kib\": %ld, \"reads\": %d, "
        "\"read_seconds\": %.6f, \"read_text_bytes\": %zu}\n",
        options.file.c_str(), file->size(), opens.c_str(), file->memory_bytes(), rss_after_open,
        peak_after_open, peak_rss_kib(), options.reads, read_seconds, text_bytes);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "instructions_bench: %s\n", e.what());
    return 1;
  }
}
