// The Hugging Face layout's files: the three configurations' columns and
// `huggingface` schema metadata (as `datasets` writes them), shards of
// one configuration cut under a size limit and named as the hub names
// them, and the dataset card (README.md) that describes them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/convert.h"
#include "mimicit/parquet/writer.h"

namespace mimicit::convert::hf {

enum class Config { kFull, kImages, kInstructions };  // X, X_Images, X_Instructions

// "X", "X_Images", "X_Instructions".
std::string config_name(const std::string& task, Config config);

// Column order of each configuration.
std::vector<parquet::WriterColumn> columns(Config config);

// One configuration's shards in `dir`: rows go to the current shard until
// the next row would take it past `max_bytes` (estimated from the values'
// sizes; a row larger than that gets a shard of its own). close() names
// them train-00000-of-0000N.parquet (one empty shard when no row came).
class ShardWriter {
 public:
  ShardWriter(std::filesystem::path dir, Config config, const LayoutOptions& options);
  ~ShardWriter();

  // The writer for a row of about `bytes` bytes (cuts a shard first when
  // needed); append the row's values, then end_row().
  parquet::ParquetWriter& begin_row(uint64_t bytes);
  void end_row();
  void close();

  uint64_t rows() const { return rows_; }
  uint64_t shards() const { return paths_.size(); }
  uint64_t value_bytes() const { return value_bytes_; }  // the estimate: the card's num_bytes
  uint64_t file_bytes() const { return file_bytes_; }    // of the shards: download_size

 private:
  void open_shard();
  void close_shard();

  std::filesystem::path dir_;
  Config config_;
  const LayoutOptions& options_;
  std::unique_ptr<parquet::ParquetWriter> writer_;
  std::vector<std::filesystem::path> paths_;
  uint64_t shard_bytes_ = 0;
  uint64_t shard_rows_ = 0;
  uint64_t rows_ = 0;
  uint64_t value_bytes_ = 0;
  uint64_t file_bytes_ = 0;
};

// What the card says about one configuration.
struct CardConfig {
  std::string name;  // config_name()
  Config config = Config::kFull;
  uint64_t rows = 0;
  uint64_t value_bytes = 0;
  uint64_t file_bytes = 0;
};

// README.md: YAML front matter with dataset_info (features, splits, sizes
// per configuration) and configs (data_files: <name>/train-*), then a
// short text naming the source.
std::string dataset_card(const std::vector<CardConfig>& configs, const std::string& source);

}  // namespace mimicit::convert::hf
