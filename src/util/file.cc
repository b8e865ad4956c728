#include "mimicit/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "mimicit/error.h"

namespace mimicit {

namespace {

[[noreturn]] void fail_errno(std::string_view what, const std::string& path) {
  fail(ErrorCode::kIo, "{}: {}: {}", path, what, std::strerror(errno));
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
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
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

ByteView MappedFile::slice(uint64_t offset, uint64_t length) const {
  if (offset > size_ || length > size_ - offset) {
    fail_corrupt("{}: range [{}, {}+{}) is outside the file ({} bytes)", path_, offset, offset,
                 length, size_);
  }
  return {data_ + offset, static_cast<size_t>(length)};
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
  static std::atomic<uint64_t> counter{0};
  temp_path_ = fmt::format("{}.tmp-{}-{}", path_, ::getpid(), counter++);
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) fail_errno("cannot create", temp_path_);
  pending_.reserve(1 << 20);
}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::write(ByteView data) {
  if (fd_ < 0) fail(ErrorCode::kInternal, "{}: write after commit or abandon", path_);
  constexpr size_t kBufferBytes = 1 << 20;
  if (pending_.size() + data.size() > kBufferBytes) flush();
  if (data.size() >= kBufferBytes) write_all(data);  // large blocks skip the buffer
  else pending_.append(data);
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
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail_errno("cannot close", temp_path_);
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp_path_.c_str());
    errno = saved;
    fail_errno("cannot rename into place", path_);
  }
  int dir = ::open(parent_dir(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  temp_path_.clear();
}

void AtomicFileWriter::abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

}  // namespace mimicit
