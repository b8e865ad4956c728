#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "mimicit/image.h"
#include "mimicit/loader.h"
#include "mimicit/preprocess.h"
#include "test_data.h"

namespace mimicit::loader {
namespace {

namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A smooth pseudo-photo, different per `seed`, as JPEG bytes.
std::vector<uint8_t> jpeg(uint32_t seed, uint32_t width, uint32_t height) {
  image::RgbImage rgb;
  rgb.width = width;
  rgb.height = height;
  rgb.pixels.resize(size_t{width} * height * 3);
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      for (uint32_t c = 0; c < 3; ++c) {
        rgb.pixels[(size_t{y} * width + x) * 3 + c] = static_cast<uint8_t>(x * (c + 1) + y * 2 + seed * 40);
      }
    }
  }
  Buffer out;
  image::encode_jpeg(rgb, out, 90);
  return std::vector<uint8_t>(out.data(), out.data() + out.size());
}

// IMAGE_TEXT: 6 records with images from a folder store (record 2 shows a
// corrupt file, record 4 an id the store lacks); TEXT_ONLY: 2 records.
class DatasetProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir("dataset_producer");
    fs::create_directories(dir_ / "images");
    std::string image_text, text_only;
    for (int i = 0; i < 6; ++i) {
      std::string image_id = "T_IMG_" + std::to_string(i);
      if (i == 4) image_id = "T_IMG_MISSING";
      if (i == 2) {
        write_text(dir_ / "images" / (image_id + ".jpg"), "\xff\xd8\xff not a jpeg");
      } else if (i != 4) {
        std::vector<uint8_t> bytes = jpeg(static_cast<uint32_t>(i), 64 + 8 * i, 48);
        files_[image_id] = bytes;
        std::ofstream(dir_ / "images" / (image_id + ".jpg"), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      }
      image_text += fmt::format(
          R"({}"T_INS_{}": {{"instruction": "What is {}?", "answer": "It is {}.", "image_ids": ["{}"]}})",
          i ? ", " : "", i, i, i, image_id);
    }
    for (int i = 0; i < 2; ++i) {
      text_only +=
          fmt::format(R"({}"L_INS_{}": {{"instruction": "Say {}", "answer": "{}"}})", i ? ", " : "", i, i, i);
    }
    write_text(dir_ / "T.json", R"({"meta": {}, "data": {)" + image_text + "}}");
    write_text(dir_ / "L.json", R"({"meta": {}, "data": {)" + text_only + "}}");
    write_text(
        dir_ / "data.yaml",
        fmt::format("IMAGE_TEXT:\n  T:\n    mimicit_path: {}\n    images_path: {}\n"
                    "TEXT_ONLY:\n  L:\n    mimicit_path: {}\n",
                    (dir_ / "T.json").string(), (dir_ / "images").string(), (dir_ / "L.json").string()));
    options_.sample.image_size = 32;
    options_.stores.save_index = false;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::map<std::string, std::vector<uint8_t>> files_;
  DataOptions options_;
};

TEST_F(DatasetProducerTest, LoadsGroupsAndReportsBadImages) {
  auto producer = DatasetProducer::open((dir_ / "data.yaml").string(), options_);
  ASSERT_EQ(producer->num_groups(), 2u);
  EXPECT_EQ(producer->group_name(0), "IMAGE_TEXT");
  EXPECT_EQ(producer->group_size(0), 6u);
  EXPECT_EQ(producer->group_name(1), "TEXT_ONLY");
  EXPECT_EQ(producer->image_layout(0), (ImageLayout{DType::kFloat32, {3, 32, 32}}));
  EXPECT_EQ(producer->image_layout(1), (ImageLayout{DType::kFloat32, {3, 224, 224}}));

  LoaderOptions options;
  options.order.batch_size = 4;
  options.order.drop_last = false;
  options.order.sampling = Sampling::kWithoutReplacement;
  options.threads = 2;
  Loader loader(producer, options);
  image::PreprocessOptions pre_options;
  pre_options.size = 32;
  image::Preprocessor pre(pre_options);
  std::vector<float> expected(pre.output_size());
  std::set<std::string> seen;
  Batch batch;
  while (loader.next(batch)) {
    for (size_t j = 0; j < batch.samples.size(); ++j) {
      const SampleInfo& s = batch.samples[j];
      seen.insert(s.id);
      ASSERT_EQ(s.num_images, 1u);
      if (batch.group == 1) {
        EXPECT_EQ(s.text, fmt::format("User:Say {} GPT:<answer>{}<|endofchunk|>", s.id.back(), s.id.back()));
        const uint8_t* image = batch.image(j, 0);
        EXPECT_TRUE(std::all_of(image, image + batch.layout.bytes(), [](uint8_t b) { return b == 0; }));
        continue;
      }
      pre.to_chw(files_.at(s.image_ids.at(0)), expected);
      EXPECT_EQ(std::memcmp(batch.image(j, 0), expected.data(), batch.layout.bytes()), 0) << s.id;
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"T_INS_0", "T_INS_1", "T_INS_3", "T_INS_5", "L_INS_0", "L_INS_1"}));
  std::vector<SampleError> errors = loader.errors();
  ASSERT_EQ(errors.size(), 2u);
  std::map<std::string, SampleError> by_id;
  for (const SampleError& e : errors) by_id[e.id] = e;
  EXPECT_EQ(by_id.at("T_INS_2").code, ErrorCode::kCorrupt);
  EXPECT_NE(by_id.at("T_INS_2").message.find("T_IMG_2"), std::string::npos) << by_id.at("T_INS_2").message;
  EXPECT_EQ(by_id.at("T_INS_4").code, ErrorCode::kNotFound);
  EXPECT_NE(by_id.at("T_INS_4").message.find("T_IMG_MISSING"), std::string::npos);

  EXPECT_THROW(load_sample(*producer, 0, 2), Error);
  Batch one = load_sample(*producer, 0, 3);
  EXPECT_EQ(one.samples.at(0).id, "T_INS_3");
}

TEST_F(DatasetProducerTest, PicksGroupsAndChecksOptions) {
  options_.groups = {"TEXT_ONLY"};
  options_.dtype = DType::kUint8;
  auto producer = DatasetProducer::open((dir_ / "data.yaml").string(), options_);
  ASSERT_EQ(producer->num_groups(), 1u);
  EXPECT_EQ(producer->group_name(0), "TEXT_ONLY");
  EXPECT_EQ(producer->image_layout(0), (ImageLayout{DType::kUint8, {224, 224, 3}}));
  options_.groups = {"IMAGE"};
  EXPECT_THROW(DatasetProducer::open((dir_ / "data.yaml").string(), options_), Error);
  options_.groups = {"TEXT_ONLY", "TEXT_ONLY"};
  EXPECT_THROW(DatasetProducer::open((dir_ / "data.yaml").string(), options_), Error);
  options_.groups = {};
  options_.sample.image_size = 0;
  EXPECT_THROW(DatasetProducer::open((dir_ / "data.yaml").string(), options_), Error);
}

// Text-level failures (a record without an answer, an in-context id
// without a record) name the sample's instruction id, as image failures do;
// a wrong-typed record is dropped at open and reported.
TEST_F(DatasetProducerTest, TextFailuresNameTheInstructionId) {
  write_text(
      dir_ / "L.json",
      R"({"data": {"L_INS_0": {"instruction": "Say 0"}, "L_INS_1": {"instruction": "Say 1", "answer": "1"},
    "L_INS_2": {"instruction": ["Say 2"], "answer": "2"}}})");
  write_text(dir_ / "L_train.json", R"({"L_INS_0": [], "L_INS_1": ["L_INS_GONE"]})");
  write_text(dir_ / "text.yaml",
             fmt::format("TEXT_ONLY:\n  L:\n    mimicit_path: {}\n    train_config_path: {}\n",
                         (dir_ / "L.json").string(), (dir_ / "L_train.json").string()));
  auto producer = DatasetProducer::open((dir_ / "text.yaml").string(), options_);
  ASSERT_EQ(producer->group_dataset(0).dropped_count(), 1u);
  EXPECT_EQ(producer->group_dataset(0).dropped_records()[0].id, "L_INS_2");
  LoaderOptions options;
  options.order.batch_size = 2;
  options.order.sampling = Sampling::kWithoutReplacement;
  Loader loader(producer, options);
  Batch batch;
  while (loader.next(batch)) EXPECT_TRUE(batch.samples.empty());
  std::vector<SampleError> errors = loader.errors();
  ASSERT_EQ(errors.size(), 2u);
  std::map<std::string, SampleError> by_id;
  for (const SampleError& e : errors) by_id[e.id] = e;
  EXPECT_NE(by_id.at("L_INS_0").message.find("has no \"answer\""), std::string::npos)
      << by_id.at("L_INS_0").message;
  EXPECT_NE(by_id.at("L_INS_1").message.find("L_INS_GONE"), std::string::npos) << by_id.at("L_INS_1").message;
  try {
    load_sample(*producer, 0, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.message()).find("(id 'L_INS_0')"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace mimicit::loader
