#include "convert/convert_parts.h"

#include "mimicit/error.h"
#include "mimicit/file.h"
#include "util/json_writer.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIdColumn = "__index_level_0__";

// Room kept in each part for page headers, the page index and the footer,
// which the running estimate of a part's size does not count.
uint64_t part_reserve(uint64_t max_bytes) { return 4096 + max_bytes / 32; }

}  // namespace

PartWriter::PartWriter(fs::path dir, const ConvertOptions& options, FileDone on_part, uint64_t first_part)
    : dir_(std::move(dir)), options_(options), on_part_(std::move(on_part)), first_part_(first_part) {
  if (options.max_partition_bytes <= part_reserve(options.max_partition_bytes) + 4096) {
    fail_invalid("--max-partition-size {} is too small", options.max_partition_bytes);
  }
  budget_ = options.max_partition_bytes - part_reserve(options.max_partition_bytes);
}

std::string PartWriter::file_name(uint64_t part) { return fmt::format("part.{}.parquet", part); }

void PartWriter::append(std::string_view id, std::string_view value) {
  uint64_t row = row_bytes(id.size(), value.size());
  if (writer_ && starts_new_part(part_bytes_, row)) close_part();
  if (!writer_) open_part();
  writer_->append_bytes(0, id);
  writer_->append_bytes(1, value);
  writer_->end_row();
  part_bytes_ += row;
}

void PartWriter::close() {
  if (writer_) close_part();
  if (parts_ == 0) open_part(), close_part();  // an empty store is still a store
}

void PartWriter::open_part() {
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
  path_ = dir_ / file_name(first_part_ + parts_);
  writer_ = std::make_unique<parquet::ParquetWriter>(path_.string(), std::move(columns), w);
  part_bytes_ = 0;
}

void PartWriter::close_part() {
  writer_->close();
  writer_.reset();
  uint64_t size = fs::file_size(path_);
  if (size > options_.max_partition_bytes) {
    fail(ErrorCode::kInternal, "{}: {} bytes exceed --max-partition-size {}", path_.string(), size,
         options_.max_partition_bytes);
  }
  bytes_written_ += size;
  ++parts_;
  if (on_part_) on_part_(path_);
}

void DropLog::open() {
  if (out_.is_open()) return;
  out_.open(path_, std::ios::binary);
  if (!out_) fail(ErrorCode::kIo, "{}: cannot create", path_.string());
}

void DropLog::add(std::string_view id, std::string_view reason) {
  JsonWriter json;
  json.begin_object().key("id").value(id).key("reason").value(reason).end_object();
  add_lines(json.take() + '\n', 1);
}

void DropLog::add_lines(std::string_view text, uint64_t lines) {
  if (lines == 0) return;
  open();
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  count_ += lines;
}

void DropLog::close() {
  if (!out_.is_open()) return;
  out_.close();
  if (!out_) fail(ErrorCode::kIo, "{}: cannot write", path_.string());
  sync_path(path_.string());  // durable before the folder is committed
}

}  // namespace mimicit::convert
