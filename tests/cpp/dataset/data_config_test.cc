// The data YAML: groups and datasets in YAML order, defaults, images_path as
// a string or a list, unknown keys kept, and the error messages.
#include <fstream>

#include <gtest/gtest.h>

#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "test_data.h"

namespace mimicit::dataset {
namespace {

class DataConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("data_config");
    for (const char* name :
         {"a_instructions.json", "b_instructions.json", "a_train.json", "A.parquet", "B.parquet"}) {
      std::ofstream(dir_ / name) << "{}";
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  DataConfig parse(const std::string& yaml) const {
    return DataConfig::parse(yaml, "data.yaml", {.base_dir = dir_.string()});
  }

  std::pair<ErrorCode, std::string> error_of(const std::string& yaml) const {
    try {
      parse(yaml);
    } catch (const Error& e) {
      return {e.code(), e.message()};
    }
    return {ErrorCode::kInternal, ""};
  }

  std::filesystem::path dir_;
};

TEST_F(DataConfigTest, GroupsAndDatasetsInOrder) {
  const DataConfig config = parse(R"(
VIDEO_TEXT:
  Z_FIRST:
    mimicit_path: a_instructions.json
    images_path: [A.parquet, B.parquet]
    train_config_path: a_train.json
    num_samples: 500
    task_description: ["one", "two"]
IMAGE_TEXT:
  LADD:
    mimicit_path: b_instructions.json
    images_path: A.parquet
    task_description: only one
    note: kept
  LA_AGAIN:
    mimicit_path: a_instructions.json
    train_config_path: ""
TEXT_ONLY:
  LIMA:
    mimicit_path: b_instructions.json
    num_samples: -1
)");
  ASSERT_EQ(config.groups.size(), 3u);
  EXPECT_EQ(config.groups[0].group, Group::kVideoText);
  EXPECT_EQ(config.groups[1].group, Group::kImageText);
  const DatasetConfig& z = config.groups[0].datasets[0];
  EXPECT_EQ(z.name, "Z_FIRST");
  EXPECT_EQ(z.mimicit_path, (dir_ / "a_instructions.json").string());
  EXPECT_EQ(z.mimicit_path_as_written, "a_instructions.json");
  EXPECT_EQ(z.images_paths,
            (std::vector<std::string>{(dir_ / "A.parquet").string(), (dir_ / "B.parquet").string()}));
  EXPECT_EQ(z.train_config_path, (dir_ / "a_train.json").string());
  EXPECT_EQ(z.num_samples, 500);
  EXPECT_EQ(z.task_descriptions, (std::vector<std::string>{"one", "two"}));
  const GroupConfig* images = config.find(Group::kImageText);
  ASSERT_NE(images, nullptr);
  ASSERT_EQ(images->datasets.size(), 2u);
  EXPECT_EQ(images->datasets[0].name, "LADD");
  EXPECT_EQ(images->datasets[0].task_descriptions, std::vector<std::string>{"only one"});
  EXPECT_EQ(images->datasets[0].unknown_keys, std::vector<std::string>{"note"});
  EXPECT_EQ(images->datasets[0].num_samples, -1);
  EXPECT_TRUE(images->datasets[1].train_config_path.empty());
  EXPECT_TRUE(images->datasets[1].images_paths.empty());
  EXPECT_EQ(config.find(Group::kImageTextInContext), nullptr);
}

TEST_F(DataConfigTest, RepeatedKeysKeepTheLaterValue) {
  const DataConfig config = parse(
      "TEXT_ONLY:\n  A:\n    mimicit_path: a_instructions.json\n  B:\n    mimicit_path: b_instructions.json\n"
      "  A:\n    mimicit_path: b_instructions.json\n");
  ASSERT_EQ(config.groups[0].datasets.size(), 2u);
  EXPECT_EQ(config.groups[0].datasets[0].name, "A");
  EXPECT_EQ(config.groups[0].datasets[0].mimicit_path_as_written, "b_instructions.json");
  EXPECT_EQ(config.warnings.size(), 1u);
}

TEST_F(DataConfigTest, Errors) {
  auto [code, message] = error_of("IMAGE_TXT:\n  A:\n    mimicit_path: a_instructions.json\n");
  EXPECT_EQ(code, ErrorCode::kCorrupt);
  EXPECT_EQ(message,
            "data.yaml: unknown group 'IMAGE_TXT' (line 1) (allowed: IMAGE_TEXT, TEXT_ONLY, VIDEO_TEXT, "
            "IMAGE_TEXT_IN_CONTEXT)");
  std::tie(code, message) = error_of("IMAGE_TEXT:\n  LADD:\n    images_path: A.parquet\n");
  EXPECT_EQ(message,
            "data.yaml: group IMAGE_TEXT, dataset LADD: missing required key 'mimicit_path' (line 3)");
  std::tie(code, message) = error_of(
      "IMAGE_TEXT:\n  LADD:\n    mimicit_path: a_instructions.json\n    images_path: [A.parquet, "
      "C.parquet]\n");
  EXPECT_EQ(code, ErrorCode::kNotFound);
  EXPECT_EQ(message,
            fmt::format("data.yaml: group IMAGE_TEXT, dataset LADD: images_path[1] 'C.parquet' (resolved to "
                        "'{}') does not exist",
                        (dir_ / "C.parquet").string()));
  std::tie(code, message) =
      error_of("TEXT_ONLY:\n  T:\n    mimicit_path: a_instructions.json\n    other_path: /nowhere/x\n");
  EXPECT_EQ(message, "data.yaml: group TEXT_ONLY, dataset T: other_path '/nowhere/x' does not exist");
  std::tie(code, message) =
      error_of("TEXT_ONLY:\n  T:\n    mimicit_path: a_instructions.json\n    num_samples: -3\n");
  EXPECT_NE(message.find("num_samples is -3"), std::string::npos);
  std::tie(code, message) = error_of("TEXT_ONLY:\n  T:\n    mimicit_path: [a, b]\n");
  EXPECT_NE(message.find("mimicit_path is a list (line 3), expected a string"), std::string::npos);
  std::tie(code, message) = error_of("TEXT_ONLY: {T: {mimicit_path: a_instructions.json}\n");
  EXPECT_NE(message.find("data.yaml: line"), std::string::npos);
  std::tie(code, message) = error_of("");
  EXPECT_NE(message.find("no groups"), std::string::npos);
  std::tie(code, message) = error_of("- IMAGE_TEXT\n");
  EXPECT_NE(message.find("expected a mapping of groups"), std::string::npos);
}

TEST_F(DataConfigTest, LoadReadsTheFileAndNamesIt) {
  const std::string path = (dir_ / "d.yaml").string();
  std::ofstream(path) << "TEXT_ONLY:\n  T:\n    mimicit_path: " << (dir_ / "a_instructions.json").string()
                      << "\n";
  EXPECT_EQ(DataConfig::load(path).path, path);
  try {
    DataConfig::load((dir_ / "none.yaml").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
  }
}

}  // namespace
}  // namespace mimicit::dataset
