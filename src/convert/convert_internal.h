// The pieces convert.cc (one machine) and convert_shards.cc (a shard, the
// merge) share: option checks, the per-image pipeline, and the folders.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "convert/convert_parts.h"
#include "mimicit/bytes.h"
#include "mimicit/convert.h"
#include "mimicit/image_store.h"
#include "util/progress.h"
#include "util/worker_pool.h"

namespace mimicit::convert::internal {

// Throws kInvalidArgument for options no run can use (no source, no
// output, a resize past the decoder's limit, a partition size too small).
void check_options(const ConvertOptions& options);

// options.out as an absolute path without a trailing separator (a local
// output only).
std::filesystem::path output_path(const ConvertOptions& options);

// Puts `temp` in place of `out`: a plain rename when `out` is absent, else
// an atomic exchange (renameat2), after which the old contents are removed.
void commit_dir(const std::filesystem::path& temp, const std::filesystem::path& out);

// One image on its way through a conversion.
struct Item {
  std::string id;
  size_t rank = 0;      // position of the id in sorted order
  Buffer raw;           // the image file bytes from the store
  Buffer image;         // what is stored: raw, or re-encoded
  std::string text;     // base64 of `image`, for base64 output
  std::string dropped;  // why it is left out; empty when kept
};

// Reads the item's image; a failure becomes its drop reason.
void fetch(const ImageStore& store, Item& item);
// Verifies / re-encodes / base64-encodes one fetched image (thread-safe);
// failures and values over `max_row_bytes` become a drop reason.
void prepare(const ConvertOptions& options, uint64_t max_row_bytes, Item& item);
// What the parts store for a kept item.
std::string_view stored_value(const ConvertOptions& options, const Item& item);

// "shard-00012": the folder of a finished shard inside a work folder.
std::string shard_folder_name(uint32_t index);

// Processes the images of `shard` into the existing folder `dir` (see
// convert_shard for the files). `progress` may be null.
ShardReport write_shard(const ImageStore& store, const ConvertOptions& options, const ConvertShard& shard,
                        const std::filesystem::path& dir, WorkerPool& pool, Progress* progress);

// Reads the finished shards of `plan` from `work_dir`, cuts id order into
// parts, writes `work_dir`/layout and, into `out_dir` (created when absent,
// never `work_dir` itself), _dropped.jsonl. See plan_parts.
MergePlan layout_parts(const ImageStore& store, const ConvertOptions& options, const ConvertPlan& plan,
                       const std::filesystem::path& work_dir, const std::filesystem::path& out_dir);

// Writes one part of `merge` into `out_dir` through a private folder of
// `work_dir`. See convert_part.
PartReport write_part(const ImageStore& store, const ConvertOptions& options, const MergePlan& merge,
                      const PartPlan& part, const std::filesystem::path& work_dir,
                      const std::filesystem::path& out_dir);

// The report of a merge whose parts are all in `out_dir` (kNotFound naming
// the first missing one): images, dropped, duplicates, partitions,
// bytes_in, bytes_out.
ConvertReport merged_report(const MergePlan& merge, const std::filesystem::path& out_dir);
// The same from the parts' sizes (bytes_out) when the parts are gone
// (uploaded).
ConvertReport merge_report(const MergePlan& merge, uint64_t bytes_out);

}  // namespace mimicit::convert::internal
