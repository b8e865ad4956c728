#include "convert/demo.h"

#include <cstdlib>
#include <system_error>

#include "mimicit/convert.h"
#include "mimicit/error.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

fs::path resolve_demo_dir() {
  if (const char* dir = std::getenv("MIMICIT_DEMO_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  std::error_code error;
  const fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) fail(ErrorCode::kIo, "cannot find the running executable: {}", error.message());
  return (executable.parent_path() / ".." / "demo").lexically_normal();
}

fs::path write_demo_store(const fs::path& demo_dir, const fs::path& out_dir) {
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) fail(ErrorCode::kIo, "{}: cannot create the folder: {}", out_dir.string(), error.message());
  ConvertOptions options;
  options.sources = {(demo_dir / "images").string()};
  options.out = (out_dir / "demo_store").string();
  options.codec = parquet::Codec::ZSTD;
  options.progress = false;
  convert_images(options);
  return options.out;
}

}  // namespace mimicit::convert
