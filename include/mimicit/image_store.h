// ImageStore: encoded images by id, from any MIMIC-IT image store.
//
// A store is one or more paths, each one of:
//   - a Parquet file (pandas, dask, pyarrow, duckdb, polars, Spark, mimicit);
//   - a partition folder: every *.parquet below it, in natural order
//     (part.2 before part.10); `_metadata`, `_common_metadata`, hidden and
//     `_`-prefixed entries are ignored;
//   - a legacy images.json: {"<id>": "<base64>" or ["<base64>", ...], ...},
//     or pandas' columns layout {"base64": {"<id>": "<base64>", ...}} (what
//     DataFrame.to_json() writes);
//   - a folder of image files (id = file name without its extension).
// In a Parquet store the id is the pandas index column named by the
// `pandas` metadata (`__index_level_0__`, a named index,
// `__null_dask_index__`), else a string column named `id`, `image_id` or
// `key`; the payload is a `base64` string column, a binary column of raw
// image bytes, or a Hugging Face `struct<bytes: binary, path: string>`; a
// Parquet file of the Hugging Face layout's full configuration (instruction
// rows with an `images: list<struct<bytes, path>>` column) is a store of the
// pictures embedded in its rows, named by embedded_image_id().
//
// open() reads the ids only (never the payloads) and builds a sorted index
// of about (id length + 16) bytes per image; lookups are O(log n) and read
// only the page(s) holding the row. Parquet pages of more than
// ReaderOptions::stream_pages_above bytes (pyarrow's defaults make pages
// of 100-500 MB in image stores) also get seek tables, built once in one
// pass over those pages (ImageStoreOptions::index_pages), so a get decodes
// at most about 1 MiB before its image whatever the page size (snappy,
// gzip, LZ4_RAW, ZSTD and uncompressed pages; other codecs stream the
// page up to the image). The index can be saved beside the store
// (or in a cache folder when the store's folder is read-only) so a re-open
// maps it instead of reading the ids again. When an id appears more than
// once (within or across paths), the last one wins, like the reference's
// concatenation; duplicates() lists them.
//
// Thread-safety: an ImageStore is immutable after open(); get() may be
// called from any number of threads at once. Errors are mimicit::Error:
// kNotFound naming the id, kCorrupt naming the file, the id and the place
// (bad base64, a bad page), kIo, kInvalidArgument (no usable id or payload
// column: the message lists the columns found).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/bytes.h"
#include "mimicit/names.h"
#include "mimicit/parquet/reader.h"

namespace mimicit {

struct ImageStoreOptions {
  // Look for a saved index beside the store (or in the cache folder) and use
  // it when it matches the store files (paths, sizes, modification times).
  bool use_saved_index = true;
  // Save the index after building it. Failure to save is not an error.
  bool save_index = true;
  // Build seek tables for large Parquet pages when the index has none: one
  // sequential pass over those pages (about 1 GB/s per core for snappy),
  // saved with the index. Off: gets stream large pages from their start
  // (full passes in storage order need no tables).
  bool index_pages = true;
  // A store in s3:// (one object, or a prefix): also upload its index
  // beside it (".NAME.mimicit-index", or ".mimicit-index" under the
  // prefix), where the first open on every other node fetches it (one
  // small object) instead of reading the store's pages to build it. Needs
  // write access; `mimicit images index s3://...` sets it. Off by default:
  // opening a store never writes to its bucket. Opens always look for a
  // published index (after the cache folder's copy).
  bool publish_index = false;
  // Called while seek tables are built: compressed bytes walked so far and
  // in all (for a progress bar). From the opening thread only (a
  // StoreCache may open several stores at once, each on its own thread).
  std::function<void(uint64_t done, uint64_t total)> index_progress;
  // Where indexes of read-only stores go; empty = $MIMICIT_CACHE_DIR, else
  // $XDG_CACHE_HOME/mimicit, else ~/.cache/mimicit.
  std::string cache_dir;
  // The largest image get() returns: Error(kLimit) naming the file and the
  // id, raised before the memory is taken (a base64 value whose decoded
  // size could exceed it is not decoded; a binary value or an image file is
  // not copied). A value in a legacy images.json can be as large as the
  // file; 1 GiB is far above any real image (Pillow's pixel limit is ~360 MB
  // even as an uncompressed BMP).
  uint64_t max_image_bytes = uint64_t{1} << 30;
  // For the Parquet files of the store (footer, page and dictionary limits).
  parquet::ReaderOptions parquet;
};

// What kind of payload a store holds. kHuggingFaceList: the pictures
// embedded in instruction rows, the `images: list<struct<bytes, path>>`
// column of the Hugging Face layout's full configuration (embedded_image_id
// names them).
enum class PayloadKind { kBase64, kBinary, kHuggingFaceStruct, kJsonBase64, kImageFile, kHuggingFaceList };
inline constexpr NameTable<PayloadKind> kPayloadKindNames{
    "payload kind",
    {{PayloadKind::kBase64, "base64"},
     {PayloadKind::kBinary, "binary"},
     {PayloadKind::kHuggingFaceStruct, "huggingface_struct"},
     {PayloadKind::kJsonBase64, "json_base64"},
     {PayloadKind::kImageFile, "image_file"},
     {PayloadKind::kHuggingFaceList, "huggingface_list"}}};

// The id of picture `position` (0-based) of the instruction row `row_id` in
// the Hugging Face layout's full configuration: its `path` field when that
// is set and not empty (mimicit's converter writes the image id there), else
// "<row_id>#<position>". The image store and the instruction reader both
// name embedded pictures with it, so a record's image_ids find them.
std::string embedded_image_id(std::string_view row_id, size_t position, std::optional<std::string_view> path);

// A place in storage order (see ImageStore::for_each_in_storage_order): the
// file (its index in files()) and the image's position in that file, an
// opaque number the file's reader handed out (a row, a byte offset, a file
// number) that only orders places. Places compare as storage order does, so
// a range [begin, end) of them is a piece of a full pass that reads its own
// part of the files: how a pass is split across processes or machines. A
// place stays valid while the store's files stay the same.
struct StoragePlace {
  uint32_t file = 0;
  uint64_t position = 0;

  // Past every image of any store.
  static constexpr StoragePlace end() { return {UINT32_MAX, UINT64_MAX}; }
  auto operator<=>(const StoragePlace&) const = default;
};

struct DuplicateId {
  std::string id;
  uint32_t occurrences = 0;  // how many times it appears in all paths
};

class ImageStore {
 public:
  static std::shared_ptr<const ImageStore> open(const std::vector<std::string>& paths,
                                                const ImageStoreOptions& options = {});
  static std::shared_ptr<const ImageStore> open(const std::string& path,
                                                const ImageStoreOptions& options = {}) {
    return open(std::vector<std::string>{path}, options);
  }
  virtual ~ImageStore() = default;

  // Number of distinct ids.
  virtual size_t size() const = 0;
  virtual bool contains(std::string_view id) const = 0;

  // The image file bytes of `id` (base64 decoded when the store holds base64)
  // into `out` (replacing its contents). *leniency (when not null) is set to
  // what the base64 text needed beyond canonical base64 (base64.h; kNone
  // for binary payloads and image files).
  virtual void get(std::string_view id, Buffer& out, Base64Leniency* leniency = nullptr) const = 0;

  // Every distinct id in sorted (byte-wise) order; stop by returning false.
  virtual void for_each_id(const std::function<bool(std::string_view id)>& fn) const = 0;
  // The ids of ranks [begin, end) (end clamped to size()), in sorted order:
  // a piece of for_each_id that costs only its own ids.
  virtual void for_each_id_in(size_t begin, size_t end,
                              const std::function<bool(std::string_view id)>& fn) const = 0;

  // Every distinct id with its rank (its position in for_each_id's sorted
  // order), in storage order: file by file as files() lists them, and
  // within a file in the order of its rows or bytes. get() in this order
  // reads each file once, front to back (a large page is streamed once,
  // not once per image), which is what a full pass wants. Costs 8 bytes
  // per id while it runs. Stop by returning false.
  virtual void for_each_in_storage_order(
      const std::function<bool(std::string_view id, size_t rank)>& fn) const = 0;

  // The piece [begin, end) of storage order, each image with its place and
  // its block: the unit of its file that a reader decodes as a whole (the
  // Parquet row group, whose dictionary and pages serve all its rows; 0 in
  // other files). Pieces cut at block boundaries read nothing twice. Costs
  // a pass over the index plus sorting the piece (8 bytes per image of the
  // piece while it runs). Stop by returning false.
  virtual void for_each_in_storage_range(
      StoragePlace begin, StoragePlace end,
      const std::function<bool(std::string_view id, size_t rank, StoragePlace place, uint64_t block)>& fn)
      const = 0;

  virtual const std::vector<DuplicateId>& duplicates() const = 0;

  // The files the store reads (after expanding folders), in order, and the
  // kind of payload each holds.
  virtual const std::vector<std::string>& files() const = 0;
  virtual const std::vector<PayloadKind>& payload_kinds() const = 0;
  // Bytes of those files (a remote object's size as its open found it;
  // an image folder's files are not counted).
  virtual uint64_t file_bytes() const = 0;
  // Bytes of memory the index takes (for stats and the benchmarks).
  virtual uint64_t index_bytes() const = 0;
};

}  // namespace mimicit
