// InstructionFile and TrainConfig: records in file order, Python dict
// semantics for repeated ids, the fields, raw JSON, text-only records,
// errors naming file, offset and record, and concurrent reads.
#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "test_data.h"

namespace mimicit::dataset {
namespace {

std::string write(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path path = dir / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

std::string open_error(const std::string& path) {
  try {
    InstructionFile::open(path);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(InstructionFile, RecordsFieldsAndRepeats) {
  const auto dir = testing::temp_dir("instruction_file");
  const std::string path = write(dir, "x_instructions.json", R"({
  "meta": {"version": "0.0.1", "time": "2023-10-29"},
  "data": {
    "D3_INS_000002": {"instruction": "What\u00e9?", "answer": "photo \"of\" a hand", "image_ids": ["D3_IMG_2"], "rel_ins_ids": ["D3_INS_000001"], "extra": {"k": [1, 2.5, null]}},
    "D3_INS_000001": {"answer": "text only", "instruction": "Hi", "image_ids": null},
    "D3_INS_000003": {"instruction": "no answer"},
    "D3_INS_000002": {"instruction": "later", "answer": "wins", "image_ids": []}
  }
})");
  const auto file = InstructionFile::open(path);
  ASSERT_EQ(file->size(), 3u);
  EXPECT_EQ(file->id(0), "D3_INS_000002");  // first position, last value
  EXPECT_EQ(file->id(1), "D3_INS_000001");
  EXPECT_EQ(file->find("D3_INS_000003"), 2u);
  EXPECT_FALSE(file->find("D3_INS_000004").has_value());
  Record r = file->read(0);
  EXPECT_EQ(r.instruction, "later");
  EXPECT_EQ(r.answer, "wins");
  EXPECT_TRUE(r.image_ids.empty());
  EXPECT_EQ(file->raw_json(0), R"({"instruction": "later", "answer": "wins", "image_ids": []})");
  r = file->read(1);
  EXPECT_TRUE(r.has_instruction && r.has_answer);
  EXPECT_TRUE(r.image_ids.empty() && r.rel_ins_ids.empty());
  r = file->read(2);
  EXPECT_TRUE(r.has_instruction);
  EXPECT_FALSE(r.has_answer);
  ASSERT_EQ(file->repeated_ids().size(), 1u);
  EXPECT_EQ(file->repeated_ids()[0].key, "D3_INS_000002");
  EXPECT_EQ(file->meta_json(), R"({"version": "0.0.1", "time": "2023-10-29"})");
  std::filesystem::remove_all(dir);
}

TEST(InstructionFile, UnknownFieldsSurviveInRawJson) {
  const auto dir = testing::temp_dir("instruction_raw");
  const std::string record =
      R"({"instruction":"q","answer":"a","image_ids":["I\/1"],"bbox":[[1,2],[3,4]],"n":123456789012345678901234567890})";
  const auto file = InstructionFile::open(write(dir, "r.json", "{\"data\":{\"A\":" + record + "}}"));
  EXPECT_EQ(file->raw_json(0), record);
  EXPECT_EQ(file->read(0).image_ids, std::vector<std::string>{"I/1"});
  std::filesystem::remove_all(dir);
}

TEST(InstructionFile, ErrorsNameFileOffsetAndRecord) {
  const auto dir = testing::temp_dir("instruction_errors");
  const std::string no_data = write(dir, "n.json", "{\"meta\": {}}");
  EXPECT_NE(open_error(no_data).find("no \"data\" object"), std::string::npos);
  const std::string bad_meta = write(dir, "m.json", "{\"meta\": {\"v\": tru}, \"data\": {}}");
  EXPECT_NE(open_error(bad_meta).find("\"meta\""), std::string::npos);
  const std::string bad_utf8 = write(dir, "u.json", "{\"data\": {\"A\": {\"instruction\": \"\xc3\x28\"}}}");
  EXPECT_NE(open_error(bad_utf8).find("record 'A'"), std::string::npos);
  EXPECT_NE(open_error((dir / "missing.json").string()).find("missing.json"), std::string::npos);
  // A record of the wrong type that is not JSON either: the file is not JSON.
  const std::string bad_json = write(dir, "j.json", "{\"data\": {\"A\": {\"answer\": 1, \"x\": [tru]}}}");
  EXPECT_NE(open_error(bad_json).find("record 'A'"), std::string::npos);
  const std::string bad_list_json =
      write(dir, "k.json", "{\"data\": {\"A\": {\"image_ids\": [1, \"\xc3\x28\"]}}}");
  EXPECT_NE(open_error(bad_list_json).find("record 'A'"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Bad records never stop the rest: a record that is not an object or has a
// known field of the wrong type is left out and reported (file, id, byte
// offset, field, what it is); the others read as they would without it.
TEST(InstructionFile, WrongTypedRecordsAreDroppedAndReported) {
  const auto dir = testing::temp_dir("instruction_dropped");
  const std::string path =
      write(dir, "t.json",
            "{\"data\": {\"A\": {\"instruction\": \"q\"},\n \"B\": {\"answer\": [1]},\n"
            " \"C\": 5, \"D\": {\"image_ids\": [\"x\", 2]}, \"E\": {\"rel_ins_ids\": \"E\"},\n"
            " \"F\": {\"instruction\": null, \"answer\": \"a\"}, \"G\": {\"answer\": \"g\"}}}");
  const auto file = InstructionFile::open(path);
  ASSERT_EQ(file->size(), 2u);
  EXPECT_EQ(file->id(0), "A");
  EXPECT_EQ(file->id(1), "G");
  EXPECT_EQ(file->find("G"), 1u);
  EXPECT_FALSE(file->find("B").has_value());
  EXPECT_EQ(file->read(1).answer, "g");
  ASSERT_EQ(file->dropped_count(), 5u);
  const auto& dropped = file->dropped_records();
  ASSERT_EQ(dropped.size(), 5u);
  EXPECT_EQ(dropped[0].id, "B");
  EXPECT_EQ(dropped[0].file, path);
  EXPECT_EQ(dropped[0].offset, 43u);
  EXPECT_EQ(dropped[0].row, -1);
  EXPECT_EQ(dropped[0].field, "answer");
  EXPECT_EQ(dropped[0].found, "an array");
  EXPECT_EQ(dropped[0].message,
            path + ": byte offset 43 (line 2): record 'B': field 'answer' is an array, expected a string");
  EXPECT_EQ(dropped[1].id, "C");
  EXPECT_EQ(dropped[1].field, "");
  EXPECT_NE(dropped[1].message.find("(line 3): record 'C': the record is a number, expected an object"),
            std::string::npos);
  EXPECT_EQ(dropped[2].field, "image_ids");
  EXPECT_EQ(dropped[2].found, "an array holding a number");
  EXPECT_EQ(dropped[3].field, "rel_ins_ids");
  EXPECT_EQ(dropped[3].found, "a string");
  EXPECT_EQ(dropped[4].id, "F");
  EXPECT_EQ(dropped[4].found, "null");
  EXPECT_NE(dropped[4].message.find("(line 4)"), std::string::npos);

  // Reports are capped; the count is not.
  const auto capped = InstructionFile::open(path, {.max_dropped_reports = 2});
  EXPECT_EQ(capped->dropped_records().size(), 2u);
  EXPECT_EQ(capped->dropped_count(), 5u);

  // Fields left out of checked_fields do not drop: they read as absent.
  const auto lenient = InstructionFile::open(path, {.checked_fields = kFieldInstruction | kFieldAnswer});
  EXPECT_EQ(lenient->size(), 4u);  // A, D, E, G
  ASSERT_TRUE(lenient->find("E").has_value());
  EXPECT_TRUE(lenient->read(*lenient->find("E")).rel_ins_ids.empty());
  EXPECT_TRUE(lenient->read(*lenient->find("D")).image_ids.empty());
  EXPECT_EQ(lenient->dropped_count(), 3u);

  // The first, last and only record, many threads: the same as a file
  // without them.
  std::string many = "{\"data\": {\"BAD0\": {\"instruction\": 0},";
  std::string good = "{\"data\": {";
  for (int i = 0; i < 20000; ++i) {
    const bool bad = i == 15000 || i == 19000;
    const std::string record =
        fmt::format("\"ID{}\": {{\"instruction\": \"q\", \"answer\": {}}},", i, bad ? "1" : "\"a\"");
    many += record;
    if (!bad) good += record;
  }
  many += "\"END\": {\"answer\": {}}}}";
  good.back() = '}';
  good += "}";
  const auto with_bad = InstructionFile::open(write(dir, "many.json", many), {.threads = 4});
  const auto without = InstructionFile::open(write(dir, "good.json", good), {.threads = 4});
  ASSERT_EQ(with_bad->size(), without->size());
  for (size_t i = 0; i < without->size(); ++i) {
    ASSERT_EQ(with_bad->id(i), without->id(i));
    ASSERT_EQ(with_bad->raw_json(i), without->raw_json(i));
  }
  ASSERT_EQ(with_bad->dropped_records().size(), 4u);
  EXPECT_EQ(with_bad->dropped_records()[0].id, "BAD0");
  EXPECT_EQ(with_bad->dropped_records()[1].id, "ID15000");
  EXPECT_EQ(with_bad->dropped_records()[2].id, "ID19000");
  EXPECT_EQ(with_bad->dropped_records()[3].id, "END");
  EXPECT_EQ(InstructionFile::open(write(dir, "only.json", "{\"data\": {\"A\": []}}"))->size(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(InstructionFile, EveryTruncationFailsCleanly) {
  const auto dir = testing::temp_dir("instruction_truncated");
  const std::string text =
      R"({"meta": {"v": 1}, "data": {"A": {"instruction": "q\u00e9", "answer": "a", "image_ids": ["x"]}, "B": {}}})";
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_NE(open_error(write(dir, "t.json", text.substr(0, n))), "") << n;
  }
  EXPECT_EQ(open_error(write(dir, "t.json", text)), "");
  std::filesystem::remove_all(dir);
}

TEST(InstructionFile, MutationsNeverCrash) {
  // Random byte substitutions, insertions and deletions of a valid file:
  // opening either succeeds (and every record reads) or throws Error.
  const auto dir = testing::temp_dir("instruction_mutations");
  const std::string text =
      R"({"meta": {"v": [1, 2.5e3, null]}, "data": {"A\u00e9": {"instruction": "q \"x\" \ud83e\udd9c", )"
      R"("answer": "a\n", "image_ids": ["I1", "I2"], "rel_ins_ids": ["B"]}, "B": {"instruction": "", )"
      R"("answer": "b", "image_ids": null, "x": {"y": [true, false, {}]}}, "C": {}}})";
  const std::string specials = "{}[]\",:\\ \nu0e-+.tfn\x00\xff\xc3";
  std::mt19937 rng(42);
  int opened = 0;
  for (int round = 0; round < 400; ++round) {
    std::string mutated = text;
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const size_t at = rng() % mutated.size();
      const char c = specials[rng() % specials.size()];
      switch (rng() % 3) {
        case 0: mutated[at] = c; break;
        case 1: mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: mutated.erase(at, 1 + rng() % 4); break;
      }
      if (mutated.empty()) mutated = "{";
    }
    try {
      const auto file = InstructionFile::open(write(dir, "m.json", mutated));
      ++opened;
      Record r;
      for (size_t i = 0; i < file->size(); ++i) file->read(i, &r);
    } catch (const Error&) {
    }
  }
  EXPECT_GT(opened, 0);
  std::filesystem::remove_all(dir);
}

TEST(InstructionFile, ConcurrentReads) {
  const auto dir = testing::temp_dir("instruction_concurrent");
  std::string text = "{\"data\": {";
  for (int i = 0; i < 3000; ++i) {
    if (i) text += ",";
    text +=
        fmt::format("\"ID{}\": {{\"instruction\": \"q{}\", \"answer\": \"a{}\", \"image_ids\": [\"IMG{}\"]}}",
                    i, i, i, i);
  }
  text += "}}";
  const auto file = InstructionFile::open(write(dir, "c.json", text), {.threads = 4});
  ASSERT_EQ(file->size(), 3000u);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Record r;
      for (int i = t; i < 3000; i += 2) {
        file->read(static_cast<size_t>(i), &r);
        if (r.instruction != fmt::format("q{}", i) ||
            r.image_ids != std::vector<std::string>{fmt::format("IMG{}", i)})
          ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  std::filesystem::remove_all(dir);
}

TEST(TrainConfig, EntriesInOrderAndErrors) {
  const auto dir = testing::temp_dir("train_config");
  const auto config =
      TrainConfig::open(write(dir, "t.json", R"({"B": ["A", "C"], "A": [], "C": ["B"], "B": ["X"]})"));
  ASSERT_EQ(config->size(), 3u);
  EXPECT_EQ(config->id(0), "B");
  std::vector<std::string> ids;
  config->read(0, &ids);
  EXPECT_EQ(ids, std::vector<std::string>{"X"});
  config->read(*config->find("C"), &ids);
  EXPECT_EQ(ids, std::vector<std::string>{"B"});
  EXPECT_EQ(config->repeated_ids().size(), 1u);
  try {
    TrainConfig::open(write(dir, "bad.json", R"({"A": ["B"], "B": "C"})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("entry 'B': the value is a string, expected an array of instruction ids"),
              std::string::npos)
        << e.message();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mimicit::dataset
