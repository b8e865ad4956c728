// util/utf8.h: sequence lengths and decoding by Unicode's table 3-7, the
// replacement of invalid sequences as Python's errors="replace" does, and
// cutting that never splits a sequence.
#include "util/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace mimicit {
namespace {

const std::string kFffd = "\xef\xbf\xbd";

std::string valid(std::string_view s) {
  std::string out;
  append_valid_utf8(out, s);
  return out;
}

// (code point, length) of the sequence at s[0].
std::pair<uint32_t, size_t> decode(std::string_view s) {
  size_t length = 0;
  const uint32_t cp = decode_utf8(s, 0, &length);
  return {cp, length};
}

TEST(Utf8, SequenceLengths) {
  EXPECT_EQ(utf8_sequence_length("a", 0), 1);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac", 0), 3);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", 0), 4);
  // Invalid: minus the maximal subpart one U+FFFD replaces.
  EXPECT_EQ(utf8_sequence_length("\xff", 0), -1);
  EXPECT_EQ(utf8_sequence_length("\x80", 0), -1);      // a lone continuation byte
  EXPECT_EQ(utf8_sequence_length("\xc0\xaf", 0), -1);  // overlong lead
  EXPECT_EQ(utf8_sequence_length("\xe2\x82", 0), -2);  // truncated
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98x", 0), -3);
  EXPECT_EQ(utf8_sequence_length("\xed\xa0\x80", 0), -1);      // a surrogate
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80", 0), -1);  // above U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xe0\x9f\xbf", 0), -1);      // overlong 3-byte form
}

TEST(Utf8, DecodesCodePoints) {
  EXPECT_EQ(decode("A"), (std::pair<uint32_t, size_t>{0x41, 1}));
  EXPECT_EQ(decode("\xc2\x85"), (std::pair<uint32_t, size_t>{0x85, 2}));
  EXPECT_EQ(decode("\xe3\x80\x80"), (std::pair<uint32_t, size_t>{0x3000, 3}));
  EXPECT_EQ(decode("\xed\x9f\xbf"), (std::pair<uint32_t, size_t>{0xD7FF, 3}));
  EXPECT_EQ(decode("\xf4\x8f\xbf\xbf"), (std::pair<uint32_t, size_t>{0x10FFFF, 4}));
  // Invalid sequences are one byte of kInvalidCodePoint.
  for (std::string_view bad : {"\xff", "\xc3", "\xc3(", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc1\xbf"}) {
    EXPECT_EQ(decode(bad), (std::pair<uint32_t, size_t>{kInvalidCodePoint, 1})) << bad;
  }
}

TEST(Utf8, RoundTripsEveryCodePoint) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    append_utf8(cp, s);
    ASSERT_EQ(decode(s), (std::pair<uint32_t, size_t>{cp, s.size()})) << cp;
    ASSERT_TRUE(is_valid_utf8(s)) << cp;
    ASSERT_EQ(previous_code_point("x" + s, s.size() + 1), 1u) << cp;
  }
}

TEST(Utf8, PreviousCodePoint) {
  const std::string text = "a\xc3\xa9\xe2\x82\xac";  // a U+00E9 U+20AC
  EXPECT_EQ(previous_code_point(text, 6), 3u);
  EXPECT_EQ(previous_code_point(text, 3), 1u);
  EXPECT_EQ(previous_code_point(text, 1), 0u);
  // Not a sequence ending there: one byte back.
  EXPECT_EQ(previous_code_point(text, 5), 4u);
  EXPECT_EQ(previous_code_point("\x80\x80\x80\x80", 4), 3u);
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("a\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));
  EXPECT_EQ(count_code_points("caf\xc3\xa9 \xf0\x9f\x98\x80"), 6u);
}

TEST(Utf8, ReplacesInvalidLikePython) {
  EXPECT_EQ(valid("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(valid("a\xff"
                  "b"),
            "a" + kFffd + "b");
  // A truncated sequence is one maximal subpart: one replacement.
  EXPECT_EQ(valid("\xe2\x82"), kFffd);
  EXPECT_EQ(valid("\xf0\x9f\x98"
                  "x"),
            kFffd + "x");
  // Overlong forms, surrogates and code points above U+10FFFF: every byte.
  EXPECT_EQ(valid("\xc0\xaf"), kFffd + kFffd);
  EXPECT_EQ(valid("\xed\xa0\x80"), kFffd + kFffd + kFffd);
  EXPECT_EQ(valid("\xf4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_EQ(valid("va\xc3(lue"), "va" + kFffd + "(lue");
}

TEST(Utf8, PrefixNeverSplitsASequence) {
  bool cut = false;
  EXPECT_EQ(utf8_prefix("abcdef", 10, &cut), "abcdef");
  EXPECT_FALSE(cut);
  EXPECT_EQ(utf8_prefix("abcdef", 3, &cut), "abc");
  EXPECT_TRUE(cut);
  const std::string text =
      "ab\xe6\x97\xa5"
      "c";  // 'a' 'b' U+65E5 'c'
  EXPECT_EQ(utf8_prefix(text, 2), "ab");
  EXPECT_EQ(utf8_prefix(text, 3), "ab");
  EXPECT_EQ(utf8_prefix(text, 4), "ab");
  EXPECT_EQ(utf8_prefix(text, 5), "ab\xe6\x97\xa5");
  EXPECT_EQ(utf8_prefix(text, 0), "");
  EXPECT_EQ(utf8_prefix_length(text, 4), 2u);
  EXPECT_EQ(utf8_prefix_length(text, 100), text.size());
  // Invalid text: still within the string.
  EXPECT_EQ(utf8_prefix_length("\x80\x80\x80", 2), 0u);
}

}  // namespace
}  // namespace mimicit
