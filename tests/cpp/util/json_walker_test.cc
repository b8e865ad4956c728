// JsonObjectWalker: members and value ranges, strict object grammar, errors
// with byte offset and line, and no crash on any prefix of a document; the
// string primitives it shares with the store (SIMD scan, unescaping). The
// validating walk is tested through the store's scan (store/json_source_test.cc).
#include "util/json_walker.h"

#include <gtest/gtest.h>

#include "mimicit/error.h"

namespace mimicit {
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

TEST(JsonWalker, FindStringSpecialMatchesScalarAtEveryAlignment) {
  std::string text(200, 'A');
  for (size_t at = 0; at < text.size(); ++at) {
    for (char special : {'"', '\\', '\x00', '\x1f', '\n'}) {
      std::string t = text;
      t[at] = special;
      for (size_t start = 0; start <= at; start += 7) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(t.data());
        EXPECT_EQ(find_string_special(p + start, p + t.size()), p + at);
      }
    }
  }
  // Bytes >= 0x80 and 0x20, 0x7f are not special.
  std::string high;
  for (int c = 0x20; c < 0x100; ++c) {
    if (c != '"' && c != '\\') high.push_back(static_cast<char>(c));
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(high.data());
  EXPECT_EQ(find_string_special(p, p + high.size()), p + high.size());
}

TEST(JsonWalker, UnescapeReportsProblems) {
  std::string out;
  size_t pos = 99;
  EXPECT_EQ(unescape_json_string("ab\\q", out, &pos), std::string("invalid escape sequence"));
  EXPECT_EQ(pos, 2u);
  EXPECT_NE(unescape_json_string("\\u00", out, &pos), nullptr);
  EXPECT_NE(unescape_json_string("\\", out, &pos), nullptr);
  EXPECT_NE(unescape_json_string("\\ud800x", out, &pos), nullptr);
  EXPECT_NE(unescape_json_string("a\x01", out, &pos), nullptr);
  out.clear();
  EXPECT_EQ(unescape_json_string("\\ud83d\\ude00 \\u007f\\u0080", out, &pos), nullptr);
  EXPECT_EQ(out, "\xF0\x9F\x98\x80 \x7f\xC2\x80");
}

}  // namespace
}  // namespace mimicit
