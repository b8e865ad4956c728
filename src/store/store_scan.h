// Walking every image of a store with a worker pool: images are taken in
// batches, fetched in storage order, each batch prepared in parallel
// (decode, encode: the expensive part) and then consumed in order on the
// calling thread (writing, counting: the part that must stay sequential).
// Memory is one batch of items, whatever the store size.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "mimicit/image_store.h"
#include "util/worker_pool.h"

namespace mimicit {

// Options for a store that is read in one full pass in storage order
// (convert, stats, validate): such a pass streams each page once, so it
// needs no seek tables and does not pay for building them.
inline ImageStoreOptions full_pass_options() { return {.index_pages = false}; }

// Walks the images of `store` placed in [begin, end), in storage order
// (ImageStore::for_each_in_storage_range): each batch is fetched one image
// after the other on the calling thread, in the order the files hold them,
// so that a large page is streamed once for all its images (parallel
// fetches would each restart it); then prepared in parallel and consumed in
// order. Item needs `std::string id` and `size_t rank` (the id's position
// in sorted order).
template <typename Item>
void scan_store_range(const ImageStore& store, StoragePlace begin, StoragePlace end, WorkerPool& pool,
                      const std::function<void(Item&)>& fetch, const std::function<void(Item&)>& prepare,
                      const std::function<void(Item&)>& consume) {
  const size_t batch_size = static_cast<size_t>(std::max(8, 4 * pool.threads()));
  std::vector<Item> batch(batch_size);
  size_t filled = 0;
  auto flush = [&] {
    pool.run(filled, [&](size_t i) { prepare(batch[i]); });
    for (size_t i = 0; i < filled; ++i) consume(batch[i]);
    filled = 0;
  };
  store.for_each_in_storage_range(begin, end, [&](std::string_view id, size_t rank, StoragePlace, uint64_t) {
    Item& item = batch[filled++];
    item.id.assign(id);
    item.rank = rank;
    fetch(item);
    if (filled == batch_size) flush();
    return true;
  });
  flush();
}

// Every image of `store` (scan_store_range over the whole storage order).
template <typename Item>
void scan_store_in_storage_order(const ImageStore& store, WorkerPool& pool,
                                 const std::function<void(Item&)>& fetch,
                                 const std::function<void(Item&)>& prepare,
                                 const std::function<void(Item&)>& consume) {
  scan_store_range<Item>(store, {}, StoragePlace::end(), pool, fetch, prepare, consume);
}

// True when storage order is sorted order (a store mimicit wrote, or any
// store whose files hold their ids sorted): a pass in storage order then
// meets the ids sorted.
inline bool storage_order_is_sorted(const ImageStore& store) {
  size_t expected = 0;
  bool sorted = true;
  store.for_each_in_storage_order([&](std::string_view, size_t rank) {
    sorted = rank == expected++;
    return sorted;
  });
  return sorted;
}

}  // namespace mimicit
