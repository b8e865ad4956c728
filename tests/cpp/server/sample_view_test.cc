// view_sample: the viewer's prompt of an instruction id equals
// GroupDataset::sample_text() of its training entries in every format and
// option (train configs, rel_ins_ids, ids held by several datasets, symbols
// kept or not, TEXT_ONLY, VIDEO_TEXT frames), and fails where it fails.
#include <fstream>

#include <gtest/gtest.h>

#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "server/sample_view.h"
#include "test_data.h"

namespace mimicit::server {
namespace {

using namespace mimicit::dataset;

constexpr InstructionFormat kFormats[] = {InstructionFormat::kSimple, InstructionFormat::kLlama2,
                                          InstructionFormat::kIdefics, InstructionFormat::kFuyu};

class SampleViewTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("server_sample_view"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }

  // Records PREFIX_0 .. PREFIX_{n-1} with symbols, spaces and newlines to
  // clean, `images` image ids each and rel_ins_ids to the previous two.
  void records(const std::string& name, const std::string& prefix, int n, int images) const {
    std::string text = "{\"meta\": {}, \"data\": {";
    for (int i = 0; i < n; ++i) {
      if (i) text += ",";
      std::string ids, rel;
      for (int k = 0; k < images; ++k) ids += fmt::format("{}\"{}_IMG_{}_{}\"", k ? "," : "", prefix, i, k);
      for (int r = std::max(0, i - 2); r < i; ++r)
        rel += fmt::format("{}\"{}_{}\"", r > std::max(0, i - 2) ? "," : "", prefix, r);
      text += fmt::format(
          "\"{0}_{1}\": {{\"instruction\": \"  Q{1}:  what's #{1}?\\n\\n(really) \", "
          "\"answer\": \"\\n A{1}  -- fine!\\r\\n\", \"image_ids\": [{2}], \"rel_ins_ids\": [{3}]}}",
          prefix, i, ids, rel);
    }
    write(name, text + "}}");
  }

  DataConfig config(const std::string& yaml) const {
    return DataConfig::parse(yaml, "d.yaml", {.base_dir = dir_.string()});
  }

  // Every training entry of `group`, in every format: the viewer's prompt
  // is sample_text's, or both fail.
  void expect_same_prompts(const std::string& yaml, Group group, SampleOptions options) const {
    options.parse.threads = 2;
    const DataConfig data = config(yaml);
    for (InstructionFormat format : kFormats) {
      options.instruction_format = format;
      const auto dataset = GroupDataset::open(data, group, options);
      ASSERT_GT(dataset->size(), 0u);
      for (uint64_t i = 0; i < dataset->size(); ++i) {
        const std::string id(dataset->training_id(i));
        const SampleView view = view_sample(*dataset, id, format);
        SCOPED_TRACE(
            fmt::format("{} entry {} ({}), {}", group_name(group), i, id, instruction_format_name(format)));
        try {
          const SampleText sample = dataset->sample_text(i);
          EXPECT_EQ(view.prompt_error, "");
          EXPECT_EQ(view.prompt, sample.full_text);
          EXPECT_EQ(view.images, sample.image_ids);
        } catch (const Error& e) {
          EXPECT_NE(view.prompt_error, "") << "sample_text failed: " << e.message();
          EXPECT_EQ(view.prompt, "");
        }
      }
    }
  }

  std::filesystem::path dir_;
};

TEST_F(SampleViewTest, PromptsMatchSampleTextInEveryFormat) {
  records("a.json", "A", 6, 2);
  write("a_train.json", R"({"A_5": ["A_0", "A_3"], "A_2": [], "A_4": ["A_1"]})");
  for (Group group : {Group::kImageText, Group::kImageTextInContext, Group::kTextOnly}) {
    const std::string name = group_name(group);
    for (bool keep_symbols : {false, true}) {
      SampleOptions options;
      options.keep_symbols = keep_symbols;
      expect_same_prompts(name + ":\n  A: {mimicit_path: a.json}\n", group, options);
      expect_same_prompts(name + ":\n  A: {mimicit_path: a.json, train_config_path: a_train.json}\n", group,
                          options);
      options.populate_rel_ins = true;
      expect_same_prompts(name + ":\n  A: {mimicit_path: a.json, num_samples: 9}\n", group, options);
    }
  }
}

TEST_F(SampleViewTest, VideoFramesAreThoseOfTheSample) {
  records("v.json", "V", 3, 11);
  SampleOptions options;
  options.resample_frames = 4;
  expect_same_prompts("VIDEO_TEXT:\n  V: {mimicit_path: v.json}\n", Group::kVideoText, options);
  const auto group =
      GroupDataset::open(config("VIDEO_TEXT:\n  V: {mimicit_path: v.json}\n"), Group::kVideoText, options);
  const SampleView view = view_sample(*group, "V_1", InstructionFormat::kSimple);
  EXPECT_EQ(view.images, (std::vector<std::string>{"V_IMG_1_0", "V_IMG_1_3", "V_IMG_1_6", "V_IMG_1_10"}));
  EXPECT_EQ(view.record.image_ids.size(), 11u);
}

TEST_F(SampleViewTest, LaterDatasetsWinAsInSampleText) {
  // B replaces A's X_1 record and holds X_1 as a key too: its in-context
  // list (rel_ins_ids) is used for A's entry of X_1 as well.
  records("a.json", "X", 4, 1);
  write("b.json", R"({"data": {"X_1": {"instruction": "new?", "answer": "B", "rel_ins_ids": ["X_3", "X_0"]},
                               "Y_0": {"instruction": "y", "answer": "y", "image_ids": ["Y_IMG"]}}})");
  write("c_train.json", R"({"X_2": ["Y_0"], "Y_0": ["X_1"]})");
  SampleOptions options;
  options.populate_rel_ins = true;
  for (Group group : {Group::kImageText, Group::kImageTextInContext}) {
    const std::string yaml = std::string(group_name(group)) +
                             ":\n  A: {mimicit_path: a.json}\n  B: {mimicit_path: b.json}\n"
                             "  C: {mimicit_path: b.json, train_config_path: c_train.json}\n";
    expect_same_prompts(yaml, group, options);
  }
  const auto group =
      GroupDataset::open(config("IMAGE_TEXT:\n  A: {mimicit_path: a.json}\n  B: {mimicit_path: b.json}\n"),
                         Group::kImageText, options);
  const SampleView view = view_sample(*group, "X_1", InstructionFormat::kSimple);
  ASSERT_EQ(view.turns.size(), 3u);
  EXPECT_EQ(view.turns[0].id, "X_3");
  EXPECT_EQ(view.turns[1].id, "X_0");
  EXPECT_EQ(view.record.instruction, "new?");
  EXPECT_EQ(*view.key_dataset, 1u);
}

TEST_F(SampleViewTest, MissingRecordsAreNamed) {
  records("a.json", "A", 2, 1);
  write("t.json", R"({"A_0": ["GHOST"], "NOPE": []})");
  write("n.json", R"({"data": {"N_0": {"instruction": "only a question"}}})");
  SampleOptions options;
  expect_same_prompts("IMAGE_TEXT:\n  A: {mimicit_path: a.json, train_config_path: t.json}\n",
                      Group::kImageText, options);
  const auto group =
      GroupDataset::open(config("IMAGE_TEXT:\n  A: {mimicit_path: a.json, train_config_path: t.json}\n"
                                "  N: {mimicit_path: n.json}\n"),
                         Group::kImageText, options);
  SampleView view = view_sample(*group, "A_0", InstructionFormat::kSimple);
  EXPECT_EQ(view.prompt_error, "group IMAGE_TEXT: in-context id 'GHOST' of 'A_0' has no instruction record");
  ASSERT_EQ(view.turns.size(), 2u);
  EXPECT_FALSE(view.turns[0].found);
  EXPECT_TRUE(view.turns[1].found);
  view = view_sample(*group, "NOPE", InstructionFormat::kSimple);
  EXPECT_EQ(view.prompt_error, "group IMAGE_TEXT: 'NOPE' has no instruction record");
  EXPECT_FALSE(view.record_dataset.has_value());
  EXPECT_TRUE(view.key_dataset.has_value());
  view = view_sample(*group, "N_0", InstructionFormat::kSimple);
  EXPECT_EQ(view.prompt_error, "group IMAGE_TEXT: record 'N_0' has no \"answer\"");
  EXPECT_EQ(view.record.instruction, "only a question");
  // A record that is no training key (A_1 is not in t.json) still shows.
  view = view_sample(*group, "A_1", InstructionFormat::kSimple);
  EXPECT_FALSE(view.key_dataset.has_value());
  EXPECT_EQ(view.prompt_error, "");
  EXPECT_EQ(view.turns.size(), 1u);
}

}  // namespace
}  // namespace mimicit::server
