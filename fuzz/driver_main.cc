// A main for the fuzz targets without libFuzzer (MIMICIT_BUILD_FUZZ_DRIVER):
// runs LLVMFuzzerTestOneInput once on the empty input, then on every file
// named on the command line (a folder: every regular file in it, in name
// order). The plain build compiles every target with it, so the targets
// cannot rot between fuzzing runs, and a crash file reproduces with g++:
//
//   build/image_fuzz fuzz/work/artifacts/image-crash-...
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  LLVMFuzzerTestOneInput(nullptr, 0);
  size_t inputs = 1;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg = argv[i];
    if (std::filesystem::is_directory(arg)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) run_file(file);
      inputs += files.size();
    } else {
      run_file(arg);
      ++inputs;
    }
  }
  std::printf("%s: %zu inputs\n", argv[0], inputs);
  return 0;
}
