// The data YAML (spec 1.4), read with yaml-cpp, which keeps mappings in
// document order.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

#include "dataset/instruction_parquet.h"
#include "dataset/yaml_expansion.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "remote/object_cache.h"
#include "remote/url.h"
#include "store/open_store.h"

namespace mimicit::dataset {

namespace {

namespace fs = std::filesystem;

std::string where(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? std::string() : fmt::format(" (line {})", mark.line + 1);
}

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Undefined: return "undefined";
  }
  return "?";
}

// Error(kLimit) for a data YAML over max_yaml_bytes; `size` is its size,
// or (read from a pipe) a lower bound of it.
[[noreturn]] void fail_too_large(std::string_view prefix, std::string_view size,
                                 const DataConfigOptions& options) {
  fail(ErrorCode::kLimit,
       "{}the data YAML has {} bytes, over the limit of {} bytes (a data YAML is a few KB)", prefix, size,
       options.max_yaml_bytes);
}

// Paths: relative ones against the base folder (nothing to do when that is
// the working directory).
std::string resolve(const std::string& path, const DataConfigOptions& options) {
  if (path.empty() || options.base_dir.empty() || fs::path(path).is_absolute() || remote::is_remote(path))
    return path;
  return (fs::path(options.base_dir) / path).lexically_normal().string();
}

struct DatasetParser {
  const DataConfigOptions& options;
  std::string context;  // "group G, dataset D"

  [[noreturn]] void fail_value(const std::string& key, const YAML::Node& node, const char* expected) const {
    fail_corrupt("{}: {} is {}{}, expected {}", context, key, node_kind(node), where(node), expected);
  }

  std::string scalar(const std::string& key, const YAML::Node& node) const {
    if (!node.IsScalar()) fail_value(key, node, "a string");
    return node.Scalar();
  }

  // A glob pattern (Hugging Face shards: `CGD/train-*.parquet`) that
  // matches at least one file or folder.
  static bool matches_some_path(const std::string& pattern) {
    if (!store::has_glob_characters(pattern)) return false;
    try {
      return !store::expand_glob(pattern).empty();
    } catch (const Error&) {
      return false;
    }
  }

  std::string checked_path(const std::string& key, const std::string& path) const {
    const std::string resolved = resolve(path, options);
    // A URL is checked when it is opened, whose error names it: no request here.
    if (options.check_paths && !remote::is_remote(resolved)) {
      std::error_code error;
      if (!fs::exists(resolved, error) && !matches_some_path(resolved)) {
        std::string shown =
            resolved == path ? "'" + path + "'" : fmt::format("'{}' (resolved to '{}')", path, resolved);
        fail(ErrorCode::kNotFound, "{}: {} {} does not exist", context, key, shown);
      }
    }
    return resolved;
  }

  // A string or a list of strings; null and "" mean none.
  std::vector<std::string> string_list(const std::string& key, const YAML::Node& node) const {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (node.IsScalar()) {
      if (!node.Scalar().empty()) out.push_back(node.Scalar());
      return out;
    }
    if (!node.IsSequence()) fail_value(key, node, "a string or a list of strings");
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) fail_value(key + " item", item, "a string");
      out.push_back(item.Scalar());
    }
    return out;
  }

  DatasetConfig parse(const std::string& name, const YAML::Node& node) const {
    DatasetConfig dataset;
    dataset.name = name;
    if (!node.IsMap()) fail_value("its settings", node, "a mapping of keys (mimicit_path, ...)");
    bool has_mimicit_path = false;
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      const YAML::Node& value = item.second;
      if (key == "mimicit_path") {
        dataset.mimicit_path_as_written = value.IsNull() ? "" : scalar(key, value);
        has_mimicit_path = !dataset.mimicit_path_as_written.empty();
      } else if (key == "images_path") {
        dataset.images_paths = string_list(key, value);
      } else if (key == "train_config_path") {
        dataset.train_config_path = value.IsNull() ? "" : scalar(key, value);
      } else if (key == "num_samples") {
        if (value.IsNull()) continue;
        int64_t n = 0;
        if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, n)) {
          fail_value(key, value, "an integer (-1 for all)");
        }
        if (n < -1)
          fail_corrupt("{}: num_samples is {}{}, expected -1, 0 or a positive count", context, n,
                       where(value));
        dataset.num_samples = n;
      } else if (key == "task_description") {
        dataset.task_descriptions = string_list(key, value);
      } else {
        dataset.unknown_keys.push_back(key);
        if (key.ends_with("_path") && (value.IsScalar() || value.IsSequence())) {
          const std::vector<std::string> paths = string_list(key, value);
          for (size_t i = 0; i < paths.size(); ++i) {
            checked_path(paths.size() > 1 ? fmt::format("{}[{}]", key, i) : key, paths[i]);
          }
        }
      }
    }
    if (!has_mimicit_path) fail_corrupt("{}: missing required key 'mimicit_path'{}", context, where(node));
    dataset.mimicit_path = checked_path("mimicit_path", dataset.mimicit_path_as_written);
    for (size_t i = 0; i < dataset.images_paths.size(); ++i) {
      const std::string key =
          dataset.images_paths.size() > 1 ? fmt::format("images_path[{}]", i) : "images_path";
      dataset.images_paths[i] = checked_path(key, dataset.images_paths[i]);
    }
    if (!dataset.train_config_path.empty()) {
      dataset.train_config_path = checked_path("train_config_path", dataset.train_config_path);
    }
    // The Hugging Face layout's full configuration embeds the pictures in
    // the instruction shards: they are the store when none is named.
    if (dataset.images_paths.empty() && options.check_paths &&
        names_parquet_instructions(dataset.mimicit_path)) {
      if (with_context(context, [&] { return has_embedded_images(dataset.mimicit_path); })) {
        dataset.images_paths.push_back(dataset.mimicit_path);
      }
    }
    return dataset;
  }
};

// PyYAML keeps the last value of a repeated key at the first key's place.
// `index` maps names to their place in `items` (groups and datasets can be
// many: no linear search per item).
template <typename T, typename NameOf>
bool replace_or_append(std::vector<T>& items, std::unordered_map<std::string, size_t>& index, T item,
                       NameOf name_of) {
  auto [it, fresh] = index.try_emplace(std::string(name_of(item)), items.size());
  if (!fresh) {
    items[it->second] = std::move(item);
    return false;
  }
  items.push_back(std::move(item));
  return true;
}

GroupConfig parse_group_node(Group group, const YAML::Node& node, const DataConfigOptions& options,
                             std::vector<std::string>& warnings) {
  GroupConfig config;
  config.group = group;
  if (!node.IsMap()) {
    fail_corrupt("group {} is {}{}, expected a mapping of dataset names to their settings", group_name(group),
                 node_kind(node), where(node));
  }
  std::unordered_map<std::string, size_t> index;
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    DatasetParser parser{options, fmt::format("group {}, dataset {}", group_name(group), name)};
    DatasetConfig dataset = parser.parse(name, item.second);
    if (!replace_or_append(config.datasets, index, std::move(dataset),
                           [](const DatasetConfig& d) -> const std::string& { return d.name; })) {
      warnings.push_back(
          fmt::format("group {}: dataset {} appears twice; the later one is used", group_name(group), name));
    }
  }
  return config;
}

DataConfig parse_root(const YAML::Node& root, const DataConfigOptions& options) {
  DataConfig config;
  if (root.IsNull()) fail_corrupt("no groups (expected some of {})", kGroupNames.names());
  if (!root.IsMap())
    fail_corrupt("the document is {}, expected a mapping of groups ({})", node_kind(root),
                 kGroupNames.names());
  std::unordered_map<std::string, size_t> index;
  for (const auto& item : root) {
    const std::string name = item.first.IsScalar() ? item.first.Scalar() : node_kind(item.first);
    const std::optional<Group> group = parse_group(name);
    if (!group)
      fail_corrupt("unknown group '{}'{} (allowed: {})", name, where(item.first), kGroupNames.names());
    GroupConfig parsed = parse_group_node(*group, item.second, options, config.warnings);
    if (!replace_or_append(config.groups, index, std::move(parsed),
                           [](const GroupConfig& g) { return group_name(g.group); })) {
      config.warnings.push_back(fmt::format("group {} appears twice; the later one is used", name));
    }
  }
  return config;
}

}  // namespace

const GroupConfig* DataConfig::find(Group group) const {
  for (const GroupConfig& g : groups) {
    if (g.group == group) return &g;
  }
  return nullptr;
}

DataConfig DataConfig::parse(std::string_view yaml, const std::string& name,
                             const DataConfigOptions& options) {
  return with_context(name, [&] {
    if (yaml.size() > options.max_yaml_bytes) fail_too_large("", std::to_string(yaml.size()), options);
    YAML::Node root;
    try {
      const std::string text(yaml);
      check_yaml_expansion(text, options);
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      fail_corrupt("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    try {
      DataConfig config = parse_root(root, options);
      config.path = name;
      return config;
    } catch (const YAML::Exception& e) {
      // A conversion yaml-cpp refuses (a key that is not a scalar, ...).
      fail_corrupt("line {}: {}", e.mark.line + 1, e.msg);
    }
  });
}

std::string DataConfig::read(const std::string& path, const DataConfigOptions& options) {
  if (remote::is_remote(path)) {
    const std::shared_ptr<const MappedFile> file = remote::open_mapped(path);
    if (file->size() > options.max_yaml_bytes)
      fail_too_large(path + ": ", std::to_string(file->size()), options);
    const ByteView bytes = file->bytes();
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  std::error_code error;
  if (fs::is_directory(path, error)) fail(ErrorCode::kIo, "{}: is a folder, not a data YAML", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::kIo, "{}: cannot open the data YAML: {}", path, std::strerror(errno));
  // The size of a regular file, before reading it; anything else (a pipe)
  // is read up to one byte past the limit.
  const uint64_t size = fs::is_regular_file(path, error) ? fs::file_size(path, error) : 0;
  if (!error && size > options.max_yaml_bytes) fail_too_large(path + ": ", std::to_string(size), options);
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > options.max_yaml_bytes) {
      fail_too_large(path + ": ", "more than " + std::to_string(options.max_yaml_bytes), options);
    }
  }
  if (in.bad()) fail(ErrorCode::kIo, "{}: cannot read the data YAML", path);
  return text;
}

DataConfig DataConfig::load(const std::string& path, const DataConfigOptions& options) {
  return parse(read(path, options), path, options);
}

}  // namespace mimicit::dataset
