// GroupDataset: one group of the data YAML as the reference's
// MimicitDataset sees it (spec 2.1, 2.2).
//
// Where the reference keeps dicts merged over the group's datasets, a later
// dataset overriding an earlier one, this keeps each dataset's tables and
// resolves an id by asking the datasets from the last to the first:
//   - the record of an id: the last dataset whose instruction file has it
//     (self.dataset.update(...));
//   - the in-context ids of a training id: the last dataset whose keys (train
//     config keys, else record ids) hold it (self.train_config.update(...));
//   - the task description: the last dataset whose resampled list holds it
//     (self.task_mapping.update(...)).
// The last two differ from the training entry's own dataset only for ids
// that are keys of several datasets; those few are found when opening and
// kept in a small map.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <xxhash.h>

#include "dataset/resample.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/py_random.h"

namespace mimicit::dataset {

struct GroupDataset::Impl {
  Group group = Group::kImageText;
  SampleOptions options;
  std::vector<Dataset> datasets;
  std::vector<ResampledList> lists;
  std::vector<std::string> chosen_descriptions;  // per dataset: the reference's random.choice
  std::vector<std::string> images_paths;
  std::vector<ReplacedRecord> replaced;
  std::vector<DroppedRecord> dropped;
  uint64_t dropped_count = 0;
  // For keys that several datasets hold: the dataset whose in-context list
  // and whose task description the key gets, where that is not its own.
  // Per dataset, sorted by key index.
  struct Override {
    uint64_t key = 0;
    uint32_t context_dataset = 0;
    uint32_t task_dataset = 0;
  };
  std::vector<std::vector<Override>> overrides;

  uint64_t key_count(size_t d) const {
    const Dataset& ds = datasets[d];
    return ds.train_config ? ds.train_config->size() : ds.instructions->size();
  }
  std::string_view key(size_t d, uint64_t k) const {
    const Dataset& ds = datasets[d];
    return ds.train_config ? ds.train_config->id(k) : ds.instructions->id(k);
  }
  std::optional<size_t> find_key(size_t d, std::string_view id) const {
    const Dataset& ds = datasets[d];
    return ds.train_config ? ds.train_config->find(id) : ds.instructions->find(id);
  }
  size_t locate(uint64_t i) const {
    auto it = std::upper_bound(datasets.begin(), datasets.end(), i,
                               [](uint64_t v, const Dataset& d) { return v < d.training_begin; });
    return static_cast<size_t>(it - datasets.begin()) - 1;
  }

  void load_files();
  void resample_lists();
  void find_shared_ids();
  void choose_descriptions();
  void collect_images_paths();
  void in_context_ids(size_t dataset, uint64_t key_index, std::string_view id,
                      std::vector<std::string>* out) const;
};

namespace {

// int(hash((seed, epoch)) % 1e6) seeds random before each reference sample;
// the task description is its first draw.
std::string choose_description(const std::vector<std::string>& descriptions, int64_t seed, int64_t epoch) {
  if (descriptions.empty()) return {};
  PyRandom random(reference_item_seed(seed, epoch));
  return descriptions[random.choice(descriptions.size())];
}

std::string_view rstrip_newlines(std::string_view s) {
  while (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  return s;
}

}  // namespace

void GroupDataset::Impl::load_files() {
  // The fields a wrong type drops a record for: those the samples read
  // (instruction and answer always; image_ids in image groups; rel_ins_ids
  // when a dataset without a train config takes its in-context examples
  // from them). A record the reference trains on is never dropped.
  std::unordered_map<std::string, uint32_t> checked;
  for (const Dataset& ds : datasets) {
    uint32_t& fields = checked[ds.config.mimicit_path];
    fields |= kFieldInstruction | kFieldAnswer;
    if (group != Group::kTextOnly) fields |= kFieldImageIds;
    if (options.populate_rel_ins && ds.config.train_config_path.empty()) fields |= kFieldRelInsIds;
  }
  // A file listed by several datasets is opened once.
  std::unordered_map<std::string, std::shared_ptr<const InstructionFile>> instruction_files;
  std::unordered_map<std::string, std::shared_ptr<const TrainConfig>> train_configs;
  for (Dataset& ds : datasets) {
    with_context(fmt::format("group {}, dataset {}", group_name(group), ds.config.name), [&] {
      auto& file = instruction_files[ds.config.mimicit_path];
      if (!file) {
        ParseOptions parse = options.parse;
        parse.checked_fields &= checked[ds.config.mimicit_path];
        file = InstructionFile::open(ds.config.mimicit_path, parse);
        dropped.insert(dropped.end(), file->dropped_records().begin(), file->dropped_records().end());
        dropped_count += file->dropped_count();
      }
      ds.instructions = file;
      if (!ds.config.train_config_path.empty()) {
        auto& config = train_configs[ds.config.train_config_path];
        if (!config) config = TrainConfig::open(ds.config.train_config_path, options.parse);
        ds.train_config = config;
      }
    });
  }
}

void GroupDataset::Impl::resample_lists() {
  uint64_t begin = 0;
  for (size_t d = 0; d < datasets.size(); ++d) {
    Dataset& ds = datasets[d];
    lists.push_back(with_context(fmt::format("group {}, dataset {}", group_name(group), ds.config.name),
                                 [&] { return resample(key_count(d), ds.config.num_samples); }));
    ds.training_begin = begin;
    ds.training_size = lists.back().size;
    if (ds.training_size > UINT64_MAX - begin) {
      fail(ErrorCode::kLimit, "group {}: the training list would hold more than 2^64 entries",
           group_name(group));
    }
    begin += ds.training_size;
  }
}

namespace {

// A set of 64-bit id hashes: one probe per id finds the few ids that more
// than one dataset holds (and the rare hash collisions, which the exact
// check that follows drops), instead of asking every earlier dataset.
class HashSet {
 public:
  explicit HashSet(uint64_t expected) {
    uint64_t capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
  }
  // Adds h; false when it was there already.
  bool insert(uint64_t h) {
    h |= 1;  // 0 marks an empty slot
    for (uint64_t slot = h & mask_;; slot = (slot + 1) & mask_) {
      if (slots_[slot] == h) return false;
      if (slots_[slot] == 0) {
        slots_[slot] = h;
        return true;
      }
    }
  }

 private:
  std::vector<uint64_t> slots_;
  uint64_t mask_ = 0;
};

uint64_t id_hash(std::string_view id) { return XXH3_64bits(id.data(), id.size()); }

}  // namespace

void GroupDataset::Impl::find_shared_ids() {
  if (datasets.size() < 2) return;
  // Records: a later file's record replaces an earlier file's (a file
  // listed by two datasets replaces nothing).
  uint64_t total = 0;
  for (size_t d = 0; d < datasets.size(); ++d)
    total += std::max(key_count(d), uint64_t{datasets[d].instructions->size()});
  {
    HashSet seen(total);
    std::unordered_set<const InstructionFile*> files;
    for (size_t d = 0; d < datasets.size(); ++d) {
      const InstructionFile& file = *datasets[d].instructions;
      if (!files.insert(&file).second) continue;
      for (size_t r = 0; r < file.size(); ++r) {
        if (seen.insert(id_hash(file.id(r))) || d == 0) continue;
        const std::string_view id = file.id(r);
        for (size_t e = d; e-- > 0;) {
          if (datasets[e].instructions.get() != &file && datasets[e].instructions->find(id)) {
            replaced.push_back({std::string(id), e, d});
            break;
          }
        }
      }
    }
  }
  // Keys of several datasets: which one's in-context list and task
  // description they get.
  overrides.resize(datasets.size());
  std::unordered_set<std::string_view> shared;
  {
    HashSet seen(total);
    for (size_t d = 0; d < datasets.size(); ++d) {
      for (uint64_t k = 0; k < key_count(d); ++k) {
        if (!seen.insert(id_hash(key(d, k))) && d > 0) shared.insert(key(d, k));
      }
    }
  }
  std::vector<std::vector<bool>> picked(datasets.size());
  auto in_list = [&](size_t d, uint64_t k) {
    const ResampledList& list = lists[d];
    if (list.kind != ResampledList::Kind::kSample) return true;  // all keys, or repeats of all
    if (picked[d].empty()) {
      picked[d].assign(list.keys, false);
      for (uint32_t pick : list.picks) picked[d][pick] = true;
    }
    return static_cast<bool>(picked[d][k]);
  };
  std::vector<std::optional<size_t>> positions(datasets.size());
  for (std::string_view id : shared) {
    Override override;
    size_t holders = 0;
    for (size_t f = 0; f < datasets.size(); ++f) {
      positions[f] = find_key(f, id);
      if (!positions[f]) continue;
      ++holders;
      override.context_dataset = static_cast<uint32_t>(f);
      if (in_list(f, *positions[f])) override.task_dataset = static_cast<uint32_t>(f);
    }
    if (holders < 2) continue;  // a hash collision
    for (size_t f = 0; f < datasets.size(); ++f) {
      if (positions[f] && (override.context_dataset != f || override.task_dataset != f)) {
        override.key = *positions[f];
        overrides[f].push_back(override);
      }
    }
  }
  for (auto& list : overrides) {
    std::sort(list.begin(), list.end(), [](const Override& a, const Override& b) { return a.key < b.key; });
  }
}

void GroupDataset::Impl::choose_descriptions() {
  for (const Dataset& ds : datasets) {
    chosen_descriptions.push_back(
        choose_description(ds.config.task_descriptions, options.seed, options.epoch));
  }
}

void GroupDataset::Impl::collect_images_paths() {
  std::unordered_set<std::string> seen;
  for (const Dataset& ds : datasets) {
    for (const std::string& path : ds.config.images_paths) {
      if (seen.insert(path).second) images_paths.push_back(path);
    }
  }
}

void GroupDataset::Impl::in_context_ids(size_t d, uint64_t k, std::string_view id,
                                        std::vector<std::string>* out) const {
  out->clear();
  const Dataset& ds = datasets[d];
  if (ds.train_config) {
    const std::optional<size_t> entry = ds.train_config->find(id);
    ds.train_config->read(entry ? *entry : k, out);
    return;
  }
  if (!options.populate_rel_ins) return;
  thread_local Record record;
  const std::optional<size_t> position = ds.instructions->find(id);
  ds.instructions->read(position ? *position : k, &record);
  out->swap(record.rel_ins_ids);
}

GroupDataset::GroupDataset() : impl_(std::make_unique<Impl>()) {}
GroupDataset::~GroupDataset() = default;

std::shared_ptr<const GroupDataset> GroupDataset::open(const DataConfig& config, Group group,
                                                       const SampleOptions& options) {
  const GroupConfig* group_config = config.find(group);
  if (group_config == nullptr) {
    fail(ErrorCode::kNotFound, "{}: no group {} in the data YAML",
         config.path.empty() ? "data YAML" : config.path, group_name(group));
  }
  if (options.resample_frames == 0) fail_invalid("resample_frames must be at least 1");
  if (options.image_size == 0) fail_invalid("image_size must be at least 1");
  std::shared_ptr<GroupDataset> result(new GroupDataset());
  Impl& impl = *result->impl_;
  impl.group = group;
  impl.options = options;
  for (const DatasetConfig& dataset : group_config->datasets)
    impl.datasets.push_back({dataset, nullptr, nullptr, 0, 0});
  impl.load_files();
  impl.resample_lists();
  impl.find_shared_ids();
  impl.choose_descriptions();
  impl.collect_images_paths();
  return result;
}

Group GroupDataset::group() const { return impl_->group; }
const SampleOptions& GroupDataset::options() const { return impl_->options; }
const std::vector<GroupDataset::Dataset>& GroupDataset::datasets() const { return impl_->datasets; }
const std::vector<std::string>& GroupDataset::images_paths() const { return impl_->images_paths; }
const std::vector<ReplacedRecord>& GroupDataset::replaced_records() const { return impl_->replaced; }
const std::vector<DroppedRecord>& GroupDataset::dropped_records() const { return impl_->dropped; }
uint64_t GroupDataset::dropped_count() const { return impl_->dropped_count; }

uint64_t GroupDataset::size() const {
  if (impl_->datasets.empty()) return 0;
  const Dataset& last = impl_->datasets.back();
  return last.training_begin + last.training_size;
}

size_t GroupDataset::training_dataset(uint64_t i) const {
  if (i >= size()) fail(ErrorCode::kInvalidArgument, "sample {} of a training list of {}", i, size());
  return impl_->locate(i);
}

std::string_view GroupDataset::training_id(uint64_t i) const {
  const size_t d = training_dataset(i);
  return impl_->key(d, impl_->lists[d].key_at(i - impl_->datasets[d].training_begin));
}

std::optional<GroupDataset::RecordRef> GroupDataset::find_record(std::string_view id) const {
  for (size_t d = impl_->datasets.size(); d-- > 0;) {
    if (std::optional<size_t> r = impl_->datasets[d].instructions->find(id)) return RecordRef{d, *r};
  }
  return std::nullopt;
}

void GroupDataset::sample_text(uint64_t i, SampleText* out) const {
  sample_text(i, impl_->options.epoch, out);
}

void GroupDataset::sample_text(uint64_t i, int64_t epoch, SampleText* out) const {
  const Impl& impl = *impl_;
  const size_t d = training_dataset(i);
  const uint64_t k = impl.lists[d].key_at(i - impl.datasets[d].training_begin);
  const std::string_view id = impl.key(d, k);
  const std::string group = group_name(impl.group);
  size_t context_dataset = d;
  size_t task_dataset = d;
  if (!impl.overrides.empty() && !impl.overrides[d].empty()) {
    const auto& list = impl.overrides[d];
    auto it = std::lower_bound(list.begin(), list.end(), k,
                               [](const Impl::Override& o, uint64_t key) { return o.key < key; });
    if (it != list.end() && it->key == k) {
      context_dataset = it->context_dataset;
      task_dataset = it->task_dataset;
    }
  }

  thread_local std::vector<std::string> turns;
  thread_local Record record;
  impl.in_context_ids(context_dataset, k, id, &turns);
  turns.emplace_back(id);

  out->id.assign(id);
  out->group = impl.group;
  out->dataset_index = d;
  out->dataset = impl.datasets[d].config.name;
  out->full_text.clear();
  const bool in_context = impl.group == Group::kImageTextInContext;
  const bool text_only = impl.group == Group::kTextOnly;
  for (size_t t = 0; t < turns.size(); ++t) {
    const std::string& turn = turns[t];
    const bool own = t + 1 == turns.size();
    const std::optional<RecordRef> ref = find_record(turn);
    if (!ref) {
      if (own) fail(ErrorCode::kNotFound, "group {}: training id '{}' has no instruction record", group, id);
      fail(ErrorCode::kNotFound, "group {}: in-context id '{}' of '{}' has no instruction record", group,
           turn, id);
    }
    impl.datasets[ref->dataset].instructions->read(ref->index, &record);
    if (!record.has_instruction || !record.has_answer) {
      fail(ErrorCode::kNotFound, "group {}: record '{}' ({}) has no \"{}\"", group, turn,
           impl.datasets[ref->dataset].instructions->path(),
           record.has_instruction ? "answer" : "instruction");
    }
    append_turn(out->full_text, impl.options.instruction_format,
                clean_question(record.instruction, impl.options.keep_symbols, impl.options.python_unicode),
                clean_answer(record.answer, impl.options.keep_symbols, impl.options.python_unicode),
                in_context || t == 0, text_only);
  }
  out->full_text.resize(rstrip_newlines(out->full_text).size());
  if (impl.options.with_task_description && !impl.chosen_descriptions[task_dataset].empty()) {
    const std::string description =
        epoch == impl.options.epoch ? impl.chosen_descriptions[task_dataset]
                                    : choose_description(impl.datasets[task_dataset].config.task_descriptions,
                                                         impl.options.seed, epoch);
    out->full_text.insert(0, description + "\n");
  }

  // `record` now holds the sample's own record: its images.
  const int64_t side = impl.options.image_size;
  out->image_ids.clear();
  switch (impl.group) {
    case Group::kTextOnly: out->image_shape = {1, 1, 3, 224, 224}; break;
    case Group::kVideoText: {
      if (record.image_ids.empty()) {
        fail_corrupt("group {}: video record '{}' has no image_ids (frames)", group, id);
      }
      for (uint64_t frame : frame_indices(record.image_ids.size(), impl.options.resample_frames)) {
        out->image_ids.push_back(record.image_ids[frame]);
      }
      out->image_shape = {1, static_cast<int64_t>(out->image_ids.size()), 3, side, side};
      break;
    }
    case Group::kImageText:
    case Group::kImageTextInContext:
      out->image_ids = record.image_ids;
      if (out->image_ids.empty()) {
        out->image_shape = {1, 0};
      } else {
        out->image_shape = {1, static_cast<int64_t>(out->image_ids.size()), 3, side, side};
      }
      break;
  }
}

SampleText GroupDataset::sample_text(uint64_t i) const {
  SampleText sample;
  sample_text(i, &sample);
  return sample;
}

}  // namespace mimicit::dataset
