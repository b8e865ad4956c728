#include "util/json_text.h"

#include <cmath>
#include <cstdint>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace mimicit {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence starting at s[i], or, when it is
// invalid, minus the length of its maximal invalid subpart (at least 1).
// The ranges of the second byte exclude overlong forms, surrogates and code
// points above U+10FFFF (Unicode table 3-7).
int utf8_sequence_length(std::string_view s, size_t i) {
  const auto lead = static_cast<uint8_t>(s[i]);
  int length = 0;
  uint8_t second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;
    if (lead == 0xED) second_hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;
    if (lead == 0xF4) second_hi = 0x8F;
  } else {
    return -1;
  }
  for (int k = 1; k < length; ++k) {
    if (i + k >= s.size()) return -k;
    const auto b = static_cast<uint8_t>(s[i + k]);
    const bool ok = k == 1 ? (b >= second_lo && b <= second_hi) : is_continuation(b);
    if (!ok) return -k;
  }
  return length;
}

// Appends s[i..] up to the next byte that is not plain ASCII; returns the
// index of that byte. `escape_json` also stops at `"`, `\` and controls.
size_t append_plain_run(std::string& out, std::string_view s, size_t i, bool escape_json) {
  size_t j = i;
  while (j < s.size()) {
    const auto b = static_cast<uint8_t>(s[j]);
    if (b >= 0x80) break;
    if (escape_json && (b < 0x20 || b == '"' || b == '\\')) break;
    ++j;
  }
  out.append(s.data() + i, j - i);
  return j;
}

// Appends the UTF-8 sequence at s[i] (or U+FFFD); returns the next index.
size_t append_utf8_sequence(std::string& out, std::string_view s, size_t i) {
  const int length = utf8_sequence_length(s, i);
  if (length > 0) {
    out.append(s.data() + i, length);
    return i + length;
  }
  out.append(kReplacementCharacter);
  return i + static_cast<size_t>(-length);
}

void append_json_escape(std::string& out, uint8_t b) {
  if (b == '"' || b == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(b));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escape[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
  out.append(escape, sizeof escape);
}

// Shortest round-trip text of a finite number; fmt's "{}" is shortest for
// the argument's own type, so a float prints as the float it is ("0.1", not
// "0.10000000149011612").
// JSON has no NaN or infinity, so there they are strings (`quote`); CSV
// writes the bare words.
template <typename Float>
void append_number(std::string& out, Float v, bool quote) {
  if (!std::isfinite(v)) {
    if (quote) out.push_back('"');
    out.append(std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    if (quote) out.push_back('"');
  } else {
    char buffer[64];  // the longest shortest-form double is 24 characters
    char* end = fmt::format_to(buffer, FMT_COMPILE("{}"), v);
    out.append(buffer, end);
  }
}

}  // namespace

void append_valid_utf8(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    i = append_plain_run(out, s, i, /*escape_json=*/false);
    if (i < s.size()) i = append_utf8_sequence(out, s, i);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    i = append_plain_run(out, s, i, /*escape_json=*/true);
    if (i == s.size()) break;
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      append_json_escape(out, b);
      ++i;
    } else {
      i = append_utf8_sequence(out, s, i);
    }
  }
  out.push_back('"');
}

void append_json_float(std::string& out, float v) { append_number(out, v, /*quote=*/true); }
void append_json_double(std::string& out, double v) { append_number(out, v, /*quote=*/true); }
void append_number_text(std::string& out, float v) { append_number(out, v, /*quote=*/false); }
void append_number_text(std::string& out, double v) { append_number(out, v, /*quote=*/false); }

}  // namespace mimicit
