#include "mimicit/base64.h"

#include <array>
#include <cstring>
#include <utility>

#include "mimicit/error.h"

namespace mimicit {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---------------------------------------------------------------------------
// Tables, built at compile time.

constexpr uint8_t kInvalid = 0xFF;

// Character -> 6-bit value for both alphabets, kInvalid for everything else
// (including '=' and whitespace, which the slow path handles).
constexpr std::array<uint8_t, 256> make_values() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  t['-'] = 62;
  t['_'] = 63;
  return t;
}
constexpr std::array<uint8_t, 256> kValue = make_values();

// For the fast path: the value of a character at position k of a 4-character
// group, already shifted to where its bits land in the 3 output bytes read as
// a little-endian word (byte 0 = first output byte). Invalid characters map
// to a value with the top byte set, so OR-ing a group's four entries and
// testing the top byte checks all four characters at once.
constexpr uint32_t kBad = 0xFF000000u;

constexpr uint32_t placed(uint32_t value, int k) {
  uint32_t bits = value << (18 - 6 * k);  // big-endian 24-bit group
  return ((bits >> 16) & 0xFF) | (bits & 0xFF00) | ((bits & 0xFF) << 16);
}

constexpr std::array<std::array<uint32_t, 256>, 4> make_placed() {
  std::array<std::array<uint32_t, 256>, 4> t{};
  for (int k = 0; k < 4; ++k) {
    for (int c = 0; c < 256; ++c) {
      t[k][c] = kValue[c] == kInvalid ? kBad : placed(kValue[c], k);
    }
  }
  return t;
}
constexpr std::array<std::array<uint32_t, 256>, 4> kPlaced = make_placed();

// 12 bits -> the two characters that encode them, first character in the
// low byte, so one lookup emits two characters.
constexpr std::array<uint16_t, 4096> make_pairs() {
  std::array<uint16_t, 4096> t{};
  for (int i = 0; i < 4096; ++i) {
    t[i] = static_cast<uint16_t>(static_cast<uint8_t>(kAlphabet[i >> 6]) |
                                 (static_cast<uint8_t>(kAlphabet[i & 63]) << 8));
  }
  return t;
}
constexpr std::array<uint16_t, 4096> kPairs = make_pairs();

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// The offset where the base64 payload starts: after a "data:<mime>;base64,"
// prefix if there is one (leading whitespace allowed before it), else 0
// (text that only looks like a prefix is decoded as it is, as CPython does).
size_t payload_offset(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  if (!starts_with_ignoring_case(text.substr(start), "data:")) return 0;
  size_t comma = text.find(',', start);
  if (comma == std::string_view::npos) return 0;
  std::string_view header = text.substr(start, comma - start);
  constexpr std::string_view kMarker = ";base64";
  if (header.size() < kMarker.size() ||
      !starts_with_ignoring_case(header.substr(header.size() - kMarker.size()), kMarker)) {
    return 0;
  }
  return comma + 1;
}

// Decodes 8 characters at `p` into 6 bytes at `o`, storing 8 bytes (the last
// two are scratch). False, with nothing stored, if any character is not in
// the alphabet.
inline bool decode8(const char* p, uint8_t* o) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  uint32_t lo = kPlaced[0][w & 0xFF] | kPlaced[1][(w >> 8) & 0xFF] | kPlaced[2][(w >> 16) & 0xFF] |
                kPlaced[3][(w >> 24) & 0xFF];
  uint32_t hi = kPlaced[0][(w >> 32) & 0xFF] | kPlaced[1][(w >> 40) & 0xFF] | kPlaced[2][(w >> 48) & 0xFF] |
                kPlaced[3][w >> 56];
  if ((lo | hi) & kBad) return false;
  uint64_t bytes = lo | (uint64_t{hi} << 24);
  std::memcpy(o, &bytes, 8);
  return true;
}

// Emits the `count` significant characters (2 to 4) gathered in `acc`, 6 bits
// each, as count - 1 bytes.
uint8_t* emit_group(uint32_t acc, int count, uint8_t* o) {
  acc <<= 6 * (4 - count);
  o[0] = static_cast<uint8_t>(acc >> 16);
  if (count >= 3) o[1] = static_cast<uint8_t>(acc >> 8);
  if (count == 4) o[2] = static_cast<uint8_t>(acc);
  return o + (count - 1);
}

bool only_whitespace(const char* p, const char* end) {
  for (; p != end; ++p) {
    if (!is_space(*p)) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------
// Encoding.

void base64_encode(ByteView data, std::string& out) {
  size_t n = data.size();
  size_t old = out.size();
  out.resize(old + (n / 3 + (n % 3 != 0)) * 4);
  char* o = out.data() + old;
  const uint8_t* p = data.data();
  const uint8_t* full_end = p + n / 3 * 3;
  for (; p != full_end; p += 3, o += 4) {
    uint32_t group = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    uint16_t first = kPairs[group >> 12];
    uint16_t second = kPairs[group & 0xFFF];
    std::memcpy(o, &first, 2);
    std::memcpy(o + 2, &second, 2);
  }
  size_t rest = n % 3;
  if (rest == 0) return;
  uint32_t group = uint32_t{p[0]} << 16;
  if (rest == 2) group |= uint32_t{p[1]} << 8;
  o[0] = kAlphabet[group >> 18];
  o[1] = kAlphabet[(group >> 12) & 63];
  o[2] = rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
  o[3] = '=';
}

std::string base64_encode(ByteView data) {
  std::string out;
  base64_encode(data, out);
  return out;
}

// ---------------------------------------------------------------------------
// Decoding.

size_t base64_decoded_size_upper_bound(size_t text_size) {
  // 3 bytes per 4 characters, and at most 3 more for a final partial group
  // (written this way so it cannot overflow).
  return text_size / 4 * 3 + text_size % 4;
}

// The output never outruns 3/4 of the text consumed, and the bound above is
// at least 3/4 of the text: so while 16 characters remain there are at least
// 12 bytes of room, enough for decode8's 8-byte store.
//
// The slow path follows CPython's binascii.a2b_base64 (non-strict) step for
// step: `count` is its quad_pos, `pads` its count of '=' since the last
// character of the alphabet (counted only from the group's third position).
size_t base64_decode(std::string_view text, uint8_t* out, Base64Leniency* leniency) {
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const size_t start = payload_offset(text);
  const char* p = begin + start;
  uint8_t* o = out;
  Base64Leniency found = start != 0 ? Base64Leniency::kDataUriPrefix : Base64Leniency::kNone;
  for (;;) {
    // Fast path: whole groups of clean text.
    while (end - p >= 16 && decode8(p, o)) {
      p += 8;
      o += 6;
    }
    // Slow path: gather one group of 4 characters of the alphabet, skipping
    // the rest, stopping at the padding that completes the group or at the
    // end of the text.
    uint32_t acc = 0;
    int count = 0;
    int pads = 0;
    while (count < 4 && p != end) {
      const char c = *p++;
      const uint8_t v = kValue[static_cast<uint8_t>(c)];
      if (v != kInvalid) {
        if (pads != 0) found = found | Base64Leniency::kSkippedCharacters;  // a '=' that padded nothing
        pads = 0;
        acc = (acc << 6) | v;
        ++count;
      } else if (c == '=') {
        if (count < 2) {
          found = found | Base64Leniency::kSkippedCharacters;
        } else if (count + ++pads >= 4) {
          if (!only_whitespace(p, end)) found = found | Base64Leniency::kTextAfterPadding;
          if (leniency) *leniency = found;
          return static_cast<size_t>(emit_group(acc, count, o) - out);
        }
      } else if (!is_space(c)) {
        found = found | Base64Leniency::kSkippedCharacters;
      }
    }
    if (count == 4) {
      o = emit_group(acc, 4, o);
      continue;
    }
    // End of text inside a group: padding was omitted or cut short.
    if (count == 1) fail_corrupt("base64: text ends with a single dangling character");
    if (count > 1) {
      found = found | Base64Leniency::kMissingPadding;
      o = emit_group(acc, count, o);
    }
    if (leniency) *leniency = found;
    return static_cast<size_t>(o - out);
  }
}

void base64_decode(std::string_view text, Buffer& out, Base64Leniency* leniency) {
  out.resize(base64_decoded_size_upper_bound(text.size()));
  out.resize(base64_decode(text, out.data(), leniency));
}

std::string describe(Base64Leniency leniency) {
  static constexpr std::pair<Base64Leniency, const char*> kTexts[] = {
      {Base64Leniency::kSkippedCharacters,
       "characters outside the alphabet or misplaced '=' skipped (as the reference's urlsafe_b64decode skips "
       "them)"},
      {Base64Leniency::kTextAfterPadding, "text after the padding ignored (as the reference ignores it)"},
      {Base64Leniency::kMissingPadding, "padding missing (the reference fails: Incorrect padding)"},
      {Base64Leniency::kDataUriPrefix, "a data: URI prefix removed (the reference decodes it as base64)"},
  };
  std::string out;
  for (const auto& [bit, text] : kTexts) {
    if (!has(leniency, bit)) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

}  // namespace mimicit
