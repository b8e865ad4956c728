// Latency of fetching one row (every column) of a Parquet file, by position
// and by the value of a sorted id column, as an image store does.
//
//   lookup_bench --file=F.parquet --probes=P.tsv [--id-column=id] [--repeats=N]
//                [Google Benchmark flags, e.g. --benchmark_format=json]
//
// P.tsv holds one probe per line: "<global row>\t<id>". bench/parquet_bench.py
// generates the file and the probes and runs this program; it compares the
// result with duckdb and pyarrow on the same file and probes.
//
// Variants (each a benchmark "<variant>/<by_position|by_id>"):
//   open_once        ParquetFile::open once, outside the timed loop (a
//                    long-lived store keeps its files open); per lookup a new
//                    RowReader, seek(row), next().
//   open_once_reuse  the same with one RowReader reused across lookups.
//   reopen           ParquetFile::open inside every lookup (footer included).
// by_id first runs find_sorted(file, id column, key) to get the row. Every
// lookup copies the returned values into std::strings, so the bytes are
// really read. Each lookup is timed on its own; the counters p50_us, p90_us,
// min_us give the distribution over repeats x probes (after one untimed
// warm-up pass), the usual Google Benchmark time is the mean.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"

namespace {

using mimicit::parquet::ParquetFile;
using mimicit::parquet::RowReader;
using mimicit::parquet::Value;

struct Probe {
  int64_t row = 0;
  std::string id;
};

struct Config {
  std::string file;
  std::string probes;
  std::string id_column = "id";
  int repeats = 5;
};

Config g_config;
std::vector<Probe> g_probes;

std::vector<Probe> load_probes(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Probe> probes;
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    probes.push_back({std::stoll(line.substr(0, tab)), line.substr(tab + 1)});
  }
  if (probes.empty()) throw std::runtime_error("no probes in " + path);
  return probes;
}

// The values of one row, copied out of the reader.
struct Fetched {
  std::vector<std::string> bytes;
};

void copy_row(const std::vector<Value>& row, Fetched& out) {
  out.bytes.resize(row.size());
  for (size_t i = 0; i < row.size(); ++i) out.bytes[i].assign(row[i].bytes);
}

enum class Mode { kOpenOnce, kOpenOnceReuse, kReopen };

class Lookup {
 public:
  Lookup(Mode mode, bool by_id) : mode_(mode), by_id_(by_id) {
    if (mode_ != Mode::kReopen) open();
  }

  // Fetches the row of `probe` into `out`.
  void run(const Probe& probe, Fetched& out) {
    if (mode_ == Mode::kReopen) open();
    int64_t row = probe.row;
    if (by_id_) {
      const std::optional<int64_t> found = mimicit::parquet::find_sorted(file_, id_column_, probe.id);
      if (!found) throw std::runtime_error("id not found: " + probe.id);
      row = *found;
    }
    if (mode_ == Mode::kOpenOnceReuse) {
      fetch(*reader_, row, out);
    } else {
      RowReader reader(file_);
      fetch(reader, row, out);
    }
  }

 private:
  void open() {
    file_ = ParquetFile::open(g_config.file);
    id_column_ = file_->schema().find_column(g_config.id_column);
    if (id_column_ < 0) throw std::runtime_error("no column " + g_config.id_column);
    if (mode_ == Mode::kOpenOnceReuse) reader_ = std::make_unique<RowReader>(file_);
  }

  void fetch(RowReader& reader, int64_t row, Fetched& out) {
    reader.seek(row);
    if (!reader.next(values_)) throw std::runtime_error("row out of range");
    copy_row(values_, out);
  }

  Mode mode_;
  bool by_id_;
  std::shared_ptr<const ParquetFile> file_;
  int id_column_ = -1;
  std::unique_ptr<RowReader> reader_;
  std::vector<Value> values_;
};

double percentile(const std::vector<double>& sorted, double q) {
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return sorted[i];
}

void run_lookups(benchmark::State& state, Mode mode, bool by_id) {
  Lookup lookup(mode, by_id);
  Fetched out;
  for (const Probe& probe : g_probes) lookup.run(probe, out);  // warm-up, untimed
  std::vector<double> samples;
  samples.reserve(state.max_iterations);
  size_t next = 0;
  for (auto _ : state) {
    const Probe& probe = g_probes[next++ % g_probes.size()];
    const auto start = std::chrono::steady_clock::now();
    lookup.run(probe, out);
    const auto stop = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(out.bytes.data());
    samples.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
    // The id column comes first in the generated files: make sure the row is right.
    if (out.bytes.empty() || out.bytes[0] != probe.id) {
      state.SkipWithError(("wrong row for " + probe.id).c_str());
      break;
    }
  }
  if (samples.empty()) return;
  std::sort(samples.begin(), samples.end());
  const std::vector<double>& s = samples;
  const size_t n = s.size();
  const double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  state.counters["p50_us"] = median;
  state.counters["p90_us"] = percentile(s, 0.9);
  state.counters["min_us"] = s.front();
  state.counters["samples"] = static_cast<double>(n);
}

bool take_flag(std::string_view arg, std::string_view name, std::string& value) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (!arg.starts_with(prefix)) return false;
  value = std::string(arg.substr(prefix.size()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string repeats = std::to_string(g_config.repeats);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (take_flag(arg, "file", g_config.file) || take_flag(arg, "probes", g_config.probes) ||
        take_flag(arg, "id-column", g_config.id_column) || take_flag(arg, "repeats", repeats)) {
      continue;
    }
    std::fprintf(stderr, "unknown argument: %s\n", argv[i]);
    return 2;
  }
  if (g_config.file.empty() || g_config.probes.empty()) {
    std::fprintf(stderr,
                 "usage: %s --file=F.parquet --probes=P.tsv [--id-column=id] [--repeats=N]\n"
                 "  (bench/parquet_bench.py generates both and runs this program)\n",
                 argv[0]);
    return 2;
  }
  try {
    g_config.repeats = std::max(1, std::stoi(repeats));
    g_probes = load_probes(g_config.probes);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  const auto iterations = static_cast<benchmark::IterationCount>(g_probes.size()) * g_config.repeats;
  const struct {
    const char* name;
    Mode mode;
  } modes[] = {
      {"open_once", Mode::kOpenOnce}, {"open_once_reuse", Mode::kOpenOnceReuse}, {"reopen", Mode::kReopen}};
  for (const auto& m : modes) {
    for (bool by_id : {false, true}) {
      const std::string name = std::string(m.name) + (by_id ? "/by_id" : "/by_position");
      const Mode mode = m.mode;
      benchmark::RegisterBenchmark(name.c_str(),
                                   [mode, by_id](benchmark::State& state) {
                                     try {
                                       run_lookups(state, mode, by_id);
                                     } catch (const std::exception& e) {
                                       state.SkipWithError(e.what());
                                     }
                                   })
          ->Iterations(iterations)
          ->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
