#include "server/catalog.h"

#include <unordered_set>

#include <fmt/format.h>

#include "mimicit/error.h"

namespace mimicit::server {

std::shared_ptr<const Catalog> Catalog::open(const std::string& yaml_path, const Options& options) {
  std::shared_ptr<Catalog> catalog(new Catalog());
  catalog->yaml_path_ = yaml_path;
  dataset::DataConfigOptions config_options;
  config_options.base_dir = options.base_dir;
  catalog->config_ = dataset::DataConfig::load(yaml_path, config_options);
  catalog->open_groups(options);
  catalog->collect_files();
  return catalog;
}

void Catalog::open_groups(const Options& options) {
  stores_ = std::make_shared<StoreCache>(options.stores);
  for (const dataset::GroupConfig& config : config_.groups) {
    GroupView view;
    view.group = config.group;
    try {
      view.data = dataset::GroupDataset::open(config_, config.group, options.sample);
    } catch (const Error& e) {
      view.error = e.message();
    }
    if (view.data && !view.data->images_paths().empty()) {
      try {
        StoreGroup stores = stores_->group(view.data->images_paths());
        view.images = stores.distinct_ids();  // opens them all
        view.stores = std::move(stores);
      } catch (const Error& e) {
        view.store_error =
            fmt::format("group {}: image store: {}", dataset::group_name(config.group), e.message());
      }
    }
    groups_.push_back(std::move(view));
  }
}

void Catalog::collect_files() {
  std::unordered_set<std::string> seen;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (!groups_[g].data) continue;
    const auto& datasets = groups_[g].data->datasets();
    for (size_t d = 0; d < datasets.size(); ++d) {
      const dataset::InstructionFile* file = datasets[d].instructions.get();
      if (!seen.insert(file->path()).second) continue;
      files_.push_back({g, d, file});
      total_records_ += file->size();
    }
  }
}

const GroupView* Catalog::find(dataset::Group group) const {
  for (const GroupView& view : groups_) {
    if (view.group == group) return &view;
  }
  return nullptr;
}

const GroupView* Catalog::group_of(std::string_view id) const {
  for (const GroupView& view : groups_) {
    if (view.data && view.data->find_record(id)) return &view;
  }
  return nullptr;
}

bool Catalog::get_image(const GroupView* group, std::string_view id, Buffer& out) const {
  if (group != nullptr) {
    const ImageStore* store = group->stores.find(id);
    if (store == nullptr) return false;
    store->get(id, out);
    return true;
  }
  for (const GroupView& view : groups_) {
    if (get_image(&view, id, out)) return true;
  }
  return false;
}

bool Catalog::has_image(std::string_view id) const {
  for (const GroupView& view : groups_) {
    if (view.stores.contains(id)) return true;
  }
  return false;
}

}  // namespace mimicit::server
