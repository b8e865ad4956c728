// validate_data: the stages in order.
//   1. the YAML (validate_config.cc);
//   2. instruction files and train configs, each path opened once;
//   3. image stores of the image groups, each path opened once; duplicate
//      ids per group; with decode, one pass over each store;
//   4. records and train configs, group by group (validate_records.cc);
//   5. image problems placed on the first instruction using the image.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "mimicit/error.h"
#include "mimicit/validate.h"
#include "remote/url.h"
#include "util/progress.h"
#include "validate/validate_internal.h"

namespace mimicit::validate {

namespace {

namespace fs = std::filesystem;
using namespace internal;
using dataset::DataConfig;
using dataset::InstructionFile;
using dataset::TrainConfig;

std::string read_yaml(const std::string& path) {
  std::error_code error;
  if (!remote::is_remote(path) && !fs::exists(path, error))
    fail(ErrorCode::kIo, "{}: cannot open the data YAML: no such file", path);
  return DataConfig::read(path);  // the default limits (DataConfigOptions)
}

// Opens each path once; the first failure is reported on the dataset that
// named the file, later users get null silently.
template <typename File>
class FileCache {
 public:
  std::shared_ptr<const File> open(const std::string& path, const std::string& group,
                                   const std::string& dataset, const Options& options, Collector& out) {
    auto [it, fresh] = files_.try_emplace(path);
    if (!fresh) return it->second;
    try {
      it->second = File::open(path, {.threads = options.threads});
    } catch (const Error& e) {
      out.add(make_problem(Kind::kBadFile, group, dataset, "", "", path, e.message()));
    }
    return it->second;
  }

 private:
  std::map<std::string, std::shared_ptr<const File>> files_;
};

class Validator {
 public:
  Validator(const std::string& yaml_path, const Options& options)
      : yaml_path_(yaml_path),
        options_(options),
        out_(options.max_problems),
        pool_(options.threads),
        cache_(options.stores ? options.stores : std::make_shared<StoreCache>(store_options(options))) {}

  Report run();

 private:
  void open_files();
  void report_dropped(const InstructionFile& file, const std::string& group, const std::string& dataset);
  void open_stores();
  void check_images();
  void check_records();
  void place_image_findings();
  void note(std::string text) { summary_.notes.push_back(std::move(text)); }

  const std::string& yaml_path_;
  const Options& options_;
  Collector out_;
  WorkerPool pool_;
  std::shared_ptr<StoreCache> cache_;
  Summary summary_;
  std::vector<GroupPlan> plans_;
  std::vector<GroupState> groups_;
  std::vector<std::vector<StoreUse>> store_uses_;  // per group
  std::vector<StoreState> stores_;
  ImageFindings findings_;
};

Report Validator::run() {
  const auto start = std::chrono::steady_clock::now();
  plans_ = check_config(yaml_path_, read_yaml(yaml_path_), options_, out_);
  summary_.groups = plans_.size();
  for (const GroupPlan& plan : plans_) summary_.datasets += plan.datasets.size();
  open_files();
  open_stores();
  check_images();
  check_records();
  place_image_findings();
  summary_.decoded = options_.decode;
  summary_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Report report;
  report.problems = out_.finish(summary_);
  report.summary = std::move(summary_);
  return report;
}

// Records the file left out when it was opened (every known field checked:
// a training run drops them where it reads the field).
void Validator::report_dropped(const InstructionFile& file, const std::string& group,
                               const std::string& dataset) {
  for (const dataset::DroppedRecord& dropped : file.dropped_records()) {
    std::string_view detail = dropped.message;
    if (detail.starts_with(dropped.file + ": ")) detail.remove_prefix(dropped.file.size() + 2);
    out_.add(make_problem(Kind::kBadRecord, group, dataset, dropped.id, "", dropped.file,
                          fmt::format("{}; the record is dropped", detail)));
  }
  const uint64_t unlisted = file.dropped_count() - file.dropped_records().size();
  if (unlisted > 0) note(fmt::format("{}: {} more dropped records", file.path(), unlisted));
}

void Validator::open_files() {
  FileCache<InstructionFile> instruction_files;
  FileCache<TrainConfig> train_configs;
  std::set<const InstructionFile*> reported;  // the dropped records of each file, once
  for (size_t g = 0; g < plans_.size(); ++g) {
    const GroupPlan& plan = plans_[g];
    const std::string group_name = dataset::group_name(plan.group);
    GroupState state;
    state.index = g;
    state.group = plan.group;
    bool all_opened = !plan.incomplete;
    for (const DatasetPlan& dataset : plan.datasets) {
      DatasetState ds;
      ds.plan = &dataset;
      const dataset::DatasetConfig& config = dataset.config;
      if (!config.mimicit_path.empty()) {
        ds.instructions =
            instruction_files.open(config.mimicit_path, group_name, config.name, options_, out_);
        if (ds.instructions && reported.insert(ds.instructions.get()).second) {
          report_dropped(*ds.instructions, group_name, config.name);
        }
      }
      if (!config.train_config_path.empty()) {
        ds.train_config =
            train_configs.open(config.train_config_path, group_name, config.name, options_, out_);
      }
      for (const DatasetState& earlier : state.datasets) {
        if (ds.instructions && earlier.instructions == ds.instructions) ds.first_use_of_instructions = false;
        if (ds.train_config && earlier.train_config == ds.train_config) ds.first_use_of_train_config = false;
      }
      all_opened = all_opened && ds.instructions;
      state.datasets.push_back(std::move(ds));
    }
    state.check_related = all_opened;
    if (!all_opened) {
      note(
          fmt::format("group {}: missing_instruction and missing_related not checked: a dataset or "
                      "instruction file of the group could not be read",
                      group_name));
    }
    groups_.push_back(std::move(state));
  }
}

void Validator::open_stores() {
  std::map<std::string, size_t> index;
  store_uses_.resize(groups_.size());
  for (GroupState& group : groups_) {
    if (!is_image_group(group.group)) continue;
    const std::string group_name = dataset::group_name(group.group);
    bool complete = !plans_[group.index].incomplete;
    std::vector<StoreUse>& uses = store_uses_[group.index];
    for (size_t d = 0; d < group.datasets.size(); ++d) {
      const DatasetPlan& dataset = *group.datasets[d].plan;
      complete = complete && !dataset.images_missing;
      for (const std::string& path : dataset.config.images_paths) {
        auto [it, fresh] = index.try_emplace(path, stores_.size());
        if (fresh) {
          StoreState state;
          state.path = path;
          try {
            state.store = cache_->open(path);
            ++summary_.stores;
            summary_.images += state.store->size();
          } catch (const Error& e) {
            out_.add(
                make_problem(Kind::kBadFile, group_name, dataset.config.name, "", "", path, e.message()));
          }
          stores_.push_back(std::move(state));
        }
        const size_t s = it->second;
        const bool listed =
            std::any_of(uses.begin(), uses.end(), [&](const StoreUse& u) { return u.store == s; });
        if (!listed) uses.push_back({s, d});
      }
    }
    std::vector<std::string> opened;
    for (const StoreUse& use : uses) {
      if (stores_[use.store].store)
        opened.push_back(stores_[use.store].path);
      else
        complete = false;
    }
    group.stores = cache_->group(opened);
    group.check_images = complete && !group.stores.empty();
    if (!group.check_images) {
      note(fmt::format("group {}: missing_image not checked: {}", group_name,
                       uses.empty() ? "the group has no image store"
                                    : "an image store of the group is missing or could not be read"));
    }
  }
}

void Validator::check_images() {
  for (const GroupState& group : groups_) {
    std::vector<StoreUse> opened;
    for (const StoreUse& use : store_uses_[group.index]) {
      if (stores_[use.store].store) opened.push_back(use);
    }
    find_duplicate_images(stores_, opened, group.index, options_, findings_, out_);
  }
  if (!options_.decode) return;
  for (size_t s = 0; s < stores_.size(); ++s) {
    if (!stores_[s].store) continue;
    std::vector<size_t> groups;
    std::pair<size_t, size_t> fallback{SIZE_MAX, 0};
    for (const GroupState& group : groups_) {
      for (const StoreUse& use : store_uses_[group.index]) {
        if (use.store != s) continue;
        groups.push_back(group.index);
        if (fallback.first == SIZE_MAX) fallback = {group.index, use.dataset};
      }
    }
    auto done = options_.decoded.find(stores_[s].path);
    summary_.images_decoded +=
        done != options_.decoded.end()
            ? add_decoded(stores_[s], groups, fallback, done->second, findings_, out_)
            : decode_store(stores_[s], groups, fallback, options_, pool_, findings_, out_);
  }
}

void Validator::check_records() {
  uint64_t total = 0;
  for (const GroupState& group : groups_) {
    for (const DatasetState& ds : group.datasets) {
      if (ds.instructions && ds.first_use_of_instructions) total += ds.instructions->size();
    }
  }
  Progress progress("checking records", total, options_.progress);
  for (const GroupState& group : groups_) {
    const RecordCounts counts = check_group_records(group, options_, pool_, findings_, out_, progress);
    summary_.records += counts.records;
    summary_.image_refs += counts.image_refs;
  }
  progress.finish();
}

void Validator::place_image_findings() {
  for (ImageFinding& finding : findings_.findings) {
    size_t g = finding.fallback_group;
    size_t d = finding.fallback_dataset;
    std::string id;
    if (finding.refs > 0) {
      const auto [group, dataset, record] = finding.first_use;
      g = group;
      d = dataset;
      id = groups_[g].datasets[d].instructions->id(record);
      finding.detail += fmt::format("; used by {} instruction{}", finding.refs, finding.refs == 1 ? "" : "s");
    } else {
      finding.detail += "; no instruction uses it";
    }
    out_.add(make_problem(finding.kind, dataset::group_name(groups_[g].group),
                          groups_[g].datasets[d].plan->config.name, std::move(id),
                          std::move(finding.image_id), std::move(finding.file), std::move(finding.detail)));
  }
}

}  // namespace

std::vector<std::string> decode_targets(const std::string& yaml_path, const Options& options) {
  Collector ignored(1);
  std::vector<std::string> targets;
  for (const GroupPlan& plan : check_config(yaml_path, read_yaml(yaml_path), options, ignored)) {
    if (!is_image_group(plan.group)) continue;
    for (const DatasetPlan& dataset : plan.datasets) {
      for (const std::string& path : dataset.config.images_paths) {
        if (std::find(targets.begin(), targets.end(), path) == targets.end()) targets.push_back(path);
      }
    }
  }
  return targets;
}

ImageStoreOptions store_options(const Options& options) {
  return {.index_pages = false, .cache_dir = options.cache_dir};
}

Report validate_data(const std::string& yaml_path, const Options& options) {
  if (options.threads < 0 || options.threads > 1024) {
    fail_invalid("threads must be 0 (all cores) to 1024, not {}", options.threads);
  }
  return Validator(yaml_path, options).run();
}

}  // namespace mimicit::validate
