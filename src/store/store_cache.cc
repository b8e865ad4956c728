// StoreCache and StoreGroup (the contract is in include/mimicit/store_cache.h).
#include "mimicit/store_cache.h"

#include <exception>
#include <filesystem>
#include <system_error>

#include "mimicit/error.h"

namespace mimicit {

namespace fs = std::filesystem;

namespace {

// The key of a store: its absolute path with symlinks, `.` and `..`
// resolved as far as it exists (the rest normalised), so every spelling of
// one store shares an entry.
std::string canonical_key(const std::string& path) {
  std::error_code error;
  const fs::path absolute = fs::absolute(path, error);
  if (error) return fs::path(path).lexically_normal().string();
  const fs::path canonical = fs::weakly_canonical(absolute, error);
  return (error ? absolute.lexically_normal() : canonical).string();
}

}  // namespace

class StoreCache::Entry {
 public:
  Entry(std::string path, std::shared_ptr<const ImageStoreOptions> options)
      : path_(std::move(path)), options_(std::move(options)) {}

  // The store, opened by the first caller; the others wait for it. A failed
  // open is kept and rethrown, never retried.
  const std::shared_ptr<const ImageStore>& get() {
    std::call_once(once_, [this] {
      try {
        store_ = ImageStore::open(path_, *options_);
      } catch (...) {
        error_ = std::current_exception();
      }
    });
    if (error_) std::rethrow_exception(error_);
    return store_;
  }

 private:
  const std::string path_;
  const std::shared_ptr<const ImageStoreOptions> options_;
  std::once_flag once_;
  std::shared_ptr<const ImageStore> store_;
  std::exception_ptr error_;
};

StoreCache::StoreCache(ImageStoreOptions options)
    : options_(std::make_shared<const ImageStoreOptions>(std::move(options))) {}

std::shared_ptr<StoreCache::Entry> StoreCache::entry(const std::string& path) {
  std::string key = canonical_key(path);
  std::lock_guard<std::mutex> lock(mutex_);
  std::shared_ptr<Entry>& entry = entries_[std::move(key)];
  if (!entry) entry = std::make_shared<Entry>(path, options_);
  return entry;
}

std::shared_ptr<const ImageStore> StoreCache::open(const std::string& path) { return entry(path)->get(); }

StoreGroup StoreCache::group(const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<Entry>> entries;
  entries.reserve(paths.size());
  for (const std::string& path : paths) entries.push_back(entry(path));
  return StoreGroup(paths, std::move(entries));
}

size_t StoreCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

const std::string& StoreGroup::path(size_t i) const { return paths_.at(i); }

const ImageStore& StoreGroup::store(size_t i) const { return *entries_.at(i)->get(); }

void StoreGroup::open_all() const {
  for (const auto& entry : entries_) entry->get();
}

const ImageStore* StoreGroup::find(std::string_view id) const {
  for (size_t s = entries_.size(); s-- > 0;) {
    const ImageStore& store = *entries_[s]->get();
    if (store.contains(id)) return &store;
  }
  return nullptr;
}

void StoreGroup::get(std::string_view id, Buffer& out) const {
  if (entries_.empty()) fail(ErrorCode::kNotFound, "image '{}': the group has no images_path", id);
  if (entries_.size() == 1) return store(0).get(id, out);
  const ImageStore* store = find(id);
  if (store == nullptr) {
    fail(ErrorCode::kNotFound, "image '{}' is in none of the group's {} image stores", id, entries_.size());
  }
  store->get(id, out);
}

uint64_t StoreGroup::distinct_ids() const {
  std::vector<const ImageStore*> stores;
  for (size_t s = 0; s < entries_.size(); ++s) stores.push_back(&store(s));
  if (stores.empty()) return 0;
  // Each id counts in the last store holding it: all of the last store's.
  uint64_t count = stores.back()->size();
  for (size_t s = 0; s + 1 < stores.size(); ++s) {
    stores[s]->for_each_id([&](std::string_view id) {
      bool later = false;
      for (size_t t = s + 1; t < stores.size() && !later; ++t) later = stores[t]->contains(id);
      count += later ? 0 : 1;
      return true;
    });
  }
  return count;
}

}  // namespace mimicit
