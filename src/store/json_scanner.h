// A streaming scanner for legacy images.json files:
//
//   {"<image id>": "<base64>", "<id>": ["<base64>", ...anything], ...}
//
// JsonObjectScanner makes one pass over the whole document (normally a
// memory-mapped file of up to hundreds of GB) and reports every member's
// unescaped id and the byte offset of its value, without materialising any
// value: string values are skipped with a 32-byte SIMD loop that stops only
// at '"', '\\' and control characters, so base64 text (which has none of
// them) is crossed at memory bandwidth. A list value must start with a
// string; the elements after it are validated and skipped structurally, up
// to kMaxDepth levels of nesting.
//
// The grammar is RFC 8259 JSON, strictly, except that a leading UTF-8 byte
// order mark is ignored. Raw control characters inside strings are errors
// (so a raw newline can only be whitespace, which makes line numbers in
// errors exact). Ids are not checked for valid UTF-8; \uXXXX escapes
// (surrogate pairs included) are written as UTF-8, lone surrogates are
// errors. Any violation throws Error(kCorrupt) (nesting deeper than
// kMaxDepth: kUnsupported) whose message starts with
// "byte offset N (line L): "; callers prefix the file name.
//
// The scanner allocates nothing per member: ids without escapes are views
// into the document, escaped ids are unescaped into one reused buffer.
//
// Thread-safety: a JsonObjectScanner is used by one thread; the free
// functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "mimicit/bytes.h"

namespace mimicit::store {

class JsonObjectScanner {
 public:
  // Nesting limit for the values after the first element of a list value
  // (the list itself is level 1).
  static constexpr int kMaxDepth = 64;

  using MemberFn = std::function<void(std::string_view id, uint64_t value_offset)>;
  using ProgressFn = std::function<void(uint64_t offset)>;

  // `doc` must outlive the scanner.
  explicit JsonObjectScanner(ByteView doc) : doc_(doc) {}

  // Calls progress(offset) whenever the scan has passed another `interval`
  // bytes (checked between members): the caller uses it to prefetch ahead.
  void set_progress(uint64_t interval, ProgressFn progress) {
    progress_interval_ = interval;
    progress_ = std::move(progress);
  }

  // Scans the whole document, calling fn(id, value_offset) for every member
  // in document order (duplicates included). `id` is valid during the call
  // only. Throws Error as described above.
  void scan(const MemberFn& fn);

 private:
  [[noreturn]] void fail_here(std::string_view what) const;
  [[noreturn]] void fail_at(const uint8_t* p, std::string_view what) const;
  void check_depth(int depth) const;
  void skip_whitespace();
  void expect(char c, std::string_view what);
  std::string_view read_id();
  const uint8_t* string_end(const uint8_t* p, bool* has_escapes);
  void skip_string();
  void skip_member_value(std::string_view id);
  void skip_value(int depth);
  void skip_array(int depth);
  void skip_object(int depth);
  void skip_number();
  void skip_literal(std::string_view word);

  ByteView doc_;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t line_ = 1;  // 1 + raw newlines passed (only whitespace has them)
  std::string id_buffer_;
  uint64_t progress_interval_ = 0;
  ProgressFn progress_;
};

// The first '"', '\\' or control character (< 0x20) in [p, end), or end.
const uint8_t* find_string_special(const uint8_t* p, const uint8_t* end);

// The raw contents (between the quotes, escapes intact) of the string value
// at `offset` of `doc`, or of the first element when the value there is a
// list. Throws Error(kCorrupt) "byte offset N: ..." when there is none.
struct RawJsonString {
  std::string_view text;
  bool has_escapes = false;
};
RawJsonString locate_value_string(ByteView doc, uint64_t offset);

// Appends the unescaped form of `raw` (the contents of a JSON string) to
// `out`. Returns nullptr on success, else a description of the problem and
// its position in `raw` in *error_pos (out then holds a partial result).
// Rejects bad escapes, lone surrogates and raw control characters.
const char* unescape_json_string(std::string_view raw, std::string& out, size_t* error_pos);

}  // namespace mimicit::store
