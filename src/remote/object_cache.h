// The node-local read-through cache of remote objects, shared by every
// process on the node.
//
// Each version of an object (its URL and ETag, else Last-Modified and size)
// has a folder <dir>/<sha256 of url and version>/ holding
//   data  : a sparse file of the object's size, the bytes fetched so far;
//   state : one byte per block of `block_bytes` (1 = present in data);
//   meta  : the URL and version, for people; its flock marks the folder in use.
// fill() fetches the missing blocks of a range, each run of adjacent missing
// blocks in one ranged GET (If-Match the version: a replaced object fails
// the read instead of mixing versions). Fetches hold an OFD byte-range lock
// on the blocks' state bytes, so processes and threads wanting the same
// blocks wait for one fetch and then read it, and fetches of other blocks
// run side by side. A replaced object has a new version, so a new folder:
// nothing stale is served. Over `max_bytes` of fetched data, the least
// recently opened folders that no process has open are removed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mimicit/file.h"
#include "remote/object_client.h"

namespace mimicit::remote {

struct CacheOptions {
  std::string dir;                    // "": default_cache_dir() + "/objects" (file.h)
  uint64_t max_bytes = 64ull << 30;   // MIMICIT_CACHE_SIZE ("64GB", "500MiB", ...)
  uint64_t block_bytes = 256 * 1024;  // the fetch unit; reads never fetch less
  static CacheOptions from_environment();
};

// The object behind `url` (s3:// or http(s)://) as a MappedFile of its
// cache file, filled on demand; messages name the URL. One HEAD request per
// open. Throws Error(kNotFound) for a missing object, Error(kIo) otherwise.
std::shared_ptr<const MappedFile> open_cached(const std::string& url,
                                              ObjectClient& client = ObjectClient::shared(),
                                              const CacheOptions& options = CacheOptions::from_environment());

// The version open_cached() found for `file` (its size, ETag and
// Last-Modified, from the open's HEAD), or nullopt when `file` is not a
// cached remote object open in this process. Lets callers stamp an object
// without a second HEAD.
std::optional<ObjectInfo> object_info_of(const MappedFile& file);

// A local path or a remote URL, mapped: the one way modules open a file
// that may be remote.
std::shared_ptr<const MappedFile> open_mapped(const std::string& path);

}  // namespace mimicit::remote
