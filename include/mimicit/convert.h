// `mimicit convert`: turns any image stores (Parquet files or folders, legacy
// images.json, folders of image files) into one Parquet store that pandas
// and dask read with the image ids as index.
//
// Output: the folder `out` holding part.0.parquet, part.1.parquet, ... with
// rows sorted by id across all parts, each part under max_partition_bytes,
// columns `__index_level_0__` (the id, the pandas index) and `base64`
// (standard base64 text) or `image` (raw bytes, with Payload::kBinary),
// statistics, page index and a bloom filter on the id; and, when images
// were left out, `_dropped.jsonl`: one {"id", "reason"} object per image
// (the reason names the source file). Its `_` prefix makes pyarrow, pandas
// and dask skip it (as Spark's `_SUCCESS`) and mimicit's stores too, so
// `pd.read_parquet(OUT)` and the reference's loader read the folder whole.
//
// Images whose payload cannot be decoded (bad base64) are always dropped and
// listed; with `verify` every image is decoded and the undecodable are
// dropped too. Nothing else is lost: an id present in several sources keeps
// its last occurrence (the store's rule), reported as duplicates.
//
// Streaming: images are read in storage order (each source file once, front
// to back, large pages streamed) and pass through in batches, so memory
// stays about (threads x largest image) plus the writer's row group plus 12
// bytes per image, whatever the input size. Sources that do not hold their
// ids sorted (pandas, dask, legacy JSON) are sorted through a spill file in
// the temporary output folder: disk needs about twice the output size.
// Atomic: the folder is built under a temporary name beside `out`
// (OUT.tmp-<pid>-<n>, locked while in use: mimicit/file.h) and swapped in
// when complete; an interrupted run, even a killed one, leaves `out` as it
// was, and the next run into `out` removes the killed runs' folders.
// Deterministic: the same inputs and options give byte-identical files.
//
// Sharded (mimicit.dask.convert): plan_convert() cuts storage order into
// shards, convert_shard() processes one shard anywhere the files are
// visible (another process, another machine on shared storage), and
// merge_shards() writes and commits the output folder once every shard is
// done. The parts depend only on the sequence of (id, stored value) in id
// order and the options, and _dropped.jsonl on the drops in storage order,
// so the result is byte-identical to convert_images() with the same
// options; convert_images() itself runs one shard and the same merge when
// the sources are not sorted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mimicit/image_store.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::convert {

enum class Reencode { kKeep, kPng, kJpeg };
enum class Payload { kBase64, kBinary };

struct ConvertOptions {
  std::vector<std::string> sources;
  std::string out;
  uint64_t max_partition_bytes = 3ull << 29;  // 1.5 GiB, the reference's default
  parquet::Codec codec = parquet::Codec::SNAPPY;
  Reencode reencode = Reencode::kKeep;
  uint32_t resize = 0;  // > 0: resize to resize x resize (implies re-encoding; PNG unless kJpeg)
  bool verify = false;  // decode every image; drop the undecodable
  // zlib level 0..9 of re-encoded PNGs (adaptive filters, as Pillow), or
  // kPngFast (the default): image::encode_png_fast, ~16x faster than
  // Pillow's level 6 for files ~7 % larger. Re-encoding is the whole
  // cost of a PNG conversion.
  static constexpr int kPngFast = -1;
  int png_level = kPngFast;
  int jpeg_quality = 95;
  Payload payload = Payload::kBase64;
  int threads = 0;      // 0 = hardware concurrency
  bool progress = true; // draw a progress line when stderr is a terminal
};

struct ConvertReport {
  uint64_t images = 0;         // written
  uint64_t dropped = 0;        // listed in _dropped.jsonl
  uint64_t duplicates = 0;     // ids that appeared more than once in the sources
  uint64_t partitions = 0;
  uint64_t bytes_in = 0;       // image bytes read (decoded payloads)
  uint64_t bytes_out = 0;      // bytes of the part files
  double seconds = 0;
};

ConvertReport convert_images(const ConvertOptions& options);

// ---------------------------------------------------------------------------
// Sharded conversion.
//
// A shard is the piece [begin, end) of the store's storage order
// (ImageStore::for_each_in_storage_range), cut by cut_storage_order
// (src/store/storage_ranges.h): never across two files, Parquet row groups
// kept whole when that keeps shards near the requested size.
struct ConvertShard {
  uint32_t index = 0;    // 0, 1, ...: names its folder; drops are listed in this order
  StoragePlace begin;
  StoragePlace end;
  uint64_t images = 0;   // images in [begin, end)
  uint64_t store_images = 0;  // distinct ids of the store when planned (a check)
};

struct ConvertPlan {
  uint64_t images = 0;      // distinct ids of the store
  uint64_t duplicates = 0;  // ids that appeared more than once
  std::vector<ConvertShard> shards;  // in storage order, covering it exactly
};

// Opens the sources (their saved index when there is one) and cuts storage
// order into shards of about `shard_images` images or, when that is 0, into
// about `shards` shards of equal size. Checks the options as
// convert_images does.
ConvertPlan plan_convert(const ConvertOptions& options, uint64_t shard_images, uint64_t shards = 0);

struct ShardReport {
  uint64_t images = 0;    // kept
  uint64_t dropped = 0;
  uint64_t bytes_in = 0;  // image bytes read
  bool reused = false;    // the shard was already done: nothing was read
};

// Processes one shard into `work_dir`/shard-NNNNN (the images' stored values
// in storage order, a table of their ranks and lengths, the shard's drops):
// built under a temporary name inside `work_dir` and renamed when complete,
// so a task killed half-way leaves no shard, and a retried or duplicated
// task finding the shard done returns at once (reused). `work_dir` must
// exist: it is never created here, so a task still running after its run
// was cancelled (the folder removed) fails instead of writing. Thread-safe
// for different shards; any number of processes may run the same shard.
ShardReport convert_shard(const ConvertOptions& options, const ConvertShard& shard,
                          const std::string& work_dir);

// Once every shard of `plan` is done: writes the parts (rows in id order)
// and _dropped.jsonl (shards in order) into `work_dir`/output, renames it
// over options.out atomically and removes `work_dir`. Throws kNotFound
// naming the first missing shard, kCorrupt when a shard's files disagree
// with the plan; options.out is then untouched.
ConvertReport merge_shards(const ConvertOptions& options, const ConvertPlan& plan,
                           const std::string& work_dir);

}  // namespace mimicit::convert
