// Order: the steps of one rank for one epoch (the contract is in
// include/mimicit/loader.h). Everything is computed up front: a few
// milliseconds and 8 bytes per sample of this rank for a million samples,
// after which batch(step) is a lookup.
#include <algorithm>
#include <numeric>
#include <utility>

#include "loader/random.h"
#include "mimicit/loader.h"

namespace mimicit::loader {

std::vector<uint64_t> Order::epoch_indices(uint64_t size, uint64_t seed, uint64_t epoch, uint32_t group,
                                           Sampling sampling) {
  std::vector<uint64_t> indices(size);
  Rng rng(stream_seed(seed, epoch, uint64_t{group} + 1));
  if (sampling == Sampling::kWithReplacement) {
    for (uint64_t& index : indices) index = rng.below(size);
  } else {
    std::iota(indices.begin(), indices.end(), uint64_t{0});
    rng.shuffle(std::span<uint64_t>(indices));
  }
  return indices;
}

Order::Order(std::vector<uint64_t> group_sizes, const OrderOptions& options)
    : options_(options), group_sizes_(std::move(group_sizes)) {
  const uint64_t world = options.world_size;
  const uint64_t batch = options.batch_size;
  if (batch == 0) fail_invalid("batch size must be at least 1");
  if (world == 0) fail_invalid("world size must be at least 1");
  if (options.rank >= world) {
    fail_invalid("rank {} is out of range for world size {}", options.rank, world);
  }
  const size_t groups = group_sizes_.size();
  rank_indices_.resize(groups);
  group_batches_.assign(groups, 0);
  for (size_t g = 0; g < groups; ++g) {
    const uint64_t n = group_sizes_[g];
    if (n == 0) continue;
    std::vector<uint64_t> list =
        epoch_indices(n, options.seed, options.epoch, static_cast<uint32_t>(g), options.sampling);
    // Position p of the padded list is list[p % n]: the padding wraps around.
    const uint64_t per_rank = (n + world - 1) / world;
    std::vector<uint64_t>& mine = rank_indices_[g];
    mine.resize(per_rank);
    for (uint64_t i = 0; i < per_rank; ++i) mine[i] = list[(i * world + options.rank) % n];
    group_batches_[g] = options.drop_last ? per_rank / batch : (per_rank + batch - 1) / batch;
  }

  const size_t steps = std::accumulate(group_batches_.begin(), group_batches_.end(), size_t{0});
  step_group_.reserve(steps);
  for (size_t g = 0; g < groups; ++g)
    step_group_.insert(step_group_.end(), group_batches_[g], static_cast<uint32_t>(g));
  Rng(stream_seed(options.seed, options.epoch, 0)).shuffle(std::span<uint32_t>(step_group_));
  std::vector<uint32_t> taken(groups, 0);
  step_group_batch_.resize(steps);
  for (size_t s = 0; s < steps; ++s) step_group_batch_[s] = taken[step_group_[s]]++;
}

BatchIndices Order::batch(size_t step) const {
  if (step >= num_batches()) {
    fail_invalid("step {} is past the end of the epoch ({} batches)", step, num_batches());
  }
  const uint32_t group = step_group_[step];
  const std::vector<uint64_t>& mine = rank_indices_[group];
  const size_t begin = size_t{step_group_batch_[step]} * options_.batch_size;
  const size_t end = std::min(mine.size(), begin + options_.batch_size);
  return {group, std::span<const uint64_t>(mine).subspan(begin, end - begin)};
}

uint64_t Order::fingerprint() const {
  uint64_t state = 0x6d696d6963697421ull;  // "mimicit!"
  auto mix = [&state](uint64_t value) {
    uint64_t input = state ^ value;
    state = splitmix64(input);
  };
  mix(group_sizes_.size());
  for (uint64_t size : group_sizes_) mix(size);
  mix(options_.batch_size);
  mix(options_.world_size);
  mix(options_.drop_last ? 1 : 0);
  mix(static_cast<uint64_t>(options_.sampling));
  // 0 means "not checked" in LoaderState.
  return state == 0 ? 1 : state;
}

}  // namespace mimicit::loader
