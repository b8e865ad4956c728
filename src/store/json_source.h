// The Source for a legacy images.json store: {"<id>": "<base64>", ...},
// where a value may also be a list whose first element is the base64 text,
// or pandas' columns layout {"base64": {"<id>": "<base64>", ...}}.
//
// open_json_source() (declared in store/source.h) maps the file; nothing is
// read until scan_ids(), which makes one streaming pass over the whole file
// with scan_json_ids (store/json_scanner.h), prefetching ahead, and
// reports each unescaped id with the byte offset of its value as the
// locator (64-bit: files over 4 GiB work). Duplicate ids are reported as
// they occur; the store applies last-wins. fetch() re-reads only the value
// at the locator, unescapes it when it has JSON escapes (real dumps have
// "\/" and "\n"), and base64-decodes it; errors name the file and the id.
//
// Thread-safety: scan_ids() from one thread; fetch() from any number of
// threads at once (it keeps no mutable state).
#pragma once

#include <memory>
#include <string>

#include "store/source.h"

namespace mimicit::store {

// The file is memory-mapped for reading; throws Error(kIo) naming the path.
std::unique_ptr<Source> open_json_source(const std::string& path, const ImageStoreOptions& options);

}  // namespace mimicit::store
