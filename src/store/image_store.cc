// ImageStore: expands the paths into sources, builds (or maps a saved)
// sorted index over their ids, and serves get() through it.
#include "mimicit/image_store.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <system_error>

#include <xxhash.h>

#include "mimicit/error.h"
#include "mimicit/file.h"
#include "remote/object_cache.h"
#include "remote/object_client.h"
#include "remote/object_writer.h"
#include "store/image_folder_source.h"
#include "store/open_store.h"
#include "store/source.h"
#include "store/store_index.h"
#include "util/worker_pool.h"

namespace mimicit::store {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexSuffix = ".mimicit-index";

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i]) return false;
  }
  return true;
}

bool is_skipped_name(const fs::path& name) {
  std::string text = name.filename().string();
  return text.empty() || text[0] == '.' || text[0] == '_';
}

bool folder_has_images(const std::string& dir) {
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.' && has_image_extension(name)) return true;
  }
  return false;
}

void add_file_source(const std::string& path, const ImageStoreOptions& options,
                     std::vector<std::unique_ptr<Source>>& sources) {
  if (ends_with_icase(path, ".json"))
    sources.push_back(open_json_source(path, options));
  else
    sources.push_back(open_parquet_source(path, options));
}

void add_folder_sources(const std::string& path, const ImageStoreOptions& options,
                        std::vector<std::unique_ptr<Source>>& sources) {
  std::vector<std::string> files = list_parquet_files(path);
  if (!files.empty()) {
    for (const std::string& file : files) sources.push_back(open_parquet_source(file, options));
  } else if (!remote::is_remote(path) && folder_has_images(path)) {
    sources.push_back(open_image_folder_source(path, options));
  } else {
    fail_invalid("{}: the folder holds no .parquet file{}", path,
                 remote::is_remote(path) ? "" : " and no image file");
  }
}

// One path of the store, expanded into the sources it stands for.
void expand_path(const std::string& path, const ImageStoreOptions& options,
                 std::vector<std::unique_ptr<Source>>& sources) {
  if (remote::is_remote(path)) {
    if (has_glob_characters(path)) {
      for (const std::string& match : expand_glob(path)) expand_path(match, options, sources);
    } else if (path.ends_with('/')) {
      add_folder_sources(path, options, sources);
    } else {
      // An object (one HEAD), else a prefix whose objects are under it.
      try {
        add_file_source(path, options, sources);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kNotFound || !is_folder(path)) throw;
        add_folder_sources(path + "/", options, sources);
      }
    }
    return;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (!has_glob_characters(path)) fail(ErrorCode::kIo, "{}: no such file or folder", path);
    for (const std::string& match : expand_glob(path)) expand_path(match, options, sources);
    return;
  }
  if (!S_ISDIR(st.st_mode))
    add_file_source(path, options, sources);
  else
    add_folder_sources(path, options, sources);
}

FileStamp stamp_of(const Source& source) {
  FileStamp stamp;
  std::error_code error;
  fs::path absolute = fs::absolute(source.path(), error);
  stamp.path = (error ? fs::path(source.path()) : absolute).lexically_normal().string();
  if (const auto* folder = dynamic_cast<const ImageFolderSource*>(&source)) {
    stamp.size = folder->num_files();
    stamp.mtime_ns = static_cast<int64_t>(folder->fingerprint());
    return stamp;
  }
  if (remote::is_remote(source.path())) {  // the version stands for the time
    // The version the open found (no second HEAD), else a HEAD.
    const MappedFile* file = source.mapped_file();
    const std::optional<remote::ObjectInfo> opened =
        file ? remote::object_info_of(*file) : std::optional<remote::ObjectInfo>();
    const remote::ObjectInfo info =
        opened ? *opened : remote::ObjectClient::shared().stat(remote::parse_object_url(source.path()));
    const std::string version = info.version();
    stamp.path = source.path();
    stamp.size = info.size;
    stamp.mtime_ns = static_cast<int64_t>(XXH3_64bits(version.data(), version.size()) >> 1);
    return stamp;
  }
  struct stat st;
  if (::stat(source.path().c_str(), &st) != 0) fail(ErrorCode::kIo, "{}: cannot stat", source.path());
  stamp.size = static_cast<uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

std::string hash_name(const std::vector<FileStamp>& stamps) {
  std::string joined;
  for (const FileStamp& s : stamps) joined.append(s.path).push_back('\0');
  return fmt::format("{:016x}{}", XXH3_64bits(joined.data(), joined.size()), kIndexSuffix);
}

// Where the index of a store lives: beside a single local path, always as a
// hidden file (".x.parquet.mimicit-index", or ".mimicit-index" inside a
// folder): folder expansion skips it, and so do pyarrow, pandas and dask,
// which would otherwise try to read it as part of a dataset folder. Else in
// the cache folder. A store in remote storage is never written to unless
// asked (publish_index): its index goes to the cache folder, and one
// published beside it (the same names) is looked for after that.
struct IndexPlaces {
  std::string beside;   // empty for a multi-path store
  std::string cached;   // empty when there is no cache folder
  bool remote = false;  // `beside` is a URL: look there last, write only to publish
};

// `single_object`: the one path is a file (or object), not a folder/prefix.
IndexPlaces index_places(const std::vector<std::string>& paths, bool single_object,
                         const std::vector<FileStamp>& stamps, const ImageStoreOptions& options) {
  IndexPlaces places;
  if (paths.size() == 1 && remote::is_remote(paths[0])) {
    places.remote = true;
    const std::string& url = paths[0];
    if (single_object) {
      size_t slash = url.rfind('/');
      places.beside = url.substr(0, slash + 1) + "." + url.substr(slash + 1) + kIndexSuffix;
    } else {
      places.beside = url + (url.ends_with('/') ? "" : "/") + kIndexSuffix;
    }
  } else if (paths.size() == 1) {
    std::error_code error;
    fs::path path(paths[0]);
    places.beside = fs::is_directory(path, error)
                        ? (path / kIndexSuffix).string()
                        : (path.parent_path() / ("." + path.filename().string() + kIndexSuffix)).string();
  }
  std::string cache = index_cache_dir(options);
  if (!cache.empty()) places.cached = (fs::path(cache) / hash_name(stamps)).string();
  return places;
}

// Where to look for a saved index, in order.
std::vector<std::string> load_order(const IndexPlaces& places) {
  if (places.remote) return {places.cached, places.beside};  // the local copy costs no request
  return {places.beside, places.cached};
}

// Uploads the index saved at `local` to `url` (s3://), whole or not at all.
void publish(const std::string& local, const std::string& url) {
  std::shared_ptr<const MappedFile> file = MappedFile::open(local);
  remote::ObjectWriter writer(remote::ObjectClient::shared(), remote::parse_object_url(url));
  writer.write(file->bytes());
  writer.commit();
}

bool try_save(const StoreIndex& index, const std::string& path, const std::vector<FileStamp>& stamps,
              uint32_t num_sources) {
  if (path.empty()) return false;
  try {
    std::error_code error;
    fs::create_directories(fs::path(path).parent_path(), error);
    index.save(path, stamps, num_sources);
    return true;
  } catch (const Error&) {
    return false;  // a read-only folder, a full disk: the caller tries elsewhere
  }
}

std::unique_ptr<StoreIndex> build_index(const std::vector<std::unique_ptr<Source>>& sources) {
  IndexBuilder builder;
  for (size_t s = 0; s < sources.size(); ++s) {
    uint32_t number = static_cast<uint32_t>(s);
    sources[s]->scan_ids([&](std::string_view id, uint64_t locator) { builder.add(id, number, locator); });
  }
  return builder.finish();
}

// The seek tables of every source, built on all cores (a page per thread).
std::vector<Buffer> build_seek_tables(const std::vector<std::unique_ptr<Source>>& sources,
                                      const ImageStoreOptions& options) {
  uint64_t total = 0;
  for (const auto& source : sources) total += source->seek_table_work();
  std::mutex mutex;
  uint64_t done = 0;
  std::function<void(uint64_t)> progress;
  if (options.index_progress) {
    progress = [&](uint64_t bytes) {
      std::lock_guard<std::mutex> lock(mutex);
      done += bytes;
      options.index_progress(done, total);
    };
  }
  WorkerPool pool(0);
  std::vector<Buffer> tables;
  for (const auto& source : sources) tables.push_back(source->build_seek_tables(progress, &pool));
  return tables;
}

// Hands each source its tables; false when a source refuses its own (a
// saved index whose tables do not fit its files).
bool use_seek_tables(const std::vector<std::unique_ptr<Source>>& sources, const StoreIndex& index) {
  if (!index.has_seek_tables()) return true;
  for (size_t s = 0; s < sources.size(); ++s) {
    if (!sources[s]->use_seek_tables(index.seek_tables()[s], index.seek_table_owner())) return false;
  }
  return true;
}

uint64_t seek_table_bytes(const StoreIndex& index) {
  uint64_t total = 0;
  for (ByteView t : index.seek_tables()) total += t.size();
  return total;
}

class StoreImpl final : public ImageStore {
 public:
  StoreImpl(std::vector<std::unique_ptr<Source>> sources, std::unique_ptr<StoreIndex> index)
      : sources_(std::move(sources)), index_(std::move(index)) {
    for (const auto& source : sources_) {
      files_.push_back(source->path());
      kinds_.push_back(source->payload_kind());
    }
  }

  size_t size() const override { return index_->size(); }
  bool contains(std::string_view id) const override { return index_->find(id).has_value(); }

  void get(std::string_view id, Buffer& out, Base64Leniency* leniency) const override {
    std::optional<size_t> at = index_->find(id);
    if (!at) {
      fail(ErrorCode::kNotFound, "image '{}' not found in {}{}", id, files_.front(),
           files_.size() > 1 ? fmt::format(" and {} more files", files_.size() - 1) : "");
    }
    const IndexEntry& entry = index_->entry(*at);
    sources_[entry.source()]->fetch(entry.locator, id, out, leniency);
  }

  void for_each_id(const std::function<bool(std::string_view)>& fn) const override {
    for_each_id_in(0, index_->size(), fn);
  }

  void for_each_id_in(size_t begin, size_t end,
                      const std::function<bool(std::string_view)>& fn) const override {
    for (size_t i = begin; i < std::min(end, index_->size()); ++i) {
      if (!fn(index_->id(i))) return;
    }
  }

  void for_each_in_storage_order(
      const std::function<bool(std::string_view id, size_t rank)>& fn) const override {
    for (size_t rank : storage_order({0, 0}, StoragePlace::end())) {
      if (!fn(index_->id(rank), rank)) return;
    }
  }

  void for_each_in_storage_range(
      StoragePlace begin, StoragePlace end,
      const std::function<bool(std::string_view, size_t, StoragePlace, uint64_t)>& fn) const override {
    for (size_t rank : storage_order(begin, end)) {
      const IndexEntry& entry = index_->entry(rank);
      StoragePlace place{entry.source(), entry.locator};
      if (!fn(index_->id(rank), rank, place, sources_[entry.source()]->block_of(entry.locator))) return;
    }
  }

  const std::vector<DuplicateId>& duplicates() const override { return index_->duplicates(); }
  const std::vector<std::string>& files() const override { return files_; }
  const std::vector<PayloadKind>& payload_kinds() const override { return kinds_; }
  uint64_t index_bytes() const override { return index_->bytes(); }
  uint64_t file_bytes() const override {
    uint64_t bytes = 0;
    for (const auto& source : sources_) {
      if (const MappedFile* file = source->mapped_file()) bytes += file->size();
    }
    return bytes;
  }

 private:
  // The ranks of the images placed in [begin, end), in storage order.
  std::vector<size_t> storage_order(StoragePlace begin, StoragePlace end) const {
    auto place = [&](size_t rank) {
      const IndexEntry& entry = index_->entry(rank);
      return StoragePlace{entry.source(), entry.locator};
    };
    std::vector<size_t> order;
    for (size_t rank = 0; rank < index_->size(); ++rank) {
      StoragePlace p = place(rank);
      if (begin <= p && p < end) order.push_back(rank);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return place(a) < place(b); });
    return order;
  }

  std::vector<std::unique_ptr<Source>> sources_;
  std::unique_ptr<StoreIndex> index_;
  std::vector<std::string> files_;
  std::vector<PayloadKind> kinds_;
};

// Remote prefixes: listed (ListObjectsV2), filtered and sorted as a local
// folder or glob is.

// Whether a key relative to a listed prefix has a hidden or `_` component.
bool has_skipped_component(std::string_view relative) {
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string_view::npos) slash = relative.size();
    const std::string_view part = relative.substr(start, slash - start);
    if (part.empty() || part[0] == '.' || part[0] == '_') return true;
    start = slash + 1;
  }
  return false;
}

std::vector<std::string> list_remote_parquet_files(std::string dir) {
  if (!dir.ends_with('/')) dir.push_back('/');
  const remote::ObjectUrl prefix = remote::parse_object_url(dir);
  std::vector<std::string> relative;
  for (const remote::ListedObject& o : remote::ObjectClient::shared().list(prefix)) {
    const std::string_view rest = std::string_view(o.key).substr(prefix.key.size());
    if (!has_skipped_component(rest) && ends_with_icase(rest, ".parquet")) relative.emplace_back(rest);
  }
  std::sort(relative.begin(), relative.end(), natural_less);
  std::vector<std::string> files;
  for (const std::string& r : relative) files.push_back(dir + r);
  return files;
}

// The objects and "folders" (prefixes, returned with their '/') a remote
// glob matches: `*`, `?` and `[...]` stay inside one path component, as a
// local glob's do.
std::vector<std::string> expand_remote_glob(const std::string& pattern) {
  const remote::ObjectUrl url = remote::parse_object_url(pattern);
  const size_t wild = url.key.find_first_of("*?[");
  const size_t cut = url.key.rfind('/', wild);
  const remote::ObjectUrl prefix =
      remote::with_key(url, cut == std::string::npos ? "" : url.key.substr(0, cut + 1));
  std::vector<std::string> matches;
  std::set<std::string> folders;
  for (const remote::ListedObject& o : remote::ObjectClient::shared().list(prefix)) {
    const std::string_view rest = std::string_view(o.key).substr(prefix.key.size());
    // The object itself, and each folder between the prefix and it.
    for (size_t slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/', slash + 1)) {
      const std::string folder = prefix.key + std::string(rest.substr(0, slash));
      if (!folders.count(folder) &&
          ::fnmatch(url.key.c_str(), folder.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0 &&
          !has_skipped_component(rest.substr(0, slash))) {
        folders.insert(folder);
        matches.push_back(folder + "/");
      }
    }
    if (::fnmatch(url.key.c_str(), o.key.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0 &&
        !has_skipped_component(rest))
      matches.push_back(o.key);
  }
  if (matches.empty()) fail(ErrorCode::kNotFound, "{}: the pattern matches no object or prefix", pattern);
  std::sort(matches.begin(), matches.end(), natural_less);
  for (std::string& m : matches) m = remote::with_key(url, m).text;
  return matches;
}

}  // namespace

void check_image_size(uint64_t bytes, uint64_t max_image_bytes, std::string_view measured,
                      uint64_t measured_bytes) {
  if (bytes <= max_image_bytes) return;
  fail(ErrorCode::kLimit, "{} {} bytes is over the limit of {} bytes for an image (max_image_bytes)",
       measured, measured_bytes, max_image_bytes);
}

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (!digit(a[i]) || !digit(b[j])) {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i, ++j;
      continue;
    }
    // Two runs of digits: compare their values (without leading zeros) by
    // length, then digit by digit.
    size_t ie = i, je = j;
    while (ie < a.size() && digit(a[ie])) ++ie;
    while (je < b.size() && digit(b[je])) ++je;
    size_t iz = i, jz = j;
    while (iz + 1 < ie && a[iz] == '0') ++iz;
    while (jz + 1 < je && b[jz] == '0') ++jz;
    if (ie - iz != je - jz) return ie - iz < je - jz;
    int order = a.substr(iz, ie - iz).compare(b.substr(jz, je - jz));
    if (order != 0) return order < 0;
    i = ie, j = je;
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // equal by value ("01" vs "1"): any fixed order
}

std::vector<std::string> list_parquet_files(const std::string& dir) {
  if (remote::is_remote(dir)) return list_remote_parquet_files(dir);
  std::vector<std::string> relative;
  std::error_code error;
  fs::recursive_directory_iterator it(dir, error), end;
  if (error) fail(ErrorCode::kIo, "{}: cannot list the folder: {}", dir, error.message());
  for (; it != end; it.increment(error)) {
    if (error) fail(ErrorCode::kIo, "{}: cannot list the folder: {}", dir, error.message());
    if (is_skipped_name(it->path())) {
      if (it->is_directory(error)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(error) && ends_with_icase(it->path().filename().string(), ".parquet")) {
      relative.push_back(it->path().lexically_relative(dir).string());
    }
  }
  std::sort(relative.begin(), relative.end(), natural_less);
  std::vector<std::string> files;
  for (const std::string& r : relative) files.push_back((fs::path(dir) / r).string());
  return files;
}

bool is_folder(const std::string& path) {
  if (!remote::is_remote(path)) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  if (path.ends_with('/')) return true;
  const remote::ObjectUrl url = remote::parse_object_url(path + "/");
  return url.scheme == remote::Scheme::kS3 && !remote::ObjectClient::shared().list(url, 1).empty();
}

bool has_glob_characters(std::string_view path) {
  return path.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> expand_glob(const std::string& pattern) {
  if (remote::is_remote(pattern)) return expand_remote_glob(pattern);
  glob_t found{};
  const int status = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &found);
  std::vector<std::string> paths;
  for (size_t i = 0; status == 0 && i < found.gl_pathc; ++i) {
    std::string path = found.gl_pathv[i];
    if (!is_skipped_name(path)) paths.push_back(std::move(path));
  }
  ::globfree(&found);
  if (status == GLOB_NOSPACE) fail(ErrorCode::kIo, "{}: out of memory expanding the pattern", pattern);
  if (status == GLOB_ABORTED) fail(ErrorCode::kIo, "{}: cannot list a folder the pattern names", pattern);
  if (paths.empty()) fail(ErrorCode::kNotFound, "{}: the pattern matches no file or folder", pattern);
  std::sort(paths.begin(), paths.end(), natural_less);
  return paths;
}

std::string index_cache_dir(const ImageStoreOptions& options) {
  return options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
}

std::shared_ptr<const ImageStore> open_store(const std::vector<std::string>& paths,
                                             const ImageStoreOptions& options, OpenReport* report) {
  OpenReport local;
  if (report == nullptr) report = &local;
  *report = OpenReport{};
  if (paths.empty()) fail_invalid("an image store needs at least one path");
  std::vector<std::unique_ptr<Source>> sources;
  for (const std::string& path : paths) {
    size_t before = sources.size();
    expand_path(path, options, sources);
    if (sources.size() == before) fail_invalid("{}: holds no image store file", path);
  }
  if (sources.size() > IndexEntry::kMaxSources) {
    fail(ErrorCode::kLimit, "an image store holds at most {} files ({} given)", IndexEntry::kMaxSources,
         sources.size());
  }
  uint32_t num_sources = static_cast<uint32_t>(sources.size());
  std::vector<FileStamp> stamps;
  if (options.use_saved_index || options.save_index) {
    for (const auto& source : sources) stamps.push_back(stamp_of(*source));
  }
  const bool single_object = sources.size() == 1 && sources[0]->path() == paths[0];
  IndexPlaces places = index_places(paths, single_object, stamps, options);

  std::unique_ptr<StoreIndex> index;
  if (options.use_saved_index) {
    for (const std::string& place : load_order(places)) {
      if (place.empty() || index) continue;
      index = StoreIndex::load(place, stamps, num_sources);
      if (index) report->index_path = place;
    }
    report->used_saved_index = index != nullptr;
  }
  bool changed = false;
  if (!index) {
    index = build_index(sources);
    changed = true;
  }
  bool fits = use_seek_tables(sources, *index);
  if ((options.index_pages && !index->has_seek_tables()) || !fits) {
    index->set_seek_tables(build_seek_tables(sources, options));
    if (!use_seek_tables(sources, *index))
      fail(ErrorCode::kInternal, "fresh seek tables do not fit their files");
    report->built_seek_tables = true;
    changed = true;
  }
  report->seek_table_bytes = seek_table_bytes(*index);
  const bool from_beside = report->used_saved_index && report->index_path == places.beside;
  if (places.remote) {
    // The cache folder keeps a copy of an index built or fetched, so later
    // opens on the node cost no request; publishing uploads that copy.
    bool cached = report->used_saved_index && report->index_path == places.cached;
    if ((changed || from_beside) && (options.save_index || options.publish_index) &&
        try_save(*index, places.cached, stamps, num_sources)) {
      report->saved_index = true;
      report->index_path = places.cached;
      cached = true;
    }
    if (options.publish_index && !from_beside) {
      if (!cached)
        fail(ErrorCode::kIo, "{}: the index could not be saved in the cache folder to publish it", paths[0]);
      publish(places.cached, places.beside);
      report->index_path = places.beside;
    }
  } else if (changed && options.save_index) {
    for (const std::string& place : {places.beside, places.cached}) {
      if (try_save(*index, place, stamps, num_sources)) {
        report->saved_index = true;
        report->index_path = place;
        break;
      }
    }
  }
  return std::make_shared<StoreImpl>(std::move(sources), std::move(index));
}

}  // namespace mimicit::store

namespace mimicit {

std::shared_ptr<const ImageStore> ImageStore::open(const std::vector<std::string>& paths,
                                                   const ImageStoreOptions& options) {
  return store::open_store(paths, options, nullptr);
}

std::string embedded_image_id(std::string_view row_id, size_t position,
                              std::optional<std::string_view> path) {
  if (path && !path->empty()) return std::string(*path);
  return fmt::format("{}#{}", row_id, position);
}

}  // namespace mimicit
