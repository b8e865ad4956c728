// `mimicit images ls|get|stats|index`: looking into an image store.
//
// ls prints ids (sorted), get writes one image's bytes, stats walks every
// image (in parallel) and reports the count, bytes, formats, width and
// height histograms, unreadable images and duplicate ids. stats reads only
// image headers (image::probe), never decodes pixels.
//
// stats --json prints one object:
//   {"files": [...], "images": N, "bytes": N, "index_bytes": N,
//    "formats": {"JPEG": N, ...},
//    "width": {"<lo>-<hi>": N, ...}, "height": {...},   // power-of-two buckets
//    "unreadable": N, "unreadable_examples": [{"id", "reason"}, ...],
//    "duplicates": N, "duplicate_examples": [{"id", "occurrences"}, ...]}
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace mimicit::inspect {

void list_image_ids(const std::vector<std::string>& store, uint64_t limit, std::ostream& out);

// Writes the bytes of `id` to `out_path`, or to `out` when out_path is empty.
void get_image(const std::vector<std::string>& store, const std::string& id, const std::string& out_path,
               std::ostream& out);

struct StatsOptions {
  bool json = false;
  int threads = 0;
  bool progress = true;
};

void print_image_stats(const std::vector<std::string>& store, const StatsOptions& options, std::ostream& out);

// Builds (or checks) the store's saved index with the seek tables of its
// large pages (ImageStoreOptions::index_pages), with a progress bar on a
// terminal, and prints where it is and what it costs. `rebuild` ignores a
// saved index.
void index_store(const std::vector<std::string>& store, bool rebuild, std::ostream& out);

// An ImageStoreOptions::index_progress that draws "indexing pages" on
// stderr when it is a terminal (silent otherwise).
std::function<void(uint64_t done, uint64_t total)> index_progress_bar();

}  // namespace mimicit::inspect
