// Walking every image of a store in id order with a worker pool: ids are
// taken in batches, each batch is prepared in parallel (fetch, decode,
// encode: the expensive part) and then consumed in order on the calling
// thread (writing, counting: the part that must stay sequential). Memory is
// one batch of items, whatever the store size.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "mimicit/image_store.h"
#include "util/worker_pool.h"

namespace mimicit::tools {

// Item needs a `std::string id` member; items are reused batch after batch,
// so their buffers keep their capacity.
template <typename Item>
void scan_store(const ImageStore& store, WorkerPool& pool, const std::function<void(Item&)>& prepare,
                const std::function<void(Item&)>& consume) {
  const size_t batch_size = static_cast<size_t>(std::max(8, 4 * pool.threads()));
  std::vector<Item> batch(batch_size);
  size_t filled = 0;
  auto flush = [&] {
    pool.run(filled, [&](size_t i) { prepare(batch[i]); });
    for (size_t i = 0; i < filled; ++i) consume(batch[i]);
    filled = 0;
  };
  store.for_each_id([&](std::string_view id) {
    batch[filled++].id.assign(id);
    if (filled == batch_size) flush();
    return true;
  });
  flush();
}

}  // namespace mimicit::tools
