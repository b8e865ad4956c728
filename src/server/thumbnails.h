// Thumbnails: small JPEGs made on the fly from stored images, kept in a
// bounded LRU cache.
//
// make_thumbnail() decodes (image::decode_rgb), shrinks so that the longer
// side is at most `side` (aspect ratio kept, never enlarged; Pillow-exact
// bicubic) and encodes a JPEG. ThumbnailCache::get() returns a cached
// thumbnail or makes one with the caller's function *outside* the cache's
// lock, so a slow image never blocks requests for other images; two
// requests for the same missing thumbnail may both make it (the second
// insert wins), which costs time, never correctness. The cache holds at
// most `capacity_bytes` of JPEG data (and the ids), dropping the least
// recently used.
//
// Thread-safety: ThumbnailCache is safe to use from any number of threads.
// Errors: make_thumbnail throws what decode_rgb throws (kCorrupt,
// kUnsupported, kLimit); get() passes on what `make` throws and caches
// nothing then.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mimicit/bytes.h"

namespace mimicit::server {

std::string make_thumbnail(ByteView image_bytes, uint32_t side);

class ThumbnailCache {
 public:
  explicit ThumbnailCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  using Thumbnail = std::shared_ptr<const std::string>;
  Thumbnail get(const std::string& id, const std::function<std::string()>& make);

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    std::string id;
    Thumbnail jpeg;
  };
  void insert_locked(const std::string& id, Thumbnail jpeg);

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;                                                    // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // views Entry::id
  size_t bytes_ = 0;
};

}  // namespace mimicit::server
