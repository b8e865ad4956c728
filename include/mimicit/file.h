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
//
// Temporaries of a killed process: every temporary named "<final>.tmp-<pid>-
// <n>" (AtomicFileWriter's files, LockedTempDir's folders) is flock()ed by
// its writer while in use. A killed writer's lock goes with it, so whoever
// next writes the same final path recognises its leftovers as the ones whose
// lock can be taken, and removes them (remove_stale_temporaries; the
// AtomicFileWriter constructor calls it). A live writer, in any process,
// keeps its temporaries. On a file system without flock nothing is removed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "mimicit/bytes.h"

namespace mimicit {

// Makes a byte range of a mapped file present before it is read: how a
// remote object is mapped (src/remote maps its node-local cache file, whose
// blocks are fetched on demand). fill() may block on I/O and throws Error.
class RangeFiller {
 public:
  virtual ~RangeFiller() = default;
  virtual void fill(uint64_t offset, uint64_t length) const = 0;
};

class MappedFile {
 public:
  // Throws Error(kIo) naming the path when the file cannot be opened/mapped.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  // `bytes` made in memory, mapped like a file (an anonymous memfd, so
  // release() drops pages that later reads fault back in unchanged) and
  // named `path` in messages: a rendering of another file, e.g. a Parquet
  // instruction file as JSON. Throws Error(kIo).
  static std::shared_ptr<const MappedFile> from_bytes(const std::string& path, ByteView bytes);
  // `local_path` mapped, named `name` in messages, whose bytes `filler`
  // makes present on demand: slice() and fill() fill the range they
  // return, bytes() the whole file. Throws Error(kIo).
  static std::shared_ptr<const MappedFile> open_filled(const std::string& local_path, std::string name,
                                                       std::shared_ptr<const RangeFiller> filler);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // The whole file (a filled file is filled whole first: readers of large
  // files use slice()).
  ByteView bytes() const {
    if (filler_) filler_->fill(0, size_);
    return {data_, static_cast<size_t>(size_)};
  }
  // Where the mapping starts, for offset arithmetic only: the bytes behind
  // it are present only once slice()d or fill()ed.
  const uint8_t* base() const { return data_; }
  // Bounds-checked sub-view, filled; throws Error(kCorrupt) naming the file
  // when [offset, offset+length) is not inside the file.
  ByteView slice(uint64_t offset, uint64_t length) const;
  // The same range, bounds-checked but not filled: for readers that walk a
  // large range front to back and fill() ahead of themselves as they go
  // (page streams), so that a read deep inside a page of hundreds of MB
  // fetches the stretch it decodes, not the page.
  ByteView view(uint64_t offset, uint64_t length) const;
  // Makes [offset, offset+length) present (clamped to the file); a no-op
  // for a local file. For readers that address the mapping directly.
  void fill(uint64_t offset, uint64_t length) const {
    if (filler_ && offset < size_) filler_->fill(offset, std::min(length, size_ - offset));
  }
  bool filled_on_demand() const { return filler_ != nullptr; }
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
  std::shared_ptr<const RangeFiller> filler_;
};

class AtomicFileWriter {
 public:
  // Removes stale temporaries of `path`, then creates (and locks) the
  // temporary file. Throws Error(kIo).
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

// Flushes a file or a folder to the storage device (fsync). For a folder
// this makes the entries created, renamed or removed in it durable: a rename
// into place survives a power loss only once its folder is synced.
// Throws Error(kIo) naming the path; a file system that cannot sync the
// path's kind of file (EINVAL) is not an error.
void sync_path(const std::string& path);

// mimicit's cache folder on this node (saved store indexes, fetched remote
// objects): $MIMICIT_CACHE_DIR, else $XDG_CACHE_HOME/mimicit, else
// ~/.cache/mimicit; "" when none of them is set.
std::string default_cache_dir();

// Removes the temporaries "<final_path>.tmp-<pid>-<n>" (files or folders)
// that no live writer holds; see above. Best effort: never throws.
void remove_stale_temporaries(const std::string& final_path);

// A folder "<final_path>.tmp-<pid>-<n>" beside `final_path`, created empty
// and locked for this object's lifetime, so that remove_stale_temporaries
// leaves it alone while it is being filled. The owner renames it into
// place or removes it; the destructor only unlocks. Throws Error(kIo).
class LockedTempDir {
 public:
  explicit LockedTempDir(const std::string& final_path);
  ~LockedTempDir();
  LockedTempDir(const LockedTempDir&) = delete;
  LockedTempDir& operator=(const LockedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace mimicit
