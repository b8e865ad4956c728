#include "store/image_folder_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <xxhash.h>

#include "mimicit/error.h"

namespace mimicit::store {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string_view stem(std::string_view name) {
  size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(0, dot);
}

bool is_regular_file(const std::string& dir, const dirent* entry) {
  if (entry->d_type == DT_REG) return true;
  if (entry->d_type != DT_UNKNOWN && entry->d_type != DT_LNK) return false;
  struct stat st;
  return ::stat((dir + "/" + entry->d_name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

bool has_image_extension(std::string_view name) {
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view extension = name.substr(dot);
  // Pillow's extensions for the formats image::decode_rgb reads.
  for (std::string_view known :
       {".jpg",  ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".gif", ".bmp",  ".dib",  ".tif",
        ".tiff", ".pbm",  ".pgm", ".ppm",  ".pnm", ".tga",  ".icb", ".vda",  ".vst",  ".ico",
        ".pcx",  ".jp2",  ".j2k", ".jpc",  ".jpf", ".jpx",  ".j2c", ".avif", ".avifs"}) {
    if (iequals(extension, known)) return true;
  }
  return false;
}

ImageFolderSource::ImageFolderSource(std::string dir, uint64_t max_image_bytes)
    : dir_(std::move(dir)), max_image_bytes_(max_image_bytes) {
  DIR* handle = ::opendir(dir_.c_str());
  if (handle == nullptr) fail(ErrorCode::kIo, "{}: cannot list the folder: {}", dir_, std::strerror(errno));
  while (const dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name.empty() || name[0] == '.' || !has_image_extension(name)) continue;
    if (is_regular_file(dir_, entry)) names_.emplace_back(name);
  }
  ::closedir(handle);
  std::sort(names_.begin(), names_.end());
  XXH64_hash_t hash = 0;
  for (const std::string& name : names_) hash = XXH3_64bits_withSeed(name.data(), name.size() + 1, hash);
  fingerprint_ = hash;
}

void ImageFolderSource::scan_ids(const std::function<void(std::string_view, uint64_t)>& fn) const {
  for (size_t i = 0; i < names_.size(); ++i) fn(stem(names_[i]), i);
}

void ImageFolderSource::fetch(uint64_t locator, std::string_view id, Buffer& out,
                              Base64Leniency* leniency) const {
  if (leniency) *leniency = Base64Leniency::kNone;
  if (locator >= names_.size()) {
    fail_corrupt("{}: image '{}': file number {} is outside the folder ({} files)", dir_, id, locator,
                 names_.size());
  }
  std::string path = dir_ + "/" + names_[locator];
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(ErrorCode::kIo, "{}: image '{}': cannot open: {}", path, id, std::strerror(errno));
  // The size is checked before reading, and again as the file is read (it
  // may grow meanwhile).
  auto check_size = [&](uint64_t size, const char* measured) {
    if (size <= max_image_bytes_) return;
    ::close(fd);
    with_context(fmt::format("{}: image '{}'", path, id),
                 [&] { check_image_size(size, max_image_bytes_, measured, size); });
  };
  struct stat st;
  if (::fstat(fd, &st) == 0) check_size(static_cast<uint64_t>(st.st_size), "a file of");
  out.clear();
  char chunk[1 << 16];
  while (true) {
    check_size(out.size(), "a file of more than");
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      fail(ErrorCode::kIo, "{}: image '{}': cannot read: {}", path, id, std::strerror(error));
    }
    if (n == 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
}

std::unique_ptr<Source> open_image_folder_source(const std::string& dir, const ImageStoreOptions& options) {
  return std::make_unique<ImageFolderSource>(dir, options.max_image_bytes);
}

}  // namespace mimicit::store
