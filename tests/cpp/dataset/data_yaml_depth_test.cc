// The data YAML goes through yaml-cpp, whose parser recurses once per level
// of nesting: its own depth guard (2000 levels) must turn a deeply nested
// document into Error(kCorrupt), not a stack overflow, also under ASan's
// larger frames. docs/reliability.md lists the limit.
#include <gtest/gtest.h>

#include <string>

#include "mimicit/dataset.h"
#include "mimicit/error.h"

namespace mimicit::dataset {
namespace {

void expect_corrupt(const std::string& yaml) {
  DataConfigOptions options;
  options.check_paths = false;
  options.max_yaml_bytes = 16 << 20;  // the block-style document is 4.5 MB
  try {
    DataConfig::parse(yaml, "deep.yaml", options);
    ADD_FAILURE() << "parsed a document nested " << yaml.size() << " bytes deep";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt) << e.what();
  }
}

TEST(DataYamlDepth, DeepFlowNestingIsCorrupt) {
  expect_corrupt("IMAGE_TEXT: " + std::string(100000, '['));
  std::string maps = "IMAGE_TEXT: ";
  for (int i = 0; i < 20000; ++i) maps += "{a: ";
  expect_corrupt(maps);
}

TEST(DataYamlDepth, DeepBlockNestingIsCorrupt) {
  std::string yaml;
  for (int i = 0; i < 3000; ++i) yaml += std::string(i, ' ') + "a:\n";
  expect_corrupt(yaml);
}

}  // namespace
}  // namespace mimicit::dataset
