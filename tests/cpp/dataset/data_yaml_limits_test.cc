// DataConfigOptions' limits on the data YAML: its size (checked before
// reading it), and what reading it visits with every alias counted at each
// use, so a "billion laughs" document is Error(kLimit) at once instead of
// gigabytes of copies. Each limit: one over it fails, exactly at it reads.
// docs/reliability.md lists them.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "test_data.h"

namespace mimicit::dataset {
namespace {

namespace fs = std::filesystem;

// The Error(kLimit) message of parsing `yaml`, or "" when it parses.
std::string limit_error(const std::string& yaml, DataConfigOptions options) {
  options.check_paths = false;
  try {
    DataConfig::parse(yaml, "limits.yaml", options);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    return e.what();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A billion laughs shaped like a data YAML (each level must parse, or the
// walk stops at the first wrong type): one task description of 1000 bytes,
// a list of 1000 aliases of it, 1000 datasets aliasing that dataset, the
// group repeated 1000 times (the later one wins). 27 KB of text, 10^12
// bytes of descriptions walked.
std::string billion_laughs() {
  std::string yaml = "IMAGE_TEXT: &g\n  d0: &d {mimicit_path: x.json, task_description: [&s '" +
                     std::string(1000, 'a') + "'";
  for (int i = 1; i < 1000; ++i) yaml += ", *s";
  yaml += "]}\n";
  for (int i = 1; i < 1000; ++i) yaml += "  d" + std::to_string(i) + ": *d\n";
  for (int i = 1; i < 1000; ++i) yaml += "IMAGE_TEXT: *g\n";
  return yaml;
}

TEST(DataYamlLimits, BillionLaughsIsRefusedAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  const std::string message = limit_error(billion_laughs(), {});
  // The 67th dataset's line passes 64 MiB: 1 MB of descriptions each.
  EXPECT_TRUE(
      contains(message, "limits.yaml: line 69: the document expands to more than 67108864 bytes of text"))
      << message;
  EXPECT_TRUE(contains(message, "an alias counts at every use")) << message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Aliases within the limits read as their anchors.
TEST(DataYamlLimits, AliasesWithinTheLimitsRead) {
  DataConfigOptions options;
  options.check_paths = false;
  const DataConfig config = DataConfig::parse(
      "IMAGE_TEXT:\n  a: &d {mimicit_path: a.json, task_description: [&t 'Describe.', *t]}\n  b: *d\n",
      "ok.yaml", options);
  ASSERT_EQ(config.groups.at(0).datasets.size(), 2u);
  EXPECT_EQ(config.groups[0].datasets[1].task_descriptions,
            (std::vector<std::string>{"Describe.", "Describe."}));
}

// 7 values: three mappings, four scalars.
TEST(DataYamlLimits, ExpandedValues) {
  const std::string yaml = "IMAGE_TEXT: {d: {mimicit_path: x}}";
  DataConfigOptions options;
  options.max_expanded_nodes = 7;
  EXPECT_EQ(limit_error(yaml, options), "");
  options.max_expanded_nodes = 6;
  EXPECT_TRUE(contains(limit_error(yaml, options),
                       "limits.yaml: line 1: the document expands to more than 6 values"));
  // An alias counts as what it stands for: the list and its two items
  // twice, with the keys task_description and z, 7 + 2 + 2 * 3 values.
  const std::string aliased = "IMAGE_TEXT: {d: {mimicit_path: x, task_description: &t [a, b], z: *t}}";
  options.max_expanded_nodes = 15;
  EXPECT_EQ(limit_error(aliased, options), "");
  options.max_expanded_nodes = 14;
  EXPECT_TRUE(contains(limit_error(aliased, options), "more than 14 values"));
}

// An alias inside its own anchor's node has no finite expansion.
TEST(DataYamlLimits, CyclicAliasIsRefused) {
  EXPECT_TRUE(contains(limit_error("IMAGE_TEXT: &g {d: *g}", {}),
                       "line 1: an alias inside the node of its own anchor"));
}

// 24 bytes of scalars: IMAGE_TEXT, d, mimicit_path, x.
TEST(DataYamlLimits, ExpandedBytes) {
  const std::string yaml = "IMAGE_TEXT: {d: {mimicit_path: x}}";
  DataConfigOptions options;
  options.max_expanded_bytes = 24;
  EXPECT_EQ(limit_error(yaml, options), "");
  options.max_expanded_bytes = 23;
  EXPECT_TRUE(
      contains(limit_error(yaml, options), "line 1: the document expands to more than 23 bytes of text"));
}

TEST(DataYamlLimits, FileSizeIsCheckedBeforeReading) {
  const fs::path path = testing::temp_dir("data_yaml_limits") / "data.yaml";
  const std::string yaml = "IMAGE_TEXT: {d: {mimicit_path: x}}\n";
  std::ofstream(path) << yaml;
  DataConfigOptions options;
  options.check_paths = false;
  options.max_yaml_bytes = yaml.size();
  EXPECT_EQ(DataConfig::load(path.string(), options).groups.size(), 1u);
  options.max_yaml_bytes = yaml.size() - 1;
  try {
    DataConfig::load(path.string(), options);
    ADD_FAILURE() << "a YAML over max_yaml_bytes was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit);
    EXPECT_TRUE(
        contains(e.what(), path.string() + ": the data YAML has 35 bytes, over the limit of 34 bytes"))
        << e.what();
  }
  // Text handed to parse() directly is held to the same bound.
  EXPECT_TRUE(contains(limit_error(yaml, options), "has 35 bytes, over the limit of 34 bytes"));
}

TEST(DataYamlLimits, DefaultsAreDocumented) {
  const DataConfigOptions options;
  EXPECT_EQ(options.max_yaml_bytes, 1u << 20);
  EXPECT_EQ(options.max_expanded_nodes, 1u << 20);
  EXPECT_EQ(options.max_expanded_bytes, 64u << 20);
}

}  // namespace
}  // namespace mimicit::dataset
