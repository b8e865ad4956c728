// util/json_text.h: JSON string escaping (invalid UTF-8 replaced as
// Python does) and the shortest round-trip number text.
#include "util/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace mimicit {
namespace {

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("line\nnext\ttab\x01\x1f"), "\"line\\u000anext\\u0009tab\\u0001\\u001f\"");
  EXPECT_EQ(json_string(std::string_view("nul\0", 4)), "\"nul\\u0000\"");
  EXPECT_EQ(json_string("\x7f"), "\"\x7f\"");
}

TEST(JsonString, KeepsValidUtf8) {
  EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(JsonString, ReplacesInvalidUtf8LikePython) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(json_string("a\xff"
                        "b"),
            "\"a" + fffd + "b\"");
  // A truncated sequence is one maximal subpart: one replacement.
  EXPECT_EQ(json_string("\xe2\x82"), "\"" + fffd + "\"");
  EXPECT_EQ(json_string("\xf0\x9f\x98"
                        "x"),
            "\"" + fffd + "x\"");
  // Overlong forms and surrogates: every byte is replaced.
  EXPECT_EQ(json_string("\xc0\xaf"), "\"" + fffd + fffd + "\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\"");
  // Above U+10FFFF.
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");
}

TEST(JsonNumber, FloatsPrintShortestRoundTrip) {
  std::string out;
  append_json_float(out, 0.1f);
  EXPECT_EQ(out, "0.1");
  out.clear();
  append_json_double(out, 0.1);
  EXPECT_EQ(out, "0.1");
  out.clear();
  append_json_double(out, 1.0 / 3.0);
  EXPECT_EQ(std::stod(out), 1.0 / 3.0);
  out.clear();
  append_json_float(out, 16777216.0f);
  EXPECT_EQ(std::stof(out), 16777216.0f);
  out.clear();
  append_json_double(out, -2.5e-300);
  EXPECT_EQ(std::stod(out), -2.5e-300);
}

}  // namespace
}  // namespace mimicit
