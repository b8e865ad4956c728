// StoreCache: the one owner of the image stores that a data YAML's groups
// use; the loader, `validate` and the viewer open stores only through it
// (as LevelDB's TableCache is the only way its engine opens a table).
//
//   - Lazy: a store is opened the first time something needs it (a lookup,
//     store(), open()), so start-up reads nothing of the stores.
//   - Shared: one ImageStore per store, whatever spelling names it: paths
//     are keyed by their canonical form (absolute, `.`/`..` and symlinks
//     resolved), so groups and datasets listing the same store, or the same
//     store through different relative paths, share one open. Every store
//     is opened with the cache's one ImageStoreOptions (cache_dir for the
//     indexes of read-only store folders, index_pages, index_progress, ...),
//     so the options are part of the key by construction: another set of
//     options is another cache.
//   - Opened once: an open that fails is not retried; its error is kept and
//     rethrown to every later user of that store.
//
// StoreGroup: the stores of one group (its datasets' images_path entries,
// in YAML order), and the lookup of an image id across them. An id held by
// several stores resolves to the LAST store (in the group's order) holding
// it, as an id repeated within one ImageStore does (the last occurrence
// wins), i.e. as concatenating the stores would. The reference fails on
// such ids (spec 1.4); `mimicit validate` reports them (duplicate_image).
// A lookup opens the stores from the last one back, each when the search
// reaches it, so a lookup that a later store answers never opens (or fails
// on) an earlier one.
//
// Errors are mimicit::Error: what ImageStore::open throws (kIo, kCorrupt,
// kInvalidArgument, ... naming the path) from whatever call first needs a
// store, and the same error again from every later call needing it;
// kNotFound from StoreGroup::get for an id no store holds.
//
// Lifetime: a StoreGroup keeps the stores it names alive (it may outlive
// its cache); an ImageStore returned by a lookup lives as long as its
// group or cache.
//
// Thread-safety: StoreCache and StoreGroup provide internal
// synchronization: every method may be called from any number of threads
// at once (the loader's workers look ids up concurrently). When two threads
// need a store that is not open yet, one opens it and the other waits for
// it; opens of different stores run in parallel, so
// ImageStoreOptions::index_progress may then be called from several
// threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/image_store.h"

namespace mimicit {

class StoreGroup;

class StoreCache {
 public:
  explicit StoreCache(ImageStoreOptions options = {});
  StoreCache(const StoreCache&) = delete;
  StoreCache& operator=(const StoreCache&) = delete;

  const ImageStoreOptions& options() const { return *options_; }

  // The store at `path`, opened now unless an earlier call opened it (or
  // another spelling of the same path did). Throws its open's error.
  std::shared_ptr<const ImageStore> open(const std::string& path);

  // The stores at `paths`, in that order, without opening any.
  StoreGroup group(const std::vector<std::string>& paths);

  // Distinct stores named so far (by open() or group()), opened or not.
  size_t size() const;

 private:
  friend class StoreGroup;
  class Entry;  // one store: its path as first named, and its open, done once

  std::shared_ptr<Entry> entry(const std::string& path);

  std::shared_ptr<const ImageStoreOptions> options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by canonical path
};

class StoreGroup {
 public:
  StoreGroup() = default;  // no stores

  // Stores in the group (a store listed twice counts twice).
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // The path of store i as the group was given it.
  const std::string& path(size_t i) const;
  // Store i, opened on first use. Throws its open's error.
  const ImageStore& store(size_t i) const;
  // Opens every store, in order; throws the first failure.
  void open_all() const;

  // The store `id` resolves to (the last one holding it), or null when none
  // does. Throws the error of a store it could not open on the way.
  const ImageStore* find(std::string_view id) const;
  bool contains(std::string_view id) const { return find(id) != nullptr; }
  // The image bytes of `id` from find(id)'s store into `out`. Throws
  // Error(kNotFound) naming the id when no store holds it (with one store,
  // the store's own error, naming its file), and the store's get() errors.
  void get(std::string_view id, Buffer& out) const;

  // Distinct ids over all the stores (an id in several counts once). Opens
  // every store; O(n log n) in the stores' sizes.
  uint64_t distinct_ids() const;

 private:
  friend class StoreCache;
  StoreGroup(std::vector<std::string> paths, std::vector<std::shared_ptr<StoreCache::Entry>> entries)
      : paths_(std::move(paths)), entries_(std::move(entries)) {}

  std::vector<std::string> paths_;
  std::vector<std::shared_ptr<StoreCache::Entry>> entries_;
};

}  // namespace mimicit
