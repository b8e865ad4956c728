// Statistics for the viewer's /stats page, computed in the background on a
// bounded sample so that start-up stays fast on millions of records:
//   - per dataset (exact, from the indexes): records and training samples;
//   - over at most `max_records` records, evenly spaced over all
//     instruction files: instruction and answer lengths (characters) and
//     images per record;
//   - over at most `max_images` of those records' images (evenly spaced,
//     looked up in the group's store): width, height and format from the
//     image headers (image::probe, no pixel decoding), missing and
//     unreadable ones counted.
//
// json() reports the state ("idle" until start(), "running" with progress,
// "done") and the numbers so far; histograms have at most ~25 bins of a
// round width from the smallest value to the 99th percentile, the values
// above that in one last open-ended bin, plus min, median, p90, p99, max.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/background.h"
#include "server/catalog.h"

namespace mimicit {
class JsonWriter;  // util/json_writer.h
}  // namespace mimicit

namespace mimicit::server {

// One histogram (see above), written as
//   {"n", "min", "median", "p90", "p99", "max",
//    "bins": [{"lo", "hi", "count"}, ...]}   hi inclusive; the last bin
// may have "hi": null (open-ended).
void write_histogram(JsonWriter& json, std::vector<uint32_t> values);

class StatsJob {
 public:
  StatsJob(std::shared_ptr<const Catalog> catalog, uint64_t max_records, uint64_t max_images);
  ~StatsJob();

  void start() { job_.start(); }
  std::string json() const;

 private:
  struct Sampled {
    std::vector<uint32_t> instruction_chars;
    std::vector<uint32_t> answer_chars;
    std::vector<uint32_t> images_per_record;
    std::vector<uint32_t> widths;
    std::vector<uint32_t> heights;
    std::map<std::string, uint64_t> formats;
    uint64_t records = 0;
    uint64_t unreadable_records = 0;
    uint64_t images_missing = 0;
    uint64_t images_unreadable = 0;
    double seconds = 0;
    bool done = false;
  };
  void run(const std::atomic<bool>& stop);

  std::shared_ptr<const Catalog> catalog_;
  const uint64_t max_records_;
  const uint64_t max_images_;
  mutable std::mutex mutex_;
  Sampled sampled_;  // guarded by mutex_
  BackgroundJob job_;
};

}  // namespace mimicit::server
