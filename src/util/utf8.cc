#include "util/utf8.h"

namespace mimicit {

// The ranges of the second byte exclude overlong forms, surrogates and code
// points above U+10FFFF (Unicode table 3-7); later bytes are any
// continuation byte.
int utf8_sequence_length(std::string_view s, size_t i) {
  const auto lead = static_cast<uint8_t>(s[i]);
  if (lead < 0x80) return 1;
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
    const bool ok = k == 1 ? (b >= second_lo && b <= second_hi) : is_utf8_continuation(b);
    if (!ok) return -k;
  }
  return length;
}

uint32_t decode_utf8(std::string_view s, size_t i, size_t* length) {
  *length = 1;
  const auto lead = static_cast<uint8_t>(s[i]);
  if (lead < 0x80) return lead;
  const int n = utf8_sequence_length(s, i);
  if (n < 0) return kInvalidCodePoint;
  uint32_t cp = lead & (0x7Fu >> n);
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
  *length = static_cast<size_t>(n);
  return cp;
}

size_t previous_code_point(std::string_view s, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && is_utf8_continuation(static_cast<uint8_t>(s[start]))) --start;
  if (utf8_sequence_length(s, start) == static_cast<int>(end - start)) return start;
  return end - 1;
}

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const int n = utf8_sequence_length(s, i);
    if (n < 0) return false;
    i += static_cast<size_t>(n);
  }
  return true;
}

size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += !is_utf8_continuation(static_cast<uint8_t>(c));
  return n;
}

size_t utf8_prefix_length(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  size_t cut = max_bytes;
  while (cut > 0 && is_utf8_continuation(static_cast<uint8_t>(s[cut]))) --cut;
  return cut;
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes, bool* cut) {
  if (cut != nullptr) *cut = s.size() > max_bytes;
  return s.substr(0, utf8_prefix_length(s, max_bytes));
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_valid_utf8(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    // ASCII runs are copied whole.
    size_t j = i;
    while (j < s.size() && static_cast<uint8_t>(s[j]) < 0x80) ++j;
    out.append(s.data() + i, j - i);
    i = j < s.size() ? append_valid_sequence(out, s, j) : j;
  }
}

size_t append_valid_sequence(std::string& out, std::string_view s, size_t i) {
  const int n = utf8_sequence_length(s, i);
  if (n > 0) {
    out.append(s.data() + i, static_cast<size_t>(n));
    return i + static_cast<size_t>(n);
  }
  out.append(kReplacementCharacter);
  return i + static_cast<size_t>(-n);
}

}  // namespace mimicit
