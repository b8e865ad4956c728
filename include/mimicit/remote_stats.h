// What remote reads (s3://, http(s)://) have cost this process so far: the
// requests sent, the body bytes received, the retries, and how often the
// node cache answered a read without a request. Counted process-wide by
// src/remote, for benchmarks, tests and people asking "what does a get
// cost". Thread-safe; reading the counters never blocks a fetch.
#pragma once

#include <cstdint>

namespace mimicit {

struct RemoteStats {
  uint64_t requests = 0;       // HTTP requests sent, every attempt counted
  uint64_t heads = 0;          // of which HEADs (one per object opened)
  uint64_t lists = 0;          // of which ListObjectsV2 pages
  uint64_t bytes = 0;          // response body bytes received
  uint64_t retries = 0;        // attempts after a first one (faults, cut bodies)
  uint64_t cache_hits = 0;     // reads of a cached object served wholly from the node cache
  uint64_t cache_misses = 0;   // reads that fetched at least one block
  uint64_t fetched_bytes = 0;  // bytes written into the node cache by this process
};

// A snapshot of the counters.
RemoteStats remote_stats();
// Sets every counter to zero (benchmarks measure from here).
void reset_remote_stats();

}  // namespace mimicit
