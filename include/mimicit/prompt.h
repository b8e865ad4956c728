// The text of one training sample, as the reference pipeline builds it
// (spec 2.2 steps 2-4 and the frame choice of step 5).
//
//   clean_question / clean_answer  the reference's pre_question/pre_answer,
//       exactly like Python's `re` and str methods on code points: \w is
//       str.isalnum() or "_", \s and str.strip() use str.isspace(), as the
//       Python named by a PythonUnicode answers (tables generated from each
//       by scripts/gen_unicode_tables.py).
//   append_turn  one turn in the instruction format, byte for byte.
//   frame_indices  numpy.linspace(0, n-1, F, dtype=int).
//
// Text is UTF-8 (the JSON parser has validated it). Should an invalid byte
// reach these functions anyway, it counts as one symbol character (neither
// \w nor \s): deleted when symbols are not kept, else passed through.
//
// Thread-safety: every function is pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/names.h"

namespace mimicit::dataset {

enum class InstructionFormat { kSimple, kLlama2, kIdefics, kFuyu };

inline constexpr NameTable<InstructionFormat> kInstructionFormatNames{
    "instruction_format",
    {{InstructionFormat::kSimple, "simple"},
     {InstructionFormat::kLlama2, "llama2"},
     {InstructionFormat::kIdefics, "idefics"},
     {InstructionFormat::kFuyu, "fuyu"}}};
inline const char* instruction_format_name(InstructionFormat format) {
  return kInstructionFormatNames.name(format);
}
inline std::optional<InstructionFormat> parse_instruction_format(std::string_view name) {
  return kInstructionFormatNames.find(name);
}

// Whose Unicode database the cleaning follows: \w, \s, isspace() and
// strip() change with the Unicode version of the Python running the
// reference. Its environment pins Python 3.9 (Unicode 13.0.0), the default;
// 3.10 has 3.9's database, 3.11 Unicode 14.0.0, 3.12 15.0.0, 3.13 15.1.0.
// Later versions only add characters to \w (none to \s).
enum class PythonUnicode { kPython39, kPython311, kPython312, kPython313 };

// The names users give (--python-unicode, Python's python_unicode=): the
// first of a value is how it prints; "3.10" parses as 3.9.
inline constexpr NameTable<PythonUnicode> kPythonUnicodeNames{"Python Unicode version",
                                                              {{PythonUnicode::kPython39, "3.9"},
                                                               {PythonUnicode::kPython39, "3.10"},
                                                               {PythonUnicode::kPython311, "3.11"},
                                                               {PythonUnicode::kPython312, "3.12"},
                                                               {PythonUnicode::kPython313, "3.13"}}};
inline const char* python_unicode_name(PythonUnicode unicode) { return kPythonUnicodeNames.name(unicode); }
// Throws Error(kInvalidArgument) naming the choices for any other name.
inline PythonUnicode parse_python_unicode(std::string_view name) { return kPythonUnicodeNames.parse(name); }
// The Unicode version of its tables, as unicodedata.unidata_version: "13.0.0".
const char* unicode_version(PythonUnicode unicode);

// Python re's \w and \s on str patterns, for one code point.
bool is_word_char(uint32_t cp, PythonUnicode unicode);
bool is_space_char(uint32_t cp, PythonUnicode unicode);

// pre_question: without keep_symbols, delete every character that is not
// \w, \s or one of . , ? ! ( ) " ' ; strip(" "); runs of 2+ \s become one
// space; lstrip("\n").rstrip("\n"). Always: strip(" ").strip("\n").
std::string clean_question(std::string_view question, bool keep_symbols, PythonUnicode unicode);
// pre_answer: strip(); without keep_symbols the same deletion and
// collapsing, then lstrip("\n").rstrip("\n"); always "\r\n" -> "\n".
std::string clean_answer(std::string_view answer, bool keep_symbols, PythonUnicode unicode);

// Appends one turn (spec 2.2 step 3). `insert_image`: this turn carries the
// image placeholder; `text_only`: the placeholder is empty (TEXT_ONLY).
//   simple   [<image>]User:{q} GPT:<answer>{a}<|endofchunk|>
//   llama2   [INST][<image>]\n{q}[/INST]<answer>{a}<|endofchunk|>  (no \n without image)
//   idefics  User:[<fake_token_around_image><image><fake_token_around_image>]{q}
//            <end_of_utterance>\nAssistant:<answer>{a}<end_of_utterance>\n
//   fuyu     User:{q} Assistant:\x04 {a}
void append_turn(std::string& out, InstructionFormat format, std::string_view instruction,
                 std::string_view answer, bool insert_image, bool text_only);

// The frames a VIDEO_TEXT sample uses: numpy.linspace(0, n - 1, frames,
// dtype=int) (double arithmetic as numpy does it, then floor, which is
// truncation here). Frames may repeat. Requires n > 0.
std::vector<uint64_t> frame_indices(uint64_t n, uint64_t frames);

}  // namespace mimicit::dataset
