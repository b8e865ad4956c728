#include "store/store_index.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <xxhash.h>

#include "mimicit/error.h"
#include "parquet/reader/seek_table.h"
#include "remote/object_cache.h"

namespace mimicit::store {

namespace {

constexpr char kMagic[8] = {'M', 'I', 'M', 'I', 'C', 'I', 'D', 'X'};
constexpr uint32_t kVersion = 2;
constexpr uint32_t kByteOrderMark = 0x01020304;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t byte_order;
  uint64_t num_entries;
  uint64_t arena_bytes;
  uint64_t files_bytes;
  uint64_t duplicates_bytes;
  uint32_t num_sources;
  uint32_t zero;
  uint64_t checksum;
  uint64_t tables_bytes;
};
static_assert(sizeof(Header) == 72);

// Little-endian appends and bounds-checked reads for the small sections.
template <typename T>
void put(Buffer& out, T value) {
  out.append(&value, sizeof value);
}

class SectionReader {
 public:
  explicit SectionReader(ByteView bytes) : bytes_(bytes) {}
  template <typename T>
  bool get(T& value) {
    if (bytes_.size() - pos_ < sizeof value) return false;
    std::memcpy(&value, bytes_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return true;
  }
  bool get_string(size_t length, std::string& value) {
    if (bytes_.size() - pos_ < length) return false;
    value.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return true;
  }
  bool skip(size_t n) {
    if (bytes_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  ByteView bytes_;
  size_t pos_ = 0;
};

void encode_files(const std::vector<FileStamp>& files, Buffer& out) {
  put<uint32_t>(out, static_cast<uint32_t>(files.size()));
  for (const FileStamp& f : files) {
    put<uint64_t>(out, f.size);
    put<int64_t>(out, f.mtime_ns);
    put<uint32_t>(out, static_cast<uint32_t>(f.path.size()));
    out.append(f.path.data(), f.path.size());
  }
}

bool files_match(ByteView section, const std::vector<FileStamp>& files) {
  SectionReader in(section);
  uint32_t count = 0;
  if (!in.get(count) || count != files.size()) return false;
  FileStamp stamp;
  for (const FileStamp& expected : files) {
    uint32_t length = 0;
    if (!in.get(stamp.size) || !in.get(stamp.mtime_ns) || !in.get(length) ||
        !in.get_string(length, stamp.path) || !(stamp == expected)) {
      return false;
    }
  }
  return in.done();
}

void encode_duplicates(const std::vector<DuplicateId>& duplicates, Buffer& out) {
  put<uint64_t>(out, duplicates.size());
  for (const DuplicateId& d : duplicates) {
    put<uint32_t>(out, d.occurrences);
    put<uint32_t>(out, static_cast<uint32_t>(d.id.size()));
    out.append(d.id.data(), d.id.size());
  }
}

bool decode_duplicates(ByteView section, std::vector<DuplicateId>& duplicates) {
  SectionReader in(section);
  uint64_t count = 0;
  if (!in.get(count) || count > section.size() / 8) return false;
  duplicates.resize(count);
  for (DuplicateId& d : duplicates) {
    uint32_t length = 0;
    if (!in.get(d.occurrences) || !in.get(length) || !in.get_string(length, d.id)) return false;
  }
  return in.done();
}

// The seek-table section: u64 format (parquet::kSeekTableFormat), u64
// count, then per source u64 length + bytes.
void encode_tables(const std::vector<ByteView>& tables, Buffer& out) {
  put<uint64_t>(out, parquet::kSeekTableFormat);
  put<uint64_t>(out, tables.size());
  for (ByteView t : tables) {
    put<uint64_t>(out, t.size());
    out.append(t);
    static const uint8_t kZeros[8] = {};
    out.append(kZeros, (8 - t.size() % 8) % 8);
  }
}

// False for a damaged section; `current` false (and no tables) for tables
// built by other rules, which the caller rebuilds.
bool decode_tables(ByteView section, uint32_t num_sources, std::vector<ByteView>& tables, bool& current) {
  SectionReader in(section);
  uint64_t format = 0, count = 0;
  if (!in.get(format) || !in.get(count) || count != num_sources) return false;
  current = format == parquet::kSeekTableFormat;
  if (!current) return true;
  size_t at = 16;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t length = 0;
    if (!in.get(length)) return false;
    at += 8;
    uint64_t padded = (length + 7) & ~uint64_t{7};
    if (length > section.size() - at || padded > section.size() - at) return false;
    tables.push_back(section.subspan(at, length));
    if (!in.skip(padded)) return false;
    at += padded;
  }
  return in.done();
}

// Offsets never decrease, stay inside the arena, and sources are in range:
// what id() and find() rely on to stay inside the mapped file.
bool entries_valid(const IndexEntry* entries, size_t count, uint64_t arena_size, uint32_t num_sources) {
  uint64_t previous = 0;
  for (size_t i = 0; i < count; ++i) {
    uint64_t offset = entries[i].offset();
    if (offset < previous || offset > arena_size || entries[i].source() >= num_sources) {
      return false;
    }
    previous = offset;
  }
  return count == 0 || entries[0].offset() == 0;
}

}  // namespace

// ---------------------------------------------------------------------------
// Lookup.

std::string_view StoreIndex::id(size_t i) const {
  uint64_t begin = entries_[i].offset();
  uint64_t end = i + 1 < count_ ? entries_[i + 1].offset() : arena_size_;
  return {arena_ + begin, static_cast<size_t>(end - begin)};
}

std::optional<size_t> StoreIndex::find(std::string_view key) const {
  // Byte-wise order: std::string_view compares chars through char_traits,
  // which compares as unsigned char.
  size_t low = 0, high = count_;
  while (low < high) {
    size_t mid = low + (high - low) / 2;
    if (id(mid) < key)
      low = mid + 1;
    else
      high = mid;
  }
  if (low < count_ && id(low) == key) return low;
  return std::nullopt;
}

void StoreIndex::set_seek_tables(std::vector<Buffer> tables) {
  owned_tables_ = std::make_shared<std::vector<Buffer>>(std::move(tables));
  tables_.clear();
  for (const Buffer& t : *owned_tables_) tables_.push_back(t.view());
  has_tables_ = true;
}

std::shared_ptr<const void> StoreIndex::seek_table_owner() const {
  if (owned_tables_) return owned_tables_;
  return mapped_;
}

// ---------------------------------------------------------------------------
// Building.

void IndexBuilder::add(std::string_view id, uint32_t source, uint64_t locator) {
  if (source >= IndexEntry::kMaxSources) {
    fail(ErrorCode::kLimit, "an image store holds at most {} files", IndexEntry::kMaxSources);
  }
  if (id.size() > UINT32_MAX || scan_arena_.size() + id.size() > IndexEntry::kMaxOffset) {
    fail(ErrorCode::kLimit, "image ids exceed the index limit of {} bytes", IndexEntry::kMaxOffset);
  }
  items_.push_back({scan_arena_.size(), static_cast<uint32_t>(id.size()), source, locator});
  scan_arena_.append(id.data(), id.size());
}

std::string_view IndexBuilder::item_id(const Item& item) const {
  return {reinterpret_cast<const char*>(scan_arena_.data()) + item.offset, item.length};
}

std::unique_ptr<StoreIndex> IndexBuilder::finish() {
  auto less = [&](const Item& a, const Item& b) { return item_id(a) < item_id(b); };
  // Stores written sorted (like our converter's) skip the sort.
  if (!std::is_sorted(items_.begin(), items_.end(), less)) {
    std::stable_sort(items_.begin(), items_.end(), less);
  }
  std::unique_ptr<StoreIndex> index(new StoreIndex());
  index->owned_entries_.reserve(items_.size());
  index->owned_arena_.reserve(scan_arena_.size());
  for (size_t i = 0; i < items_.size();) {
    // Equal ids are adjacent and in scan order: the last of the run wins.
    size_t end = i + 1;
    std::string_view id = item_id(items_[i]);
    while (end < items_.size() && item_id(items_[end]) == id) ++end;
    if (end - i > 1) index->duplicates_.push_back({std::string(id), static_cast<uint32_t>(end - i)});
    const Item& winner = items_[end - 1];
    uint64_t packed =
        index->owned_arena_.size() | (static_cast<uint64_t>(winner.source) << IndexEntry::kOffsetBits);
    index->owned_entries_.push_back({packed, winner.locator});
    index->owned_arena_.append(id.data(), id.size());
    i = end;
  }
  items_ = {};
  scan_arena_ = Buffer();
  index->arena_ = reinterpret_cast<const char*>(index->owned_arena_.data());
  index->arena_size_ = index->owned_arena_.size();
  index->entries_ = index->owned_entries_.data();
  index->count_ = index->owned_entries_.size();
  return index;
}

// ---------------------------------------------------------------------------
// Saving and loading.

void StoreIndex::save(const std::string& path, const std::vector<FileStamp>& files,
                      uint32_t num_sources) const {
  Buffer files_section, duplicates_section, tables_section;
  encode_files(files, files_section);
  encode_duplicates(duplicates_, duplicates_section);
  if (has_tables_) encode_tables(tables_, tables_section);
  ByteView entries(reinterpret_cast<const uint8_t*>(entries_), count_ * sizeof(IndexEntry));
  ByteView arena(reinterpret_cast<const uint8_t*>(arena_), arena_size_);
  const ByteView parts[] = {entries, tables_section.view(), arena, files_section.view(),
                            duplicates_section.view()};

  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) throw std::bad_alloc();
  XXH3_64bits_reset(state);
  for (ByteView part : parts) XXH3_64bits_update(state, part.data(), part.size());
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kVersion;
  header.byte_order = kByteOrderMark;
  header.num_entries = count_;
  header.arena_bytes = arena_size_;
  header.files_bytes = files_section.size();
  header.duplicates_bytes = duplicates_section.size();
  header.num_sources = num_sources;
  header.checksum = XXH3_64bits_digest(state);
  header.tables_bytes = tables_section.size();
  XXH3_freeState(state);

  AtomicFileWriter writer(path);
  writer.write({reinterpret_cast<const uint8_t*>(&header), sizeof header});
  for (ByteView part : parts) writer.write(part);
  writer.commit();
}

std::unique_ptr<StoreIndex> StoreIndex::load(const std::string& path, const std::vector<FileStamp>& files,
                                             uint32_t num_sources) {
  std::shared_ptr<const MappedFile> file;
  try {
    file = remote::open_mapped(path);  // a published index may be an object beside a remote store
  } catch (const Error&) {
    return nullptr;  // absent or unreadable: rebuild
  }
  return map_checked(std::move(file), files, num_sources);
}

std::unique_ptr<StoreIndex> StoreIndex::map_checked(std::shared_ptr<const MappedFile> file,
                                                    const std::vector<FileStamp>& files,
                                                    uint32_t num_sources) {
  ByteView bytes = file->bytes();
  Header h;
  if (bytes.size() < sizeof h) return nullptr;
  std::memcpy(&h, bytes.data(), sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.version != kVersion ||
      h.byte_order != kByteOrderMark || h.num_sources != num_sources) {
    return nullptr;
  }
  // Section sizes, each checked before it is added so nothing can overflow.
  uint64_t rest = bytes.size() - sizeof h;
  if (h.num_entries > rest / sizeof(IndexEntry)) return nullptr;
  uint64_t entries_bytes = h.num_entries * sizeof(IndexEntry);
  rest -= entries_bytes;
  if (h.tables_bytes > rest || h.tables_bytes % 8 != 0) return nullptr;
  rest -= h.tables_bytes;
  if (h.arena_bytes > rest) return nullptr;
  rest -= h.arena_bytes;
  if (h.files_bytes > rest) return nullptr;
  rest -= h.files_bytes;
  if (h.duplicates_bytes != rest) return nullptr;

  const uint8_t* entries = bytes.data() + sizeof h;
  ByteView tables_section(entries + entries_bytes, h.tables_bytes);
  const uint8_t* arena = tables_section.data() + h.tables_bytes;
  ByteView files_section(arena + h.arena_bytes, h.files_bytes);
  ByteView duplicates_section(files_section.data() + h.files_bytes, h.duplicates_bytes);
  if (!files_match(files_section, files)) return nullptr;  // stale: cheapest test first
  if (XXH3_64bits(entries, bytes.size() - sizeof h) != h.checksum) return nullptr;

  std::unique_ptr<StoreIndex> index(new StoreIndex());
  // The header is 72 bytes and the map page-aligned: entries and tables are 8-aligned.
  index->entries_ = reinterpret_cast<const IndexEntry*>(entries);
  index->count_ = h.num_entries;
  index->arena_ = reinterpret_cast<const char*>(arena);
  index->arena_size_ = h.arena_bytes;
  if (!entries_valid(index->entries_, index->count_, index->arena_size_, num_sources) ||
      !decode_duplicates(duplicates_section, index->duplicates_)) {
    return nullptr;
  }
  if (h.tables_bytes > 0) {
    bool current = false;
    if (!decode_tables(tables_section, num_sources, index->tables_, current)) return nullptr;
    index->has_tables_ = current;
  }
  index->mapped_ = std::move(file);
  return index;
}

}  // namespace mimicit::store
