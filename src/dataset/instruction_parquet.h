// Instruction files in the Hugging Face layout: Parquet shards whose rows
// are records (`X_Instructions`: id, instruction, answer, images: list of
// image ids, related instructions: list of ids; `X`: the same with
// `images: list<struct<bytes, path>>`, the pictures themselves), read as
// the JSON instruction file they stand for.
//
// A path names Parquet instructions when it is a folder, a glob pattern
// (`CGD/train-*.parquet`) or a file ending in .parquet; folders hold shards
// in natural order (store::list_parquet_files). Columns are found by name:
// `id`; `instruction`; `answer`; `images` or `image_ids` (a list of strings,
// or of Image structs whose pictures embedded_image_id names);
// `related instructions` or `rel_ins_ids`. Other columns are ignored.
//
// The rendering is `{"data": {<id>: {"instruction": ..., "answer": ...,
// "image_ids": [...], "rel_ins_ids": [...]}, ...}}` with the records in
// shard and row order, record k of the whole (0-based) on line k + 2, so
// the JSON reader's checks, repeated-id rule and messages apply unchanged
// (a message's "line L" is record L - 2). A null cell is a JSON null: an
// instruction or answer that is null drops its record as in a JSON file
// (InstructionFile reports it with its shard and row), null lists are
// empty; a null id is an error naming the shard and row.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mimicit/file.h"

namespace mimicit::dataset {

bool names_parquet_instructions(const std::string& path);

// Whether the (first) shard embeds its pictures: the `X` configuration,
// whose shards are then also the dataset's image store (DataConfig uses
// them when images_path is not given).
bool has_embedded_images(const std::string& path);

// A shard and the rendering's index of its first record.
struct ParquetShardStart {
  std::string path;
  uint64_t first_record = 0;
};

// Reads every shard's rows (Error: kNotFound, kIo, kCorrupt naming the
// shard and row, kInvalidArgument when a shard has no `id` column) and
// returns their rendering, mapped like a file named `path`. The shards and
// where their records start go to *shards when given.
std::shared_ptr<const MappedFile> render_parquet_instructions(
    const std::string& path, std::vector<ParquetShardStart>* shards = nullptr);

}  // namespace mimicit::dataset
