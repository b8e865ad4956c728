#include "mimicit/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "mimicit/error.h"
#include "util/file_context.h"

namespace mimicit {

[[noreturn]] void fail_errno(std::string_view what, const std::string& path) {
  fail(ErrorCode::kIo, "{}: {}: {}", path, what, std::strerror(errno));
}

namespace {

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "<final>.tmp-<digits>-<digits>": exactly the names make_temp_name gives.
// Other ".tmp-" names (mimicit.dask's ".tmp-dask-" work folders) are not
// ours to remove.
bool is_temp_name_of(std::string_view name, std::string_view final_name) {
  constexpr std::string_view kTag = ".tmp-";
  if (name.size() <= final_name.size() + kTag.size() || !name.starts_with(final_name)) return false;
  name.remove_prefix(final_name.size());
  if (!name.starts_with(kTag)) return false;
  name.remove_prefix(kTag.size());
  size_t dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == name.size()) return false;
  auto digits = [](std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(name.substr(0, dash)) && digits(name.substr(dash + 1));
}

std::string make_temp_name(const std::string& final_path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp-{}-{}", final_path, ::getpid(), counter++);
}

// Locks a temporary just created at `path` (fd open on it). False when a
// cleaner took the lock first (between our create and this lock: it is
// about to remove the temporary), so the caller tries another name. A file
// system without flock: true, unlocked (cleaners cannot lock it either).
bool lock_new_temp(int fd) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  return errno != EWOULDBLOCK;
}

constexpr int kMaxTempAttempts = 100;

// Creates a new temporary "<final_path>.tmp-<pid>-<n>" beside final_path, a
// folder or an empty file, and locks it (see file.h). Returns the open,
// locked descriptor and sets *temp_path. Names taken, or lost to a cleaner
// between create and lock, are retried under new names. Throws Error(kIo).
int create_locked_temp(const std::string& final_path, bool folder, std::string* temp_path) {
  for (int attempt = 0;; ++attempt) {
    std::string path = make_temp_name(final_path);
    const bool retry = attempt < kMaxTempAttempts;
    int fd = -1;
    if (folder) {
      if (::mkdir(path.c_str(), 0755) != 0) {
        if (errno == EEXIST && retry) continue;
        fail_errno("cannot create the folder", path);
      }
      fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT && retry) continue;  // a cleaner removed it
        fail_errno("cannot open the folder", path);
      }
    } else {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) {
        if (errno == EEXIST && retry) continue;
        fail_errno("cannot create", path);
      }
    }
    if (lock_new_temp(fd)) {
      *temp_path = std::move(path);
      return fd;
    }
    ::close(fd);  // a cleaner holds it and removes it
    if (!retry) fail(ErrorCode::kIo, "{}: cannot lock a temporary {}", path, folder ? "folder" : "file");
  }
}

}  // namespace

void sync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open to sync", path);
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  // EINVAL: a file system that cannot sync this kind of file (some do not
  // sync folders); there is nothing more to make durable there.
  if (rc != 0 && saved != EINVAL) fail_errno("cannot sync", path);
}

void remove_stale_temporaries(const std::string& final_path) {
  const std::string dir = parent_dir(final_path);
  const std::string name = base_name(final_path);
  std::vector<std::string> candidates;
  if (DIR* listing = ::opendir(dir.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      if (is_temp_name_of(entry->d_name, name)) candidates.push_back(dir + "/" + entry->d_name);
    }
    ::closedir(listing);
  }
  for (const std::string& path : candidates) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) continue;
    struct stat held, named;
    // Still the same entry once locked: never remove a temporary created
    // under a reused name after we opened the old one.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &held) == 0 &&
        ::lstat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
    ::close(fd);
  }
}

LockedTempDir::LockedTempDir(const std::string& final_path)
    : fd_(create_locked_temp(final_path, /*folder=*/true, &path_)) {}

LockedTempDir::~LockedTempDir() {
  if (fd_ >= 0) ::close(fd_);
}

std::string default_cache_dir() {
  auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value && *value ? value : "";
  };
  if (std::string dir = env("MIMICIT_CACHE_DIR"); !dir.empty()) return dir;
  if (std::string dir = env("XDG_CACHE_HOME"); !dir.empty()) return dir + "/mimicit";
  if (std::string home = env("HOME"); !home.empty()) return home + "/.cache/mimicit";
  return "";
}

namespace {

// Maps `path` whole, read-only: (start, size); nullptr for an empty file.
std::pair<const uint8_t*, uint64_t> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail_errno("cannot stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    fail(ErrorCode::kIo, "{}: is a directory", path);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      fail_errno("cannot map", path);
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file alive
  return {data, size};
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
  const auto [data, size] = map_file(path);
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

std::shared_ptr<const MappedFile> MappedFile::from_bytes(const std::string& path, ByteView bytes) {
  int fd = ::memfd_create("mimicit", MFD_CLOEXEC);
  if (fd < 0) fail_errno("cannot create a memory file for", path);
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail_errno("cannot write the memory file of", path);
    }
    done += static_cast<size_t>(n);
  }
  const uint8_t* data = nullptr;
  if (!bytes.empty()) {
    void* p = ::mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      fail_errno("cannot map the memory file of", path);
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the memory file alive
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, bytes.size()));
}

std::shared_ptr<const MappedFile> MappedFile::open_filled(const std::string& local_path, std::string name,
                                                          std::shared_ptr<const RangeFiller> filler) {
  const auto [data, size] = map_file(local_path);
  auto* file = new MappedFile(std::move(name), data, size);
  file->filler_ = std::move(filler);
  return std::shared_ptr<const MappedFile>(file);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

ByteView MappedFile::view(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) {
    fail_corrupt("{}: range [{}, {}+{}) is outside the file ({} bytes)", path_, offset, offset, length,
                 size_);
  }
  return {data_ + offset, static_cast<size_t>(length)};
}

ByteView MappedFile::slice(uint64_t offset, uint64_t length) const {
  ByteView range = view(offset, length);
  if (filler_ && length > 0) filler_->fill(offset, length);
  return range;
}

void MappedFile::will_need(uint64_t offset, uint64_t length) const {
  if (data_ == nullptr || offset >= size_) return;
  length = std::min(length, size_ - offset);
  long page = ::sysconf(_SC_PAGESIZE);
  uint64_t start = offset - offset % static_cast<uint64_t>(page);
  ::madvise(const_cast<uint8_t*>(data_) + start, length + (offset - start), MADV_WILLNEED);
}

void MappedFile::release(uint64_t offset, uint64_t length) const {
  if (data_ == nullptr || offset >= size_) return;
  length = std::min(length, size_ - offset);
  uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t start = (offset + page - 1) / page * page;  // whole pages only: never a neighbour's
  uint64_t end = (offset + length) / page * page;
  if (end <= start) return;
  ::madvise(const_cast<uint8_t*>(data_) + start, end - start, MADV_DONTNEED);
}

AtomicFileWriter::AtomicFileWriter(std::string path) : path_(std::move(path)) {
  remove_stale_temporaries(path_);
  fd_ = create_locked_temp(path_, /*folder=*/false, &temp_path_);
  pending_.reserve(1 << 20);
}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::write(ByteView data) {
  if (fd_ < 0) fail(ErrorCode::kInternal, "{}: write after commit or abandon", path_);
  constexpr size_t kBufferBytes = 1 << 20;
  if (pending_.size() + data.size() > kBufferBytes) flush();
  if (data.size() >= kBufferBytes)
    write_all(data);  // large blocks skip the buffer
  else
    pending_.append(data);
  offset_ += data.size();
}

void AtomicFileWriter::write_all(ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot write", temp_path_);
    }
    done += static_cast<size_t>(n);
  }
}

void AtomicFileWriter::flush() {
  write_all(pending_.view());
  pending_.clear();
}

void AtomicFileWriter::commit() {
  if (fd_ < 0) fail(ErrorCode::kInternal, "{}: commit twice", path_);
  flush();
  if (::fsync(fd_) != 0) fail_errno("cannot sync", temp_path_);
  // Renamed while still open, hence locked: a cleaner never sees it unlocked.
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    int saved = errno;
    abandon();
    errno = saved;
    fail_errno("cannot rename into place", path_);
  }
  temp_path_.clear();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_errno("cannot close", path_);
  sync_path(parent_dir(path_));
}

void AtomicFileWriter::abandon() {
  if (!temp_path_.empty()) {  // unlinked before it is unlocked
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace mimicit
