#include "remote/object_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/units.h"
#include "remote/remote_counters.h"
#include "util/file_context.h"

namespace mimicit::remote {
namespace {

int open_or_fail(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno("cannot open", path);
  return fd;
}

void pwrite_all(int fd, const void* data, size_t size, uint64_t offset, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail_errno("cannot write", path);
    p += n, size -= size_t(n), offset += uint64_t(n);
  }
}

void pread_all(int fd, void* data, size_t size, uint64_t offset, const std::string& path) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("cannot read", path);
    if (n == 0) {  // a state file shorter than its blocks: they are missing
      std::memset(p, 0, size);
      return;
    }
    p += n, size -= size_t(n), offset += uint64_t(n);
  }
}

// An OFD lock (per open file description, so per fd: threads with their
// own fds exclude each other as processes do) on bytes [first, first+count).
class RangeLock {
 public:
  RangeLock(int fd, uint64_t first, uint64_t count, const std::string& path)
      : fd_(fd), first_(first), count_(count) {
    if (!set(F_WRLCK)) fail_errno("cannot lock", path);
  }
  ~RangeLock() { set(F_UNLCK); }
  RangeLock(const RangeLock&) = delete;
  RangeLock& operator=(const RangeLock&) = delete;

 private:
  bool set(short type) {
    struct flock l {};
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = static_cast<off_t>(first_);
    l.l_len = static_cast<off_t>(count_);
    while (::fcntl(fd_, F_OFD_SETLKW, &l) != 0) {
      if (errno != EINTR) return false;
    }
    return true;
  }
  int fd_;
  uint64_t first_, count_;
};

std::string default_dir() {
  const std::string dir = default_cache_dir();
  return (dir.empty() ? std::string("/tmp/mimicit-cache") : dir) + "/objects";
}

// Removes least recently opened folders nobody has open until the fetched
// bytes fit in `max_bytes`. Best effort: a folder in use stays.
void evict(const std::string& dir, uint64_t max_bytes) {
  struct Entry {
    std::string path;
    int64_t opened;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    struct stat meta {
    }, data{};
    const std::string p = e.path().string();
    if (::stat((p + "/meta").c_str(), &meta) != 0 || ::stat((p + "/data").c_str(), &data) != 0) continue;
    const uint64_t bytes = uint64_t(data.st_blocks) * 512;
    entries.push_back({p, int64_t(meta.st_mtime), bytes});
    total += bytes;
  }
  if (total <= max_bytes) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.opened < b.opened; });
  for (const Entry& e : entries) {
    if (total <= max_bytes) break;
    const int fd = ::open((e.path + "/meta").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      std::filesystem::remove_all(e.path, ec);
      if (!ec) total -= std::min(total, e.bytes);
    }
    ::close(fd);
  }
}

class CachedObject : public RangeFiller {
 public:
  CachedObject(ObjectUrl url, ObjectInfo info, const CacheOptions& options, ObjectClient& client)
      : url_(std::move(url)), info_(std::move(info)), options_(options), client_(client) {
    const std::string key = sha256_hex(url_.text + '\n' + info_.version()).substr(0, 32);
    std::filesystem::create_directories(options_.dir);
    folder_ = options_.dir + "/" + key;
    ::mkdir(folder_.c_str(), 0755);
    meta_fd_ = open_or_fail(folder_ + "/meta", O_RDWR | O_CREAT);
    // Shared while open: eviction takes it exclusively.
    if (::flock(meta_fd_, LOCK_SH) != 0) fail_errno("cannot lock", folder_ + "/meta");
    const std::string meta = url_.text + '\n' + info_.version() + '\n' + std::to_string(info_.size) + '\n';
    if (::ftruncate(meta_fd_, 0) == 0) pwrite_all(meta_fd_, meta.data(), meta.size(), 0, folder_ + "/meta");
    ::futimens(meta_fd_, nullptr);  // "recently opened", for eviction
    data_path_ = folder_ + "/data";
    const int data_fd = open_or_fail(data_path_, O_RDWR | O_CREAT);
    struct stat st {};
    if (::fstat(data_fd, &st) == 0 && uint64_t(st.st_size) != info_.size &&
        ::ftruncate(data_fd, static_cast<off_t>(info_.size)) != 0) {
      ::close(data_fd);
      fail_errno("cannot size", data_path_);
    }
    data_fd_ = data_fd;
    state_path_ = folder_ + "/state";
    state_fd_ = open_or_fail(state_path_, O_RDWR | O_CREAT);
  }
  ~CachedObject() override {
    for (int fd : {data_fd_, state_fd_, meta_fd_})
      if (fd >= 0) ::close(fd);
  }

  const std::string& data_path() const { return data_path_; }
  const ObjectInfo& info() const { return info_; }

  void fill(uint64_t offset, uint64_t length) const override {
    if (length == 0) return;
    const uint64_t b = options_.block_bytes;
    const uint64_t first = offset / b, last = (offset + length - 1) / b, count = last - first + 1;
    std::vector<uint8_t> state(count);
    pread_all(state_fd_, state.data(), count, first, state_path_);
    if (std::all_of(state.begin(), state.end(), [](uint8_t s) { return s == 1; })) {
      remote::count(counters().cache_hits);
      return;
    }
    // An fd of its own, so that the OFD lock also excludes this process's
    // other threads.
    const int fd = open_or_fail(state_path_, O_RDWR);
    try {
      RangeLock lock(fd, first, count, state_path_);
      pread_all(fd, state.data(), count, first, state_path_);
      // Another process or thread may have fetched them while this one waited.
      bool fetched = false;
      for (uint64_t i = 0; i < count;) {
        if (state[i] == 1) {
          ++i;
          continue;
        }
        uint64_t j = i;
        while (j < count && state[j] != 1) ++j;
        fetch(first + i, first + j, fd);
        fetched = true;
        i = j;
      }
      remote::count(fetched ? counters().cache_misses : counters().cache_hits);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  }

 private:
  // Blocks [begin, end): one GET, written into data, then marked present.
  void fetch(uint64_t begin, uint64_t end, int state_fd) const {
    const uint64_t from = begin * options_.block_bytes;
    const uint64_t to = std::min(info_.size, end * options_.block_bytes);
    const std::string bytes = client_.read(url_, from, to - from, info_.version());
    pwrite_all(data_fd_, bytes.data(), bytes.size(), from, data_path_);
    remote::count(counters().fetched_bytes, bytes.size());
    const std::vector<uint8_t> present(end - begin, 1);
    pwrite_all(state_fd, present.data(), present.size(), begin, state_path_);
    static std::atomic<uint64_t> since_eviction{0};
    if ((since_eviction += bytes.size()) > options_.max_bytes / 16) {
      since_eviction = 0;
      evict(options_.dir, options_.max_bytes);
    }
  }

  ObjectUrl url_;
  ObjectInfo info_;
  CacheOptions options_;
  ObjectClient& client_;
  std::string folder_, data_path_, state_path_;
  int meta_fd_ = -1, data_fd_ = -1, state_fd_ = -1;
};

// The cached objects open in this process, by where their file is mapped
// (unique while the mapping lives; the MappedFile keeps its filler alive).
struct OpenObjects {
  std::mutex mutex;
  std::map<const uint8_t*, std::weak_ptr<const CachedObject>> by_base;
};

OpenObjects& open_objects() {
  static OpenObjects objects;
  return objects;
}

}  // namespace

CacheOptions CacheOptions::from_environment() {
  CacheOptions o;
  o.dir = default_dir();
  if (const char* s = std::getenv("MIMICIT_CACHE_SIZE"); s && *s) o.max_bytes = parse_byte_size(s);
  return o;
}

std::shared_ptr<const MappedFile> open_cached(const std::string& url, ObjectClient& client,
                                              const CacheOptions& options) {
  const ObjectUrl parsed = parse_object_url(url);
  ObjectInfo info = client.stat(parsed);
  CacheOptions o = options;
  if (o.dir.empty()) o.dir = default_dir();
  auto object = std::make_shared<CachedObject>(parsed, std::move(info), o, client);
  std::shared_ptr<const MappedFile> file = MappedFile::open_filled(object->data_path(), url, object);
  OpenObjects& objects = open_objects();
  std::lock_guard lock(objects.mutex);
  for (auto it = objects.by_base.begin(); it != objects.by_base.end();)  // forget closed ones
    it = it->second.expired() ? objects.by_base.erase(it) : std::next(it);
  objects.by_base[file->base()] = object;
  return file;
}

std::optional<ObjectInfo> object_info_of(const MappedFile& file) {
  if (!file.filled_on_demand()) return std::nullopt;
  OpenObjects& objects = open_objects();
  std::lock_guard lock(objects.mutex);
  const auto it = objects.by_base.find(file.base());
  if (it == objects.by_base.end()) return std::nullopt;
  const std::shared_ptr<const CachedObject> object = it->second.lock();
  if (!object) return std::nullopt;
  return object->info();
}

std::shared_ptr<const MappedFile> open_mapped(const std::string& path) {
  return is_remote(path) ? open_cached(path) : MappedFile::open(path);
}

}  // namespace mimicit::remote
