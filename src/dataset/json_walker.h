// JsonObjectWalker: the members of one JSON object, each as its unescaped
// key and the byte range of its value, in document order, without parsing
// the values.
//
// Instruction files hold millions of records in one object; the walker
// finds where each record starts and ends (strings are crossed with the
// SSE2 scan of store/json_scanner.h, nesting is counted) so that each
// record can then be parsed and validated on its own with simdjson, kept
// as a byte range of the mapped file, and parsed again when a sample needs
// it. Nothing is allocated per member except the unescaped key of a key
// with escapes.
//
// The walker checks the object's own grammar strictly (braces, quotes,
// colons, commas, keys: escapes, surrogates and UTF-8), and the structure
// of values only as far as finding their end needs (matching brackets,
// terminated strings without raw control characters); the caller validates
// each value's contents. Errors throw Error(kCorrupt) (nesting deeper than
// kMaxDepth: kUnsupported) whose message starts with "byte offset N (line
// L): "; callers prefix the file name.
//
// Thread-safety: a walker is used by one thread; the document is read only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::dataset {

struct JsonMember {
  std::string_view key;      // unescaped; valid until the next call to next()
  uint64_t key_offset = 0;   // the key's opening quote
  uint64_t value_begin = 0;  // the value's first byte
  uint64_t value_end = 0;    // one past its last byte
};

class JsonObjectWalker {
 public:
  static constexpr int kMaxDepth = 1024;

  // `doc` must outlive the walker. The object starts at `offset`, after
  // optional whitespace (and, at offset 0, an optional UTF-8 byte order mark).
  JsonObjectWalker(ByteView doc, uint64_t offset);

  // The next member; false after the closing brace.
  bool next(JsonMember* member) {
    if (!next_key(member)) return false;
    skip_member_value(member);
    return true;
  }
  // The next member's key and where its value begins (value_end is not
  // set); false after the closing brace. Before the next call, either
  // skip_member_value() finds the value's end, or the caller, having parsed
  // the value itself, says where it ended with continue_after().
  bool next_key(JsonMember* member);
  void skip_member_value(JsonMember* member);
  void continue_after(uint64_t value_end);
  // One past the closing brace (valid once next() returned false).
  uint64_t end_offset() const { return static_cast<uint64_t>(p_ - begin_); }

 private:
  [[noreturn]] void fail_at(const uint8_t* p, std::string_view what) const;
  void skip_whitespace();
  std::string_view read_key();
  const uint8_t* skip_string(const uint8_t* p) const;
  const uint8_t* skip_value(const uint8_t* p) const;

  const uint8_t* begin_;
  const uint8_t* end_;
  const uint8_t* p_;
  bool first_ = true;
  bool done_ = false;
  std::string key_buffer_;
};

// "byte offset N (line L)" for error messages (counts the lines: O(offset)).
std::string describe_offset(ByteView doc, uint64_t offset);
// Fails unless only whitespace follows `offset`.
void expect_only_whitespace_after(ByteView doc, uint64_t offset);

}  // namespace mimicit::dataset
