#include "store/json_scanner.h"

#include "mimicit/error.h"
#include "util/json_walker.h"

namespace mimicit::store {

void scan_json_ids(ByteView doc, const std::function<void(std::string_view id, uint64_t value_offset)>& fn,
                   uint64_t progress_interval, const std::function<void(uint64_t offset)>& progress) {
  JsonObjectWalker walker(doc, 0, {.validate_values = true, .utf8_keys = false});
  JsonMember member;
  uint64_t next_progress = progress_interval;
  while (walker.next(&member)) {
    fn(member.key, member.value_begin);
    if (progress && member.value_begin >= next_progress) {
      progress(member.value_begin);
      next_progress = member.value_begin + progress_interval;
    }
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
