// Shared pieces of the fuzz targets (fuzz/README.md).
//
// Every target follows one rule: a thrown mimicit::Error is the correct
// answer to bad input and is swallowed by accept_errors(); anything else
// (another exception, a sanitizer report, a timeout, an allocation over
// libFuzzer's -rss_limit_mb / -malloc_limit_mb) escapes and is a bug.
//
// Entry points that read files by path get their input through TempFile: one
// file per process and target, rewritten for every input, in /dev/shm when
// it exists (no disk I/O), else $TMPDIR or /tmp.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mimicit/error.h"

namespace mimicit::fuzz {

template <typename Fn>
void accept_errors(Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
  }
}

// Keeps the compiler from optimising away reads whose only purpose is to let
// the sanitizers check the memory behind a view.
inline volatile uint8_t touch_sink = 0;
inline void touch(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint8_t x = 0;
  for (size_t i = 0; i < size; ++i) x ^= p[i];
  touch_sink = x;
}
inline void touch(std::string_view s) { touch(s.data(), s.size()); }

class TempFile {
 public:
  // `name` ends the file name, so it may carry the extension the entry point
  // looks at ("images.json").
  explicit TempFile(std::string_view name) {
    std::string dir = "/dev/shm";
    if (access(dir.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp && *tmp ? tmp : "/tmp";
    }
    path_ = dir + "/mimicit_fuzz_" + std::to_string(getpid()) + "_" + std::string(name);
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Replaces the file's contents with `data`; returns its path.
  const std::string& write(const uint8_t* data, size_t size) {
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();  // the fuzzing machine, not the input, is broken
    while (size > 0) {
      ssize_t n = ::write(fd, data, size);
      if (n <= 0) std::abort();
      data += n;
      size -= static_cast<size_t>(n);
    }
    close(fd);
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mimicit::fuzz
