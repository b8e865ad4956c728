// GroupDataset: resampled training lists, sample text across datasets
// (later records win, in-context lists from train configs and rel_ins_ids),
// task descriptions, image ids and shapes per group, errors, and samples
// taken from many threads at once.
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "dataset/sample_lines.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "test_data.h"

namespace mimicit::dataset {
namespace {

class GroupDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("group_dataset"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }

  // Records PREFIX_0 .. PREFIX_{n-1}: "q<i>" / "a<i>", images per `images`.
  void records(const std::string& name, const std::string& prefix, int n, int images,
               const std::string& extra = "") const {
    std::string text = "{\"meta\": {}, \"data\": {";
    for (int i = 0; i < n; ++i) {
      if (i) text += ",";
      std::string ids;
      for (int k = 0; k < images; ++k) ids += fmt::format("{}\"{}_IMG_{}_{}\"", k ? "," : "", prefix, i, k);
      text += fmt::format(
          "\"{}_{}\": {{\"instruction\": \" q{}? #\", \"answer\": \"a{}\", \"image_ids\": [{}]{}}}", prefix,
          i, i, i, ids, extra);
    }
    write(name, text + "}}");
  }

  std::shared_ptr<const GroupDataset> open(const std::string& yaml, Group group,
                                           SampleOptions options = {}) const {
    options.parse.threads = 2;
    return GroupDataset::open(DataConfig::parse(yaml, "d.yaml", {.base_dir = dir_.string()}), group, options);
  }

  std::filesystem::path dir_;
};

TEST_F(GroupDatasetTest, TrainingListIsResampledPerDataset) {
  records("a.json", "A", 10, 1);
  records("b.json", "B", 40, 1);
  records("c.json", "C", 3, 1);
  const auto group = open(
      "IMAGE_TEXT:\n  DA: {mimicit_path: a.json}\n  DB: {mimicit_path: b.json, num_samples: 4}\n"
      "  DC: {mimicit_path: c.json, num_samples: 7}\n",
      Group::kImageText);
  ASSERT_EQ(group->size(), 10u + 4u + 7u);
  EXPECT_EQ(group->training_id(0), "A_0");
  EXPECT_EQ(group->training_id(9), "A_9");
  // random.seed(0); random.sample(range(40), 4) == [24, 26, 2, 16]
  EXPECT_EQ(group->training_id(10), "B_24");
  EXPECT_EQ(group->training_id(13), "B_16");
  // [C_0, C_1, C_2] * 2 + random.choices(..., k=1) after seed(0) == [C_2]
  EXPECT_EQ(group->training_id(14), "C_0");
  EXPECT_EQ(group->training_id(19), "C_2");
  EXPECT_EQ(group->training_id(20), "C_2");
  EXPECT_EQ(group->training_dataset(20), 2u);
  EXPECT_EQ(group->datasets()[1].training_begin, 10u);
  EXPECT_THROW(group->training_id(21), Error);
}

TEST_F(GroupDatasetTest, SampleTextAndShapes) {
  records("a.json", "A", 3, 2);
  write("a_train.json", R"({"A_2": ["A_0", "A_1"], "A_0": []})");
  const std::string yaml =
      "IMAGE_TEXT_IN_CONTEXT:\n  D: {mimicit_path: a.json, train_config_path: a_train.json, "
      "task_description: [first, second]}\n";
  SampleOptions options;
  options.with_task_description = true;
  const auto group = open(yaml, Group::kImageTextInContext, options);
  ASSERT_EQ(group->size(), 2u);
  const SampleText s = group->sample_text(0);
  EXPECT_EQ(s.id, "A_2");
  EXPECT_EQ(s.dataset, "D");
  // random.seed(int(hash((42, 0)) % 1e6)); random.choice(["first", "second"]) == "second"
  EXPECT_EQ(s.full_text,
            "second\n<image>User:q0? GPT:<answer>a0<|endofchunk|><image>User:q1? GPT:<answer>a1<|endofchunk|>"
            "<image>User:q2? GPT:<answer>a2<|endofchunk|>");
  EXPECT_EQ(s.image_ids, (std::vector<std::string>{"A_IMG_2_0", "A_IMG_2_1"}));
  EXPECT_EQ(s.image_shape, (std::vector<int64_t>{1, 2, 3, 224, 224}));

  SampleOptions video;
  video.resample_frames = 4;
  video.image_size = 336;
  video.instruction_format = InstructionFormat::kLlama2;
  records("v.json", "V", 1, 10);
  const SampleText v =
      open("VIDEO_TEXT:\n  V: {mimicit_path: v.json}\n", Group::kVideoText, video)->sample_text(0);
  EXPECT_EQ(v.image_ids, (std::vector<std::string>{"V_IMG_0_0", "V_IMG_0_3", "V_IMG_0_6", "V_IMG_0_9"}));
  EXPECT_EQ(v.image_shape, (std::vector<int64_t>{1, 4, 3, 336, 336}));
  EXPECT_EQ(v.full_text, "[INST]<image>\nq0?[/INST]<answer>a0<|endofchunk|>");

  const SampleText t = open("TEXT_ONLY:\n  T: {mimicit_path: a.json}\n", Group::kTextOnly)->sample_text(1);
  EXPECT_TRUE(t.image_ids.empty());
  EXPECT_EQ(t.image_shape, (std::vector<int64_t>{1, 1, 3, 224, 224}));
  EXPECT_EQ(t.full_text, "User:q1? GPT:<answer>a1<|endofchunk|>");

  records("e.json", "E", 1, 0);
  const SampleText e = open("IMAGE_TEXT:\n  E: {mimicit_path: e.json}\n", Group::kImageText)->sample_text(0);
  EXPECT_EQ(e.image_shape, (std::vector<int64_t>{1, 0}));
  EXPECT_THROW(open("VIDEO_TEXT:\n  E: {mimicit_path: e.json}\n", Group::kVideoText)->sample_text(0), Error);
}

TEST_F(GroupDatasetTest, LaterDatasetsWinAndAreReported) {
  records("a.json", "X", 3, 1);
  write("b.json", R"({"data": {"X_1": {"instruction": "new", "answer": "B", "rel_ins_ids": ["X_0"]}}})");
  const std::string yaml =
      "IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: a.json}\n"
      "  B: {mimicit_path: b.json, images_path: [a.json, b.json]}\n";
  SampleOptions options;
  options.populate_rel_ins = true;
  options.instruction_format = InstructionFormat::kFuyu;
  const auto group = open(yaml, Group::kImageText, options);
  ASSERT_EQ(group->size(), 4u);
  // A's entry X_1 reads B's record and B's rel_ins_ids (the merged train config).
  EXPECT_EQ(group->sample_text(1).full_text, "User:q0? Assistant:\x04 a0User:new Assistant:\x04 B");
  EXPECT_EQ(group->sample_text(3).full_text, group->sample_text(1).full_text);
  ASSERT_EQ(group->replaced_records().size(), 1u);
  EXPECT_EQ(group->replaced_records()[0].id, "X_1");
  EXPECT_EQ(group->replaced_records()[0].replaced_dataset, 0u);
  EXPECT_EQ(group->replaced_records()[0].kept_dataset, 1u);
  EXPECT_EQ(group->images_paths(),
            (std::vector<std::string>{(dir_ / "a.json").string(), (dir_ / "b.json").string()}));
  EXPECT_EQ(group->find_record("X_1")->dataset, 1u);
  EXPECT_EQ(group->find_record("X_2")->dataset, 0u);
  EXPECT_FALSE(group->find_record("X_9").has_value());
}

TEST_F(GroupDatasetTest, MissingIdsFailNamingThem) {
  records("a.json", "A", 2, 1);
  write("t.json", R"({"A_0": ["GHOST"], "NOPE": []})");
  const auto group =
      open("IMAGE_TEXT:\n  A: {mimicit_path: a.json, train_config_path: t.json}\n", Group::kImageText);
  try {
    group->sample_text(0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_EQ(e.message(), "group IMAGE_TEXT: in-context id 'GHOST' of 'A_0' has no instruction record");
  }
  try {
    group->sample_text(1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "group IMAGE_TEXT: training id 'NOPE' has no instruction record");
  }
  write("z.json", R"({"data": {}})");
  try {
    open("TEXT_ONLY:\n  Z: {mimicit_path: z.json, num_samples: 5}\n", Group::kTextOnly);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "group TEXT_ONLY, dataset Z: num_samples is 5 but there are no instructions to draw from");
  }
  EXPECT_THROW(open("TEXT_ONLY:\n  Z: {mimicit_path: z.json}\n", Group::kImageText), Error);
}

TEST_F(GroupDatasetTest, ConcurrentSamples) {
  records("a.json", "A", 500, 2, ", \"rel_ins_ids\": [\"A_0\", \"A_1\"]");
  SampleOptions options;
  options.populate_rel_ins = true;
  const auto group =
      open("IMAGE_TEXT:\n  A: {mimicit_path: a.json, num_samples: 1300}\n", Group::kImageText, options);
  std::vector<std::string> expected;
  for (uint64_t i = 0; i < group->size(); ++i) expected.push_back(group->sample_text(i).full_text);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      SampleText s;
      for (uint64_t i = static_cast<uint64_t>(t); i < group->size(); i += 3) {
        group->sample_text(i, &s);
        if (s.full_text != expected[i] || s.image_ids.size() != 2) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// write_sample_lines (`mimicit sample`): one compact JSON object a line,
// groups in YAML order, the limit counted across groups.
TEST_F(GroupDatasetTest, SampleLines) {
  records("a.json", "A", 2, 1);
  records("t.json", "T", 2, 0);
  const DataConfig config =
      DataConfig::parse("TEXT_ONLY:\n  T: {mimicit_path: t.json}\nIMAGE_TEXT:\n  D: {mimicit_path: a.json}\n",
                        "d.yaml", {.base_dir = dir_.string()});
  auto lines = [&](SampleLinesOptions options) {
    std::ostringstream out;
    write_sample_lines(config, options, out);
    return out.str();
  };
  EXPECT_EQ(lines({.limit = 3}),
            "{\"id\":\"T_0\",\"group\":\"TEXT_ONLY\",\"dataset\":\"T\",\"full_text\":\"User:q0? "
            "GPT:<answer>a0<|endofchunk|>\",\"image_ids\":[]}\n"
            "{\"id\":\"T_1\",\"group\":\"TEXT_ONLY\",\"dataset\":\"T\",\"full_text\":\"User:q1? "
            "GPT:<answer>a1<|endofchunk|>\",\"image_ids\":[]}\n"
            "{\"id\":\"A_0\",\"group\":\"IMAGE_TEXT\",\"dataset\":\"D\",\"full_text\":\"<image>User:q0? "
            "GPT:<answer>a0<|endofchunk|>\",\"image_ids\":[\"A_IMG_0_0\"]}\n");
  EXPECT_EQ(lines({.group = Group::kImageText, .limit = 0}), "");
  try {
    lines({.group = Group::kVideoText});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message(), "d.yaml: no group VIDEO_TEXT in the data YAML");
  }
}

// Bad records never stop the rest: a record with a field the group's
// samples read of the wrong type is dropped (the group is then the group of
// a file without it), one whose wrong field nothing reads is kept (as the
// reference trains on it); every good sample is written and the bad ones
// reported.
TEST_F(GroupDatasetTest, WrongTypedRecordsAreDroppedWhereTheFieldIsRead) {
  write("bad.json", R"({"data": {"X_0": {"instruction": 7, "answer": "a"},
    "X_1": {"instruction": "q1", "answer": "a1", "image_ids": ["I1"]},
    "X_2": {"instruction": "q2", "answer": "a2", "image_ids": "I2", "rel_ins_ids": 5},
    "X_3": {"instruction": "q3", "answer": "a3", "image_ids": ["I3"], "rel_ins_ids": ["X_1"]},
    "X_4": {"instruction": "no answer"}}})");
  write("good.json", R"({"data": {
    "X_1": {"instruction": "q1", "answer": "a1", "image_ids": ["I1"]},
    "X_3": {"instruction": "q3", "answer": "a3", "image_ids": ["I3"], "rel_ins_ids": ["X_1"]},
    "X_4": {"instruction": "no answer"}}})");
  auto texts = [&](const std::shared_ptr<const GroupDataset>& group) {
    std::vector<std::string> out;
    for (uint64_t i = 0; i < group->size(); ++i) {
      try {
        out.push_back(group->sample_text(i).full_text);
      } catch (const Error&) {
        out.push_back("failed: " + std::string(group->training_id(i)));
      }
    }
    return out;
  };
  SampleOptions populate;
  populate.populate_rel_ins = true;
  for (const SampleOptions& options : {SampleOptions(), populate}) {
    const auto bad =
        open("IMAGE_TEXT:\n  D: {mimicit_path: bad.json, num_samples: 2}\n", Group::kImageText, options);
    const auto good =
        open("IMAGE_TEXT:\n  D: {mimicit_path: good.json, num_samples: 2}\n", Group::kImageText, options);
    ASSERT_EQ(bad->size(), good->size());
    for (uint64_t i = 0; i < bad->size(); ++i) EXPECT_EQ(bad->training_id(i), good->training_id(i));
    EXPECT_EQ(texts(bad), texts(good));
    ASSERT_EQ(bad->dropped_count(), 2u);
    EXPECT_EQ(bad->dropped_records()[0].id, "X_0");
    EXPECT_EQ(bad->dropped_records()[0].field, "instruction");
    EXPECT_EQ(bad->dropped_records()[1].id, "X_2");
    EXPECT_EQ(bad->dropped_records()[1].field, "image_ids");
  }
  // TEXT_ONLY reads no image_ids, and rel_ins_ids only when populating.
  const auto text_only = open("TEXT_ONLY:\n  D: {mimicit_path: bad.json}\n", Group::kTextOnly);
  EXPECT_EQ(text_only->size(), 4u);
  EXPECT_EQ(text_only->dropped_count(), 1u);
  EXPECT_EQ(text_only->sample_text(1).full_text, "User:q2 GPT:<answer>a2<|endofchunk|>");
  const auto text_populated = open("TEXT_ONLY:\n  D: {mimicit_path: bad.json}\n", Group::kTextOnly, populate);
  EXPECT_EQ(text_populated->size(), 3u);
  ASSERT_EQ(text_populated->dropped_count(), 2u);
  EXPECT_EQ(text_populated->dropped_records()[1].field, "rel_ins_ids");

  // `mimicit sample`: every good line, the bad ones reported and counted.
  const DataConfig config = DataConfig::parse("IMAGE_TEXT:\n  D: {mimicit_path: bad.json}\n", "d.yaml",
                                              {.base_dir = dir_.string()});
  std::ostringstream out;
  std::vector<std::string> problems;
  const SampleLinesReport report =
      write_sample_lines(config, {}, out, [&](const std::string& problem) { problems.push_back(problem); });
  EXPECT_EQ(report.lines, 2u);
  EXPECT_EQ(report.dropped, 2u);
  EXPECT_EQ(report.failed, 1u);
  EXPECT_FALSE(report.clean());
  EXPECT_EQ(out.str(),
            "{\"id\":\"X_1\",\"group\":\"IMAGE_TEXT\",\"dataset\":\"D\",\"full_text\":\"<image>User:q1 "
            "GPT:<answer>a1<|endofchunk|>\",\"image_ids\":[\"I1\"]}\n"
            "{\"id\":\"X_3\",\"group\":\"IMAGE_TEXT\",\"dataset\":\"D\",\"full_text\":\"<image>User:q3 "
            "GPT:<answer>a3<|endofchunk|>\",\"image_ids\":[\"I3\"]}\n");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_TRUE(
      problems[0].starts_with("dropped record: " + (dir_ / "bad.json").string() +
                              ": byte offset 17 (line 1): record 'X_0': field 'instruction' is a number"))
      << problems[0];
  EXPECT_TRUE(problems[2].starts_with("group IMAGE_TEXT, sample 2 (id 'X_4'): ")) << problems[2];
}

}  // namespace
}  // namespace mimicit::dataset
