#include "tools/convert.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/writer.h"
#include "tools/convert_image.h"
#include "tools/progress.h"
#include "tools/store_scan.h"
#include "tools/value_format.h"
#include "util/worker_pool.h"

namespace mimicit::tools {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIdColumn = "__index_level_0__";

// Room kept in each part for page headers, the page index and the footer,
// which the running estimate of a part's size does not count.
uint64_t part_reserve(uint64_t max_bytes) { return 4096 + max_bytes / 32; }

// Writes rows into part.0.parquet, part.1.parquet, ... starting a new part
// before a row would push the current one past the size limit. The estimate
// counts stored value bytes, an upper bound of what the codecs write for
// base64 text and close to it for raw image bytes; the reserve covers the
// rest, and close() checks the real sizes.
class PartWriter {
 public:
  PartWriter(fs::path dir, const ConvertOptions& options) : dir_(std::move(dir)), options_(options) {
    if (options.max_partition_bytes <= part_reserve(options.max_partition_bytes) + 4096) {
      fail_invalid("--max-partition-size {} is too small", options.max_partition_bytes);
    }
    budget_ = options.max_partition_bytes - part_reserve(options.max_partition_bytes);
  }

  // Largest value a row may carry.
  uint64_t max_row_bytes() const { return budget_; }

  void append(std::string_view id, std::string_view value) {
    uint64_t row_bytes = id.size() + value.size() + 16;
    if (writer_ && part_bytes_ + row_bytes > budget_) close_part();
    if (!writer_) open_part();
    writer_->append_bytes(0, id);
    writer_->append_bytes(1, value);
    writer_->end_row();
    part_bytes_ += row_bytes;
  }

  void close() {
    if (writer_) close_part();
    if (parts_ == 0) open_part(), close_part();  // an empty store is still a store
  }

  uint64_t parts() const { return parts_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void open_part() {
    bool binary = options_.payload == Payload::kBinary;
    std::vector<parquet::WriterColumn> columns = {
        {.name = kIdColumn, .optional = false, .is_string = true, .dictionary = false, .bloom_filter = true},
        {.name = binary ? "image" : "base64", .optional = false, .is_string = !binary, .dictionary = false},
    };
    parquet::WriterOptions w;
    w.codec = options_.codec;
    w.pandas_index_column = kIdColumn;
    w.row_group_bytes = 64 << 20;  // the writer holds one row group in memory
    // A get() decompresses the page holding its image: small pages keep
    // that close to the image's own size (a page holds at least one value).
    w.page_bytes = 256 << 10;
    path_ = dir_ / fmt::format("part.{}.parquet", parts_);
    writer_ = std::make_unique<parquet::ParquetWriter>(path_.string(), std::move(columns), w);
    part_bytes_ = 0;
  }

  void close_part() {
    writer_->close();
    writer_.reset();
    uint64_t size = fs::file_size(path_);
    if (size > options_.max_partition_bytes) {
      fail(ErrorCode::kInternal, "{}: {} bytes exceed --max-partition-size {}", path_.string(), size,
           options_.max_partition_bytes);
    }
    bytes_written_ += size;
    ++parts_;
  }

  fs::path dir_;
  const ConvertOptions& options_;
  uint64_t budget_ = 0;
  std::unique_ptr<parquet::ParquetWriter> writer_;
  fs::path path_;
  uint64_t part_bytes_ = 0;
  uint64_t parts_ = 0;
  uint64_t bytes_written_ = 0;
};

// dropped.jsonl: one {"id": ..., "reason": ...} per image left out. The
// file is created with the first entry only: pyarrow (hence pandas and
// dask) reads every file of a folder, so a clean output folder must hold
// nothing but Parquet parts.
class DropLog {
 public:
  explicit DropLog(fs::path path) : path_(std::move(path)) {}
  void add(std::string_view id, std::string_view reason) {
    if (!out_.is_open()) {
      out_.open(path_, std::ios::binary);
      if (!out_) fail(ErrorCode::kIo, "{}: cannot create", path_.string());
    }
    std::string line = "{\"id\":";
    append_json_string(line, id);
    line += ",\"reason\":";
    append_json_string(line, reason);
    line += "}\n";
    out_ << line;
    ++count_;
  }
  void close() {
    if (!out_.is_open()) return;
    out_.close();
    if (!out_) fail(ErrorCode::kIo, "{}: cannot write", path_.string());
  }
  uint64_t count() const { return count_; }

 private:
  fs::path path_;
  std::ofstream out_;
  uint64_t count_ = 0;
};

struct Item {
  std::string id;
  size_t rank = 0;     // position of the id in sorted order
  Buffer raw;          // the image file bytes from the store
  Buffer image;        // what is stored: raw, or re-encoded
  std::string text;    // base64 of `image`, for base64 output
  std::string dropped; // why it is left out; empty when kept
};

void fetch(const ImageStore& store, Item& item) {
  item.dropped.clear();
  try {
    store.get(item.id, item.raw);
  } catch (const Error& e) {
    item.raw.clear();
    item.dropped = e.what();
  }
}

// Processes one fetched image; failures become a drop reason.
void prepare(const ConvertOptions& options, uint64_t max_bytes, Item& item) {
  if (!item.dropped.empty()) return;
  try {
    item.dropped = process_image(options, item.raw, item.image);
    if (!item.dropped.empty()) return;
    if (options.payload == Payload::kBase64) {
      item.text.clear();
      base64_encode(item.image.view(), item.text);
    }
    uint64_t stored = options.payload == Payload::kBase64 ? item.text.size() : item.image.size();
    if (stored + item.id.size() + 16 > max_bytes) {
      item.dropped = fmt::format("image of {} bytes does not fit in a part of --max-partition-size {}",
                                 stored, options.max_partition_bytes);
    }
  } catch (const Error& e) {
    item.dropped = e.what();
  }
}

std::string_view stored_value(const ConvertOptions& options, const Item& item) {
  return options.payload == Payload::kBase64 ? std::string_view(item.text)
                                             : as_string_view(item.image.view());
}

// When the sources do not hold their ids sorted, images are read in storage
// order (each file once, front to back) and their stored values appended to
// this file; afterwards they are copied into the parts in id order with
// pread, so memory stays a batch plus 12 bytes per image (the table), at
// the cost of writing the values once more on disk.
class SpillFile {
 public:
  SpillFile(fs::path path, size_t images)
      : path_(std::move(path)), offsets_(images), lengths_(images, kAbsent) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) fail(ErrorCode::kIo, "{}: cannot create: {}", path_.string(), std::strerror(errno));
    pending_.reserve(kFlushBytes);
  }
  ~SpillFile() {
    ::close(fd_);
    std::error_code ignored;
    fs::remove(path_, ignored);
  }

  void add(size_t rank, std::string_view value) {
    if (value.size() >= kAbsent) fail(ErrorCode::kLimit, "a value of {} bytes is too large", value.size());
    offsets_[rank] = written_ + pending_.size();
    lengths_[rank] = static_cast<uint32_t>(value.size());
    pending_.append(value.data(), value.size());
    if (pending_.size() >= kFlushBytes) flush();
  }

  // The value of `rank` into `out`; false when none was added.
  bool read(size_t rank, Buffer& out) {
    if (lengths_[rank] == kAbsent) return false;
    flush();
    out.resize(lengths_[rank]);
    uint64_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offsets_[rank] + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail(ErrorCode::kIo, "{}: cannot read back: {}", path_.string(), std::strerror(errno));
      done += static_cast<uint64_t>(n);
    }
    return true;
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr size_t kFlushBytes = size_t{4} << 20;

  void flush() {
    size_t done = 0;
    while (done < pending_.size()) {
      ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(ErrorCode::kIo, "{}: cannot write: {}", path_.string(), std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    written_ += pending_.size();
    pending_.clear();
  }

  fs::path path_;
  int fd_ = -1;
  std::vector<uint64_t> offsets_;
  std::vector<uint32_t> lengths_;
  std::string pending_;
  uint64_t written_ = 0;
};

// A temporary folder beside `out`, renamed over it when complete.
fs::path temp_dir_for(const fs::path& out) {
  fs::path temp = out;
  temp += fmt::format(".tmp-{}", ::getpid());
  fs::remove_all(temp);
  fs::create_directories(temp);
  return temp;
}

// Puts `temp` in place of `out`: a plain rename when `out` is absent, else an
// atomic exchange (renameat2), after which the old contents are removed.
void commit_dir(const fs::path& temp, const fs::path& out) {
  if (!fs::exists(out)) {
    fs::rename(temp, out);
    return;
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0) {
    fail(ErrorCode::kIo, "{}: cannot replace the folder: {}", out.string(), std::strerror(errno));
  }
  fs::remove_all(temp);  // now holds the previous output
}

}  // namespace

ConvertReport convert_images(const ConvertOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.sources.empty()) fail_invalid("no source to convert");
  if (options.out.empty()) fail_invalid("no output folder (-o)");
  // Same bound as decoding: a larger N would allocate more per image than
  // the decoder ever accepts from a file.
  uint64_t max_pixels = image::DecodeOptions{}.max_pixels;
  if (uint64_t{options.resize} * options.resize > max_pixels) {
    fail_invalid("--resize {}: N x N must not exceed {} pixels (the decoder's limit)",
                 options.resize, max_pixels);
  }
  auto store = ImageStore::open(options.sources);

  fs::path out = fs::absolute(options.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  fs::path temp = temp_dir_for(out);
  ConvertReport report;
  try {
    PartWriter parts(temp, options);
    DropLog drops(temp / "dropped.jsonl");
    WorkerPool pool(options.threads);
    Progress progress("converting", store->size(), options.progress);
    // Sources whose ids are not sorted (pandas, dask, legacy JSON) go
    // through the spill file; sorted ones straight into the parts.
    std::unique_ptr<SpillFile> spill;
    if (!storage_order_is_sorted(*store)) spill = std::make_unique<SpillFile>(temp / ".spill", store->size());
    scan_store_in_storage_order<Item>(
        *store, pool, [&](Item& item) { fetch(*store, item); },
        [&](Item& item) { prepare(options, parts.max_row_bytes(), item); },
        [&](Item& item) {
          report.bytes_in += item.raw.size();
          if (!item.dropped.empty()) {
            drops.add(item.id, item.dropped);
          } else {
            if (spill) {
              spill->add(item.rank, stored_value(options, item));
            } else {
              parts.append(item.id, stored_value(options, item));
            }
            ++report.images;
          }
          progress.advance(1, item.raw.size());
        });
    if (spill) {
      Buffer value;
      size_t rank = 0;
      store->for_each_id([&](std::string_view id) {
        if (spill->read(rank++, value)) parts.append(id, as_string_view(value.view()));
        return true;
      });
      spill.reset();
    }
    parts.close();
    drops.close();
    progress.finish();
    report.dropped = drops.count();
    report.partitions = parts.parts();
    report.bytes_out = parts.bytes_written();
    report.duplicates = store->duplicates().size();
    commit_dir(temp, out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace mimicit::tools
