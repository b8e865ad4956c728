// Text cleaning and turn formatting of the reference pipeline (prompt.h).
// Every step is one pass over the UTF-8 bytes, decoding code points only
// where a class test needs them; the ASCII bytes that matter (' ', '\n',
// '\r') are never part of a multi-byte sequence, so stripping them works
// on bytes directly.
#include <algorithm>
#include <array>
#include <cstring>
#include <iterator>

#include "mimicit/error.h"
#include "mimicit/prompt.h"
#include "util/utf8.h"

namespace mimicit::dataset {

namespace {

struct ClassRun {
  uint32_t first : 24;
  uint32_t versions : 8;  // bit i: PythonUnicode value i
};
static_assert(sizeof(ClassRun) == 4, "4 bytes a run: every version's tables in ~6 KB");

#include "dataset/unicode_tables.inc"

static_assert(std::size(kUnicodeVersions) == static_cast<size_t>(PythonUnicode::kPython313) + 1,
              "one table version per PythonUnicode value");

// The runs start at code point 0, so the run holding cp is the last one
// starting at or before it.
template <size_t N>
bool in_runs(const ClassRun (&runs)[N], uint32_t cp, PythonUnicode unicode) {
  const ClassRun* it = std::upper_bound(std::begin(runs), std::end(runs), cp,
                                        [](uint32_t v, const ClassRun& r) { return v < r.first; });
  return ((it - 1)->versions >> static_cast<unsigned>(unicode) & 1u) != 0;
}

constexpr std::array<uint8_t, 128> kAsciiClass = [] {
  // bit 0: \w, bit 1: \s, bit 2: kept punctuation . , ? ! ( ) " '
  std::array<uint8_t, 128> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] |= 1;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= 1;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= 1;
  t['_'] |= 1;
  for (int c = 0x09; c <= 0x0D; ++c) t[c] |= 2;
  for (int c = 0x1C; c <= 0x20; ++c) t[c] |= 2;
  for (char c : std::string_view(".,?!()\"'")) t[static_cast<uint8_t>(c)] |= 4;
  return t;
}();

bool is_kept_char(uint32_t cp, PythonUnicode unicode) {
  if (cp < 128) return kAsciiClass[cp] != 0;
  return is_word_char(cp, unicode) || is_space_char(cp, unicode);
}

// re.sub(r'[^\w\s.,?!()"\']', "", s)
std::string delete_symbols(std::string_view s, PythonUnicode unicode) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t length = 1;
    uint32_t cp = static_cast<uint8_t>(s[i]);
    if (cp >= 0x80) cp = decode_utf8(s, i, &length);
    if (cp != kInvalidCodePoint && is_kept_char(cp, unicode)) out.append(s.data() + i, length);
    i += length;
  }
  return out;
}

// re.sub(r"\s{2,}", " ", s): every maximal run of two or more whitespace
// code points becomes one space; a single one stays as it is.
std::string collapse_whitespace(std::string_view s, PythonUnicode unicode) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t run_end = i;
    size_t run_length = 0;
    size_t first_length = 0;
    while (run_end < s.size()) {
      size_t length = 1;
      uint32_t cp = static_cast<uint8_t>(s[run_end]);
      if (cp >= 0x80) cp = decode_utf8(s, run_end, &length);
      if (cp == kInvalidCodePoint || !is_space_char(cp, unicode)) {
        if (run_length == 0) first_length = length;
        break;
      }
      if (run_length == 0) first_length = length;
      ++run_length;
      run_end += length;
    }
    if (run_length >= 2) {
      out.push_back(' ');
      i = run_end;
    } else if (run_length == 1) {
      out.append(s.data() + i, first_length);
      i = run_end;
    } else {
      out.append(s.data() + i, first_length);
      i += first_length;
    }
  }
  return out;
}

std::string_view lstrip_byte(std::string_view s, char c) {
  size_t i = 0;
  while (i < s.size() && s[i] == c) ++i;
  return s.substr(i);
}

std::string_view rstrip_byte(std::string_view s, char c) {
  size_t n = s.size();
  while (n > 0 && s[n - 1] == c) --n;
  return s.substr(0, n);
}

std::string_view strip_byte(std::string_view s, char c) { return rstrip_byte(lstrip_byte(s, c), c); }

// str.strip(): whitespace code points at both ends.
std::string_view strip_whitespace(std::string_view s, PythonUnicode unicode) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t length = 1;
    uint32_t cp = static_cast<uint8_t>(s[begin]);
    if (cp >= 0x80) cp = decode_utf8(s, begin, &length);
    if (cp == kInvalidCodePoint || !is_space_char(cp, unicode)) break;
    begin += length;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = previous_code_point(s, end);
    size_t length = 1;
    uint32_t cp = decode_utf8(s, start, &length);
    if (cp == kInvalidCodePoint || !is_space_char(cp, unicode)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string replace_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;  // the '\n' follows
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

const char* unicode_version(PythonUnicode unicode) { return kUnicodeVersions[static_cast<size_t>(unicode)]; }

bool is_word_char(uint32_t cp, PythonUnicode unicode) {
  if (cp < 128) return (kAsciiClass[cp] & 1) != 0;
  return cp <= 0x10FFFF && in_runs(kWordRuns, cp, unicode);
}

bool is_space_char(uint32_t cp, PythonUnicode unicode) {
  if (cp < 128) return (kAsciiClass[cp] & 2) != 0;
  return cp <= 0x10FFFF && in_runs(kSpaceRuns, cp, unicode);
}

std::string clean_question(std::string_view question, bool keep_symbols, PythonUnicode unicode) {
  std::string text(question);
  if (!keep_symbols) {
    text = delete_symbols(text, unicode);
    text = collapse_whitespace(strip_byte(text, ' '), unicode);
    text = std::string(rstrip_byte(lstrip_byte(text, '\n'), '\n'));
  }
  return std::string(strip_byte(strip_byte(text, ' '), '\n'));
}

std::string clean_answer(std::string_view answer, bool keep_symbols, PythonUnicode unicode) {
  std::string text(strip_whitespace(answer, unicode));
  if (!keep_symbols) {
    text = collapse_whitespace(delete_symbols(text, unicode), unicode);
    text = std::string(rstrip_byte(lstrip_byte(text, '\n'), '\n'));
  }
  return replace_crlf(text);
}

void append_turn(std::string& out, InstructionFormat format, std::string_view instruction,
                 std::string_view answer, bool insert_image, bool text_only) {
  switch (format) {
    case InstructionFormat::kSimple:
      if (insert_image && !text_only) out += "<image>";
      out += "User:";
      out += instruction;
      out += " GPT:<answer>";
      out += answer;
      out += "<|endofchunk|>";
      return;
    case InstructionFormat::kLlama2:
      out += "[INST]";
      if (insert_image) out += text_only ? "\n" : "<image>\n";
      out += instruction;
      out += "[/INST]<answer>";
      out += answer;
      out += "<|endofchunk|>";
      return;
    case InstructionFormat::kIdefics:
      out += "User:";
      if (insert_image && !text_only) out += "<fake_token_around_image><image><fake_token_around_image>";
      out += instruction;
      out += "<end_of_utterance>\nAssistant:<answer>";
      out += answer;
      out += "<end_of_utterance>\n";
      return;
    case InstructionFormat::kFuyu:
      out += "User:";
      out += instruction;
      out += " Assistant:\x04 ";
      out += answer;
      return;
  }
}

std::vector<uint64_t> frame_indices(uint64_t n, uint64_t frames) {
  std::vector<uint64_t> indices(frames, 0);
  if (frames <= 1 || n == 0) return indices;
  // numpy: step = (stop - start) / div; y = arange(num) * step (or, when the
  // step underflows to 0, arange / div * delta); y[-1] = stop; floor.
  const double stop = static_cast<double>(n - 1);
  const double div = static_cast<double>(frames - 1);
  const double step = stop / div;
  for (uint64_t i = 0; i + 1 < frames; ++i) {
    const double y = step == 0 ? static_cast<double>(i) / div * stop : static_cast<double>(i) * step;
    indices[i] = static_cast<uint64_t>(y);
  }
  indices[frames - 1] = n - 1;
  return indices;
}

}  // namespace mimicit::dataset
