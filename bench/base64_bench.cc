// Base64 decoding speed (issue 3 target: >= 2 GB/s of base64 text per core),
// on clean text and on text wrapped every 76 characters (MIME style).
//   build/base64_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "mimicit/base64.h"
#include "mimicit/bytes.h"

namespace {

std::string random_base64(size_t bytes, bool wrapped) {
  std::mt19937_64 rng(42);
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(rng());
  std::string text = mimicit::base64_encode(mimicit::as_bytes(raw));
  if (!wrapped) return text;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 76) out.append(text, i, 76).push_back('\n');
  return out;
}

void decode(benchmark::State& state, bool wrapped) {
  const std::string text = random_base64(static_cast<size_t>(state.range(0)), wrapped);
  mimicit::Buffer out;
  for (auto _ : state) {
    mimicit::base64_decode(text, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_Base64DecodeClean(benchmark::State& state) { decode(state, false); }
void BM_Base64DecodeWrapped(benchmark::State& state) { decode(state, true); }

void BM_Base64Encode(benchmark::State& state) {
  std::string raw(static_cast<size_t>(state.range(0)), 'x');
  std::string out;
  for (auto _ : state) {
    out.clear();
    mimicit::base64_encode(mimicit::as_bytes(raw), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
}

BENCHMARK(BM_Base64DecodeClean)->Arg(100 << 10)->Arg(8 << 20);
BENCHMARK(BM_Base64DecodeWrapped)->Arg(8 << 20);
BENCHMARK(BM_Base64Encode)->Arg(8 << 20);

}  // namespace

BENCHMARK_MAIN();
