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
// An s3://bucket/prefix output (docs/object_storage.md) must hold no object
// when the run starts. The files are built in a local staging folder (the
// system's temporary folder; a merge: `work_dir`), each uploaded as soon as
// it is complete by a multipart upload left open, and all the uploads are
// completed together once every file was sent: the objects appear at their
// final keys only when the run succeeds. A failed run aborts the uploads
// and leaves the prefix empty; a process stopped by a signal should call
// abort_uploads() first (the CLI does, on SIGINT and SIGTERM). http(s)://
// outputs are refused (read-only).
//
// Sharded (mimicit.dask.convert): plan_convert() cuts storage order into
// shards, convert_shard() processes one shard anywhere the files are
// visible (another process, another machine on shared storage), and once
// every shard is done plan_parts() cuts the output into its parts,
// convert_part() writes one part (anywhere, in parallel) and
// commit_parts() commits the output folder. The parts depend only on the sequence of (id, stored value) in id
// order and the options, and _dropped.jsonl on the drops in storage order,
// so the result is byte-identical to convert_images() with the same
// options; convert_images() itself runs one shard and the same part plan
// and part writer when the sources are not sorted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/image_store.h"
#include "mimicit/names.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::convert {

enum class Reencode { kKeep, kPng, kJpeg };
inline constexpr NameTable<Reencode> kReencodeNames{
    "reencode",
    {{Reencode::kKeep, "keep", "image bytes untouched"}, {Reencode::kPng, "png"}, {Reencode::kJpeg, "jpeg"}},
    NameCase::kIgnore};

enum class Payload { kBase64, kBinary };
inline constexpr NameTable<Payload> kPayloadNames{
    "payload",
    {{Payload::kBase64, "base64", "a base64 string column"}, {Payload::kBinary, "binary", "raw bytes"}},
    NameCase::kIgnore};

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
  int threads = 0;       // 0 = hardware concurrency
  bool progress = true;  // draw a progress line when stderr is a terminal
};

struct ConvertReport {
  uint64_t images = 0;      // written
  uint64_t dropped = 0;     // listed in _dropped.jsonl
  uint64_t duplicates = 0;  // ids that appeared more than once in the sources
  uint64_t partitions = 0;
  uint64_t bytes_in = 0;   // image bytes read (decoded payloads)
  uint64_t bytes_out = 0;  // bytes of the part files
  double seconds = 0;
};

ConvertReport convert_images(const ConvertOptions& options);

// Aborts the multipart uploads of s3:// outputs under way in this process
// (waiting for a commit under way to end), so that a process about to die
// of a signal leaves no partial output. Call it from a thread (sigwait),
// not from a signal handler. Never throws.
void abort_uploads() noexcept;

// ---------------------------------------------------------------------------
// Sharded conversion.
//
// A shard is the piece [begin, end) of the store's storage order
// (ImageStore::for_each_in_storage_range), cut by cut_storage_order
// (src/store/storage_ranges.h): never across two files, Parquet row groups
// kept whole when that keeps shards near the requested size.
struct ConvertShard {
  uint32_t index = 0;  // 0, 1, ...: names its folder; drops are listed in this order
  StoragePlace begin;
  StoragePlace end;
  uint64_t images = 0;        // images in [begin, end)
  uint64_t store_images = 0;  // distinct ids of the store when planned (a check)
};

struct ConvertPlan {
  uint64_t images = 0;               // distinct ids of the store
  uint64_t duplicates = 0;           // ids that appeared more than once
  std::vector<ConvertShard> shards;  // in storage order, covering it exactly
};

// Opens the sources (their saved index when there is one) and cuts storage
// order into shards of about `shard_images` images or, when that is 0, into
// about `shards` shards of equal size. Checks the options as
// convert_images does; for an s3:// output, that the prefix holds no
// object (and aborts uploads killed runs left open under it).
ConvertPlan plan_convert(const ConvertOptions& options, uint64_t shard_images, uint64_t shards = 0);

struct ShardReport {
  uint64_t images = 0;  // kept
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

// The merge, one task per output part. Once every shard of `plan` is done,
// plan_parts() reads the shards' tables (12 bytes per image, never a value)
// and cuts id order into the parts the single-machine run writes;
// convert_part() writes one part from the shards' values, anywhere the work
// folder is visible, any number of them at once; commit_parts() checks that
// every part is there and renames the output over options.out. The parts
// are cut by the rule PartWriter cuts by, so each part's file is the one a
// single writer of all rows writes under that name: the output stays
// byte-identical whatever the number of shards, parts or processes.
struct PartPlan {
  uint32_t index = 0;       // part.<index>.parquet
  uint64_t first_rank = 0;  // its rows: the kept ids of ranks [first_rank, end_rank)
  uint64_t end_rank = 0;
  uint64_t rows = 0;
};

struct ShardValues {
  uint32_t index = 0;  // the shard's folder (ConvertShard::index)
  uint64_t bytes = 0;  // the size of its values file
};

struct MergePlan {
  uint64_t images = 0;  // distinct ids of the store
  uint64_t kept = 0;    // rows of all parts
  uint64_t dropped = 0;
  uint64_t duplicates = 0;
  uint64_t bytes_in = 0;
  std::vector<ShardValues> shards;  // in plan order
  std::vector<PartPlan> parts;      // in id order, at least one
};

// Reads and checks every shard of `plan` (kNotFound naming the first one
// missing, kCorrupt when a shard's files disagree with the plan), then
// writes into `work_dir` the table of where each image's value is
// (`layout`, 12 bytes per image) and the output folder `work_dir`/output
// holding _dropped.jsonl (the shards' drops in order). Nothing is created
// when it throws. Idempotent.
MergePlan plan_parts(const ConvertOptions& options, const ConvertPlan& plan, const std::string& work_dir);

// A part of an s3:// output, uploaded by a multipart upload left open: the
// object appears when commit_parts() completes the upload.
struct PartUpload {
  std::string upload_id;
  std::vector<std::string> part_etags;  // by part number - 1
};

struct PartReport {
  uint64_t rows = 0;
  uint64_t bytes = 0;   // the part file's size
  bool reused = false;  // the part was already written: nothing was read
  PartUpload upload;    // s3:// outputs
};

// Writes part `part` (an index into merge.parts) into `work_dir`/output:
// built in a private folder of `work_dir` and renamed when complete, so a
// task killed or failing half-way leaves no part under its final name, and
// a rerun finding the part there returns at once. Fails when `work_dir` is
// gone (the run was cancelled) instead of writing on.
// For an s3:// output the part is built in a private folder of `work_dir`,
// uploaded to <out>/part.N.parquet and removed; the upload is left open
// and returned (`upload`), for commit_parts() in whichever process commits.
// Every call writes and uploads (a rerun's duplicate upload stays open
// until commit_parts() or abandon_parts() aborts it).
PartReport convert_part(const ConvertOptions& options, const MergePlan& merge, uint32_t part,
                        const std::string& work_dir);

// Once every part is written: checks them (kNotFound naming the first
// missing one), renames `work_dir`/output over options.out atomically and
// removes `work_dir`. Fills the report but `seconds`.
// For an s3:// output, `parts` are convert_part()'s reports, one per part
// in order: _dropped.jsonl is uploaded, then every upload is completed (all
// or none appear: a failure deletes the objects it completed and aborts
// the rest), then the uploads still open under the prefix (duplicates of
// rerun part tasks) are aborted.
ConvertReport commit_parts(const ConvertOptions& options, const MergePlan& merge, const std::string& work_dir,
                           const std::vector<PartReport>& parts = {});

// A run that failed or was cancelled: for an s3:// output, aborts every
// upload open under the prefix (the parts its tasks uploaded; the prefix
// was empty when plan_convert() checked it). Nothing to do for a local
// output (its parts are all in the work folder). Never throws for a
// failed request (an open upload shows nothing; a bucket lifecycle rule or
// the next run into the prefix aborts it).
void abandon_parts(const ConvertOptions& options) noexcept;

// plan_parts, every convert_part and commit_parts in this process; for an
// s3:// output, each part is uploaded as it is written and the uploads are
// completed together at the end. On failure options.out is untouched and
// the shards done stay for a retry.
ConvertReport merge_shards(const ConvertOptions& options, const ConvertPlan& plan,
                           const std::string& work_dir);

// ---------------------------------------------------------------------------
// Whole datasets from one layout into another: `mimicit convert SRC --to X`.
//
// A dataset is its instructions (a JSON file, or Hugging Face shards: a
// Parquet file, a folder, a glob) and its image stores (anything
// ImageStore::open takes; none for the HF `X` configuration, whose rows
// embed the pictures). Each is written under `out` as:
//
//   hf     X_Images/train-00000-of-0000N.parquet ...   id, image (the `datasets` Image
//                                                      feature: struct<bytes, path>)
//          X_Instructions/train-...parquet             id, instruction, answer, images (ids),
//                                                      related instructions
//          X/train-...parquet                          the same, images embedded:
//                                                      list<struct<bytes, path>>, path = the id
//          README.md                                   the dataset card's YAML: dataset_info
//                                                      (features per configuration) and configs
//                                                      (data_files), so the folder can be
//                                                      pushed to the hub as it is
//   otter  X_instructions.json                         {"meta": ..., "data": {id: {instruction,
//                                                      answer, image_ids, rel_ins_ids}}}
//          X_images/part.0.parquet ...                 the image store, written by
//                                                      convert_images (base64 column)
//          data.yaml                                   the datasets, for mimicit and the reference
//   llava  X.json                                      [{id, image, conversations: [{from: human,
//                                                      value: "<image>\n..."}, {from: gpt, ...}]}]
//          images/<image id>.<ext>                     the image files, bytes untouched
//
// Shards carry the schema metadata `huggingface` key as `datasets` writes
// it, so datasets.load_dataset("parquet", ...) and Dataset.from_parquet
// give Image features; every shard stays under max_shard_bytes (a row
// larger than that gets a shard of its own). X_Images holds every image of
// the dataset's stores, in the stores' order, so that no image is lost on
// the way; records keep their order; image ids, texts and image bytes are
// copied untouched, so Otter -> HF -> Otter and HF -> Otter -> HF keep
// every id, text and byte. Fields of JSON records other than the four
// above have no column in the HF layout and are not carried over.
// An image id with no image in the stores is written with null bytes in X
// and counted as missing (the other configurations only name it).
//
// Atomic like convert_images: `out` is built beside itself and swapped in
// when complete. Deterministic: the same inputs give the same bytes.

enum class Layout { kOtter, kHf, kLlava };

// The names --to takes, and what each writes (the CLI's help): the one
// table of Layout's names.
struct LayoutName {
  Layout layout;
  std::string_view name;
  std::string_view help;
};
inline constexpr LayoutName kLayoutNames[] = {
    {Layout::kHf, "hf", "Hugging Face shards per task: X_Images, X_Instructions, X and a README.md card"},
    {Layout::kOtter, "otter",
     "the reference's layout: X_instructions.json, an X_images Parquet store, data.yaml"},
    {Layout::kLlava, "llava", "LLaVA JSON (id, image, conversations) and the image files in images/"},
};
std::optional<Layout> parse_layout(std::string_view name);
std::string_view layout_name(Layout layout);

struct LayoutSource {
  std::string task;                  // names the output (X above)
  std::string group = "IMAGE_TEXT";  // the data YAML's group (otter's data.yaml keeps it)
  std::string instructions;          // JSON file or HF shards
  std::vector<std::string> images;   // image stores; empty: the shards embed the pictures
};

struct LayoutOptions {
  Layout to = Layout::kHf;
  std::vector<LayoutSource> datasets;
  std::string out;
  uint64_t max_shard_bytes = 500'000'000;  // hf: 500MB, the hub's recommended shard size
  parquet::Codec codec = parquet::Codec::SNAPPY;
  int threads = 0;  // 0 = hardware concurrency
  bool progress = true;
};

struct LayoutReport {
  uint64_t datasets = 0;
  uint64_t records = 0;         // instruction records written
  uint64_t images = 0;          // images written (X_Images, the Otter store, LLaVA's files)
  uint64_t missing_images = 0;  // image ids with no image in the stores
  uint64_t files = 0;           // files written
  uint64_t bytes_out = 0;
  double seconds = 0;
};

LayoutReport convert_layout(const LayoutOptions& options);

// The datasets a command line names: `paths` is one data YAML (each of its
// datasets, named by the YAML), or an instruction source followed by its
// image stores. `task` (when not empty) names a single dataset; else the
// name comes from the instructions: `CGD_instructions.json`, `CGD_Instructions/`
// and `CGD/` all give CGD. HF instructions without stores take the sibling
// `<task>_Images` folder when there is one, else their embedded pictures.
std::vector<LayoutSource> layout_sources(const std::vector<std::string>& paths, const std::string& task);

}  // namespace mimicit::convert
