// A shard of a conversion on disk, and the merge of all shards into the
// output folder.
//
// A finished shard is a folder shard-NNNNN in the run's work folder:
//   values         the stored values of its kept images, back to back, in
//                  storage order;
//   table          per kept image, in the same order: u64 rank (the id's
//                  position in sorted order) and u32 value length,
//                  little-endian, 12 bytes;
//   _dropped.jsonl  its drops, as the output's _dropped.jsonl lines (absent
//                  when none);
//   info           written last: "key value" lines naming the shard (index,
//                  begin, end, images, store_images) and its counts (kept,
//                  dropped, bytes_in, values_bytes).
// The merge trusts none of it blindly: every size and rank is checked
// against the plan and the other files before a byte is written.
//
// The merge's part plan (layout_parts) leaves in the work folder:
//   layout         per image in id order (rank 0, 1, ...): u64 offset of its
//                  value in the shards' values files back to back (plan
//                  order) and u32 length, UINT32_MAX when dropped; 12 bytes;
//   output/        the output folder: _dropped.jsonl, then each part as its
//                  task renames it in (write_part), renamed over `out` by
//                  the commit.
#include <unistd.h>

#include <fcntl.h>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include "convert/convert_internal.h"
#include "convert/convert_parts.h"
#include "convert/convert_upload.h"
#include "mimicit/convert.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "store/storage_ranges.h"
#include "store/store_scan.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

namespace internal {

namespace {

constexpr const char* kInfoMagic = "mimicit-convert-shard 1";
constexpr uint32_t kAbsent = UINT32_MAX;
constexpr size_t kTableEntry = 12;
// How often (in images) a shard checks that its folder still exists.
constexpr uint64_t kCancelCheckEvery = 256;

// An append-only file written through a buffer; close() reports failures.
class AppendFile {
 public:
  explicit AppendFile(fs::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(ErrorCode::kIo, "{}: cannot create: {}", path_.string(), std::strerror(errno));
    pending_.reserve(kFlushBytes);
  }
  ~AppendFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(std::string_view data) {
    pending_.append(data);
    written_ += data.size();
    if (pending_.size() >= kFlushBytes) flush();
  }
  uint64_t size() const { return written_; }
  void close() {
    flush();
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(ErrorCode::kIo, "{}: cannot write: {}", path_.string(), std::strerror(errno));
  }

 private:
  static constexpr size_t kFlushBytes = size_t{4} << 20;

  void flush() {
    size_t done = 0;
    while (done < pending_.size()) {
      ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(ErrorCode::kIo, "{}: cannot write: {}", path_.string(), std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    pending_.clear();
  }

  fs::path path_;
  int fd_ = -1;
  std::string pending_;
  uint64_t written_ = 0;
};

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t get_le(const uint8_t* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

// The info file of a shard.
struct ShardInfo {
  ConvertShard shard;
  uint64_t kept = 0;
  uint64_t dropped = 0;
  uint64_t bytes_in = 0;
  uint64_t values_bytes = 0;
};

std::string format_info(const ShardInfo& info) {
  const ConvertShard& s = info.shard;
  return fmt::format(
      "{}\nindex {}\nbegin {} {}\nend {} {}\nimages {}\nstore_images {}\nkept {}\ndropped {}\nbytes_in {}\n"
      "values_bytes {}\n",
      kInfoMagic, s.index, s.begin.file, s.begin.position, s.end.file, s.end.position, s.images,
      s.store_images, info.kept, info.dropped, info.bytes_in, info.values_bytes);
}

ShardInfo read_info(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::kNotFound, "{}: not found (the shard is not done)", path.string());
  std::string line;
  if (!std::getline(in, line) || line != kInfoMagic) fail_corrupt("{}: not a shard info file", path.string());
  std::map<std::string, std::vector<uint64_t>> fields;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    uint64_t value = 0;
    while (words >> value) fields[key].push_back(value);
    if (!words.eof()) fail_corrupt("{}: bad line '{}'", path.string(), line);
  }
  auto get = [&](const char* key, size_t count) -> const std::vector<uint64_t>& {
    auto it = fields.find(key);
    if (it == fields.end() || it->second.size() != count)
      fail_corrupt("{}: no valid '{}'", path.string(), key);
    return it->second;
  };
  auto place = [&](const char* key) {
    const std::vector<uint64_t>& v = get(key, 2);
    if (v[0] > UINT32_MAX) fail_corrupt("{}: bad '{}'", path.string(), key);
    return StoragePlace{static_cast<uint32_t>(v[0]), v[1]};
  };
  ShardInfo info;
  uint64_t index = get("index", 1)[0];
  if (index > UINT32_MAX) fail_corrupt("{}: bad 'index'", path.string());
  info.shard.index = static_cast<uint32_t>(index);
  info.shard.begin = place("begin");
  info.shard.end = place("end");
  info.shard.images = get("images", 1)[0];
  info.shard.store_images = get("store_images", 1)[0];
  info.kept = get("kept", 1)[0];
  info.dropped = get("dropped", 1)[0];
  info.bytes_in = get("bytes_in", 1)[0];
  info.values_bytes = get("values_bytes", 1)[0];
  return info;
}

bool same_shard(const ConvertShard& a, const ConvertShard& b) {
  return a.index == b.index && a.begin == b.begin && a.end == b.end && a.images == b.images &&
         a.store_images == b.store_images;
}

// Where each rank's value is: a global offset (the shards' values files
// back to back, in shard order) and a length; 12 bytes per image.
class ValueTable {
 public:
  explicit ValueTable(size_t images) : offsets_(images), lengths_(images, kAbsent) {}

  void set(const fs::path& table, uint64_t rank, uint64_t offset, uint32_t length) {
    if (rank >= lengths_.size()) {
      fail_corrupt("{}: rank {} is outside the store ({} images)", table.string(), rank, lengths_.size());
    }
    if (lengths_[rank] != kAbsent) fail_corrupt("{}: rank {} is held by two shards", table.string(), rank);
    offsets_[rank] = offset;
    lengths_[rank] = length;
  }
  bool has(size_t rank) const { return lengths_[rank] != kAbsent; }
  uint64_t offset(size_t rank) const { return offsets_[rank]; }
  uint32_t length(size_t rank) const { return lengths_[rank]; }

 private:
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> lengths_;
};

// The shards' values files, each mapped on first use; read by global
// offset (the files back to back, in plan order). Pages read are released
// (they stay in the page cache) once the next value is read: reading the
// values in id order jumps around the files, and a part's writer must not
// grow with them.
class ValueFiles {
 public:
  ValueFiles(fs::path work_dir, const std::vector<ShardValues>& shards)
      : work_dir_(std::move(work_dir)), shards_(shards), files_(shards.size()) {
    uint64_t total = 0;
    for (const ShardValues& shard : shards) {
      bases_.push_back(total);
      total += shard.bytes;
    }
  }
  ~ValueFiles() { release_last(); }

  // The value's bytes, mapped: valid until the next read().
  std::string_view read(uint64_t offset, uint32_t length) {
    release_last();
    size_t f = static_cast<size_t>(std::upper_bound(bases_.begin(), bases_.end(), offset) - bases_.begin());
    if (f == 0) fail_corrupt("{}: a value at offset {} is in no shard", work_dir_.string(), offset);
    --f;
    const uint64_t local = offset - bases_[f];
    if (local + length > shards_[f].bytes) {
      fail_corrupt("{}: a value at offset {} runs past shard {}'s values", work_dir_.string(), offset,
                   shards_[f].index);
    }
    if (!files_[f]) {
      const fs::path path = work_dir_ / shard_folder_name(shards_[f].index) / "values";
      files_[f] = MappedFile::open(path.string());
      if (files_[f]->size() != shards_[f].bytes) {
        fail_corrupt("{}: {} bytes, the shard's info says {}", path.string(), files_[f]->size(),
                     shards_[f].bytes);
      }
    }
    last_ = {files_[f].get(), local, length};
    return as_string_view(files_[f]->slice(local, length));
  }

 private:
  struct Range {
    const MappedFile* file = nullptr;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  void release_last() {
    if (last_.file) last_.file->release(last_.offset, last_.length);
    last_ = {};
  }

  fs::path work_dir_;
  const std::vector<ShardValues>& shards_;
  std::vector<std::shared_ptr<const MappedFile>> files_;
  std::vector<uint64_t> bases_;
  Range last_;
};

// A name inside `work_dir` no other task uses: ".NAME.tmp-<pid>-<n>-<random>".
fs::path private_temp(const fs::path& work_dir, std::string_view name) {
  static std::atomic<uint64_t> counter{0};
  std::random_device random;
  return work_dir / fmt::format(".{}.tmp-{}-{}-{:08x}", name, ::getpid(), counter++, random());
}

// Creates the folder `path` inside an existing folder, or fails: a run that
// was cancelled removed its work folder, and a late task must not create
// it again.
void create_private_folder(const fs::path& path, std::string_view what) {
  std::error_code error;
  if (!fs::create_directory(path, error) || error) {
    fail(ErrorCode::kIo, "{}: cannot create {} ({}): was the run cancelled?", path.string(), what,
         error ? error.message() : "it exists");
  }
}

// Copies a shard's _dropped.jsonl into the output's, checking its line count.
void copy_drops(const fs::path& path, uint64_t expected, DropLog& drops) {
  if (expected == 0) {
    if (fs::exists(path)) fail_corrupt("{}: the shard lists no drop", path.string());
    return;
  }
  auto file = MappedFile::open(path.string());
  std::string_view text = as_string_view(file->bytes());
  uint64_t lines = static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
  if (lines != expected || (!text.empty() && text.back() != '\n')) {
    fail_corrupt("{}: {} lines, the shard's info says {}", path.string(), lines, expected);
  }
  constexpr size_t kChunk = size_t{1} << 20;
  for (size_t at = 0; at < text.size();) {
    size_t end = std::min(text.size(), at + kChunk);
    while (end < text.size() && text[end - 1] != '\n') ++end;  // whole lines per add
    std::string_view chunk = text.substr(at, end - at);
    drops.add_lines(chunk, static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n')));
    file->release(at, end - at);
    at = end;
  }
}

}  // namespace

std::string shard_folder_name(uint32_t index) { return fmt::format("shard-{:05}", index); }

ShardReport write_shard(const ImageStore& store, const ConvertOptions& options, const ConvertShard& shard,
                        const fs::path& dir, WorkerPool& pool, Progress* progress) {
  if (store.size() != shard.store_images) {
    fail_invalid("the store has {} images, the plan {}: its files changed since the plan", store.size(),
                 shard.store_images);
  }
  const uint64_t max_row_bytes = PartWriter(dir, options).max_row_bytes();
  AppendFile values(dir / "values");
  AppendFile table(dir / "table");
  DropLog drops(dir / "_dropped.jsonl");
  ShardInfo info;
  info.shard = shard;
  uint64_t seen = 0;
  std::string entry;
  scan_store_range<Item>(
      store, shard.begin, shard.end, pool, [&](Item& item) { fetch(store, item); },
      [&](Item& item) { prepare(options, max_row_bytes, item); },
      [&](Item& item) {
        info.bytes_in += item.raw.size();
        if (!item.dropped.empty()) {
          drops.add(item.id, item.dropped);
        } else {
          std::string_view value = stored_value(options, item);
          if (value.size() >= kAbsent)
            fail(ErrorCode::kLimit, "a value of {} bytes is too large", value.size());
          values.write(value);
          entry.clear();
          put_le(entry, item.rank, 8);
          put_le(entry, value.size(), 4);
          table.write(entry);
          ++info.kept;
        }
        if (progress) progress->advance(1, item.raw.size());
        // A cancelled run removes its work folder: stop rather than
        // write on into files nobody will read.
        if (++seen % kCancelCheckEvery == 0 && !fs::exists(dir)) {
          fail(ErrorCode::kIo, "{}: removed while the shard was written (the run was cancelled)",
               dir.string());
        }
      });
  if (seen != shard.images) {
    fail_invalid("shard {}: {} images where the plan has {}: the store's files changed since the plan",
                 shard.index, seen, shard.images);
  }
  values.close();
  table.close();
  drops.close();
  info.dropped = drops.count();
  info.values_bytes = values.size();
  AppendFile info_file(dir / "info");
  info_file.write(format_info(info));
  info_file.close();
  return {.images = info.kept, .dropped = info.dropped, .bytes_in = info.bytes_in, .reused = false};
}

MergePlan layout_parts(const ImageStore& store, const ConvertOptions& options, const ConvertPlan& plan,
                       const fs::path& work_dir, const fs::path& out_dir) {
  if (store.size() != plan.images) {
    fail_invalid("the store has {} images, the plan {}: its files changed since the plan", store.size(),
                 plan.images);
  }
  MergePlan merge;
  merge.images = plan.images;
  merge.duplicates = store.duplicates().size();
  const fs::path drops_temp = private_temp(work_dir, "_dropped.jsonl");
  const fs::path layout_temp = private_temp(work_dir, "layout");
  std::error_code error;
  try {
    DropLog drops(drops_temp);
    ValueTable table(plan.images);
    uint64_t covered = 0;
    uint64_t total = 0;
    for (const ConvertShard& shard : plan.shards) {
      const fs::path dir = work_dir / shard_folder_name(shard.index);
      ShardInfo info = read_info(dir / "info");
      if (!same_shard(info.shard, shard)) fail_corrupt("{}: the shard differs from the plan's", dir.string());
      covered += shard.images;
      const uint64_t values_size = fs::file_size(dir / "values");
      if (values_size != info.values_bytes) {
        fail_corrupt("{}: {} bytes, the shard's info says {}", (dir / "values").string(), values_size,
                     info.values_bytes);
      }
      const uint64_t base = total;
      total += info.values_bytes;
      merge.shards.push_back({.index = shard.index, .bytes = info.values_bytes});
      const fs::path table_path = dir / "table";
      auto entries = MappedFile::open(table_path.string());
      if (entries->size() != info.kept * kTableEntry) {
        fail_corrupt("{}: {} bytes for {} images", table_path.string(), entries->size(), info.kept);
      }
      uint64_t offset = 0;
      const uint8_t* p = entries->bytes().data();
      for (uint64_t i = 0; i < info.kept; ++i, p += kTableEntry) {
        uint64_t length = get_le(p + 8, 4);
        if (length == kAbsent || offset + length > info.values_bytes) {
          fail_corrupt("{}: entry {} runs past the values", table_path.string(), i);
        }
        table.set(table_path, get_le(p, 8), base + offset, static_cast<uint32_t>(length));
        offset += length;
      }
      if (offset != info.values_bytes)
        fail_corrupt("{}: the entries do not cover the values", table_path.string());
      if (info.kept + info.dropped != shard.images)
        fail_corrupt("{}: kept and dropped do not add up", dir.string());
      copy_drops(dir / "_dropped.jsonl", info.dropped, drops);
      merge.kept += info.kept;
      merge.bytes_in += info.bytes_in;
    }
    if (covered != plan.images) fail_invalid("the plan's shards cover {} of {} images", covered, plan.images);
    drops.close();
    merge.dropped = drops.count();

    // The parts: cut where a single PartWriter given every row would cut.
    const PartWriter rule(fs::path(), options);
    PartPlan current;
    uint64_t part_bytes = 0;
    size_t rank = 0;
    store.for_each_id([&](std::string_view id) {
      if (table.has(rank)) {
        uint64_t row = PartWriter::row_bytes(id.size(), table.length(rank));
        if (current.rows > 0 && rule.starts_new_part(part_bytes, row)) {
          current.end_rank = rank;
          merge.parts.push_back(current);
          current = {.index = current.index + 1, .first_rank = rank};
          part_bytes = 0;
        }
        part_bytes += row;
        ++current.rows;
      }
      ++rank;
      return true;
    });
    current.end_rank = plan.images;
    merge.parts.push_back(current);

    AppendFile layout(layout_temp);
    std::string entry;
    for (size_t r = 0; r < plan.images; ++r) {
      entry.clear();
      put_le(entry, table.has(r) ? table.offset(r) : 0, 8);
      put_le(entry, table.length(r), 4);
      layout.write(entry);
    }
    layout.close();
    if (::rename(layout_temp.c_str(), (work_dir / "layout").c_str()) != 0) {
      fail(ErrorCode::kIo, "{}: cannot rename: {}", layout_temp.string(), std::strerror(errno));
    }
    if (!fs::create_directory(out_dir, error) && error) {
      fail(ErrorCode::kIo, "{}: cannot create the output folder ({}): was the run cancelled?",
           out_dir.string(), error.message());
    }
    if (merge.dropped > 0 && ::rename(drops_temp.c_str(), (out_dir / "_dropped.jsonl").c_str()) != 0) {
      fail(ErrorCode::kIo, "{}: cannot rename: {}", drops_temp.string(), std::strerror(errno));
    }
  } catch (...) {
    fs::remove(drops_temp, error);
    fs::remove(layout_temp, error);
    throw;
  }
  return merge;
}

PartReport write_part(const ImageStore& store, const ConvertOptions& options, const MergePlan& merge,
                      const PartPlan& part, const fs::path& work_dir, const fs::path& out_dir) {
  const fs::path final_path = out_dir / PartWriter::file_name(part.index);
  std::error_code error;
  if (fs::exists(final_path, error)) {
    return {.rows = part.rows, .bytes = fs::file_size(final_path), .reused = true};
  }
  if (store.size() != merge.images) {
    fail_invalid("the store has {} images, the plan {}: its files changed since the plan", store.size(),
                 merge.images);
  }
  if (part.first_rank > part.end_rank || part.end_rank > merge.images) {
    fail_invalid("part {}: ranks [{}, {}) are outside the store ({} images)", part.index, part.first_rank,
                 part.end_rank, merge.images);
  }
  const fs::path temp = private_temp(work_dir, fmt::format("part-{:05}", part.index));
  create_private_folder(temp, "the part's folder");
  try {
    const fs::path layout_path = work_dir / "layout";
    auto layout = MappedFile::open(layout_path.string());
    if (layout->size() != merge.images * kTableEntry) {
      fail_corrupt("{}: {} bytes for {} images", layout_path.string(), layout->size(), merge.images);
    }
    ValueFiles values(work_dir, merge.shards);
    PartWriter parts(temp, options, {}, part.index);
    uint64_t rows = 0;
    uint64_t rank = part.first_rank;
    store.for_each_id_in(part.first_rank, part.end_rank, [&](std::string_view id) {
      const uint8_t* entry = layout->slice(rank * kTableEntry, kTableEntry).data();
      const uint64_t length = get_le(entry + 8, 4);
      if (length != kAbsent) {
        parts.append(id, values.read(get_le(entry, 8), static_cast<uint32_t>(length)));
        // A cancelled run removes its work folder: stop rather than
        // write on into files nobody will read.
        if (++rows % kCancelCheckEvery == 0 && !fs::exists(temp)) {
          fail(ErrorCode::kIo, "{}: removed while the part was written (the run was cancelled)",
               temp.string());
        }
      }
      ++rank;
      return true;
    });
    parts.close();
    if (rows != part.rows || parts.parts() != 1) {
      fail_corrupt("{}: part {} got {} rows in {} files where the plan has {} in one", layout_path.string(),
                   part.index, rows, parts.parts(), part.rows);
    }
    const fs::path written = temp / PartWriter::file_name(part.index);
    const uint64_t bytes = fs::file_size(written);
    // Atomic: the part appears complete or not at all. Another attempt may
    // have renamed the same bytes there first; either copy will do.
    if (::rename(written.c_str(), final_path.c_str()) != 0) {
      fail(ErrorCode::kIo, "{}: cannot rename to {}: {}", written.string(), final_path.string(),
           std::strerror(errno));
    }
    fs::remove_all(temp, error);
    return {.rows = rows, .bytes = bytes, .reused = false};
  } catch (...) {
    fs::remove_all(temp, error);
    throw;
  }
}

ConvertReport merge_report(const MergePlan& merge, uint64_t bytes_out) {
  ConvertReport report;
  report.images = merge.kept;
  report.dropped = merge.dropped;
  report.duplicates = merge.duplicates;
  report.bytes_in = merge.bytes_in;
  report.partitions = merge.parts.size();
  report.bytes_out = bytes_out;
  return report;
}

namespace {

// kNotFound when the merge dropped images but `out_dir` lacks their log.
void check_drop_log(const MergePlan& merge, const fs::path& out_dir) {
  if (merge.dropped > 0 && !fs::exists(out_dir / "_dropped.jsonl")) {
    fail(ErrorCode::kNotFound, "{}: not found", (out_dir / "_dropped.jsonl").string());
  }
}

}  // namespace

ConvertReport merged_report(const MergePlan& merge, const fs::path& out_dir) {
  uint64_t bytes_out = 0;
  for (const PartPlan& part : merge.parts) {
    const fs::path path = out_dir / PartWriter::file_name(part.index);
    std::error_code error;
    const uint64_t size = fs::file_size(path, error);
    if (error) fail(ErrorCode::kNotFound, "{}: not found (part {} is not done)", path.string(), part.index);
    bytes_out += size;
  }
  check_drop_log(merge, out_dir);
  return merge_report(merge, bytes_out);
}

}  // namespace internal

using namespace internal;

ConvertPlan plan_convert(const ConvertOptions& options, uint64_t shard_images, uint64_t shards) {
  check_options(options);
  if (is_remote_output(options.out)) RemoteOutput::prepare(options.out);
  auto store = ImageStore::open(options.sources, full_pass_options());
  ConvertPlan plan;
  plan.images = store->size();
  plan.duplicates = store->duplicates().size();
  if (shard_images == 0) shard_images = range_size_for(plan.images, shards);
  uint32_t index = 0;
  for (const StorageRange& range : cut_storage_order(*store, shard_images)) {
    plan.shards.push_back({.index = index++,
                           .begin = range.begin,
                           .end = range.end,
                           .images = range.images,
                           .store_images = plan.images});
  }
  return plan;
}

ShardReport convert_shard(const ConvertOptions& options, const ConvertShard& shard,
                          const std::string& work_dir) {
  check_options(options);
  const fs::path work(work_dir);
  const fs::path final_dir = work / shard_folder_name(shard.index);
  auto done = [&]() -> std::optional<ShardReport> {
    std::error_code error;
    if (!fs::exists(final_dir / "info", error)) return std::nullopt;
    ShardInfo info = read_info(final_dir / "info");
    if (!same_shard(info.shard, shard)) {
      fail_corrupt("{}: a different shard is done under this name", final_dir.string());
    }
    return ShardReport{
        .images = info.kept, .dropped = info.dropped, .bytes_in = info.bytes_in, .reused = true};
  };
  if (auto report = done()) return *report;
  auto store = ImageStore::open(options.sources, full_pass_options());
  const fs::path temp = private_temp(work, shard_folder_name(shard.index));
  create_private_folder(temp, "the shard's folder");
  std::error_code error;
  try {
    WorkerPool pool(options.threads);
    ShardReport report = write_shard(*store, options, shard, temp, pool, nullptr);
    // Atomic: the shard appears complete or not at all. A rename onto a
    // shard another attempt finished first fails (the folder is not
    // empty): that one is kept, and it holds the same bytes.
    if (::rename(temp.c_str(), final_dir.c_str()) != 0) {
      int e = errno;
      fs::remove_all(temp, error);
      if (e == ENOTEMPTY || e == EEXIST) {
        if (auto again = done()) return *again;
      }
      fail(ErrorCode::kIo, "{}: cannot rename to {}: {}", temp.string(), final_dir.string(),
           std::strerror(e));
    }
    return report;
  } catch (...) {
    fs::remove_all(temp, error);
    throw;
  }
}

MergePlan plan_parts(const ConvertOptions& options, const ConvertPlan& plan, const std::string& work_dir) {
  check_options(options);
  auto store = ImageStore::open(options.sources, full_pass_options());
  const fs::path work(work_dir);
  return layout_parts(*store, options, plan, work, work / "output");
}

namespace {

// Writes part `part` into a private folder of `work_dir`, uploads it to the
// s3:// output and removes it; the upload is left open (PartReport::upload).
PartReport upload_part(const ImageStore& store, const ConvertOptions& options, const MergePlan& merge,
                       const PartPlan& part, const fs::path& work_dir) {
  const fs::path staging = private_temp(work_dir, fmt::format("upload-{:05}", part.index));
  create_private_folder(staging, "the part's upload folder");
  std::error_code error;
  try {
    PartReport report = write_part(store, options, merge, part, work_dir, staging);
    remote::HandedUpload handed =
        upload_and_hand_over(options.out, staging / PartWriter::file_name(part.index));
    fs::remove_all(staging, error);
    // A cancelled run removes its work folder (and aborts the uploads open
    // under the prefix, perhaps before this one began): drop this one too.
    if (!fs::exists(work_dir)) {
      remote::ObjectWriter(remote::ObjectClient::shared(), std::move(handed)).abort();
      fail(ErrorCode::kIo, "{}: removed while part {} was uploaded (the run was cancelled)",
           work_dir.string(), part.index);
    }
    report.upload = {.upload_id = std::move(handed.upload_id), .part_etags = std::move(handed.part_etags)};
    return report;
  } catch (...) {
    fs::remove_all(staging, error);
    throw;
  }
}

PartReport part_of(const ImageStore& store, const ConvertOptions& options, const MergePlan& merge,
                   const PartPlan& part, const fs::path& work_dir) {
  if (is_remote_output(options.out)) return upload_part(store, options, merge, part, work_dir);
  return write_part(store, options, merge, part, work_dir, work_dir / "output");
}

// The s3:// output's commit: the parts' uploads and the files of
// `work_dir`/output (_dropped.jsonl) appear together.
ConvertReport commit_remote_parts(const ConvertOptions& options, const MergePlan& merge,
                                  const fs::path& work_dir, const std::vector<PartReport>& parts) {
  if (parts.size() != merge.parts.size())
    fail_invalid("{} part reports for the {} parts of the plan", parts.size(), merge.parts.size());
  RemoteOutput remote(options.out);
  uint64_t bytes_out = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartUpload& upload = parts[i].upload;
    if (upload.upload_id.empty() || upload.part_etags.empty())
      fail(ErrorCode::kNotFound, "part {} of {}: not uploaded (its report holds no upload)", i, options.out);
    remote.adopt(PartWriter::file_name(merge.parts[i].index), upload.upload_id, upload.part_etags,
                 parts[i].bytes);
    bytes_out += parts[i].bytes;
  }
  const fs::path temp = work_dir / "output";
  check_drop_log(merge, temp);
  remote.add_folder(temp);
  // A cancelled run removes its work folder: commit nothing then.
  if (!fs::exists(temp))
    fail(ErrorCode::kIo, "{}: removed before the commit (the run was cancelled)", temp.string());
  remote.commit();
  // Duplicates of part tasks run twice (a worker lost after it uploaded);
  // best effort: the output is complete whatever this cleanup meets.
  abandon_parts(options);
  std::error_code error;
  fs::remove_all(work_dir, error);
  return merge_report(merge, bytes_out);
}

}  // namespace

PartReport convert_part(const ConvertOptions& options, const MergePlan& merge, uint32_t part,
                        const std::string& work_dir) {
  check_options(options);
  if (part >= merge.parts.size() || merge.parts[part].index != part) {
    fail_invalid("part {}: the plan has {} parts", part, merge.parts.size());
  }
  const fs::path work(work_dir);
  const PartPlan& planned = merge.parts[part];
  const fs::path final_path = work / "output" / PartWriter::file_name(part);
  std::error_code error;
  if (!is_remote_output(options.out) &&
      fs::exists(final_path, error)) {  // a rerun: done without opening the store
    return {.rows = planned.rows, .bytes = fs::file_size(final_path), .reused = true};
  }
  auto store = ImageStore::open(options.sources, full_pass_options());
  return part_of(*store, options, merge, planned, work);
}

ConvertReport commit_parts(const ConvertOptions& options, const MergePlan& merge, const std::string& work_dir,
                           const std::vector<PartReport>& parts) {
  check_options(options);
  const fs::path work(work_dir);
  if (is_remote_output(options.out)) return commit_remote_parts(options, merge, work, parts);
  const fs::path temp = work / "output";
  if (!fs::is_directory(temp)) {
    fail(ErrorCode::kNotFound, "{}: not found (the parts are not planned): was the run cancelled?",
         temp.string());
  }
  ConvertReport report = merged_report(merge, temp);
  commit_dir(temp, output_path(options));
  std::error_code error;
  fs::remove_all(work, error);
  return report;
}

void abandon_parts(const ConvertOptions& options) noexcept {
  if (!is_remote_output(options.out)) return;
  try {
    RemoteOutput::abort_open_uploads_under(options.out);
  } catch (...) {
  }
}

ConvertReport merge_shards(const ConvertOptions& options, const ConvertPlan& plan,
                           const std::string& work_dir) {
  auto start = std::chrono::steady_clock::now();
  check_options(options);
  auto store = ImageStore::open(options.sources, full_pass_options());
  const fs::path work(work_dir);
  const fs::path temp = work / "output";
  ConvertReport report;
  try {
    MergePlan merge = layout_parts(*store, options, plan, work, temp);
    std::vector<PartReport> parts;
    for (const PartPlan& part : merge.parts) parts.push_back(part_of(*store, options, merge, part, work));
    report = commit_parts(options, merge, work_dir, parts);
  } catch (...) {
    abandon_parts(options);
    std::error_code error;
    fs::remove_all(temp, error);
    throw;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace mimicit::convert
