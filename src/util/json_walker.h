// JsonObjectWalker: the members of one JSON object, each as its unescaped
// key and the byte range of its value, in document order, without parsing
// the values: the one walker over JSON objects in mimicit. Instruction
// files and train configs hold millions of records in one object, and a
// legacy images.json store millions of base64 images (files of up to
// hundreds of GB, memory-mapped); the walker finds where each member starts
// and ends, so the caller can index it, parse it on its own (dataset:
// simdjson, per record, in parallel) or fetch it later (store: by offset).
//
// Strings are crossed by a 32-byte SIMD loop (find_string_special) that
// stops only at '"', '\\' and control characters, so base64 text (which has
// none of them) is crossed at memory bandwidth. Nothing is allocated per
// member except the unescaped key of a key with escapes.
//
// What is checked:
//   the object's own grammar, strictly (RFC 8259): braces, quotes, colons,
//     commas; keys' escapes and surrogate pairs (a lone surrogate is an
//     error); with JsonWalkRules::utf8_keys, keys are valid UTF-8;
//   values, as JsonWalkRules::validate_values says: either only as far as
//     finding their end needs (matching brackets, terminated strings without
//     raw control characters; the caller validates the contents), or the
//     whole RFC 8259 grammar (numbers, literals, escapes, nested commas and
//     colons), for values that nothing else ever parses.
// Raw control characters inside strings are errors, so a raw newline can
// only be whitespace. Nesting (a member's value is level 1) deeper than
// kMaxDepth is Error(kUnsupported); every other problem Error(kCorrupt).
// Messages start with "byte offset N (line L): "; callers prefix the file
// name. The line is counted when an error is reported (O(offset)).
//
// Thread-safety: a walker is used by one thread; the document is read only;
// the free functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"

namespace mimicit {

struct JsonMember {
  std::string_view key;      // unescaped; valid until the next call to next()
  uint64_t key_offset = 0;   // the key's opening quote
  uint64_t value_begin = 0;  // the value's first byte
  uint64_t value_end = 0;    // one past its last byte
};

struct JsonWalkRules {
  // Check each value's whole grammar instead of only finding its end.
  bool validate_values = false;
  // Keys must be valid UTF-8 (as JSON text must be); off, their bytes
  // pass as they are.
  bool utf8_keys = true;
};

class JsonObjectWalker {
 public:
  // simdjson's default depth, which the dataset's per-record parse uses too.
  static constexpr int kMaxDepth = 1024;

  // `doc` must outlive the walker. The object starts at `offset`, after
  // optional whitespace (and, at offset 0, an optional UTF-8 byte order mark).
  JsonObjectWalker(ByteView doc, uint64_t offset, JsonWalkRules rules = {});

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
  [[noreturn]] void fail_depth(const uint8_t* p) const;
  void skip_whitespace();
  void expect(char c, std::string_view what);
  std::string_view read_key();
  void skip_string();
  void skip_delimited_value();
  void skip_delimited_string();
  void skip_valid_value();
  void skip_member_name();
  void skip_number();
  void skip_literal(std::string_view word);

  const uint8_t* begin_;
  const uint8_t* end_;
  const uint8_t* p_;
  JsonWalkRules rules_;
  bool first_ = true;
  bool done_ = false;
  std::string key_buffer_;
  std::vector<uint8_t> closers_;  // the closing brackets of the open values
};

// "byte offset N (line L)" for error messages (counts the lines: O(offset)).
std::string describe_offset(ByteView doc, uint64_t offset);
// Fails unless only whitespace follows `offset`.
void expect_only_whitespace_after(ByteView doc, uint64_t offset);

// The first '"', '\\' or control character (< 0x20) in [p, end), or end.
const uint8_t* find_string_special(const uint8_t* p, const uint8_t* end);

// Appends the unescaped form of `raw` (the contents of a JSON string) to
// `out`. Returns nullptr on success, else a description of the problem and
// its position in `raw` in *error_pos (out then holds a partial result).
// Rejects bad escapes, lone surrogates and raw control characters.
const char* unescape_json_string(std::string_view raw, std::string& out, size_t* error_pos);

// Where the string whose contents start at p ends (its closing quote),
// escapes checked for their syntax (surrogate pairing is checked by
// unescape_json_string); *has_escapes is set when it holds any. On a
// problem, returns where it is with *error set.
const uint8_t* json_string_end(const uint8_t* p, const uint8_t* end, bool* has_escapes, const char** error);

}  // namespace mimicit
