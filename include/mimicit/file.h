// Files: read-only memory maps for reading, atomic replacement for writing.
//
// MappedFile maps a whole file read-only. Mapping costs no I/O: the kernel
// reads the pages a reader touches, so a reader that only looks at a footer
// and one page reads only those, whatever the file size (64-bit sizes
// throughout). A MappedFile is immutable after open and safe to read from
// many threads. Views into it stay valid while the MappedFile lives.
//
// AtomicFileWriter writes `path` as "<path>.tmp-<pid>-<n>" in the same folder
// and renames it over `path` in commit(). Until commit() returns, `path` is
// untouched (absent, or its old contents); a failure, an exception or a kill
// at any point never leaves a partial file under the final name. The
// destructor of an uncommitted writer removes the temporary file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mimicit/bytes.h"

namespace mimicit {

class MappedFile {
 public:
  // Throws Error(kIo) naming the path when the file cannot be opened/mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  ByteView bytes() const { return {data_, static_cast<size_t>(size_)}; }
  // Bounds-checked sub-view; throws Error(kCorrupt) naming the file when
  // [offset, offset+length) is not inside the file.
  ByteView slice(uint64_t offset, uint64_t length) const;
  // Hints that [offset, offset+length) will be read soon / sequentially.
  void will_need(uint64_t offset, uint64_t length) const;
  // Drops the whole memory pages inside [offset, offset+length) from this
  // process's resident set (MADV_DONTNEED). The data stays in the OS page
  // cache and later reads fault it back in unchanged, so this is safe while
  // other threads read the same range. Long streaming reads call it behind
  // their cursor, which keeps a process's RSS bounded by what it is using,
  // not by how much of a large file it has walked over.
  void release(uint64_t offset, uint64_t length) const;

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
};

class AtomicFileWriter {
 public:
  // Creates the temporary file. Throws Error(kIo).
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(ByteView data);
  uint64_t offset() const { return offset_; }
  // Flushes, fsyncs, renames over the final path and fsyncs the folder.
  void commit();
  // Removes the temporary file; the final path is untouched.
  void abandon();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  void flush();
  void write_all(ByteView data);
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t offset_ = 0;
  Buffer pending_;
};

}  // namespace mimicit
