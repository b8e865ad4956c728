#include "store/json_scanner.h"

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mimicit/error.h"
#include "util/utf8.h"

namespace mimicit::store {

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
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      return 2;
    case 'u':
      if (end - p < 6) return 0;
      for (int k = 2; k < 6; ++k) {
        if (hex_value(p[k]) < 0) return 0;
      }
      return 6;
    default:
      return 0;
  }
}

// Finds the closing quote of the string whose contents start at p. Returns
// it, or the position of the problem with *error set.
const uint8_t* string_body_end(const uint8_t* p, const uint8_t* end, bool* has_escapes,
                               const char** error) {
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

RawJsonString locate_value_string(ByteView doc, uint64_t offset) {
  if (offset >= doc.size()) fail_corrupt("byte offset {}: beyond the end of the file", offset);
  const uint8_t* begin = doc.data();
  const uint8_t* end = begin + doc.size();
  const uint8_t* p = begin + offset;
  if (*p == '[') {
    ++p;
    while (p != end && is_whitespace(*p)) ++p;
  }
  if (p == end || *p != '"') {
    fail_corrupt("byte offset {}: expected a string or a list starting with a string", p - begin);
  }
  const uint8_t* start = p + 1;
  RawJsonString raw;
  const char* error = nullptr;
  const uint8_t* close = string_body_end(start, end, &raw.has_escapes, &error);
  if (error != nullptr) fail_corrupt("byte offset {}: {}", close - begin, error);
  raw.text = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(close - start));
  return raw;
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
      case '"': case '\\': case '/': out.push_back(static_cast<char>(p[1])); break;
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
          append_utf8(0x10000 + ((static_cast<uint32_t>(cp) - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00), out);
          p += 12;
          continue;
        }
        append_utf8(static_cast<uint32_t>(cp), out);
        p += 6;
        continue;
      }
      default:
        return "invalid escape sequence";
    }
    p += 2;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// JsonObjectScanner

void JsonObjectScanner::fail_at(const uint8_t* p, std::string_view what) const {
  fail_corrupt("byte offset {} (line {}): {}", p - doc_.data(), line_, what);
}

void JsonObjectScanner::fail_here(std::string_view what) const {
  if (p_ == end_) fail_at(p_, fmt::format("{} (unexpected end of file)", what));
  fail_at(p_, what);
}

void JsonObjectScanner::check_depth(int depth) const {
  if (depth <= kMaxDepth) return;
  throw Error(ErrorCode::kUnsupported, fmt::format("byte offset {} (line {}): values nested deeper than {} levels",
                                                   p_ - doc_.data(), line_, kMaxDepth));
}

void JsonObjectScanner::skip_whitespace() {
  while (p_ != end_) {
    uint8_t c = *p_;
    if (c == '\n') {
      ++line_;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    ++p_;
  }
}

void JsonObjectScanner::expect(char c, std::string_view what) {
  if (p_ == end_ || *p_ != static_cast<uint8_t>(c)) fail_here(what);
  ++p_;
}

const uint8_t* JsonObjectScanner::string_end(const uint8_t* p, bool* has_escapes) {
  const char* error = nullptr;
  const uint8_t* close = string_body_end(p, end_, has_escapes, &error);
  if (error != nullptr) fail_at(close, error);
  return close;
}

// p_ is at the opening quote. The id is a view into the document unless it
// has escapes; then it is unescaped into id_buffer_.
std::string_view JsonObjectScanner::read_id() {
  const uint8_t* start = p_ + 1;
  bool has_escapes = false;
  const uint8_t* close = string_end(start, &has_escapes);
  p_ = close + 1;
  std::string_view raw(reinterpret_cast<const char*>(start), static_cast<size_t>(close - start));
  if (!has_escapes) return raw;
  id_buffer_.clear();
  size_t pos = 0;
  if (const char* error = unescape_json_string(raw, id_buffer_, &pos)) fail_at(start + pos, error);
  return id_buffer_;
}

void JsonObjectScanner::skip_string() {
  bool has_escapes = false;
  p_ = string_end(p_ + 1, &has_escapes) + 1;
}

// A member value. Images are strings or lists whose first element is a
// string; any other well-formed value (null, a number, an empty list) is
// indexed all the same, so one bad entry does not make a whole store
// unreadable: fetching it fails and names its id (the converter then drops
// it and lists it), while malformed JSON still stops the scan.
void JsonObjectScanner::skip_member_value(std::string_view /*id*/) {
  if (p_ != end_ && *p_ == '"') return skip_string();
  skip_value(1);
}

// Any JSON value; `depth` is the nesting level it has if it is a container.
void JsonObjectScanner::skip_value(int depth) {
  if (p_ == end_) fail_here("expected a value");
  switch (*p_) {
    case '"': return skip_string();
    case '[': return skip_array(depth);
    case '{': return skip_object(depth);
    case 't': return skip_literal("true");
    case 'f': return skip_literal("false");
    case 'n': return skip_literal("null");
    default: return skip_number();
  }
}

void JsonObjectScanner::skip_array(int depth) {
  check_depth(depth);
  ++p_;
  skip_whitespace();
  if (p_ != end_ && *p_ == ']') {
    ++p_;
    return;
  }
  for (;;) {
    skip_value(depth + 1);
    skip_whitespace();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return;
    }
    expect(',', "expected ',' or ']' in a list");
    skip_whitespace();
  }
}

void JsonObjectScanner::skip_object(int depth) {
  check_depth(depth);
  ++p_;
  skip_whitespace();
  if (p_ != end_ && *p_ == '}') {
    ++p_;
    return;
  }
  for (;;) {
    if (p_ == end_ || *p_ != '"') fail_here("expected a member name string");
    skip_string();
    skip_whitespace();
    expect(':', "expected ':' after a member name");
    skip_whitespace();
    skip_value(depth + 1);
    skip_whitespace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return;
    }
    expect(',', "expected ',' or '}' in an object");
    skip_whitespace();
  }
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
void JsonObjectScanner::skip_number() {
  auto peek = [this]() -> int { return p_ != end_ ? *p_ : -1; };
  auto digits = [&] {
    if (!is_digit(peek())) fail_here("invalid value");
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

void JsonObjectScanner::skip_literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
    fail_here("invalid value");
  }
  p_ += word.size();
}

void JsonObjectScanner::scan(const MemberFn& fn) {
  p_ = doc_.data();
  end_ = p_ + doc_.size();
  line_ = 1;
  if (doc_.size() >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
  skip_whitespace();
  if (p_ == end_) fail_here("empty document, expected a JSON object {\"<id>\": \"<base64>\", ...}");
  if (*p_ != '{') fail_here("the top-level value is not an object {\"<id>\": \"<base64>\", ...}");
  ++p_;
  skip_whitespace();
  uint64_t next_progress = progress_interval_;
  if (p_ != end_ && *p_ == '}') {
    ++p_;
  } else {
    for (;;) {
      if (p_ == end_ || *p_ != '"') fail_here("expected an id string");
      std::string_view id = read_id();
      skip_whitespace();
      expect(':', "expected ':' after an id");
      skip_whitespace();
      const uint64_t value_offset = static_cast<uint64_t>(p_ - doc_.data());
      skip_member_value(id);
      fn(id, value_offset);
      if (progress_ && value_offset >= next_progress) {
        progress_(value_offset);
        next_progress = value_offset + progress_interval_;
      }
      skip_whitespace();
      if (p_ != end_ && *p_ == '}') {
        ++p_;
        break;
      }
      expect(',', "expected ',' or '}' after a value");
      skip_whitespace();
    }
  }
  skip_whitespace();
  if (p_ != end_) fail_here("trailing characters after the top-level object");
}

}  // namespace mimicit::store
