// convert_layout: the names --to takes, the datasets a command line names,
// and Otter -> HF -> Otter read back with mimicit's own readers
// (InstructionFile on the shards, ImageStore on X_Images and X). Peers
// (datasets, pyarrow, pandas) read the same output in
// tests/python/test_hf_convert.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "mimicit/base64.h"
#include "mimicit/convert.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/parquet/reader.h"
#include "test_data.h"

namespace mimicit::convert {
namespace {

namespace fs = std::filesystem;

TEST(LayoutNames, EveryLayoutHasOneNameBothWays) {
  for (const LayoutName& n : kLayoutNames) {
    EXPECT_EQ(parse_layout(n.name), n.layout);
    EXPECT_EQ(layout_name(n.layout), n.name);
    EXPECT_FALSE(n.help.empty());
  }
  EXPECT_FALSE(parse_layout("parquet").has_value());
  EXPECT_FALSE(parse_layout("HF").has_value());  // the CLI folds case before asking
}

std::string picture(int i) {
  std::string bytes = "\x89PNG\r\n\x1a\n" + std::to_string(i);
  bytes.resize(20000 + static_cast<size_t>(i) * 37, static_cast<char>(i));
  return bytes;
}

class LayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mimicit::testing::temp_dir(std::string("layout_") +
                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    // CGD: 30 records of 0-2 pictures, one dangling id; a legacy images.json store.
    std::string json = "{\"meta\": {\"version\": \"0.0.1\"}, \"data\": {";
    std::string images = "{";
    for (int i = 0; i < 30; ++i) {
      std::string ids;
      for (int k = 0; k < i % 3; ++k) {
        std::string id = "CGD_IMG_" + std::to_string(i) + "_" + std::to_string(k);
        ids += (k ? ",\"" : "\"") + id + "\"";
        if (images.size() > 1) images += ",";
        images += "\"" + id + "\": \"" + base64_encode(as_bytes(picture(i * 3 + k))) + "\"";
        pictures_[id] = picture(i * 3 + k);
      }
      if (i == 7) ids += ",\"CGD_IMG_missing\"";
      if (i) json += ",";
      json += "\"CGD_INS_" + std::to_string(i) + "\": {\"instruction\": \"Q" + std::to_string(i) +
              " \\u00e9\\n\", \"answer\": \"A" + std::to_string(i) + "\", \"image_ids\": [" + ids +
              "], \"rel_ins_ids\": [" + (i % 4 ? "\"CGD_INS_0\"" : "") + "]}";
    }
    std::ofstream(dir_ / "CGD_instructions.json") << json << "}}";
    std::ofstream(dir_ / "images.json") << images << "}";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::map<std::string, std::string> pictures_;
};

TEST_F(LayoutTest, SourcesAreNamedAfterTheirInstructions) {
  std::vector<LayoutSource> s =
      layout_sources({(dir_ / "CGD_instructions.json").string(), (dir_ / "images.json").string()}, "");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].task, "CGD");
  EXPECT_EQ(s[0].images, std::vector<std::string>{(dir_ / "images.json").string()});
  EXPECT_EQ(layout_sources({(dir_ / "CGD_instructions.json").string()}, "Mine")[0].task, "Mine");
}

TEST_F(LayoutTest, OtterToHfToOtterReadsBackWithMimicitsReaders) {
  LayoutOptions options;
  options.to = Layout::kHf;
  options.datasets =
      layout_sources({(dir_ / "CGD_instructions.json").string(), (dir_ / "images.json").string()}, "");
  options.out = (dir_ / "hf").string();
  options.max_shard_bytes = 200'000;
  options.progress = false;
  LayoutReport report = convert_layout(options);
  EXPECT_EQ(report.records, 30u);
  EXPECT_EQ(report.images, pictures_.size());
  EXPECT_EQ(report.missing_images, 1u);

  // Shards under the limit, named as the hub names them.
  size_t shards = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "hf" / "CGD_Images")) {
    EXPECT_LE(fs::file_size(e.path()), 200'000u) << e.path();
    ++shards;
  }
  EXPECT_GT(shards, 1u);
  EXPECT_TRUE(
      fs::exists(dir_ / "hf" / "CGD_Images" / ("train-00000-of-0000" + std::to_string(shards) + ".parquet")));

  auto original = dataset::InstructionFile::open((dir_ / "CGD_instructions.json").string());
  for (const char* config : {"CGD", "CGD_Instructions"}) {
    auto shards_file = dataset::InstructionFile::open((dir_ / "hf" / config).string());
    ASSERT_EQ(shards_file->size(), original->size());
    for (size_t i = 0; i < original->size(); ++i) {
      dataset::Record a = original->read(i), b = shards_file->read(i);
      EXPECT_EQ(shards_file->id(i), original->id(i));
      EXPECT_EQ(b.instruction, a.instruction);
      EXPECT_EQ(b.answer, a.answer);
      EXPECT_EQ(b.image_ids, a.image_ids);
      EXPECT_EQ(b.rel_ins_ids, a.rel_ins_ids);
    }
  }
  Buffer bytes;
  for (const char* config : {"CGD_Images", "CGD"}) {
    auto store = ImageStore::open((dir_ / "hf" / config).string());
    for (const auto& [id, data] : pictures_) {
      store->get(id, bytes);
      EXPECT_EQ(as_string_view(bytes.view()), data) << config << " " << id;
    }
  }

  // And back: the JSON's records and the store's images, untouched.
  LayoutOptions back = options;
  back.to = Layout::kOtter;
  back.datasets = layout_sources({(dir_ / "hf" / "CGD_Instructions").string()}, "");
  EXPECT_EQ(back.datasets[0].images, std::vector<std::string>{(dir_ / "hf" / "CGD_Images").string()});
  back.out = (dir_ / "otter").string();
  convert_layout(back);
  auto again = dataset::InstructionFile::open((dir_ / "otter" / "CGD_instructions.json").string());
  ASSERT_EQ(again->size(), original->size());
  for (size_t i = 0; i < original->size(); ++i) {
    EXPECT_EQ(again->id(i), original->id(i));
    EXPECT_EQ(again->raw_json(i).find("\\u00e9"), std::string::npos);  // the text, not its escape
    EXPECT_EQ(again->read(i).instruction, original->read(i).instruction);
    EXPECT_EQ(again->read(i).image_ids, original->read(i).image_ids);
  }
  auto store = ImageStore::open((dir_ / "otter" / "CGD_images").string());
  EXPECT_EQ(store->size(), pictures_.size());
  for (const auto& [id, data] : pictures_) {
    store->get(id, bytes);
    EXPECT_EQ(as_string_view(bytes.view()), data) << id;
  }
  dataset::DataConfig config = dataset::DataConfig::load((dir_ / "otter" / "data.yaml").string());
  ASSERT_EQ(config.groups.size(), 1u);
  EXPECT_EQ(config.groups[0].datasets[0].name, "CGD");
}

TEST_F(LayoutTest, AFailedRunLeavesTheOutputAsItWas) {
  fs::create_directories(dir_ / "out");
  std::ofstream(dir_ / "out" / "keep") << "x";
  LayoutOptions options;
  options.to = Layout::kHf;
  options.datasets = {{.task = "CGD",
                       .instructions = (dir_ / "CGD_instructions.json").string(),
                       .images = {(dir_ / "no_such_store").string()}}};
  options.out = (dir_ / "out").string();
  options.progress = false;
  EXPECT_THROW(convert_layout(options), Error);
  EXPECT_TRUE(fs::exists(dir_ / "out" / "keep"));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir_)) left.push_back(e.path().filename());
  for (const std::string& name : left) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
}

}  // namespace
}  // namespace mimicit::convert
