// Catalog: the data a viewer shows, opened once at start-up and read-only
// afterwards: the data YAML, one GroupDataset per group (its instruction
// files and train configs), and the image stores (a StoreCache's: each
// store opened once, at start-up, shared by the groups that list it and
// by the background validation).
//
// A group whose files cannot be opened, or one of whose stores cannot,
// stays in the catalog with the error, so the viewer can show what is wrong
// with broken data instead of refusing to start; only a YAML that cannot be
// loaded fails open().
//
// Image ids are looked up in the group's stores (the union of its
// images_path entries, as the reference does; the last store holding an id
// wins); get_image() without a group asks the groups in YAML order.
//
// Thread-safety: immutable after open(); every method may be called from
// any number of threads (GroupDataset and StoreGroup are safe so).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/dataset.h"
#include "mimicit/image_store.h"
#include "mimicit/store_cache.h"

namespace mimicit::server {

struct GroupView {
  dataset::Group group = dataset::Group::kImageText;
  std::shared_ptr<const dataset::GroupDataset> data;  // null when opening failed
  // The group's image stores, all open; empty: no images_path, or one of
  // them failed to open.
  StoreGroup stores;
  uint64_t images = 0;      // distinct image ids in `stores`
  std::string error;        // why `data` is null
  std::string store_error;  // why `stores` is empty although the group has images_path
};

class Catalog {
 public:
  struct Options {
    std::string base_dir;
    dataset::SampleOptions sample;
    ImageStoreOptions stores;  // how every image store is opened (cache_dir, ...)
  };
  // Throws what DataConfig::load throws.
  static std::shared_ptr<const Catalog> open(const std::string& yaml_path, const Options& options);

  const std::string& yaml_path() const { return yaml_path_; }
  const dataset::DataConfig& config() const { return config_; }
  const std::vector<GroupView>& groups() const { return groups_; }
  const GroupView* find(dataset::Group group) const;
  // The first group (YAML order) with a record `id`, or null.
  const GroupView* group_of(std::string_view id) const;

  // The bytes of image `id`: from `group`'s store, or (group null) from the
  // first store holding it. False when no store has the id; throws Error
  // when reading it fails.
  bool get_image(const GroupView* group, std::string_view id, Buffer& out) const;
  bool has_image(std::string_view id) const;

  // Every distinct instruction file (by path), with the first group and
  // dataset listing it: what statistics and search scan.
  struct File {
    size_t group = 0;    // index into groups()
    size_t dataset = 0;  // index into that group's datasets()
    const dataset::InstructionFile* file = nullptr;
  };
  const std::vector<File>& files() const { return files_; }
  uint64_t total_records() const { return total_records_; }

  // Every store the catalog opened, for other readers of the same data
  // (validate::Options::stores).
  const std::shared_ptr<StoreCache>& stores() const { return stores_; }

 private:
  Catalog() = default;
  void open_groups(const Options& options);
  void collect_files();

  std::string yaml_path_;
  dataset::DataConfig config_;
  std::vector<GroupView> groups_;
  std::vector<File> files_;
  uint64_t total_records_ = 0;
  std::shared_ptr<StoreCache> stores_;
};

}  // namespace mimicit::server
