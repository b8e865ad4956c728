// JsonObjectWalker: members and value ranges, strict object grammar, errors
// with byte offset and line, and no crash on any prefix of a document.
#include "dataset/json_walker.h"

#include <gtest/gtest.h>

#include "mimicit/error.h"

namespace mimicit::dataset {
namespace {

struct Walked {
  std::string key;
  std::string value;
};

std::vector<Walked> walk(std::string_view text, uint64_t* end = nullptr) {
  const ByteView doc = as_bytes(text);
  JsonObjectWalker walker(doc, 0);
  JsonMember m;
  std::vector<Walked> out;
  while (walker.next(&m)) {
    out.push_back({std::string(m.key), std::string(text.substr(m.value_begin, m.value_end - m.value_begin))});
  }
  if (end) *end = walker.end_offset();
  return out;
}

std::string error_of(std::string_view text) {
  try {
    uint64_t end = 0;
    walk(text, &end);
    expect_only_whitespace_after(as_bytes(text), end);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(JsonWalker, MembersAndValueRanges) {
  const std::string text =
      "\xEF\xBB\xBF { \"a\" : {\"x\": [1, {\"y\": \"}]\\\"\"}], \"z\": null} ,\n"
      "\"b\\u00e9\\n\":\"str \\\" { [\", \"c\": -1.5e3 , \"d\":true,\"e\":[] ,\"\":{}}  \n";
  uint64_t end = 0;
  const std::vector<Walked> members = walk(text, &end);
  ASSERT_EQ(members.size(), 6u);
  EXPECT_EQ(members[0].key, "a");
  EXPECT_EQ(members[0].value, "{\"x\": [1, {\"y\": \"}]\\\"\"}], \"z\": null}");
  EXPECT_EQ(members[1].key, "b\xc3\xa9\n");
  EXPECT_EQ(members[1].value, "\"str \\\" { [\"");
  EXPECT_EQ(members[2].value, "-1.5e3");
  EXPECT_EQ(members[3].value, "true");
  EXPECT_EQ(members[4].value, "[]");
  EXPECT_EQ(members[5].key, "");
  EXPECT_EQ(members[5].value, "{}");
  EXPECT_EQ(text.substr(end), "  \n");
  EXPECT_TRUE(walk("{}").empty());
}

TEST(JsonWalker, ErrorsNameOffsetAndLine) {
  EXPECT_EQ(error_of("{\"a\": 1,}"), "byte offset 8 (line 1): expected a string key");
  EXPECT_EQ(error_of("{\n\"a\" 1}"), "byte offset 6 (line 2): expected ':'");
  EXPECT_EQ(error_of("{\"a\": [1, 2}"), "byte offset 11 (line 1): expected ']'");
  EXPECT_EQ(error_of("{\"a\": 1} x"), "byte offset 9 (line 1): unexpected content after the JSON value");
  EXPECT_EQ(error_of("[1]"), "byte offset 0 (line 1): expected '{'");
  EXPECT_EQ(error_of("{\"a\\x\": 1}"), "byte offset 3 (line 1): invalid escape sequence");
  EXPECT_EQ(error_of("{\"\\ud800\": 1}"), "byte offset 2 (line 1): lone high surrogate in \\u escape");
  EXPECT_EQ(error_of("{\"a\": \"b\nc\"}"), "byte offset 8 (line 1): raw control character in a string");
  EXPECT_EQ(error_of("{\"\xff\": 1}"), "byte offset 1 (line 1): key is not valid UTF-8");
  EXPECT_NE(error_of("{\"a\": }").find("expected a value"), std::string::npos);
  EXPECT_EQ(error_of(std::string(2000, '[')).find("byte offset 0"), 0u);
}

TEST(JsonWalker, DeepNestingIsUnsupported) {
  std::string text = "{\"a\": " + std::string(2000, '[') + std::string(2000, ']') + "}";
  try {
    walk(text);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  }
}

TEST(JsonWalker, EveryPrefixFailsCleanly) {
  const std::string text = "{\"meta\": {\"v\": [1, \"x\\\"y\"]}, \"data\": {\"id\\u0041\": {\"k\": \"v\"}}}";
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_NE(error_of(text.substr(0, n)), "") << n;
  }
  EXPECT_EQ(error_of(text), "");
}

}  // namespace
}  // namespace mimicit::dataset
