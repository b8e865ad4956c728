#include "util/json_walker.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mimicit/error.h"
#include "util/utf8.h"

namespace mimicit {

namespace {

bool is_whitespace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(int c) { return c >= '0' && c <= '9'; }

constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

#if defined(__SSE2__)
// Bit i set when byte i of x is '"', '\\' or <= 0x1f.
inline uint32_t special_mask(__m128i x) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1f);
  __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(x, max_control), x);
  __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)), control);
  return static_cast<uint32_t>(_mm_movemask_epi8(hit));
}
#endif

int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 4 hex digits at s[i..i+4) as a code unit, or -1.
int32_t read_hex4(std::string_view s, size_t i) {
  if (s.size() < 4 || i > s.size() - 4) return -1;
  int32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int h = hex_value(static_cast<uint8_t>(s[i + k]));
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Length of the escape sequence at p (p[0] == '\\'), or 0 when invalid.
// Surrogate pairing is checked only when unescaping.
size_t escape_length(const uint8_t* p, const uint8_t* end) {
  if (end - p < 2) return 0;
  switch (p[1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't': return 2;
    case 'u':
      if (end - p < 6) return 0;
      for (int k = 2; k < 6; ++k) {
        if (hex_value(p[k]) < 0) return 0;
      }
      return 6;
    default: return 0;
  }
}

bool is_scalar_end(uint8_t c) { return c == ',' || c == '}' || c == ']' || is_whitespace(c); }

}  // namespace

const uint8_t* find_string_special(const uint8_t* p, const uint8_t* end) {
#if defined(__SSE2__)
  // Two 16-byte blocks per step: base64 text never stops this loop, so it
  // runs at memory bandwidth.
  while (end - p >= 32) {
    uint32_t lo = special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    uint32_t hi = special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
    uint32_t mask = lo | (hi << 16);
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 32;
  }
  if (end - p >= 16) {
    uint32_t mask = special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p != end && !kSpecial[*p]) ++p;
  return p;
}

const uint8_t* json_string_end(const uint8_t* p, const uint8_t* end, bool* has_escapes, const char** error) {
  for (;;) {
    p = find_string_special(p, end);
    if (p == end) {
      *error = "unterminated string";
      return p;
    }
    if (*p == '"') return p;
    if (*p != '\\') {
      *error = "raw control character in a string";
      return p;
    }
    *has_escapes = true;
    size_t n = escape_length(p, end);
    if (n == 0) {
      *error = "invalid escape sequence";
      return p;
    }
    p += n;
  }
}

const char* unescape_json_string(std::string_view raw, std::string& out, size_t* error_pos) {
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(raw.data());
  const uint8_t* end = begin + raw.size();
  const uint8_t* p = begin;
  while (p != end) {
    const uint8_t* q = find_string_special(p, end);
    out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(q - p));
    p = q;
    if (p == end) break;
    if (*p == '"') {  // not valid inside a JSON string, but harmless here
      out.push_back('"');
      ++p;
      continue;
    }
    *error_pos = static_cast<size_t>(p - begin);
    if (*p != '\\') return "raw control character in a string";
    if (end - p < 2) return "invalid escape sequence";
    switch (p[1]) {
      case '"':
      case '\\':
      case '/': out.push_back(static_cast<char>(p[1])); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        size_t i = static_cast<size_t>(p - begin);
        int32_t cp = read_hex4(raw, i + 2);
        if (cp < 0) return "invalid \\u escape";
        if (cp >= 0xDC00 && cp <= 0xDFFF) return "lone low surrogate in \\u escape";
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int32_t low = (end - p >= 12 && p[6] == '\\' && p[7] == 'u') ? read_hex4(raw, i + 8) : -1;
          if (low < 0xDC00 || low > 0xDFFF) return "lone high surrogate in \\u escape";
          append_utf8(
              0x10000 + ((static_cast<uint32_t>(cp) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00),
              out);
          p += 12;
          continue;
        }
        append_utf8(static_cast<uint32_t>(cp), out);
        p += 6;
        continue;
      }
      default: return "invalid escape sequence";
    }
    p += 2;
  }
  return nullptr;
}

std::string describe_offset(ByteView doc, uint64_t offset) {
  offset = std::min<uint64_t>(offset, doc.size());
  const uint64_t lines = 1 + static_cast<uint64_t>(std::count(doc.begin(), doc.begin() + offset, '\n'));
  return fmt::format("byte offset {} (line {})", offset, lines);
}

void expect_only_whitespace_after(ByteView doc, uint64_t offset) {
  for (uint64_t i = offset; i < doc.size(); ++i) {
    if (!is_whitespace(doc[i]))
      fail_corrupt("{}: unexpected content after the JSON value", describe_offset(doc, i));
  }
}

// ---------------------------------------------------------------------------
// JsonObjectWalker

JsonObjectWalker::JsonObjectWalker(ByteView doc, uint64_t offset, JsonWalkRules rules)
    : begin_(doc.data()),
      end_(doc.data() + doc.size()),
      p_(doc.data() + std::min<uint64_t>(offset, doc.size())),
      rules_(rules) {
  if (offset == 0 && end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
  skip_whitespace();
  expect('{', "expected '{'");
}

void JsonObjectWalker::fail_at(const uint8_t* p, std::string_view what) const {
  const ByteView doc(begin_, static_cast<size_t>(end_ - begin_));
  if (p == end_) fail_corrupt("{}: unexpected end of file: {}", describe_offset(doc, p - begin_), what);
  fail_corrupt("{}: {}", describe_offset(doc, p - begin_), what);
}

void JsonObjectWalker::fail_depth(const uint8_t* p) const {
  const ByteView doc(begin_, static_cast<size_t>(end_ - begin_));
  fail_unsupported("{}: nesting deeper than {} levels", describe_offset(doc, p - begin_), kMaxDepth);
}

void JsonObjectWalker::skip_whitespace() {
  while (p_ != end_ && is_whitespace(*p_)) ++p_;
}

void JsonObjectWalker::expect(char c, std::string_view what) {
  if (p_ == end_ || *p_ != static_cast<uint8_t>(c)) fail_at(p_, what);
  ++p_;
}

// A string at p_, escapes checked.
void JsonObjectWalker::skip_string() {
  bool has_escapes = false;
  const char* error = nullptr;
  const uint8_t* close = json_string_end(p_ + 1, end_, &has_escapes, &error);
  if (error != nullptr) fail_at(close, error);
  p_ = close + 1;
}

// p_ is at the opening quote. The key is a view into the document unless it
// has escapes; then it is unescaped into key_buffer_.
std::string_view JsonObjectWalker::read_key() {
  if (p_ == end_ || *p_ != '"') fail_at(p_, "expected a string key");
  const uint8_t* open = p_;
  bool has_escapes = false;
  const char* error = nullptr;
  const uint8_t* close = json_string_end(open + 1, end_, &has_escapes, &error);
  if (error != nullptr) fail_at(close, error);
  p_ = close + 1;
  std::string_view key(reinterpret_cast<const char*>(open + 1), static_cast<size_t>(close - open - 1));
  if (has_escapes) {
    key_buffer_.clear();
    size_t error_pos = 0;
    if (const char* problem = unescape_json_string(key, key_buffer_, &error_pos)) {
      fail_at(open + 1 + error_pos, problem);
    }
    key = key_buffer_;
  }
  if (rules_.utf8_keys && !is_valid_utf8(key)) fail_at(open, "key is not valid UTF-8");
  return key;
}

bool JsonObjectWalker::next_key(JsonMember* member) {
  if (done_) return false;
  skip_whitespace();
  const bool first = std::exchange(first_, false);
  if (p_ != end_ && *p_ == '}') {
    ++p_;
    done_ = true;
    return false;
  }
  if (!first) {
    expect(',', "expected ',' or '}'");
    skip_whitespace();
  }
  member->key_offset = static_cast<uint64_t>(p_ - begin_);
  member->key = read_key();
  skip_whitespace();
  expect(':', "expected ':'");
  skip_whitespace();
  member->value_begin = static_cast<uint64_t>(p_ - begin_);
  return true;
}

void JsonObjectWalker::skip_member_value(JsonMember* member) {
  p_ = begin_ + member->value_begin;
  if (rules_.validate_values) {
    skip_valid_value();
  } else {
    skip_delimited_value();
  }
  member->value_end = static_cast<uint64_t>(p_ - begin_);
}

void JsonObjectWalker::continue_after(uint64_t value_end) {
  p_ = begin_ + std::min<uint64_t>(value_end, static_cast<uint64_t>(end_ - begin_));
}

// Only as far as finding the end needs: a scalar runs to the next
// delimiter, a string's escapes only hide the byte after the backslash,
// brackets must match.
void JsonObjectWalker::skip_delimited_value() {
  if (p_ == end_) fail_at(p_, "expected a value");
  if (*p_ != '{' && *p_ != '[') {
    if (*p_ == '"') return skip_delimited_string();
    const uint8_t* start = p_;
    while (p_ != end_ && !is_scalar_end(*p_) && *p_ != '"' && *p_ != '{' && *p_ != '[' && *p_ != ':') ++p_;
    if (p_ == start) fail_at(p_, "expected a value");
    return;
  }
  closers_.clear();
  while (p_ != end_) {
    const uint8_t c = *p_;
    if (c == '"') {
      skip_delimited_string();
      continue;
    }
    if (c == '{' || c == '[') {
      if (closers_.size() >= static_cast<size_t>(kMaxDepth)) fail_depth(p_);
      closers_.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (c != closers_.back()) fail_at(p_, fmt::format("expected '{}'", static_cast<char>(closers_.back())));
      closers_.pop_back();
      if (closers_.empty()) {
        ++p_;
        return;
      }
    }
    ++p_;
  }
  fail_at(p_, fmt::format("expected '{}'", static_cast<char>(closers_.back())));
}

void JsonObjectWalker::skip_delimited_string() {
  const uint8_t* p = p_ + 1;
  for (;;) {
    p = find_string_special(p, end_);
    if (p == end_) fail_at(p, "unterminated string");
    if (*p == '"') break;
    if (*p != '\\') fail_at(p, "raw control character in a string");
    if (end_ - p < 2) fail_at(end_, "unterminated string");
    p += 2;
  }
  p_ = p + 1;
}

// The whole grammar, without recursion: closers_ holds the brackets of the
// values open around p_.
void JsonObjectWalker::skip_valid_value() {
  closers_.clear();
  for (;;) {
    if (p_ == end_) fail_at(p_, "expected a value");
    switch (*p_) {
      case '"': skip_string(); break;
      case 't': skip_literal("true"); break;
      case 'f': skip_literal("false"); break;
      case 'n': skip_literal("null"); break;
      case '{':
      case '[': {
        if (closers_.size() >= static_cast<size_t>(kMaxDepth)) fail_depth(p_);
        const uint8_t closer = *p_ == '{' ? '}' : ']';
        ++p_;
        skip_whitespace();
        if (p_ != end_ && *p_ == closer) {
          ++p_;
          break;
        }
        closers_.push_back(closer);
        if (closer == '}') skip_member_name();
        continue;  // at its first value
      }
      default: skip_number(); break;
    }
    // A value ended: close the values it ends, or go on to the next one.
    for (;;) {
      if (closers_.empty()) return;
      skip_whitespace();
      const uint8_t closer = closers_.back();
      if (p_ != end_ && *p_ == closer) {
        ++p_;
        closers_.pop_back();
        continue;
      }
      expect(',', closer == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
      skip_whitespace();
      if (closer == '}') skip_member_name();
      break;
    }
  }
}

// `"name" :` and the whitespace after it, inside a nested object.
void JsonObjectWalker::skip_member_name() {
  if (p_ == end_ || *p_ != '"') fail_at(p_, "expected a string key");
  skip_string();
  skip_whitespace();
  expect(':', "expected ':'");
  skip_whitespace();
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
void JsonObjectWalker::skip_number() {
  auto peek = [this]() -> int { return p_ != end_ ? *p_ : -1; };
  auto digits = [&] {
    if (!is_digit(peek())) fail_at(p_, "invalid value");
    while (is_digit(peek())) ++p_;
  };
  if (peek() == '-') ++p_;
  if (peek() == '0') {
    ++p_;
  } else {
    digits();
  }
  if (peek() == '.') {
    ++p_;
    digits();
  }
  if (peek() == 'e' || peek() == 'E') {
    ++p_;
    if (peek() == '+' || peek() == '-') ++p_;
    digits();
  }
}

void JsonObjectWalker::skip_literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
    fail_at(p_, "invalid value");
  }
  p_ += word.size();
}

}  // namespace mimicit
