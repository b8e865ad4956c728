#include "dataset/json_walker.h"

#include <algorithm>
#include <vector>

#include <simdjson.h>

#include "mimicit/error.h"
#include "store/json_scanner.h"

namespace mimicit::dataset {

namespace {

bool is_whitespace(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

bool is_scalar_end(uint8_t c) { return c == ',' || c == '}' || c == ']' || is_whitespace(c); }

}  // namespace

std::string describe_offset(ByteView doc, uint64_t offset) {
  offset = std::min<uint64_t>(offset, doc.size());
  const uint64_t lines = 1 + static_cast<uint64_t>(std::count(doc.begin(), doc.begin() + offset, '\n'));
  return fmt::format("byte offset {} (line {})", offset, lines);
}

void expect_only_whitespace_after(ByteView doc, uint64_t offset) {
  for (uint64_t i = offset; i < doc.size(); ++i) {
    if (!is_whitespace(doc[i])) fail_corrupt("{}: unexpected content after the JSON value", describe_offset(doc, i));
  }
}

JsonObjectWalker::JsonObjectWalker(ByteView doc, uint64_t offset)
    : begin_(doc.data()), end_(doc.data() + doc.size()), p_(doc.data() + std::min<uint64_t>(offset, doc.size())) {
  if (offset == 0 && end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
  skip_whitespace();
  if (p_ == end_ || *p_ != '{') fail_at(p_, "expected '{'");
  ++p_;
}

void JsonObjectWalker::fail_at(const uint8_t* p, std::string_view what) const {
  ByteView doc(begin_, static_cast<size_t>(end_ - begin_));
  if (p == end_) fail_corrupt("{}: unexpected end of file: {}", describe_offset(doc, p - begin_), what);
  fail_corrupt("{}: {}", describe_offset(doc, p - begin_), what);
}

void JsonObjectWalker::skip_whitespace() {
  while (p_ != end_ && is_whitespace(*p_)) ++p_;
}

const uint8_t* JsonObjectWalker::skip_string(const uint8_t* p) const {
  // p is at the opening quote. Escapes are validated by whoever parses the
  // value; here only their length matters: a backslash hides the next byte.
  ++p;
  for (;;) {
    p = store::find_string_special(p, end_);
    if (p == end_) fail_at(p, "unterminated string");
    if (*p == '"') return p + 1;
    if (*p != '\\') fail_at(p, "raw control character in a string");
    if (end_ - p < 2) fail_at(end_, "unterminated string");
    p += 2;
  }
}

const uint8_t* JsonObjectWalker::skip_value(const uint8_t* p) const {
  if (p == end_) fail_at(p, "expected a value");
  if (*p == '"') return skip_string(p);
  if (*p != '{' && *p != '[') {
    const uint8_t* start = p;
    while (p != end_ && !is_scalar_end(*p) && *p != '"' && *p != '{' && *p != '[' && *p != ':') ++p;
    if (p == start) fail_at(p, "expected a value");
    return p;
  }
  // Nested: a stack of the expected closing brackets.
  std::vector<uint8_t> closers;
  closers.reserve(16);
  while (p != end_) {
    const uint8_t c = *p;
    if (c == '"') {
      p = skip_string(p);
      continue;
    }
    if (c == '{' || c == '[') {
      if (closers.size() >= static_cast<size_t>(kMaxDepth)) {
        ByteView doc(begin_, static_cast<size_t>(end_ - begin_));
        fail_unsupported("{}: nesting deeper than {} levels", describe_offset(doc, p - begin_), kMaxDepth);
      }
      closers.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (c != closers.back()) fail_at(p, fmt::format("expected '{}'", static_cast<char>(closers.back())));
      closers.pop_back();
      if (closers.empty()) return p + 1;
    }
    ++p;
  }
  fail_at(p, fmt::format("expected '{}'", static_cast<char>(closers.back())));
}

std::string_view JsonObjectWalker::read_key() {
  if (p_ == end_ || *p_ != '"') fail_at(p_, "expected a string key");
  const uint8_t* open = p_;
  const uint8_t* close = skip_string(p_) - 1;
  p_ = close + 1;
  std::string_view raw(reinterpret_cast<const char*>(open + 1), static_cast<size_t>(close - open - 1));
  std::string_view key = raw;
  if (raw.find('\\') != std::string_view::npos) {
    key_buffer_.clear();
    size_t error_pos = 0;
    if (const char* error = store::unescape_json_string(raw, key_buffer_, &error_pos)) {
      fail_at(open + 1 + error_pos, error);
    }
    key = key_buffer_;
  }
  if (!simdjson::validate_utf8(key.data(), key.size())) fail_at(open, "key is not valid UTF-8");
  return key;
}

bool JsonObjectWalker::next_key(JsonMember* member) {
  if (done_) return false;
  skip_whitespace();
  if (first_) {
    first_ = false;
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      done_ = true;
      return false;
    }
  } else {
    if (p_ == end_) fail_at(p_, "expected ',' or '}'");
    if (*p_ == '}') {
      ++p_;
      done_ = true;
      return false;
    }
    if (*p_ != ',') fail_at(p_, "expected ',' or '}'");
    ++p_;
    skip_whitespace();
  }
  member->key_offset = static_cast<uint64_t>(p_ - begin_);
  member->key = read_key();
  skip_whitespace();
  if (p_ == end_ || *p_ != ':') fail_at(p_, "expected ':'");
  ++p_;
  skip_whitespace();
  member->value_begin = static_cast<uint64_t>(p_ - begin_);
  return true;
}

void JsonObjectWalker::skip_member_value(JsonMember* member) {
  p_ = skip_value(begin_ + member->value_begin);
  member->value_end = static_cast<uint64_t>(p_ - begin_);
}

void JsonObjectWalker::continue_after(uint64_t value_end) {
  p_ = begin_ + std::min<uint64_t>(value_end, static_cast<uint64_t>(end_ - begin_));
}

}  // namespace mimicit::dataset
