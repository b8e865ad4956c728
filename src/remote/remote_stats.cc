#include "remote/remote_counters.h"

namespace mimicit {
namespace remote {

RemoteCounters& counters() {
  static RemoteCounters c;
  return c;
}

}  // namespace remote

RemoteStats remote_stats() {
  const remote::RemoteCounters& c = remote::counters();
  RemoteStats s;
  s.requests = c.requests.load(std::memory_order_relaxed);
  s.heads = c.heads.load(std::memory_order_relaxed);
  s.lists = c.lists.load(std::memory_order_relaxed);
  s.bytes = c.bytes.load(std::memory_order_relaxed);
  s.retries = c.retries.load(std::memory_order_relaxed);
  s.cache_hits = c.cache_hits.load(std::memory_order_relaxed);
  s.cache_misses = c.cache_misses.load(std::memory_order_relaxed);
  s.fetched_bytes = c.fetched_bytes.load(std::memory_order_relaxed);
  return s;
}

void reset_remote_stats() {
  remote::RemoteCounters& c = remote::counters();
  for (auto* counter : {&c.requests, &c.heads, &c.lists, &c.bytes, &c.retries, &c.cache_hits, &c.cache_misses,
                        &c.fetched_bytes})
    counter->store(0, std::memory_order_relaxed);
}

}  // namespace mimicit
