// The data YAML: every group and dataset checked on its own, so that one
// bad entry does not hide the others.
//
// The rules are DataConfig's (src/dataset/data_config.cc): each dataset is
// parsed by DataConfig::parse from a copy of the YAML in which every line
// outside that dataset and its group key is blanked, so its messages keep
// the original line numbers. A group written in flow style ({A: {...}})
// cannot be cut by lines, nor can a dataset using an alias of an anchor
// outside its lines; those datasets are re-emitted instead (their line
// numbers then refer to the re-emitted text, which the detail says).
#include <filesystem>
#include <set>
#include <string_view>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

#include "dataset/yaml_expansion.h"
#include "mimicit/error.h"
#include "remote/url.h"
#include "store/open_store.h"
#include "validate/validate_internal.h"

namespace mimicit::validate::internal {

namespace {

namespace fs = std::filesystem;
using dataset::DataConfig;
using dataset::DatasetConfig;
using dataset::Group;

const std::set<std::string, std::less<>> kKnownKeys = {"mimicit_path", "images_path", "train_config_path",
                                                       "num_samples", "task_description"};

// 0-based line of a node (0 when yaml-cpp has no mark).
size_t line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? 0 : static_cast<size_t>(mark.line);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::string key_text(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : std::string("(not a string)");
}

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: break;
  }
  return "undefined";
}

// One key: value pair of a mapping.
struct Entry {
  YAML::Node key;
  YAML::Node value;
};

class ConfigChecker {
 public:
  ConfigChecker(const std::string& path, std::string_view text, const Options& options, Collector& out)
      : path_(path), lines_(split_lines(text)), options_(options), out_(out) {}

  std::vector<GroupPlan> check(const YAML::Node& root);

 private:
  void bad_config(const std::string& group, const std::string& dataset, std::string detail) {
    out_.add(make_problem(Kind::kBadConfig, group, dataset, "", "", path_, std::move(detail)));
  }

  std::optional<GroupPlan> check_group(Group group, const Entry& entry, size_t end_line, bool flow);
  std::optional<DatasetPlan> check_dataset(Group group, size_t group_line, const Entry& entry,
                                           size_t begin_line, size_t end_line, bool by_lines);
  void check_keys(Group group, const std::string& name, const YAML::Node& node);
  void check_paths(Group group, const YAML::Node& node, DatasetPlan& plan);
  // True when `resolved` exists; else adds the missing_file problem.
  bool exists(Group group, const std::string& dataset, const std::string& key, const std::string& written,
              const std::string& resolved);
  std::string resolve(const std::string& path) const;

  const std::string& path_;
  std::vector<std::string_view> lines_;
  const Options& options_;
  Collector& out_;
};

std::vector<Entry> entries_of(const YAML::Node& map) {
  std::vector<Entry> entries;
  for (const auto& item : map) entries.push_back({item.first, item.second});
  return entries;
}

std::vector<GroupPlan> ConfigChecker::check(const YAML::Node& root) {
  std::vector<GroupPlan> groups;
  if (root.IsNull()) {
    bad_config("", "", fmt::format("no groups (expected some of {})", dataset::kGroupNames.names()));
    return groups;
  }
  if (!root.IsMap()) {
    bad_config("", "",
               fmt::format("the document is {}, expected a mapping of groups ({})", node_kind(root),
                           dataset::kGroupNames.names()));
    return groups;
  }
  const bool flow = root.Style() == YAML::EmitterStyle::Flow;
  const std::vector<Entry> entries = entries_of(root);
  std::unordered_map<std::string, std::pair<size_t, size_t>> seen;  // group name -> (index, line)
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string name = key_text(entries[i].key);
    const size_t line = line_of(entries[i].key);
    const std::optional<Group> group = dataset::parse_group(name);
    if (!group) {
      bad_config(name, "",
                 fmt::format("unknown group '{}' (line {}); allowed: {}", name, line + 1,
                             dataset::kGroupNames.names()));
      continue;
    }
    const size_t end = i + 1 < entries.size() ? line_of(entries[i + 1].key) : lines_.size();
    std::optional<GroupPlan> plan = check_group(*group, entries[i], end, flow);
    auto [it, first] = seen.try_emplace(name, groups.size(), line);
    if (!first) {
      bad_config(name, "",
                 fmt::format("group {} appears twice (lines {} and {}): the later one is used", name,
                             it->second.second + 1, line + 1));
    }
    // As PyYAML: the later value, at the first key's place.
    if (first && plan) groups.push_back(std::move(*plan));
    if (!first && plan) groups[it->second.first] = std::move(*plan);
    if (first && !plan) seen.erase(name);
  }
  return groups;
}

std::optional<GroupPlan> ConfigChecker::check_group(Group group, const Entry& entry, size_t end_line,
                                                    bool flow) {
  const char* name = dataset::group_name(group);
  const YAML::Node& node = entry.value;
  if (!node.IsMap()) {
    bad_config(name, "",
               fmt::format("group {} is {} (line {}), expected a mapping of dataset names to their settings",
                           name, node_kind(node), line_of(entry.key) + 1));
    return std::nullopt;
  }
  GroupPlan plan;
  plan.group = group;
  const size_t group_line = line_of(entry.key);
  flow = flow || node.Style() == YAML::EmitterStyle::Flow;
  const std::vector<Entry> entries = entries_of(node);
  std::unordered_map<std::string, std::pair<size_t, size_t>> seen;  // dataset -> (index, line)
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t begin = line_of(entries[i].key);
    const size_t end =
        i + 1 < entries.size() ? line_of(entries[i + 1].key) : std::min(end_line, lines_.size());
    // Cut by lines only when the dataset has lines of its own.
    const bool by_lines =
        !flow && begin > group_line && end > begin && (i == 0 || begin > line_of(entries[i - 1].key));
    std::optional<DatasetPlan> dataset = check_dataset(group, group_line, entries[i], begin, end, by_lines);
    if (!dataset) plan.incomplete = true;
    const std::string dataset_name = key_text(entries[i].key);
    auto [it, first] = seen.try_emplace(dataset_name, plan.datasets.size(), begin);
    if (!first) {
      bad_config(name, dataset_name,
                 fmt::format("dataset {} appears twice in group {} (lines {} and {}): the later one is used",
                             dataset_name, name, it->second.second + 1, begin + 1));
    }
    if (first && dataset) plan.datasets.push_back(std::move(*dataset));
    if (!first && dataset) plan.datasets[it->second.first] = std::move(*dataset);
    if (first && !dataset) seen.erase(dataset_name);
  }
  return plan;
}

std::optional<DatasetPlan> ConfigChecker::check_dataset(Group group, size_t group_line, const Entry& entry,
                                                        size_t begin_line, size_t end_line, bool by_lines) {
  const char* group_name = dataset::group_name(group);
  const std::string name = key_text(entry.key);
  if (!entry.key.IsScalar()) {
    bad_config(group_name, name, fmt::format("a dataset name (line {}) is not a string", begin_line + 1));
    return std::nullopt;
  }
  check_keys(group, name, entry.value);
  DatasetPlan plan;
  auto parse = [&](const std::string& text, const std::string& shown_path) {
    const DataConfig config =
        DataConfig::parse(text, shown_path, {.base_dir = options_.base_dir, .check_paths = false});
    if (config.groups.size() != 1 || config.groups[0].datasets.size() != 1) {
      fail(ErrorCode::kInternal, "dataset {} of group {} did not parse alone", name, group_name);
    }
    plan.config = config.groups[0].datasets[0];
  };
  if (by_lines) {
    std::string text;
    for (size_t l = 0; l < end_line; ++l) {
      if (l == group_line || l >= begin_line) text.append(lines_[l]);
      text.push_back('\n');
    }
    try {
      parse(text, path_);
    } catch (const Error& e) {
      // DataConfig's own complaint about the dataset, with the original
      // lines. Anything else comes from the cut (an alias of an anchor
      // outside the dataset): the re-emitted text decides.
      if (e.message().find(fmt::format("group {}, dataset {}: ", group_name, name)) != std::string::npos) {
        bad_config(group_name, name, e.message());
        return std::nullopt;
      }
      by_lines = false;
    }
  }
  if (!by_lines) {
    YAML::Emitter emitter;
    emitter << YAML::BeginMap << YAML::Key << group_name << YAML::Value << YAML::BeginMap << YAML::Key << name
            << YAML::Value << entry.value << YAML::EndMap << YAML::EndMap;
    try {
      parse(emitter.c_str(), path_ + " (re-emitted)");
    } catch (const Error& e) {
      bad_config(group_name, name, e.message());
      return std::nullopt;
    }
  }
  if (is_image_group(group) && plan.config.images_paths.empty()) {
    bad_config(group_name, name,
               fmt::format("no images_path (line {}): group {} needs an image store to look its image ids up",
                           begin_line + 1, group_name));
  }
  check_paths(group, entry.value, plan);
  return plan;
}

void ConfigChecker::check_keys(Group group, const std::string& name, const YAML::Node& node) {
  if (!node.IsMap()) return;  // DataConfig::parse reports it
  std::unordered_map<std::string, size_t> seen;
  for (const auto& item : node) {
    const std::string key = key_text(item.first);
    const size_t line = line_of(item.first);
    if (!kKnownKeys.contains(key)) {
      bad_config(dataset::group_name(group), name,
                 fmt::format("unknown key '{}' (line {}); known keys: mimicit_path, images_path, "
                             "train_config_path, num_samples, task_description",
                             key, line + 1));
    }
    auto [it, first] = seen.try_emplace(key, line);
    if (!first) {
      bad_config(dataset::group_name(group), name,
                 fmt::format("key '{}' appears twice (lines {} and {}): the later value is used", key,
                             it->second + 1, line + 1));
    }
  }
}

std::string ConfigChecker::resolve(const std::string& path) const {
  if (path.empty() || options_.base_dir.empty() || fs::path(path).is_absolute() || remote::is_remote(path))
    return path;
  return (fs::path(options_.base_dir) / path).lexically_normal().string();
}

namespace {

// Whether a glob (`shards/train-*.parquet`) names at least one file.
bool matches_something(const std::string& pattern) {
  try {
    return !store::expand_glob(pattern).empty();
  } catch (const Error&) {
    return false;  // no match, or a folder that cannot be read: reported as missing
  }
}

}  // namespace

bool ConfigChecker::exists(Group group, const std::string& dataset, const std::string& key,
                           const std::string& written, const std::string& resolved) {
  std::error_code error;
  // A URL is checked by its open, whose failure is reported on the dataset.
  if (remote::is_remote(resolved) || fs::exists(resolved, error)) return true;
  if (store::has_glob_characters(resolved) && matches_something(resolved)) return true;  // shards: a glob
  const std::string shown =
      resolved == written ? "'" + written + "'" : fmt::format("'{}' (resolved to '{}')", written, resolved);
  out_.add(make_problem(Kind::kMissingFile, dataset::group_name(group), dataset, "", "", resolved,
                        fmt::format("{} {} does not exist", key, shown)));
  return false;
}

void ConfigChecker::check_paths(Group group, const YAML::Node& node, DatasetPlan& plan) {
  DatasetConfig& config = plan.config;
  if (!exists(group, config.name, "mimicit_path", config.mimicit_path_as_written, config.mimicit_path)) {
    config.mimicit_path.clear();
  }
  std::vector<std::string> images;
  for (size_t i = 0; i < config.images_paths.size(); ++i) {
    const std::string key =
        config.images_paths.size() > 1 ? fmt::format("images_path[{}]", i) : "images_path";
    if (exists(group, config.name, key, config.images_paths[i], config.images_paths[i])) {
      images.push_back(config.images_paths[i]);
    } else {
      plan.images_missing = true;
    }
  }
  config.images_paths = std::move(images);
  if (!config.train_config_path.empty() &&
      !exists(group, config.name, "train_config_path", config.train_config_path, config.train_config_path)) {
    config.train_config_path.clear();
  }
  // Unknown *_path keys: the reference asserts every *_path exists.
  for (const auto& item : node) {
    const std::string key = key_text(item.first);
    if (kKnownKeys.contains(key) || !key.ends_with("_path")) continue;
    if (!item.second.IsScalar() || item.second.Scalar().empty()) continue;
    exists(group, config.name, key, item.second.Scalar(), resolve(item.second.Scalar()));
  }
}

}  // namespace

bool is_image_group(Group group) { return group != Group::kTextOnly; }

std::vector<GroupPlan> check_config(const std::string& yaml_path, const std::string& text,
                                    const Options& options, Collector& out) {
  YAML::Node root;
  try {
    // Every dataset is then parsed on its own: the whole document's
    // expansion is bounded first, once (DataConfigOptions' defaults).
    dataset::check_yaml_expansion(text, {});
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    out.add(make_problem(
        Kind::kBadFile, "", "", "", "", yaml_path,
        fmt::format("{}: line {}, column {}: {}", yaml_path, e.mark.line + 1, e.mark.column + 1, e.msg)));
    return {};
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kLimit) throw;
    out.add(make_problem(Kind::kBadFile, "", "", "", "", yaml_path,
                         fmt::format("{}: {}", yaml_path, e.message())));
    return {};
  }
  try {
    return ConfigChecker(yaml_path, text, options, out).check(root);
  } catch (const YAML::Exception& e) {
    // A conversion yaml-cpp refuses while walking (should not happen: keys
    // are read as scalars only).
    out.add(make_problem(Kind::kBadConfig, "", "", "", "", yaml_path,
                         fmt::format("{}: line {}: {}", yaml_path, e.mark.line + 1, e.msg)));
    return {};
  }
}

}  // namespace mimicit::validate::internal
