#include "convert/hf_shards.h"

#include <fmt/format.h>

#include "mimicit/error.h"

namespace mimicit::convert::hf {

namespace fs = std::filesystem;

namespace {

parquet::WriterColumn string_column(std::string name) {
  parquet::WriterColumn c;
  c.name = std::move(name);
  c.is_string = true;
  return c;
}

// The `datasets` Image feature's storage: struct<bytes: binary, path: string>.
parquet::WriterColumn image_column(std::string name) {
  parquet::WriterColumn bytes;
  bytes.name = "bytes";
  bytes.dictionary = false;  // pictures never repeat within a page
  return parquet::WriterColumn::structure(std::move(name), {bytes, string_column("path")});
}

// The schema metadata `datasets` writes (Features.to_dict under "info"),
// with "Sequence" for lists: the name every version of `datasets` reads
// (4.0 and later read it as List).
constexpr std::string_view kString = R"({"dtype": "string", "_type": "Value"})";

std::string features_json(Config config) {
  switch (config) {
    case Config::kImages:
      return fmt::format(R"({{"info": {{"features": {{"id": {}, "image": {{"_type": "Image"}}}}}}}})",
                         kString);
    case Config::kInstructions:
    case Config::kFull: {
      std::string images = config == Config::kFull
                               ? std::string(R"({"feature": {"_type": "Image"}, "_type": "Sequence"})")
                               : fmt::format(R"({{"feature": {}, "_type": "Sequence"}})", kString);
      return fmt::format(
          R"({{"info": {{"features": {{"id": {0}, "instruction": {0}, "answer": {0}, "images": {1}, )"
          R"("related instructions": {{"feature": {0}, "_type": "Sequence"}}}}}}}})",
          kString, images);
    }
  }
  return {};
}

// A YAML scalar: plain when it is a simple name, else a JSON string (which
// YAML reads as a double-quoted scalar).
std::string yaml_scalar(std::string_view s) {
  bool plain = !s.empty() && s.front() != ' ' && s.back() != ' ' && s.front() != '-';
  for (char c : s) {
    plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
             c == '-' || c == '.' || c == ' ';
  }
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string config_name(const std::string& task, Config config) {
  switch (config) {
    case Config::kImages: return task + "_Images";
    case Config::kInstructions: return task + "_Instructions";
    case Config::kFull: break;
  }
  return task;
}

std::vector<parquet::WriterColumn> columns(Config config) {
  if (config == Config::kImages) return {string_column("id"), image_column("image")};
  parquet::WriterColumn images = config == Config::kFull
                                     ? parquet::WriterColumn::list("images", image_column("element"))
                                     : parquet::WriterColumn::list("images", string_column("element"));
  return {string_column("id"), string_column("instruction"), string_column("answer"), images,
          parquet::WriterColumn::list("related instructions", string_column("element"))};
}

ShardWriter::ShardWriter(fs::path dir, Config config, const LayoutOptions& options)
    : dir_(std::move(dir)), config_(config), options_(options) {}

ShardWriter::~ShardWriter() = default;

void ShardWriter::open_shard() {
  parquet::WriterOptions w;
  w.codec = options_.codec;
  // `datasets` writes 100 rows per row group in configurations that hold
  // pictures, so that the hub's viewer reads a few rows cheaply.
  if (config_ != Config::kInstructions) w.row_group_rows = 100;
  w.key_value_metadata.push_back({"huggingface", features_json(config_)});
  if (paths_.empty()) fs::create_directories(dir_);
  fs::path path = dir_ / fmt::format("train-{:05}.parquet", paths_.size());
  writer_ = std::make_unique<parquet::ParquetWriter>(path.string(), columns(config_), std::move(w));
  paths_.push_back(path);
  shard_bytes_ = 0;
  shard_rows_ = 0;
}

void ShardWriter::close_shard() {
  writer_->close();
  file_bytes_ += fs::file_size(paths_.back());
  writer_.reset();
}

parquet::ParquetWriter& ShardWriter::begin_row(uint64_t bytes) {
  // Room for the footer, the page headers and the page indexes: the values
  // take at most this much of a shard.
  const uint64_t budget = options_.max_shard_bytes - options_.max_shard_bytes / 20;
  if (writer_ && shard_rows_ > 0 && shard_bytes_ + bytes > budget) close_shard();
  if (!writer_) open_shard();
  shard_bytes_ += bytes;
  value_bytes_ += bytes;
  return *writer_;
}

void ShardWriter::end_row() {
  writer_->end_row();
  ++shard_rows_;
  ++rows_;
}

void ShardWriter::close() {
  if (!writer_ && paths_.empty()) open_shard();
  if (writer_) close_shard();
  const size_t n = paths_.size();
  for (size_t i = 0; i < n; ++i) {
    fs::path final_path = dir_ / fmt::format("train-{:05}-of-{:05}.parquet", i, n);
    fs::rename(paths_[i], final_path);
    paths_[i] = final_path;
  }
}

std::string dataset_card(const std::vector<CardConfig>& configs, const std::string& source) {
  std::string out = "---\ndataset_info:\n";
  for (const CardConfig& c : configs) {
    out +=
        fmt::format("- config_name: {}\n  features:\n  - name: id\n    dtype: string\n", yaml_scalar(c.name));
    if (c.config == Config::kImages) {
      out += "  - name: image\n    dtype: image\n";
    } else {
      out += "  - name: instruction\n    dtype: string\n  - name: answer\n    dtype: string\n";
      out +=
          fmt::format("  - name: images\n    sequence: {}\n", c.config == Config::kFull ? "image" : "string");
      out += "  - name: related instructions\n    sequence: string\n";
    }
    out += fmt::format(
        "  splits:\n  - name: train\n    num_bytes: {0}\n    num_examples: {1}\n"
        "  download_size: {2}\n  dataset_size: {0}\n",
        c.value_bytes, c.rows, c.file_bytes);
  }
  out += "configs:\n";
  for (const CardConfig& c : configs) {
    out += fmt::format("- config_name: {}\n  data_files:\n  - split: train\n    path: {}\n",
                       yaml_scalar(c.name), yaml_scalar(c.name + "/train-*"));
  }
  out += "---\n\n";
  out += "# MIMIC-IT in the Hugging Face layout\n\n";
  out += fmt::format("Written by `mimicit convert --to hf` from `{}`. Per task X:\n\n", source);
  out +=
      "- `X`: id, instruction, answer, images (the pictures, `datasets` Image features), "
      "related instructions;\n";
  out += "- `X_Instructions`: the same with the image ids in `images`;\n";
  out += "- `X_Images`: id, image.\n\n";
  out += "Load one with `datasets.load_dataset(\"<this folder or repo>\", \"X\")`.\n";
  return out;
}

}  // namespace mimicit::convert::hf
