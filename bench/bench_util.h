// What the command-line C++ benchmarks share: reading input files, timing a
// call repeatedly, and the median of rounds, with the flags they all take.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mimicit::bench {

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Mean ms per call of `run` over about `seconds` (at least 3 calls).
template <typename Run>
double mean_ms(Run&& run, double seconds) {
  using Clock = std::chrono::steady_clock;
  size_t n = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    run();
    ++n;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds || n < 3);
  return elapsed * 1e3 / double(n);
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// `--seconds=S --rounds=R FILE...`; exits with `usage` when no file is given.
struct RoundsArgs {
  double seconds = 2.0;
  int rounds = 5;
  std::vector<std::string> files;
};

inline RoundsArgs parse_rounds_args(int argc, char** argv, const char* usage) {
  RoundsArgs args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--seconds=", 0) == 0) {
      args.seconds = std::atof(a.c_str() + 10);
    } else if (a.rfind("--rounds=", 0) == 0) {
      args.rounds = std::max(1, std::atoi(a.c_str() + 9));
    } else {
      args.files.push_back(a);
    }
  }
  if (args.files.empty()) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  return args;
}

}  // namespace mimicit::bench
