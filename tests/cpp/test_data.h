// Where the tests find the shared test data: $MIMICIT_TESTDATA, else
// ../shared/testdata beside the repository. Tests that need it call
// testdata_dir() and skip when it returns an empty path.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

namespace mimicit::testing {

inline std::filesystem::path repo_root() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

inline std::filesystem::path testdata_dir() {
  if (const char* env = std::getenv("MIMICIT_TESTDATA"); env && *env) return env;
  std::filesystem::path fallback = repo_root().parent_path() / "shared" / "testdata";
  if (std::filesystem::exists(fallback)) return fallback;
  return {};
}

inline std::filesystem::path parquet_testing(const std::string& sub) {
  std::filesystem::path dir = testdata_dir();
  return dir.empty() ? dir : dir / "parquet-testing" / sub;
}

// A file of the parquet-testing data/ folder; empty when there is no test data.
inline std::filesystem::path corpus_file(const std::string& name) {
  std::filesystem::path dir = parquet_testing("data");
  return dir.empty() ? dir : dir / name;
}

// The whole file, or nothing when it cannot be read.
inline std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh empty folder for one test's files.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("mimicit_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace mimicit::testing
