// Legacy images.json files, in any of the three layouts that occur:
//
//   {"<image id>": "<base64>", "<id>": ["<base64>", ...anything], ...}
//   {"base64": {"<image id>": "<base64>", ...}}
//
// The second is pandas' "columns" layout (what DataFrame.to_json() writes
// by default, and the only one the reference's pd.DataFrame(orjson.loads())
// branch reads), recognised by its leading members' values being objects
// up to one named "base64" (when "base64" is not the first, the leading
// columns are walked once more to find it). Every member must then be an
// object (a column, else Error(kCorrupt)); the ids come from the "base64"
// column and the other columns are checked as JSON and skipped. Objects
// without a "base64" among them are the first layout's bad entries.
//
// scan_json_ids makes one pass over the whole document (normally a
// memory-mapped file of up to hundreds of GB) with util's JsonObjectWalker
// and reports every member's unescaped id and the byte offset of its
// value, without materialising any value (base64 strings are crossed at
// memory bandwidth). The document must be RFC 8259 JSON throughout (the
// walker validates every value: nothing else ever reads the elements of a
// list after the first), one object, optionally after a UTF-8 byte order
// mark and followed by whitespace only. Ids are not checked for valid
// UTF-8. Errors are the walker's: Error(kCorrupt), nesting deeper than
// JsonObjectWalker::kMaxDepth kUnsupported, messages starting with "byte
// offset N (line L): "; callers prefix the file name.
//
// Any well-formed value (null, a number, an empty list) is indexed: one bad
// entry does not make a whole store unreadable; fetching it fails and names
// its id (locate_value_string).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "mimicit/bytes.h"

namespace mimicit::store {

// Calls fn(id, value_offset) for every member in document order
// (duplicates included); `id` is valid during the call only. Calls
// progress(offset) whenever the scan has passed another
// `progress_interval` bytes (checked between members; 0: never): the caller
// uses it to prefetch ahead.
void scan_json_ids(ByteView doc, const std::function<void(std::string_view id, uint64_t value_offset)>& fn,
                   uint64_t progress_interval = 0, const std::function<void(uint64_t offset)>& progress = {});

// The raw contents (between the quotes, escapes intact) of the string value
// at `offset` of `doc`, or of the first element when the value there is a
// list. Throws Error(kCorrupt) "byte offset N: ..." when there is none.
struct RawJsonString {
  std::string_view text;
  bool has_escapes = false;
};
RawJsonString locate_value_string(ByteView doc, uint64_t offset);

}  // namespace mimicit::store
