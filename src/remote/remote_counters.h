// The process-wide counters behind remote_stats() (mimicit/remote_stats.h),
// bumped by the HTTP client, the object client and the node cache.
#pragma once

#include <atomic>
#include <cstdint>

#include "mimicit/remote_stats.h"

namespace mimicit::remote {

struct RemoteCounters {
  std::atomic<uint64_t> requests{0}, heads{0}, lists{0}, bytes{0}, retries{0}, cache_hits{0}, cache_misses{0},
      fetched_bytes{0};
};

RemoteCounters& counters();

inline void count(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace mimicit::remote
