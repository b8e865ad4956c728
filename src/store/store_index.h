// StoreIndex: the sorted id -> (source, locator) index of an ImageStore, and
// its on-disk form.
//
// Memory layout (the same in memory and in a saved index file, so a saved
// index is used in place from a memory map, without copying or parsing):
//   - the arena: every distinct id, in sorted (byte-wise) order, back to
//     back, with nothing between them;
//   - the entries: one 16-byte IndexEntry per distinct id, in the same order:
//       word 0: bits 0..47 = offset of the id in the arena (arenas up to
//               256 TiB), bits 48..63 = source index (up to 65536 sources);
//       word 1: the source's locator, all 64 bits.
//     The length of id i is offset(i + 1) - offset(i) (the arena size for
//     the last one), so no length is stored: an index costs the id bytes
//     plus 16 bytes per image.
// Lookup is a binary search over the entries.
//
// Building: IndexBuilder collects (id, source, locator) in the order the
// sources hand them out, then sorts stably by id. When an id occurs more
// than once, the LAST occurrence wins (like concatenating the stores in
// order) and the id is reported in duplicates().
//
// Saved file (little-endian, version 2):
//   header (72 bytes): magic "MIMICIDX", u32 version, u32 byte-order mark
//     0x01020304, u64 entry count, u64 arena bytes, u64 files bytes,
//     u64 duplicates bytes, u32 source count, u32 zero, u64 XXH3-64 of
//     every byte after the header, u64 seek-table bytes;
//   entries (16 bytes each), the seek-table section (empty when the tables
//     were not built; else u64 parquet::kSeekTableFormat, u64 source count,
//     then per source u64 length and its tables as parquet/reader/seek_table.h
//     stores them, all 8-aligned; tables of another format count as not
//     built),
//     arena, files section (u32 count, then per file: u64 size, i64
//     mtime_ns, u32 path length, path), duplicates section (u64 count, then
//     per id: u32 occurrences, u32 length, id bytes).
// The seek tables ride in the same file so that they are written
// atomically with the ids and go stale with them.
// load() trusts nothing: it checks the size of every section, the checksum,
// that the files match the caller's, that offsets never decrease and stay
// inside the arena and that source indexes are in range; any mismatch makes
// it return nullptr so the caller rebuilds.
//
// Thread-safety: a StoreIndex is immutable; lookups may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/file.h"
#include "mimicit/image_store.h"

namespace mimicit::store {

struct IndexEntry {
  uint64_t offset_and_source;
  uint64_t locator;

  static constexpr int kOffsetBits = 48;
  static constexpr uint64_t kMaxOffset = (uint64_t{1} << kOffsetBits) - 1;
  static constexpr uint32_t kMaxSources = 1u << 16;

  uint64_t offset() const { return offset_and_source & kMaxOffset; }
  uint32_t source() const { return static_cast<uint32_t>(offset_and_source >> kOffsetBits); }
};
static_assert(sizeof(IndexEntry) == 16);

// What a saved index must match: each store file (or image folder) with its
// size and modification time (for a folder: a fingerprint of its listing).
struct FileStamp {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

class StoreIndex {
 public:
  StoreIndex(const StoreIndex&) = delete;
  StoreIndex& operator=(const StoreIndex&) = delete;

  size_t size() const { return count_; }
  std::string_view id(size_t i) const;
  const IndexEntry& entry(size_t i) const { return entries_[i]; }
  // Position of `id`, or nullopt.
  std::optional<size_t> find(std::string_view id) const;
  const std::vector<DuplicateId>& duplicates() const { return duplicates_; }
  // Bytes the arena and entries take (in memory or mapped).
  uint64_t bytes() const { return arena_size_ + count_ * sizeof(IndexEntry); }
  bool is_mapped() const { return mapped_ != nullptr; }

  // The seek tables of each source (SourceTables()), present when they
  // were built; views into the mapped file or into owned memory.
  bool has_seek_tables() const { return has_tables_; }
  const std::vector<ByteView>& seek_tables() const { return tables_; }
  // Sets the tables of each source (one entry per source, maybe empty).
  void set_seek_tables(std::vector<Buffer> tables);
  // What keeps the seek tables' bytes alive.
  std::shared_ptr<const void> seek_table_owner() const;

  // Writes the index atomically to `path`. Throws Error(kIo).
  void save(const std::string& path, const std::vector<FileStamp>& files, uint32_t num_sources) const;
  // The index saved at `path` when it exists, is intact and was built from
  // exactly `files`; nullptr otherwise. Never throws for a bad file.
  static std::unique_ptr<StoreIndex> load(const std::string& path, const std::vector<FileStamp>& files,
                                          uint32_t num_sources);

 private:
  friend class IndexBuilder;
  StoreIndex() = default;
  static std::unique_ptr<StoreIndex> map_checked(std::shared_ptr<const MappedFile> file,
                                                 const std::vector<FileStamp>& files, uint32_t num_sources);

  // Views: into owned_* (built) or into mapped_ (loaded).
  const char* arena_ = nullptr;
  uint64_t arena_size_ = 0;
  const IndexEntry* entries_ = nullptr;
  size_t count_ = 0;
  std::vector<DuplicateId> duplicates_;

  Buffer owned_arena_;
  std::vector<IndexEntry> owned_entries_;
  std::shared_ptr<const MappedFile> mapped_;
  bool has_tables_ = false;
  std::vector<ByteView> tables_;
  std::shared_ptr<std::vector<Buffer>> owned_tables_;
};

class IndexBuilder {
 public:
  // Throws Error(kLimit) past 65536 sources or a 256 TiB arena.
  void add(std::string_view id, uint32_t source, uint64_t locator);
  size_t added() const { return items_.size(); }
  // Sorts (last occurrence wins) and returns the index; the builder is
  // left empty.
  std::unique_ptr<StoreIndex> finish();

 private:
  struct Item {
    uint64_t offset;  // in scan_arena_
    uint32_t length;
    uint32_t source;
    uint64_t locator;
  };
  std::string_view item_id(const Item& item) const;

  Buffer scan_arena_;
  std::vector<Item> items_;
};

}  // namespace mimicit::store
