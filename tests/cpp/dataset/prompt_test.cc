// Text cleaning, turn formats and frame choice against values printed by
// Python (re, str.strip, numpy.linspace). The exhaustive comparison (every
// code point, generated datasets) is tests/python/test_dataset_reference.py.
#include "mimicit/prompt.h"

#include <gtest/gtest.h>

#include <iterator>

#include "mimicit/error.h"

namespace mimicit::dataset {
namespace {

constexpr PythonUnicode kReference = PythonUnicode::kPython39;

struct CleanCase {
  std::string input;
  std::string question;       // keep_symbols=false
  std::string question_keep;  // keep_symbols=true
  std::string answer;
  std::string answer_keep;
};

// UTF-8: U+3000 e3 80 80, U+00A0 c2 a0, U+2028 e2 80 a8, U+0085 c2 85,
// U+200B e2 80 8b, U+FEFF ef bb bf, U+0301 cc 81, U+1F99C f0 9f a6 9c.
const CleanCase kCases[] = {
    {"  What is #this?!  ", "What is this?!", "What is #this?!", "What is this?!", "What is #this?!"},
    {"\n\n  a\tb \n", "a\tb", "  a\tb ", "a\tb", "a\tb"},
    {"x\r\ny", "x y", "x\r\ny", "x y", "x\ny"},
    {" \xe3\x80\x80h\xc3\xa9llo\xc2\xa0\xc2\xa0w\xc3\xb6rld \xe2\x80\xa8",
     "\xe3\x80\x80h\xc3\xa9llo w\xc3\xb6rld",
     "\xe3\x80\x80h\xc3\xa9llo\xc2\xa0\xc2\xa0w\xc3\xb6rld \xe2\x80\xa8", "h\xc3\xa9llo w\xc3\xb6rld",
     "h\xc3\xa9llo\xc2\xa0\xc2\xa0w\xc3\xb6rld"},
    {"emoji \xf0\x9f\xa6\x9c ok \xc2\xb2\xc2\xb3 \xc2\xbd e\xcc\x81", "emoji ok \xc2\xb2\xc2\xb3 \xc2\xbd e",
     "emoji \xf0\x9f\xa6\x9c ok \xc2\xb2\xc2\xb3 \xc2\xbd e\xcc\x81", "emoji ok \xc2\xb2\xc2\xb3 \xc2\xbd e",
     "emoji \xf0\x9f\xa6\x9c ok \xc2\xb2\xc2\xb3 \xc2\xbd e\xcc\x81"},
    {"\x1c\x1d"
     "A\x1f"
     "B\xc2\x85",
     "A\x1f"
     "B\xc2\x85",
     "\x1c\x1d"
     "A\x1f"
     "B\xc2\x85",
     "A\x1f"
     "B",
     "A\x1f"
     "B"},
    {"", "", "", "", ""},
    {"   ", "", "", "", ""},
    {"\n a \n", "a", " a ", "a", "a"},
    {"tab\t\ttab", "tab tab", "tab\t\ttab", "tab tab", "tab\t\ttab"},
    {"a \r\n b", "a b", "a \r\n b", "a b", "a \n b"},
    {"\xe2\x80\x8bzero\xef\xbb\xbf", "zero", "\xe2\x80\x8bzero\xef\xbb\xbf", "zero",
     "\xe2\x80\x8bzero\xef\xbb\xbf"},
};

TEST(TextClean, MatchesPythonRe) {
  for (const CleanCase& c : kCases) {
    EXPECT_EQ(clean_question(c.input, false, kReference), c.question) << c.input;
    EXPECT_EQ(clean_question(c.input, true, kReference), c.question_keep) << c.input;
    EXPECT_EQ(clean_answer(c.input, false, kReference), c.answer) << c.input;
    EXPECT_EQ(clean_answer(c.input, true, kReference), c.answer_keep) << c.input;
  }
}

TEST(TextClean, InvalidUtf8IsASymbol) {
  // Never produced by the JSON parser; handled without reading past the end.
  EXPECT_EQ(clean_question("a\xff"
                           "b\xe3\x80",
                           false, kReference),
            "ab");
  EXPECT_EQ(clean_question("a\xff"
                           "b\xe3\x80",
                           true, kReference),
            "a\xff"
            "b\xe3\x80");
  EXPECT_EQ(clean_answer("\xc0 x \xe3", true, kReference), "\xc0 x \xe3");
}

TEST(TextClean, CharacterClasses) {
  EXPECT_TRUE(is_word_char('_', kReference));
  EXPECT_TRUE(is_word_char(0x00B2, kReference));   // superscript two: isdigit
  EXPECT_TRUE(is_word_char(0x216B, kReference));   // roman numeral twelve: isnumeric
  EXPECT_TRUE(is_word_char(0x0663, kReference));   // arabic-indic three
  EXPECT_FALSE(is_word_char(0x0301, kReference));  // combining acute: not alnum
  EXPECT_FALSE(is_word_char(0x1F99C, kReference));
  EXPECT_TRUE(is_space_char(0x1C, kReference));
  EXPECT_TRUE(is_space_char(0x85, kReference));
  EXPECT_TRUE(is_space_char(0x3000, kReference));
  EXPECT_FALSE(is_space_char(0x200B, kReference));
  EXPECT_FALSE(is_space_char(0xFEFF, kReference));
}

// Letters each Unicode version added, as python3.9 ... python3.13 print
// re.match(r"\w", c): U+0870 ARABIC LETTER ALEF WITH ATTACHED FATHA
// (14.0), U+11F04 KAWI LETTER A (15.0), U+2EBF0 CJK UNIFIED IDEOGRAPH-2EBF0
// (15.1). The exhaustive comparison per version is
// tests/python/test_unicode_versions.py.
TEST(TextClean, EachPythonsUnicodeTables) {
  using P = PythonUnicode;
  const uint32_t added[] = {0x0870, 0x11F04, 0x2EBF0};
  const P versions[] = {P::kPython39, P::kPython311, P::kPython312, P::kPython313};
  for (size_t v = 0; v < std::size(versions); ++v) {
    for (size_t a = 0; a < std::size(added); ++a) {
      EXPECT_EQ(is_word_char(added[a], versions[v]), a < v)
          << python_unicode_name(versions[v]) << " " << added[a];
    }
    EXPECT_FALSE(is_word_char(0x1F99C, versions[v]));
    EXPECT_TRUE(is_space_char(0x3000, versions[v]));
  }
  // re.sub(r'[^\w\s.,?!()"\']', "", "a\u0870b\U00011f04c\U0002ebf0d")
  const std::string text =
      "a\xe0\xa1\xb0"
      "b\xf0\x91\xbc\x84"
      "c\xf0\xae\xaf\xb0"
      "d";
  EXPECT_EQ(clean_question(text, false, P::kPython39), "abcd");
  EXPECT_EQ(clean_question(text, false, P::kPython311),
            "a\xe0\xa1\xb0"
            "bcd");
  EXPECT_EQ(clean_answer(text, false, P::kPython312),
            "a\xe0\xa1\xb0"
            "b\xf0\x91\xbc\x84"
            "cd");
  EXPECT_EQ(clean_answer(text, false, P::kPython313), text);
}

TEST(TextClean, PythonUnicodeNames) {
  using P = PythonUnicode;
  EXPECT_EQ(parse_python_unicode("3.9"), P::kPython39);
  EXPECT_EQ(parse_python_unicode("3.10"), P::kPython39);
  EXPECT_EQ(parse_python_unicode("3.13"), P::kPython313);
  EXPECT_STREQ(python_unicode_name(P::kPython39), "3.9");
  EXPECT_STREQ(python_unicode_name(P::kPython312), "3.12");
  // unicodedata.unidata_version of each.
  EXPECT_STREQ(unicode_version(P::kPython39), "13.0.0");
  EXPECT_STREQ(unicode_version(P::kPython311), "14.0.0");
  EXPECT_STREQ(unicode_version(P::kPython312), "15.0.0");
  EXPECT_STREQ(unicode_version(P::kPython313), "15.1.0");
  try {
    parse_python_unicode("3.8");
    FAIL() << "3.8 parsed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(e.message(), "unknown Python Unicode version '3.8' (expected 3.9, 3.10, 3.11, 3.12, 3.13)");
  }
}

TEST(TurnFormat, EveryFormatByteForByte) {
  auto turn = [](InstructionFormat f, bool image, bool text_only) {
    std::string out;
    append_turn(out, f, "Q?", "A.", image, text_only);
    return out;
  };
  using F = InstructionFormat;
  EXPECT_EQ(turn(F::kSimple, true, false), "<image>User:Q? GPT:<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kSimple, true, true), "User:Q? GPT:<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kSimple, false, false), "User:Q? GPT:<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kLlama2, true, false), "[INST]<image>\nQ?[/INST]<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kLlama2, true, true), "[INST]\nQ?[/INST]<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kLlama2, false, false), "[INST]Q?[/INST]<answer>A.<|endofchunk|>");
  EXPECT_EQ(turn(F::kIdefics, true, false),
            "User:<fake_token_around_image><image><fake_token_around_image>Q?<end_of_utterance>\nAssistant:<"
            "answer>A."
            "<end_of_utterance>\n");
  EXPECT_EQ(turn(F::kIdefics, true, true),
            "User:Q?<end_of_utterance>\nAssistant:<answer>A.<end_of_utterance>\n");
  EXPECT_EQ(turn(F::kIdefics, false, false),
            "User:Q?<end_of_utterance>\nAssistant:<answer>A.<end_of_utterance>\n");
  EXPECT_EQ(turn(F::kFuyu, true, false), "User:Q? Assistant:\x04 A.");
  EXPECT_EQ(turn(F::kFuyu, false, true), "User:Q? Assistant:\x04 A.");
  EXPECT_EQ(parse_instruction_format("idefics"), F::kIdefics);
  EXPECT_FALSE(parse_instruction_format("Simple").has_value());
}

TEST(FrameIndices, MatchNumpyLinspace) {
  // numpy.linspace(0, n - 1, F, dtype=int)
  EXPECT_EQ(frame_indices(1, 4), (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(frame_indices(5, 1), (std::vector<uint64_t>{0}));
  EXPECT_EQ(frame_indices(2, 5), (std::vector<uint64_t>{0, 0, 0, 0, 1}));
  EXPECT_EQ(frame_indices(10, 4), (std::vector<uint64_t>{0, 3, 6, 9}));
  EXPECT_EQ(frame_indices(100, 7), (std::vector<uint64_t>{0, 16, 33, 49, 66, 82, 99}));
  EXPECT_EQ(frame_indices(33, 32)[31], 32u);
  EXPECT_EQ(frame_indices(33, 32)[16], 16u);  // 16 * 32/31 = 16.51...
  EXPECT_TRUE(frame_indices(5, 0).empty());
}

}  // namespace
}  // namespace mimicit::dataset
