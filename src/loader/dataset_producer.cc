// DatasetProducer: the data YAML's groups, their image stores and the
// preprocessing, behind the loader's SampleProducer interface (the contract
// is in include/mimicit/loader.h).
#include <cstring>
#include <optional>
#include <set>
#include <string>

#include "mimicit/loader.h"
#include "mimicit/store_cache.h"

namespace mimicit::loader {
namespace {

struct WorkerScratch : SampleProducer::Scratch {
  explicit WorkerScratch(const image::PreprocessOptions& options) : preprocessor(options) {}
  image::Preprocessor preprocessor;
  Buffer file;  // the image file of the current image
};

}  // namespace

struct DatasetProducer::Impl {
  struct Group {
    std::shared_ptr<const dataset::GroupDataset> data;
    StoreGroup stores;  // the group's image stores, YAML order
    ImageLayout layout;
  };

  DataOptions options;
  std::vector<Group> groups;
};

namespace {

ImageLayout layout_of(dataset::Group group, DType dtype, uint32_t size) {
  // TEXT_ONLY: the reference's zeros are 224 x 224 whatever the image size.
  const uint32_t side = group == dataset::Group::kTextOnly ? 224 : size;
  if (dtype == DType::kFloat32) return {DType::kFloat32, {3, side, side}};
  return {DType::kUint8, {side, side, 3}};
}

std::vector<dataset::Group> selected_groups(const dataset::DataConfig& config,
                                            const std::vector<std::string>& names) {
  std::vector<dataset::Group> groups;
  if (names.empty()) {
    for (const dataset::GroupConfig& group : config.groups) groups.push_back(group.group);
    return groups;
  }
  std::set<dataset::Group> seen;
  for (const std::string& name : names) {
    const dataset::Group group = dataset::kGroupNames.parse(name);
    if (!seen.insert(group).second) fail_invalid("group '{}' is named twice", name);
    groups.push_back(group);
  }
  return groups;
}

}  // namespace

std::shared_ptr<const DatasetProducer> DatasetProducer::open(const std::string& yaml_path,
                                                             const DataOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->options.preprocess.size = options.sample.image_size;
  // Checks the preprocessing options now rather than on the first image.
  image::Preprocessor check(impl->options.preprocess);

  const dataset::DataConfig config = dataset::DataConfig::load(yaml_path, options.config);
  StoreCache stores(options.stores);
  for (dataset::Group kind : selected_groups(config, options.groups)) {
    Impl::Group group;
    group.data = dataset::GroupDataset::open(config, kind, options.sample);
    group.layout = layout_of(kind, options.dtype, options.sample.image_size);
    if (kind != dataset::Group::kTextOnly) group.stores = stores.group(group.data->images_paths());
    impl->groups.push_back(std::move(group));
  }
  return std::shared_ptr<const DatasetProducer>(new DatasetProducer(std::move(impl)));
}

DatasetProducer::DatasetProducer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DatasetProducer::~DatasetProducer() = default;

const DataOptions& DatasetProducer::options() const { return impl_->options; }

const dataset::GroupDataset& DatasetProducer::group_dataset(size_t group) const {
  return *impl_->groups.at(group).data;
}

size_t DatasetProducer::num_groups() const { return impl_->groups.size(); }

uint64_t DatasetProducer::group_size(size_t group) const { return impl_->groups.at(group).data->size(); }

std::string DatasetProducer::group_name(size_t group) const {
  return dataset::group_name(impl_->groups.at(group).data->group());
}

ImageLayout DatasetProducer::image_layout(size_t group) const { return impl_->groups.at(group).layout; }

std::unique_ptr<SampleProducer::Scratch> DatasetProducer::make_scratch() const {
  return std::make_unique<WorkerScratch>(impl_->options.preprocess);
}

void DatasetProducer::describe(size_t group, uint64_t epoch, uint64_t index, SampleInfo& out) const {
  const Impl::Group& g = impl_->groups.at(group);
  // Named first, so that a failure to build the text reports it.
  out.id.assign(g.data->training_id(index));
  thread_local dataset::SampleText text;
  g.data->sample_text(index, static_cast<int64_t>(epoch), &text);
  out.id = std::move(text.id);
  out.dataset = std::move(text.dataset);
  out.text = std::move(text.full_text);
  out.image_ids = std::move(text.image_ids);
  out.num_images =
      g.data->group() == dataset::Group::kTextOnly ? 1 : static_cast<uint32_t>(out.image_ids.size());
}

void DatasetProducer::load_image(size_t group, const SampleInfo& sample, uint32_t slot,
                                 std::span<uint8_t> out, Scratch* scratch) const {
  const Impl::Group& g = impl_->groups.at(group);
  if (g.data->group() == dataset::Group::kTextOnly) {
    std::memset(out.data(), 0, out.size());
    return;
  }
  std::unique_ptr<Scratch> own;
  if (scratch == nullptr) {
    own = make_scratch();
    scratch = own.get();
  }
  auto& worker = static_cast<WorkerScratch&>(*scratch);
  const std::string& id = sample.image_ids.at(slot);
  g.stores.get(id, worker.file);
  with_context(fmt::format("image '{}'", id), [&] {
    if (g.layout.dtype == DType::kFloat32) {
      // The batch buffer is 16-byte aligned and slots are whole floats.
      std::span<float> chw(reinterpret_cast<float*>(out.data()), out.size() / sizeof(float));
      worker.preprocessor.to_chw(worker.file, chw);
    } else {
      worker.preprocessor.to_hwc(worker.file, out);
    }
  });
}

}  // namespace mimicit::loader
