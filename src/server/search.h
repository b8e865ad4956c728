// Search for the viewer: by instruction id, image id or text.
//
// A query (1 to kMaxQueryBytes bytes) matches, ignoring ASCII case, as a
// substring of a record's id, instruction, answer or one of its image ids.
// The search scans the catalog's instruction files in order (their
// concatenation is one list of positions) from `cursor`, at most
// kSearchRecordsPerRequest records per call, and stops early once `limit`
// results are found; the answer says where to continue (next_cursor) so a
// client pages through millions of records in bounded steps. A record's
// JSON text is only parsed when its raw bytes could hold the query (they
// have no escapes and contain it, or they have escapes). On the first page
// (cursor 0) the answer also lists exact hits: the groups that hold an
// instruction id equal to the query, and whether a store holds an image id
// equal to it.
//
// JSON: {"query", "exact": [{"kind": "instruction"|"image", "id", "group"}],
//        "results": [{"id", "group", "dataset", "field", "value",
//                     "snippet", "match_start", "match_length"}],
//        "cursor", "next_cursor" (null when the scan reached the end),
//        "records_total", "records_scanned"}
// `value` is the matching image id for field "image_ids"; snippet offsets
// are bytes of the snippet's UTF-8.
//
// Thread-safety: pure function of the (immutable) catalog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/catalog.h"

namespace mimicit::server {

struct SearchQuery {
  std::string text;
  uint64_t cursor = 0;
  uint64_t limit = 50;
};

std::string search_json(const Catalog& catalog, const SearchQuery& query);

// Position of `needle` in `haystack` ignoring ASCII case, or npos.
size_t find_ignoring_case(std::string_view haystack, std::string_view needle);

}  // namespace mimicit::server
