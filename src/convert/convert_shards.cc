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

// The shards' values files, mapped; read by global offset. Pages read are
// released at once (they stay in the page cache): reading the values in id
// order jumps around the files, and the merge must not grow with them.
class ValueFiles {
 public:
  void add(const fs::path& path) {
    files_.push_back(MappedFile::open(path.string()));
    bases_.push_back(total_);
    total_ += files_.back()->size();
  }
  uint64_t total() const { return total_; }

  std::string_view read(uint64_t offset, uint32_t length, std::string& scratch) const {
    size_t f =
        static_cast<size_t>(std::upper_bound(bases_.begin(), bases_.end(), offset) - bases_.begin()) - 1;
    const MappedFile& file = *files_[f];
    uint64_t local = offset - bases_[f];
    ByteView bytes = file.slice(local, length);
    scratch.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    file.release(local, length);
    return scratch;
  }

 private:
  std::vector<std::shared_ptr<const MappedFile>> files_;
  std::vector<uint64_t> bases_;
  uint64_t total_ = 0;
};

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

ConvertReport merge_into(const ImageStore& store, const ConvertOptions& options, const ConvertPlan& plan,
                         const fs::path& work_dir, const fs::path& out_dir, const FileDone& on_part) {
  if (store.size() != plan.images) {
    fail_invalid("the store has {} images, the plan {}: its files changed since the plan", store.size(),
                 plan.images);
  }
  ConvertReport report;
  PartWriter parts(out_dir, options, on_part);
  DropLog drops(out_dir / "_dropped.jsonl");
  ValueTable table(plan.images);
  ValueFiles files;
  uint64_t covered = 0;
  for (const ConvertShard& shard : plan.shards) {
    const fs::path dir = work_dir / shard_folder_name(shard.index);
    ShardInfo info = read_info(dir / "info");
    if (!same_shard(info.shard, shard)) fail_corrupt("{}: the shard differs from the plan's", dir.string());
    covered += shard.images;
    const uint64_t base = files.total();
    files.add(dir / "values");
    if (files.total() - base != info.values_bytes) {
      fail_corrupt("{}: {} bytes, the shard's info says {}", (dir / "values").string(), files.total() - base,
                   info.values_bytes);
    }
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
    report.images += info.kept;
    report.bytes_in += info.bytes_in;
  }
  if (covered != plan.images) fail_invalid("the plan's shards cover {} of {} images", covered, plan.images);
  std::string scratch;
  size_t rank = 0;
  store.for_each_id([&](std::string_view id) {
    if (table.has(rank)) parts.append(id, files.read(table.offset(rank), table.length(rank), scratch));
    ++rank;
    return true;
  });
  parts.close();
  drops.close();
  report.dropped = drops.count();
  report.partitions = parts.parts();
  report.bytes_out = parts.bytes_written();
  report.duplicates = store.duplicates().size();
  return report;
}

}  // namespace internal

using namespace internal;

namespace {

// A name inside `work_dir` no other task uses.
fs::path private_temp(const fs::path& work_dir, uint32_t index) {
  static std::atomic<uint64_t> counter{0};
  std::random_device random;
  return work_dir / fmt::format(".shard-{:05}.tmp-{}-{}-{:08x}", index, ::getpid(), counter++, random());
}

}  // namespace

ConvertPlan plan_convert(const ConvertOptions& options, uint64_t shard_images, uint64_t shards) {
  check_options(options);
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
  const fs::path temp = private_temp(work, shard.index);
  std::error_code error;
  if (!fs::create_directory(temp, error) || error) {
    fail(ErrorCode::kIo, "{}: cannot create the shard's folder ({}): was the run cancelled?", temp.string(),
         error ? error.message() : "it exists");
  }
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

ConvertReport merge_shards(const ConvertOptions& options, const ConvertPlan& plan,
                           const std::string& work_dir) {
  auto start = std::chrono::steady_clock::now();
  check_options(options);
  auto store = ImageStore::open(options.sources, full_pass_options());
  const fs::path work(work_dir);
  const fs::path temp = work / "output";
  std::error_code error;
  fs::remove_all(temp, error);  // a merge that died half-way
  if (!fs::create_directory(temp, error) || error) {
    fail(ErrorCode::kIo, "{}: cannot create the output folder ({}): was the run cancelled?", temp.string(),
         error ? error.message() : "it exists");
  }
  ConvertReport report;
  try {
    if (is_remote_output(options.out)) {
      // Parts are uploaded as they close, committed together at the end.
      RemoteOutput remote(options.out);
      report = merge_into(*store, options, plan, work, temp, [&](const fs::path& p) { remote.add(p); });
      remote.add_folder(temp);
      // A cancelled run removes its work folder: commit nothing then.
      if (!fs::exists(temp))
        fail(ErrorCode::kIo, "{}: removed during the merge (the run was cancelled)", temp.string());
      remote.commit();
      fs::remove_all(temp, error);
    } else {
      report = merge_into(*store, options, plan, work, temp);
      commit_dir(temp, output_path(options));
    }
  } catch (...) {
    fs::remove_all(temp, error);
    throw;
  }
  fs::remove_all(work, error);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace mimicit::convert
