// The ImageStore implementation's open, with a report of what it did, for
// tests, `images stats` and benchmarks. ImageStore::open() calls it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mimicit/image_store.h"

namespace mimicit::store {

struct OpenReport {
  bool used_saved_index = false;   // the index was mapped from a saved file
  bool saved_index = false;        // a fresh index was built and saved
  std::string index_path;          // the file used or written (empty: none)
  bool built_seek_tables = false;  // seek tables were built in this open
  uint64_t seek_table_bytes = 0;   // their stored size (0: none)
};

std::shared_ptr<const ImageStore> open_store(const std::vector<std::string>& paths,
                                             const ImageStoreOptions& options, OpenReport* report);

// The one place paths are expanded, for stores, instruction shards and
// convert sources alike. A remote `dir` or `pattern` (s3:// only: an
// http(s) server has no listing, and says so) is listed with ListObjectsV2
// and filtered and sorted as a local folder or glob would be; a matched
// remote "folder" (a prefix) ends with '/'.

// Whether `path` is a folder: a local directory; a remote URL ending in '/'
// or an s3:// prefix with objects under "<path>/" (one listing request).
bool is_folder(const std::string& path);

// Every *.parquet below `dir` in natural order (numbers compared by value:
// part.2 before part.10), skipping hidden and `_`-prefixed entries
// (`_metadata`, `_common_metadata`, `_SUCCESS`, ...) at every level.
std::vector<std::string> list_parquet_files(const std::string& dir);

// Whether `path` holds a glob pattern's characters (* ? [).
bool has_glob_characters(std::string_view path);
// The files and folders matching a glob pattern (`shards/train-*.parquet`),
// in natural order, without hidden and `_`-prefixed names. Error(kNotFound)
// when nothing matches, kIo when a folder cannot be read.
std::vector<std::string> expand_glob(const std::string& pattern);

// Natural order of two strings: runs of digits compare by value.
bool natural_less(std::string_view a, std::string_view b);

// Where indexes of read-only stores go: options.cache_dir, else
// $MIMICIT_CACHE_DIR, $XDG_CACHE_HOME/mimicit, ~/.cache/mimicit; empty when
// none can be named.
std::string index_cache_dir(const ImageStoreOptions& options);

}  // namespace mimicit::store
