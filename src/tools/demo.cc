#include "tools/demo.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <system_error>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "mimicit/parquet/writer.h"

namespace mimicit::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIdColumn = "__index_level_0__";
constexpr const char* kStoreName = "demo_images.parquet";

bool is_image_file(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}) {
    if (extension == known) return true;
  }
  return false;
}

// id -> file, sorted by id (std::map orders by bytes, as Parquet sorts strings).
std::map<std::string, fs::path> list_images(const fs::path& folder) {
  std::error_code error;
  fs::directory_iterator entries(folder, error);
  if (error) fail(ErrorCode::kIo, "{}: cannot list the folder: {}", folder.string(), error.message());
  std::map<std::string, fs::path> images;
  for (const fs::directory_entry& entry : entries) {
    if (!entry.is_regular_file() || !is_image_file(entry.path())) continue;
    const std::string id = entry.path().stem().string();
    const auto [it, inserted] = images.emplace(id, entry.path());
    if (!inserted) {
      fail_invalid("{}: two images have the id '{}': {} and {}", folder.string(), id,
                   it->second.filename().string(), entry.path().filename().string());
    }
  }
  if (images.empty()) {
    fail(ErrorCode::kNotFound, "{}: no image files (.png .jpg .jpeg .gif .webp .bmp)",
         folder.string());
  }
  return images;
}

parquet::ParquetWriter open_store_writer(const fs::path& path) {
  std::vector<parquet::WriterColumn> columns = {
      {.name = kIdColumn, .is_string = true, .dictionary = false, .bloom_filter = true},
      {.name = "base64", .is_string = true, .dictionary = false},
  };
  parquet::WriterOptions options;
  options.codec = parquet::Codec::ZSTD;
  options.statistics = true;
  options.page_index = true;
  options.pandas_index_column = kIdColumn;
  return parquet::ParquetWriter(path.string(), std::move(columns), std::move(options));
}

}  // namespace

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
  const std::map<std::string, fs::path> images = list_images(demo_dir / "images");
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) fail(ErrorCode::kIo, "{}: cannot create the folder: {}", out_dir.string(), error.message());

  const fs::path path = out_dir / kStoreName;
  parquet::ParquetWriter writer = open_store_writer(path);
  std::string text;
  for (const auto& [id, file] : images) {
    const auto image = MappedFile::open(file.string());
    text.clear();
    base64_encode(image->bytes(), text);
    writer.append_bytes(0, id);
    writer.append_bytes(1, text);
    writer.end_row();
  }
  writer.close();
  return path;
}

}  // namespace mimicit::tools
