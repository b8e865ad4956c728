// validate_data: each check on a small generated dataset (YAML structure,
// files, instruction and related ids, texts, images, the decode pass),
// problems placed on the first instruction using an image, the listing cap,
// the report order whatever the thread count, and the two renderings.
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/prompt.h"
#include "mimicit/validate.h"
#include "test_data.h"
#include "validate/validate_internal.h"

namespace mimicit::validate {
namespace {

namespace fs = std::filesystem;

// (kind, group, dataset, id, image id): what the tests compare.
using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;

std::set<Key> keys(const Report& report) {
  std::set<Key> out;
  for (const Problem& p : report.problems)
    out.emplace(kind_name(p.kind), p.group, p.dataset, p.id, p.image_id);
  return out;
}

const Problem* find(const Report& report, Kind kind) {
  for (const Problem& p : report.problems) {
    if (p.kind == kind) return &p;
  }
  return nullptr;
}

std::string png_base64(uint32_t width, uint32_t height) {
  image::RgbImage rgb;
  rgb.width = width;
  rgb.height = height;
  rgb.pixels.assign(size_t{width} * height * 3, 0);
  for (size_t i = 0; i < rgb.pixels.size(); ++i) rgb.pixels[i] = static_cast<uint8_t>(i * 7);
  Buffer png;
  image::encode_png(rgb, png);
  return base64_encode(png.view());
}

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("validate"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name) << text; }

  // {"meta": {}, "data": {<records>}}: records are "id": {...} members.
  void instructions(const std::string& name, const std::string& records) const {
    write(name, "{\"meta\": {}, \"data\": {" + records + "}}");
  }
  // An images.json store of valid 16x16 PNGs, plus `extra` members.
  void images(const std::string& name, const std::vector<std::string>& ids,
              const std::string& extra = "") const {
    std::string text = "{";
    for (const std::string& id : ids)
      text += fmt::format("{}\"{}\": \"{}\"", text.size() > 1 ? "," : "", id, png_base64(16, 16));
    if (!extra.empty()) text += (text.size() > 1 ? "," : "") + extra;
    write(name, text + "}");
  }

  Report run(const std::string& yaml, Options options = {}) const {
    write("data.yaml", yaml);
    options.base_dir = dir_.string();
    if (options.threads == 0) options.threads = 2;
    return validate_data(path("data.yaml"), options);
  }

  fs::path dir_;
};

std::string record(const std::string& id, const std::string& images, const std::string& rel = "",
                   const std::string& question = "What is it?", const std::string& answer = "A cat.") {
  return fmt::format(
      "\"{}\": {{\"instruction\": \"{}\", \"answer\": \"{}\", \"image_ids\": [{}], \"rel_ins_ids\": [{}]}}",
      id, question, answer, images, rel);
}

TEST(ValidateKindsTest, NamesRoundTripAndOrderIsByName) {
  for (Kind kind : kAllKinds) EXPECT_EQ(parse_kind(kind_name(kind)), kind);
  EXPECT_FALSE(parse_kind("nope"));
  EXPECT_NE(kinds_help().find("tiny_image"), std::string::npos);
  Problem a{Kind::kTinyImage, "A"}, b{Kind::kBadConfig, "Z"};
  EXPECT_TRUE(b < a);  // "bad_config" < "tiny_image", whatever the group
  Problem c{Kind::kBadConfig, "Z", "d", "1"}, d{Kind::kBadConfig, "Z", "d", "2"};
  EXPECT_TRUE(c < d);
  EXPECT_FALSE(d < c);
}

TEST(ValidateCollectorTest, ListsTheFirstCapPerDatasetAndCountsAll) {
  internal::Collector collector(3);
  for (int i = 99; i >= 0; --i) {
    collector.add(
        internal::make_problem(Kind::kMissingImage, "G", "D", fmt::format("{:02}", i), "", "", "x"));
  }
  internal::Collector other(3);
  other.add(internal::make_problem(Kind::kMissingImage, "G", "E", "7", "", "", "x"));
  for (int i = 0; i < 10; ++i)
    other.add(internal::make_problem(Kind::kMissingImage, "G", "D", "!", "", "", "x"));
  collector.merge(std::move(other));
  collector.count_omitted(Kind::kTinyImage, 5);
  Summary summary;
  const std::vector<Problem> problems = collector.finish(summary);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].id, "!");
  EXPECT_EQ(problems[1].id, "!");
  EXPECT_EQ(problems[2].id, "!");
  EXPECT_EQ(problems[3].dataset, "E");
  EXPECT_EQ(summary.count(Kind::kMissingImage), 111u);
  EXPECT_EQ(summary.count(Kind::kTinyImage), 5u);
  EXPECT_EQ(summary.problems, 116u);
  EXPECT_EQ(summary.omitted, 112u);
}

TEST_F(ValidateTest, CleanDatasetHasNoProblems) {
  images("img.json", {"I0", "I1"});
  instructions("a.json", record("A0", "\"I0\"", "\"A1\"") + "," + record("A1", "\"I1\", \"I0\"", "\"A0\""));
  instructions("t.json", record("T0", "") + "," + record("T1", "\"whatever\""));
  write("a_train.json", "{\"A0\": [\"A1\"], \"A1\": []}");
  const Report report =
      run("IMAGE_TEXT:\n  A:\n    mimicit_path: a.json\n    images_path: img.json\n    train_config_path: "
          "a_train.json\n"
          "    num_samples: 5\n    task_description: [x, y]\n"
          "TEXT_ONLY:\n  T: {mimicit_path: t.json}\n",
          {.decode = true});
  EXPECT_TRUE(report.clean()) << (report.problems.empty() ? "" : report.problems[0].detail);
  EXPECT_TRUE(report.summary.notes.empty());
  EXPECT_EQ(report.summary.groups, 2u);
  EXPECT_EQ(report.summary.datasets, 2u);
  EXPECT_EQ(report.summary.records, 4u);
  EXPECT_EQ(report.summary.image_refs, 3u);  // TEXT_ONLY image ids are not used
  EXPECT_EQ(report.summary.images, 2u);
  EXPECT_EQ(report.summary.images_decoded, 2u);
  EXPECT_NE(report_text(report, "data.yaml").find("data.yaml: no problems"), std::string::npos);
}

TEST_F(ValidateTest, YamlThatCannotBeReadThrows) {
  try {
    validate_data(path("absent.yaml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIo);
    EXPECT_NE(e.message().find("absent.yaml"), std::string::npos);
  }
  EXPECT_THROW(validate_data(dir_.string()), Error);  // a folder
  write("x.yaml", "");
  EXPECT_THROW(validate_data(path("x.yaml"), {.threads = -1}), Error);
}

TEST_F(ValidateTest, YamlSyntaxErrorIsABadFileWithLineAndColumn) {
  const Report report = run("IMAGE_TEXT:\n  A: {mimicit_path: [a\n");
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, Kind::kBadFile);
  EXPECT_EQ(report.problems[0].file, path("data.yaml"));
  EXPECT_NE(report.problems[0].detail.find("line 3, column"), std::string::npos) << report.problems[0].detail;
}

TEST_F(ValidateTest, EmptyOrNonMappingDocumentIsABadConfig) {
  for (const char* yaml : {"", "# nothing\n", "- a\n- b\n"}) {
    const Report report = run(yaml);
    ASSERT_EQ(report.problems.size(), 1u) << yaml;
    EXPECT_EQ(report.problems[0].kind, Kind::kBadConfig);
  }
}

TEST_F(ValidateTest, EveryConfigProblemIsReportedAndTheRestStillChecked) {
  images("img.json", {"I0"});
  instructions("a.json", record("A0", "\"I0\""));
  instructions("b.json", record("B0", "\"NOPE\""));
  const Report report = run(
      "IMAGE_TXT:\n  X: {mimicit_path: a.json}\n"  // unknown group
      "IMAGE_TEXT:\n"
      "  A:\n    mimicit_path: a.json\n    images_path: img.json\n    num_samples: [1]\n"      // wrong type
      "  B:\n    mimicit_path: b.json\n    images_path: img.json\n    imges_path: img.json\n"  // unknown key
      "    extra_path: gone.json\n"                                  // unknown *_path, missing
      "  C:\n    images_path: img.json\n"                            // no mimicit_path
      "  D:\n    mimicit_path: a.json\n"                             // image group without images_path
      "  D:\n    mimicit_path: a.json\n    images_path: img.json\n"  // repeated dataset
      "TEXT_ONLY: [a]\n");                                           // not a mapping
  const std::set<Key> expected = {
      {"bad_config", "IMAGE_TXT", "", "", ""},   {"bad_config", "IMAGE_TEXT", "A", "", ""},
      {"bad_config", "IMAGE_TEXT", "B", "", ""}, {"missing_file", "IMAGE_TEXT", "B", "", ""},
      {"bad_config", "IMAGE_TEXT", "C", "", ""}, {"bad_config", "IMAGE_TEXT", "D", "", ""},
      {"bad_config", "TEXT_ONLY", "", "", ""},
  };
  EXPECT_EQ(keys(report), expected);
  EXPECT_EQ(report.summary.count(Kind::kBadConfig), 8u);  // B: 2 unknown keys; D: no images_path, repeated
  std::set<std::string> details;
  for (const Problem& p : report.problems) details.insert(p.detail);
  auto has = [&](const std::string& part) {
    return std::any_of(details.begin(), details.end(),
                       [&](const std::string& d) { return d.find(part) != std::string::npos; });
  };
  EXPECT_TRUE(has("unknown group 'IMAGE_TXT' (line 1)"));
  EXPECT_TRUE(has("num_samples is a list (line 7)"));  // DataConfig's message, the original line
  EXPECT_TRUE(has("unknown key 'imges_path' (line 11)"));
  EXPECT_TRUE(has("missing required key 'mimicit_path'"));
  EXPECT_TRUE(has("no images_path (line 15)"));
  EXPECT_TRUE(has("dataset D appears twice in group IMAGE_TEXT (lines 15 and 17)"));
  EXPECT_TRUE(has("extra_path"));
  // A and C are dropped, so the group's ids and stores are not all known:
  // neither missing_related nor missing_image are checked (B0's NOPE).
  EXPECT_EQ(report.summary.datasets, 2u);  // B, D (the later one)
  EXPECT_EQ(report.summary.count(Kind::kMissingImage), 0u);
  EXPECT_FALSE(report.summary.notes.empty());
}

TEST_F(ValidateTest, FlowStyleGroupsAreCheckedPerDataset) {
  instructions("t.json", record("T0", ""));
  const Report report =
      run("{TEXT_ONLY: {A: {mimicit_path: t.json, num_samples: x}, B: {mimicit_path: t.json, z: 1}}}\n");
  EXPECT_EQ(keys(report), (std::set<Key>{{"bad_config", "TEXT_ONLY", "A", "", ""},
                                         {"bad_config", "TEXT_ONLY", "B", "", ""}}));
}

TEST_F(ValidateTest, AliasesOfAnchorsInOtherDatasetsAreResolved) {
  instructions("t.json", record("T0", ""));
  const Report report =
      run("TEXT_ONLY:\n  T: &x\n    mimicit_path: t.json\n  U: *x\n  V:\n    mimicit_path: t.json\n    "
          "num_samples: *x\n");
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].dataset, "V");
  EXPECT_NE(
      report.problems[0].detail.find("(re-emitted): group TEXT_ONLY, dataset V: num_samples is a mapping"),
      std::string::npos)
      << report.problems[0].detail;
  EXPECT_EQ(report.summary.datasets, 2u);
}

TEST_F(ValidateTest, MissingAndBadFiles) {
  images("img.json", {"I0"});
  write("broken.json", "{\"meta\": {}, \"data\": {\"A0\": {\"instruction\": tru}}}");
  write("bad_store.json", "[1, 2]");
  instructions("v.json", record("V0", "\"I0\""));
  const Report report =
      run("IMAGE_TEXT:\n  A: {mimicit_path: broken.json, images_path: img.json}\n"
          "  M: {mimicit_path: missing.json, images_path: img.json}\n"
          "VIDEO_TEXT:\n  V: {mimicit_path: v.json, images_path: bad_store.json}\n"
          "  W: {mimicit_path: v.json, images_path: gone.parquet}\n");
  EXPECT_EQ(keys(report), (std::set<Key>{{"bad_file", "IMAGE_TEXT", "A", "", ""},
                                         {"missing_file", "IMAGE_TEXT", "M", "", ""},
                                         {"bad_file", "VIDEO_TEXT", "V", "", ""},
                                         {"missing_file", "VIDEO_TEXT", "W", "", ""}}));
  const Problem* bad = find(report, Kind::kBadFile);
  EXPECT_EQ(bad->file, path("broken.json"));
  EXPECT_NE(bad->detail.find("offset"), std::string::npos) << bad->detail;
  // V's records are checked, but not against a store that cannot be read.
  EXPECT_EQ(report.summary.records, 1u);
  EXPECT_EQ(report.summary.notes.size(), 2u);  // IMAGE_TEXT related ids, VIDEO_TEXT images
}

// A record of the wrong shape is dropped (a training run never sees it)
// and listed as bad_record with its file, id and byte offset; the rest of
// the file is checked.
TEST_F(ValidateTest, WrongTypedRecordsAreBadRecords) {
  images("img.json", {"I0"});
  write("a.json",
        "{\"data\": {\"A0\": {\"instruction\": 1, \"answer\": \"a\"}, \"A1\": [], "
        "\"A2\": {\"instruction\": \"q\", \"answer\": \"a\", \"image_ids\": [\"I0\", \"GONE\"]}}}");
  const Report report = run("IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json}\n");
  EXPECT_EQ(keys(report), (std::set<Key>{{"bad_record", "IMAGE_TEXT", "A", "A0", ""},
                                         {"bad_record", "IMAGE_TEXT", "A", "A1", ""},
                                         {"missing_image", "IMAGE_TEXT", "A", "A2", "GONE"}}));
  const Problem* bad = find(report, Kind::kBadRecord);
  EXPECT_EQ(bad->file, path("a.json"));
  EXPECT_EQ(bad->detail,
            "byte offset 16 (line 1): record 'A0': field 'instruction' is a number, expected a string; the "
            "record is "
            "dropped");
  EXPECT_EQ(report.summary.records, 1u);
}

TEST_F(ValidateTest, RecordChecks) {
  images("img.json", {"I0", "I1"});
  instructions("a.json", record("A0", "\"I0\", \"GONE\"", "\"A1\", \"NOPE\"") + "," +
                             record("A1", "", "", "What?", "$$$ ###") + "," +
                             record("A2", "\"I1\"", "", "  @@  ", "ok") + "," +
                             "\"A3\": {\"answer\": \"x\", \"image_ids\": [\"I1\"]}," +
                             record("A4", "\"I1\"") + "," + record("A4", "\"I1\""));
  write("a_train.json", "{\"A0\": [\"A2\", \"B0\", \"ZZ\"], \"KEY\": []}");
  instructions("b.json", record("B0", "\"I1\"") + "," + record("A2", "\"I1\""));
  const Report report =
      run("IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json, train_config_path: a_train.json}\n"
          "  B: {mimicit_path: b.json, images_path: img.json}\n"
          "  B_again: {mimicit_path: b.json, images_path: img.json}\n");  // the same file: no duplicates
  const std::set<Key> expected = {
      {"missing_image", "IMAGE_TEXT", "A", "A0", "GONE"},
      {"missing_related", "IMAGE_TEXT", "A", "A0", ""},  // NOPE (rel_ins_ids) and ZZ (train config)
      {"no_images", "IMAGE_TEXT", "A", "A1", ""},
      {"empty_text", "IMAGE_TEXT", "A", "A1", ""},             // answer blank after cleaning
      {"empty_text", "IMAGE_TEXT", "A", "A2", ""},             // question empty after cleaning
      {"empty_text", "IMAGE_TEXT", "A", "A3", ""},             // no instruction
      {"duplicate_instruction", "IMAGE_TEXT", "A", "A4", ""},  // twice in a.json
      {"duplicate_instruction", "IMAGE_TEXT", "A", "A2", ""},  // replaced by B's
      {"missing_instruction", "IMAGE_TEXT", "A", "KEY", ""},
  };
  EXPECT_EQ(keys(report), expected);
  EXPECT_EQ(report.summary.count(Kind::kMissingRelated), 2u);
  EXPECT_EQ(report.summary.records, 5u + 2u);
  for (const Problem& p : report.problems) {
    if (p.kind == Kind::kDuplicateInstruction && p.id == "A2") {
      EXPECT_NE(p.detail.find("dataset B"), std::string::npos) << p.detail;
    }
    if (p.kind == Kind::kEmptyText && p.id == "A3") {
      EXPECT_NE(p.detail.find("no 'instruction' field"), std::string::npos);
    }
    if (p.kind == Kind::kEmptyText && p.id == "A1") {
      EXPECT_NE(p.detail.find("answer is blank"), std::string::npos);
    }
  }
}

// empty_text is decided by a scan, not the cleaning: the two must agree.
TEST_F(ValidateTest, EmptyTextAgreesWithTheReferenceCleaning) {
  // JSON text (escapes as written in the file) and the UTF-8 it stands for.
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"", ""},
      {" ", " "},
      {"\\n \\n", "\n \n"},
      {"###", "###"},
      {"a", "a"},
      {"_", "_"},
      {"!", "!"},
      {"'", "'"},
      {"\\\"", "\""},
      {" @ # $ % ", " @ # $ % "},
      {"\\t\\u3000@", "\t\u3000@"},
      {"\\u00e9", "\u00e9"},
      {"\\u0661", "\u0661"},
      {"\\u00b2", "\u00b2"},
      {"\\u200b", "\u200b"},
      {"\\u2028-\\u00a0", "\u2028-\u00a0"},
      {"\\ud83d\\ude00", "\U0001F600"},
      {"\\u4e2d", "\u4e2d"},
      {"\\r\\n*\\r\\n", "\r\n*\r\n"},
      {"\\u00bf\\u00a1", "\u00bf\u00a1"},
      {"\\u0300", "\u0300"},
  };
  // ASCII whitespace (str.isspace() of the ASCII characters).
  auto blank = [](const std::string& text) {
    return text.find_first_not_of(" \t\n\r\v\f\x1c\x1d\x1e\x1f") == std::string::npos;
  };
  std::string records;
  std::set<Key> expected;
  for (size_t i = 0; i < texts.size(); ++i) {
    for (const bool question : {true, false}) {
      const std::string id = fmt::format("{}{}", question ? "Q" : "A", i);
      records +=
          fmt::format("{}\"{}\": {{\"instruction\": \"{}\", \"answer\": \"{}\"}}", records.empty() ? "" : ",",
                      id, question ? texts[i].first : "ok", question ? "ok" : texts[i].first);
      const auto unicode = dataset::PythonUnicode::kPython39;
      const std::string cleaned = question ? dataset::clean_question(texts[i].second, false, unicode)
                                           : dataset::clean_answer(texts[i].second, false, unicode);
      // The non-ASCII whitespace these texts hold (U+3000, U+2028, U+00A0)
      // is deleted or kept as written: compare without it.
      std::string ascii = cleaned;
      for (const char* space : {"\u3000", "\u2028", "\u00a0"}) {
        for (size_t at; (at = ascii.find(space)) != std::string::npos;)
          ascii.erase(at, std::string_view(space).size());
      }
      if (blank(ascii)) expected.emplace("empty_text", "TEXT_ONLY", "T", id, "");
    }
  }
  instructions("t.json", records);
  const Report report = run("TEXT_ONLY:\n  T: {mimicit_path: t.json}\n");
  EXPECT_EQ(keys(report), expected);
  EXPECT_GE(expected.size(), 14u);  // the symbol-only texts, as question and as answer
}

TEST_F(ValidateTest, ImageIdsAreLookedUpInTheUnionOfTheGroupsStores) {
  images("one.json", {"I0", "X"});
  images("two.json", {"I1", "X"}, "\"D\": \"" + png_base64(9, 9) + "\", \"D\": \"" + png_base64(9, 9) + "\"");
  instructions("a.json", record("A0", "\"I0\"") + "," + record("A1", "\"I1\", \"X\""));
  instructions("b.json", record("B0", "\"I0\""));
  const Report report =
      run("IMAGE_TEXT_IN_CONTEXT:\n  A: {mimicit_path: a.json, images_path: [one.json, two.json]}\n"
          "IMAGE_TEXT:\n  B: {mimicit_path: b.json, images_path: one.json}\n");
  // X is in both stores of IN_CONTEXT (used by A1); D twice in two.json
  // (used by nobody, so on the first dataset listing the store).
  EXPECT_EQ(keys(report), (std::set<Key>{{"duplicate_image", "IMAGE_TEXT_IN_CONTEXT", "A", "A1", "X"},
                                         {"duplicate_image", "IMAGE_TEXT_IN_CONTEXT", "A", "", "D"}}));
  for (const Problem& p : report.problems) {
    if (p.image_id == "X") {
      EXPECT_EQ(p.file, path("one.json"));
      EXPECT_NE(p.detail.find("used by 1 instruction"), std::string::npos) << p.detail;
    } else {
      EXPECT_NE(p.detail.find("appears 2 times"), std::string::npos) << p.detail;
      EXPECT_NE(p.detail.find("no instruction uses it"), std::string::npos) << p.detail;
    }
  }
}

TEST_F(ValidateTest, DecodePassFindsBadImagesOncePerStore) {
  const std::string junk = base64_encode(as_bytes("definitely not an image"));
  images("img.json", {"I0", "I1"},
         "\"TINY\": \"" + png_base64(7, 30) + "\", \"JUNK\": \"" + junk +
             "\", \"B64\": \"ab$cde\", \"UNUSED\": \"" + png_base64(2, 2) + "\"");
  instructions("a.json", record("A0", "\"I0\", \"TINY\"") + "," + record("A1", "\"JUNK\", \"TINY\"") + "," +
                             record("A2", "\"B64\""));
  instructions("c.json", record("C0", "\"TINY\", \"I1\""));
  const std::string yaml =
      "IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json}\n"
      "VIDEO_TEXT:\n  C: {mimicit_path: c.json, images_path: img.json}\n";
  EXPECT_TRUE(run(yaml).clean());
  const Report report = run(yaml, {.decode = true});
  EXPECT_EQ(keys(report), (std::set<Key>{{"tiny_image", "IMAGE_TEXT", "A", "A0", "TINY"},
                                         {"tiny_image", "IMAGE_TEXT", "A", "", "UNUSED"},
                                         {"undecodable_image", "IMAGE_TEXT", "A", "A1", "JUNK"},
                                         {"bad_base64", "IMAGE_TEXT", "A", "A2", "B64"}}));
  for (const Problem& p : report.problems) {
    EXPECT_EQ(p.file, path("img.json"));
    if (p.image_id == "TINY") {
      EXPECT_EQ(p.detail, "7x30 pixels: under 8 pixels a side; used by 3 instructions");
    }
    if (p.image_id == "B64") {
      // '$' is skipped as the reference skips it: 5 characters are left.
      EXPECT_NE(p.detail.find("base64: text ends with a single dangling character"), std::string::npos)
          << p.detail;
    }
  }
  EXPECT_EQ(report.summary.images, 6u);
  EXPECT_EQ(report.summary.images_decoded, 6u);
  const Report strict = run(yaml, {.decode = true, .min_image_side = 1});
  EXPECT_EQ(strict.summary.count(Kind::kTinyImage), 0u);
}

// Base64 that decodes only with leniency is a notice: listed, counted, and
// the report stays clean.
TEST_F(ValidateTest, LenientBase64IsANoticeNotAProblem) {
  std::string garbled = png_base64(16, 16);
  garbled.insert(10, "*\\u0000");  // skipped, as urlsafe_b64decode skips them
  std::string unpadded = png_base64(12, 12);
  while (unpadded.back() == '=') unpadded.pop_back();  // the reference fails: Incorrect padding
  ASSERT_NE(unpadded.size() % 4, 0u);
  images("img.json", {"I0"},
         "\"GARBLED\": \"" + garbled + "\", \"UNPADDED\": \"" + unpadded +
             "\", \"URI\": \"data:image/png;base64," + png_base64(9, 9) + "\"");
  instructions("a.json", record("A0", "\"I0\", \"GARBLED\"") + "," + record("A1", "\"UNPADDED\", \"URI\""));
  const std::string yaml = "IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json}\n";
  const Report report = run(yaml, {.decode = true});
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(keys(report), (std::set<Key>{{"lenient_base64", "IMAGE_TEXT", "A", "A0", "GARBLED"},
                                         {"lenient_base64", "IMAGE_TEXT", "A", "A1", "UNPADDED"},
                                         {"lenient_base64", "IMAGE_TEXT", "A", "A1", "URI"}}));
  EXPECT_EQ(report.summary.problems, 0u);
  EXPECT_EQ(report.summary.notices, 3u);
  EXPECT_EQ(report.summary.count(Kind::kLenientBase64), 3u);
  for (const Problem& p : report.problems) {
    const char* expected = p.image_id == "GARBLED"    ? "skipped"
                           : p.image_id == "UNPADDED" ? "Incorrect padding"
                                                      : "data: URI";
    EXPECT_NE(p.detail.find(expected), std::string::npos) << p.detail;
  }
  const std::string text = report_text(report, "d.yaml");
  EXPECT_NE(text.find("no problems, 3 notices"), std::string::npos) << text;
  EXPECT_NE(text.find("lenient_base64: 3"), std::string::npos) << text;
  EXPECT_NE(report_json(report).find("\"notices\":3"), std::string::npos);
}

TEST_F(ValidateTest, ListingIsCappedPerKindAndDatasetButAllAreCounted) {
  images("img.json", {"I0"});
  std::string records;
  for (int i = 0; i < 50; ++i)
    records += (i ? "," : "") + record(fmt::format("A{:02}", i), fmt::format("\"M{}\"", i));
  instructions("a.json", records);
  const std::string yaml = "IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json}\n";
  const Report report = run(yaml, {.max_problems = 4});
  ASSERT_EQ(report.problems.size(), 4u);
  EXPECT_EQ(report.problems[0].id, "A00");
  EXPECT_EQ(report.problems[3].id, "A03");
  EXPECT_EQ(report.summary.count(Kind::kMissingImage), 50u);
  EXPECT_EQ(report.summary.omitted, 46u);
  const std::string text = report_text(report, "d.yaml", 2);
  EXPECT_NE(text.find("missing_image: 50\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  ... and 48 more\n"), std::string::npos) << text;
  EXPECT_EQ(run(yaml, {.max_problems = 0}).problems.size(), 50u);
}

TEST_F(ValidateTest, ReportIsTheSameOnAnyNumberOfThreads) {
  images("img.json", {"I0"});
  std::string records;
  for (int i = 0; i < 3000; ++i) {
    records +=
        (i ? "," : "") + record(fmt::format("A{}", i), i % 3 ? "\"I0\"" : fmt::format("\"M{}\"", i % 7),
                                fmt::format("\"A{}\"", (i * 7) % 3500), "q", i % 5 ? "a" : "##");
  }
  instructions("a.json", records);
  const std::string yaml = "IMAGE_TEXT:\n  A: {mimicit_path: a.json, images_path: img.json}\n";
  const Report one = run(yaml, {.threads = 1, .max_problems = 0});
  const Report four = run(yaml, {.threads = 4, .max_problems = 0});
  EXPECT_EQ(one.problems, four.problems);
  EXPECT_TRUE(std::is_sorted(one.problems.begin(), one.problems.end()));
  EXPECT_EQ(one.summary.count(Kind::kMissingImage), 1000u);
  EXPECT_EQ(one.summary.count(Kind::kEmptyText), 600u);
  uint64_t missing_related = 0;
  for (int i = 0; i < 3000; ++i) missing_related += (i * 7) % 3500 >= 3000;
  EXPECT_EQ(one.summary.count(Kind::kMissingRelated), missing_related);
  EXPECT_EQ(report_json(one).substr(0, 12), "{\"problems\":");
}

TEST_F(ValidateTest, JsonRendering) {
  Report report;
  report.problems.push_back({Kind::kMissingImage, "G", "D", "id\"1", "img\xff", "f", "d\n"});
  report.summary.counts[static_cast<size_t>(Kind::kMissingImage)] = 1;
  report.summary.problems = 1;
  report.summary.notes = {"a note"};
  const std::string json = report_json(report);
  EXPECT_NE(json.find("{\"kind\":\"missing_image\",\"group\":\"G\",\"dataset\":\"D\",\"id\":\"id\\\"1\","
                      "\"image_id\":\"img\xEF\xBF\xBD\",\"file\":\"f\",\"detail\":\"d\\u000a\"}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"counts\":{\"bad_config\":0,"), std::string::npos);
  EXPECT_NE(json.find("\"missing_image\":1,"), std::string::npos);
  EXPECT_NE(json.find("\"notes\":[\"a note\"]}}"), std::string::npos) << json;
}

}  // namespace
}  // namespace mimicit::validate
