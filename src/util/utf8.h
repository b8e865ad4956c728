// UTF-8: the one place that knows how text is encoded. Everything else that
// steps through, checks, cuts or repairs UTF-8 calls these (the text
// cleaning, JSON and HTML output, Parquet statistics bounds, the viewer's
// snippets).
//
// "Valid" is Unicode's well-formed UTF-8 (table 3-7): no overlong forms, no
// surrogates, nothing above U+10FFFF. An invalid sequence is replaced by
// U+FFFD once per maximal invalid subpart, as Python's errors="replace"
// does ("\xe2\x82" is one U+FFFD, "\xed\xa0\x80" three).
//
// Cutting works on byte offsets and never splits a sequence: a cut point
// backs up over continuation bytes. On invalid text it still never reads
// outside the string.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mimicit {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD
// What decode_utf8 returns for an invalid sequence.
inline constexpr uint32_t kInvalidCodePoint = 0xFFFFFFFFu;

inline bool is_utf8_continuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

// Length (1 to 4) of the valid sequence starting at s[i] (i < s.size()),
// or, when it is invalid, minus the length of its maximal invalid subpart
// (at least 1): the bytes one U+FFFD replaces.
int utf8_sequence_length(std::string_view s, size_t i);

// The code point starting at s[i] (i < s.size()) and its length in bytes.
// An invalid sequence decodes as kInvalidCodePoint of length 1, so a
// caller stepping by *length meets every byte after it again.
uint32_t decode_utf8(std::string_view s, size_t i, size_t* length);

// The start of the code point that ends just before s[end] (end > 0); end - 1
// when the bytes before `end` are not a valid sequence ending there.
size_t previous_code_point(std::string_view s, size_t end);

bool is_valid_utf8(std::string_view s);

// Code points in valid UTF-8 (the bytes that are not continuation bytes).
size_t count_code_points(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` that does not end inside
// a sequence: the cut point backs up over continuation bytes. Also gives
// the start of the sequence holding byte `max_bytes` when it is < s.size().
size_t utf8_prefix_length(std::string_view s, size_t max_bytes);
// That prefix; sets *cut when it is shorter than `s`.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes, bool* cut = nullptr);

// Appends `cp` (at most 0x10FFFF; callers validate surrogates) as UTF-8.
void append_utf8(uint32_t cp, std::string& out);
// Appends `s` with each maximal invalid subpart replaced by U+FFFD.
void append_valid_utf8(std::string& out, std::string_view s);
// Appends the sequence starting at s[i] (i < s.size()), or U+FFFD for its
// maximal invalid subpart; returns the index after what it consumed.
size_t append_valid_sequence(std::string& out, std::string_view s, size_t i);

}  // namespace mimicit
