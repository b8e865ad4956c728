#include "store/json_scanner.h"

#include "mimicit/error.h"
#include "util/json_walker.h"

namespace mimicit::store {

namespace {

bool value_is_object(ByteView doc, uint64_t offset) { return offset < doc.size() && doc[offset] == '{'; }

// Whether `doc` is pandas' columns layout: its members are objects, one of
// them "base64". Decided by a walk over the leading members only when the
// first value is an object under another name (a frame with more columns):
// it stops at the first value that is not an object (an images.json whose
// first entry is bad) or at the "base64" column.
bool is_columns_layout(ByteView doc, const JsonWalkRules& rules) {
  JsonObjectWalker walker(doc, 0, rules);
  JsonMember member;
  while (walker.next_key(&member)) {
    if (!value_is_object(doc, member.value_begin)) return false;
    if (member.key == "base64") return true;
    walker.skip_member_value(&member);
  }
  return false;
}

}  // namespace

void scan_json_ids(ByteView doc, const std::function<void(std::string_view id, uint64_t value_offset)>& fn,
                   uint64_t progress_interval, const std::function<void(uint64_t offset)>& progress) {
  const JsonWalkRules rules{.validate_values = true, .utf8_keys = false};
  JsonObjectWalker walker(doc, 0, rules);
  JsonMember member;
  uint64_t next_progress = progress_interval;
  auto report = [&](const JsonMember& m) {
    fn(m.key, m.value_begin);
    if (progress && m.value_begin >= next_progress) {
      progress(m.value_begin);
      next_progress = m.value_begin + progress_interval;
    }
  };
  bool first = true;
  bool columns = false;  // pandas' "columns" layout: {"base64": {id: b64, ...}, ...}
  while (walker.next_key(&member)) {
    if (first) {
      columns =
          value_is_object(doc, member.value_begin) &&
          (member.key == "base64" || is_columns_layout(doc, {.validate_values = false, .utf8_keys = false}));
    }
    first = false;
    if (!columns) {
      walker.skip_member_value(&member);
      report(member);
      continue;
    }
    if (!value_is_object(doc, member.value_begin)) {
      fail_corrupt("{}: column '{}' of pandas' columns layout is not an object",
                   describe_offset(doc, member.value_begin), member.key);
    }
    if (member.key != "base64") {
      walker.skip_member_value(&member);
      continue;
    }
    JsonObjectWalker images(doc, member.value_begin, rules);
    JsonMember image;
    while (images.next(&image)) report(image);
    walker.continue_after(images.end_offset());
  }
  expect_only_whitespace_after(doc, walker.end_offset());
}

RawJsonString locate_value_string(ByteView doc, uint64_t offset) {
  if (offset >= doc.size()) fail_corrupt("byte offset {}: beyond the end of the file", offset);
  const uint8_t* begin = doc.data();
  const uint8_t* end = begin + doc.size();
  const uint8_t* p = begin + offset;
  if (*p == '[') {
    ++p;
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  if (p == end || *p != '"') {
    fail_corrupt("byte offset {}: expected a string or a list starting with a string", p - begin);
  }
  const uint8_t* start = p + 1;
  RawJsonString raw;
  const char* error = nullptr;
  const uint8_t* close = json_string_end(start, end, &raw.has_escapes, &error);
  if (error != nullptr) fail_corrupt("byte offset {}: {}", close - begin, error);
  raw.text = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(close - start));
  return raw;
}

}  // namespace mimicit::store
