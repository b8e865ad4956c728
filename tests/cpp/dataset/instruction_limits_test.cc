// ParseOptions::max_value_bytes: a record, a train config entry or the
// "meta" value larger than the limit is Error(kLimit) naming the file, the
// byte offset and the id before simdjson parses it; exactly at the limit it
// opens. docs/reliability.md lists the limits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "test_data.h"

namespace mimicit::dataset {
namespace {

std::string write(const std::string& name, const std::string& text) {
  const std::filesystem::path path = testing::temp_dir("instruction_limits") / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// The Error(kLimit) message of open(max_value_bytes), or "" when it opens.
std::string limit_error(const std::function<void(const ParseOptions&)>& open, uint64_t max_value_bytes) {
  ParseOptions options;
  options.threads = 1;
  options.max_value_bytes = max_value_bytes;
  try {
    open(options);
    return "";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    return e.what();
  }
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kRecord = R"({"instruction": "Why?", "answer": "Because."})";  // 45 bytes
const std::string kMeta = R"({"version": "0.0.1", "padding": "................................"})";

TEST(InstructionLimits, RecordsAndMeta) {
  ASSERT_EQ(kRecord.size(), 45u);
  ASSERT_GT(kMeta.size(), kRecord.size());
  const std::string path =
      write("x_instructions.json", R"({"data": {"LA_INS_1": )" + kRecord + R"(}, "meta": )" + kMeta + "}");
  auto open = [&](const ParseOptions& options) { InstructionFile::open(path, options); };
  EXPECT_EQ(limit_error(open, kMeta.size()), "");
  std::string message = limit_error(open, kRecord.size());
  EXPECT_TRUE(contains(message, path +
                                    ": byte offset 78 (line 1): the value of 'meta' has 67 bytes, over the "
                                    "limit of 45 bytes"))
      << message;
  message = limit_error(open, kRecord.size() - 1);
  EXPECT_TRUE(
      contains(message, path + ": byte offset 22 (line 1): the value of 'LA_INS_1' has 45 bytes, over the "
                               "limit of 44 bytes"))
      << message;
}

TEST(InstructionLimits, TrainConfigEntries) {
  const std::string path = write("x_train.json", R"({"LA_INS_1": ["LA_INS_2", "LA_INS_3"]})");
  auto open = [&](const ParseOptions& options) { TrainConfig::open(path, options); };
  EXPECT_EQ(limit_error(open, 24), "");
  EXPECT_TRUE(
      contains(limit_error(open, 23), "the value of 'LA_INS_1' has 24 bytes, over the limit of 23 bytes"));
}

TEST(InstructionLimits, Default) { EXPECT_EQ(ParseOptions{}.max_value_bytes, 16u << 20); }

}  // namespace
}  // namespace mimicit::dataset
