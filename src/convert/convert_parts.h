// The files of a conversion's output folder: the Parquet parts and
// _dropped.jsonl. Shared by the single-machine run and the merge of a
// sharded run, so both write the same bytes from the same rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mimicit/convert.h"
#include "mimicit/parquet/writer.h"

namespace mimicit::convert {

// Writes rows into part.0.parquet, part.1.parquet, ... starting a new part
// before a row would push the current one past the size limit
// (starts_new_part). The estimate counts stored value bytes, an upper bound
// of what the codecs write for base64 text and close to it for raw image
// bytes; the reserve covers the rest, and close() checks the real sizes.
// The parts depend only on the rows appended and the options, so the rows
// of one part (cut by the same rule) written by a writer starting at that
// part's number give the same file. Throws kInvalidArgument when
// max_partition_bytes leaves no room for a row. `on_part` (when set) is
// called with each part's path once the part is closed (an s3:// output
// uploads it: convert_upload.h).
using FileDone = std::function<void(const std::filesystem::path&)>;

class PartWriter {
 public:
  PartWriter(std::filesystem::path dir, const ConvertOptions& options, FileDone on_part = {},
             uint64_t first_part = 0);

  // "part.N.parquet".
  static std::string file_name(uint64_t part);
  // What a row counts against its part's budget.
  static uint64_t row_bytes(uint64_t id_bytes, uint64_t value_bytes) { return id_bytes + value_bytes + 16; }
  // Whether a row of `row` bytes goes into a new part after a part of
  // `part_bytes` holding at least one row.
  bool starts_new_part(uint64_t part_bytes, uint64_t row) const { return part_bytes + row > budget_; }

  // Largest value a row may carry.
  uint64_t max_row_bytes() const { return budget_; }

  void append(std::string_view id, std::string_view value);
  // Closes the last part; an empty store still gets one (empty) part.
  void close();

  uint64_t parts() const { return parts_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  void open_part();
  void close_part();

  std::filesystem::path dir_;
  const ConvertOptions& options_;
  FileDone on_part_;
  uint64_t budget_ = 0;
  std::unique_ptr<parquet::ParquetWriter> writer_;
  std::filesystem::path path_;
  uint64_t part_bytes_ = 0;
  uint64_t first_part_ = 0;
  uint64_t parts_ = 0;
  uint64_t bytes_written_ = 0;
};

// _dropped.jsonl: one {"id": ..., "reason": ...} per image left out. The
// file is created with the first entry only: pyarrow (hence pandas and
// dask) reads every file of a folder, so a clean output folder must hold
// nothing but Parquet parts.
class DropLog {
 public:
  explicit DropLog(std::filesystem::path path) : path_(std::move(path)) {}
  void add(std::string_view id, std::string_view reason);
  // Lines already formatted by another DropLog (a shard's), appended as
  // they are; `lines` entries.
  void add_lines(std::string_view text, uint64_t lines);
  void close();
  uint64_t count() const { return count_; }

 private:
  void open();

  std::filesystem::path path_;
  std::ofstream out_;
  uint64_t count_ = 0;
};

}  // namespace mimicit::convert
