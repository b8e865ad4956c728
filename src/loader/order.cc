// Order: the steps of one rank for one epoch (the contract is in
// include/mimicit/loader.h). Everything is computed up front: a few
// milliseconds and 8 bytes per sample of this rank for a million samples
// (the epoch's whole list of a group lives only while the order is built),
// after which batch(step) is a lookup.
//
// One scheme serves every batching and every segment. A unit is a list of
// positions of one group: for kReference the group's covered positions
// [0, E) of its padded epoch list, E = batches * batch_size * world_size of
// the plan (with drop_last) or ceil(n / W) * W (without); kByShape splits
// that list by image count, kByLength reorders it by megabatch. A segment
// takes [begin, end) of each unit, cuts it into global batches of
// G = batch_size * world_size positions and gives rank r positions r, r + W,
// ... of each: for a fresh kReference epoch that is exactly rank r's
// positions r, r + W, ... of the padded list cut into batches (step 2 and 3
// of loader.h), so the reference order comes out unchanged.
#include <algorithm>
#include <cstddef>
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

namespace {

// The positions of the group's padded list that the plan covers.
uint64_t covered(uint64_t n, uint64_t world, uint64_t batch, bool drop_last) {
  const uint64_t per_rank = (n + world - 1) / world;
  return (drop_last ? per_rank / batch * batch : per_rank) * world;
}

// The group's covered samples, in plan order, split into units.
std::vector<std::vector<uint64_t>> plan_units(const std::vector<uint64_t>& list, uint64_t end,
                                              Batching batching, const std::vector<SampleShape>* shapes,
                                              uint64_t global_batch) {
  const uint64_t n = list.size();
  std::vector<uint64_t> items(end);
  for (uint64_t p = 0; p < end; ++p) items[p] = list[p % n];  // the padding wraps around
  if (batching == Batching::kReference) return {std::move(items)};
  const std::vector<SampleShape>& shape = *shapes;
  if (batching == Batching::kByLength) {
    const uint64_t mega = kMegabatch * global_batch;
    for (uint64_t first = 0; first < end; first += mega) {
      auto begin = items.begin() + static_cast<std::ptrdiff_t>(first);
      auto last = items.begin() + static_cast<std::ptrdiff_t>(std::min(end, first + mega));
      std::stable_sort(begin, last,
                       [&](uint64_t a, uint64_t b) { return shape[a].length > shape[b].length; });
    }
    return {std::move(items)};
  }
  std::vector<uint32_t> counts;
  for (uint64_t index : items) counts.push_back(shape[index].images);
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  std::vector<std::vector<uint64_t>> units(counts.size());
  for (uint64_t index : items) {
    const auto at = std::lower_bound(counts.begin(), counts.end(), shape[index].images);
    units[static_cast<size_t>(at - counts.begin())].push_back(index);
  }
  return units;
}

}  // namespace

Order::Order(std::vector<uint64_t> group_sizes, const OrderOptions& options,
             std::shared_ptr<const GroupShapes> shapes, Segment segment)
    : options_(options), group_sizes_(std::move(group_sizes)), segment_(std::move(segment)) {
  const uint64_t world = options.world_size;
  const uint64_t batch = options.batch_size;
  if (batch == 0) fail_invalid("batch size must be at least 1");
  if (world == 0) fail_invalid("world size must be at least 1");
  if (options.rank >= world) {
    fail_invalid("rank {} is out of range for world size {}", options.rank, world);
  }
  const size_t groups = group_sizes_.size();
  if (options.batching != Batching::kReference) {
    if (shapes == nullptr || shapes->size() != groups) {
      fail_invalid("batching '{}' needs the shape of every sample", kBatchingNames.name(options.batching));
    }
    for (size_t g = 0; g < groups; ++g) {
      if ((*shapes)[g].size() != group_sizes_[g]) {
        fail_invalid("batching '{}': group {} has {} samples but {} shapes",
                     kBatchingNames.name(options.batching), g, group_sizes_[g], (*shapes)[g].size());
      }
    }
  }
  const uint64_t plan_world = segment_.fresh() ? world : segment_.plan_world_size;
  const uint64_t plan_batch = segment_.fresh() ? batch : segment_.plan_batch_size;
  if (plan_batch == 0) fail_invalid("the plan's batch size must be at least 1");

  for (size_t g = 0; g < groups; ++g) {
    const uint64_t n = group_sizes_[g];
    std::vector<std::vector<uint64_t>> lists;
    if (n > 0) {
      const std::vector<uint64_t> list =
          epoch_indices(n, options.seed, options.epoch, static_cast<uint32_t>(g), options.sampling);
      lists = plan_units(list, covered(n, plan_world, plan_batch, options.drop_last), options.batching,
                         shapes == nullptr ? nullptr : &(*shapes)[g], plan_world * plan_batch);
    } else if (options.batching != Batching::kByShape) {
      lists.emplace_back();  // one unit per group, empty or not
    }
    for (std::vector<uint64_t>& items : lists) {
      Unit unit;
      unit.group = static_cast<uint32_t>(g);
      unit.end = items.size();
      const size_t u = units_.size();
      if (!segment_.begin.empty()) {
        if (u >= segment_.begin.size()) fail_invalid("the segment has too few units");
        unit.begin = segment_.begin[u];
        if (unit.begin > unit.end) {
          fail_invalid("unit {} starts at {}, past its end {}", u, unit.begin, unit.end);
        }
      }
      // Global batch k holds positions [begin + kG, begin + (k + 1)G); this
      // rank takes begin + kG + rank + jW, j < batch_size, of those present.
      const uint64_t global = world * batch;
      const uint64_t rest = unit.end - unit.begin;
      unit.batches = static_cast<size_t>((rest + global - 1) / global);
      for (uint64_t p = unit.begin + options.rank; p < unit.end; p += world) unit.mine.push_back(items[p]);
      units_.push_back(std::move(unit));
    }
  }
  if (!segment_.begin.empty() && segment_.begin.size() != units_.size()) {
    fail_invalid("the segment has {} units, the epoch {}", segment_.begin.size(), units_.size());
  }

  group_batches_.assign(groups, 0);
  size_t steps = 0;
  for (const Unit& unit : units_) {
    group_batches_[unit.group] += unit.batches;
    steps += unit.batches;
  }
  step_unit_.reserve(steps);
  for (size_t u = 0; u < units_.size(); ++u)
    step_unit_.insert(step_unit_.end(), units_[u].batches, static_cast<uint32_t>(u));
  // A fresh epoch's shuffle is stream 0 (the reference order); a
  // continuation's is a stream named by where it starts, the same on every rank.
  uint64_t stream = 0;
  if (!segment_.fresh()) {
    stream = 0x8000000000000000ull ^ (plan_world << 32) ^ plan_batch;
    for (uint64_t begin : segment_.begin) {
      uint64_t state = stream ^ begin;
      stream = splitmix64(state) | 0x8000000000000000ull;
    }
  }
  Rng(stream_seed(options.seed, options.epoch, stream)).shuffle(std::span<uint32_t>(step_unit_));
  std::vector<uint32_t> taken(units_.size(), 0);
  step_unit_batch_.resize(steps);
  for (size_t s = 0; s < steps; ++s) step_unit_batch_[s] = taken[step_unit_[s]]++;
}

BatchIndices Order::batch(size_t step) const {
  if (step >= num_batches()) {
    fail_invalid("step {} is past the end of the epoch ({} batches)", step, num_batches());
  }
  const Unit& unit = units_[step_unit_[step]];
  // Every global batch before the last is full, so this rank's share of
  // batch k starts at k * batch_size of its list.
  const size_t begin = std::min(unit.mine.size(), size_t{step_unit_batch_[step]} * options_.batch_size);
  const size_t end = std::min(unit.mine.size(), begin + options_.batch_size);
  return {unit.group, std::span<const uint64_t>(unit.mine).subspan(begin, end - begin)};
}

std::vector<uint64_t> Order::consumed(size_t steps) const {
  if (steps > num_batches()) {
    fail_invalid("step {} is past the end of the epoch ({} batches)", steps, num_batches());
  }
  std::vector<uint64_t> done(units_.size());
  for (size_t u = 0; u < units_.size(); ++u) done[u] = units_[u].begin;
  const uint64_t global = uint64_t{options_.world_size} * options_.batch_size;
  for (size_t s = 0; s < steps; ++s) {
    const uint32_t u = step_unit_[s];
    done[u] = std::min(units_[u].end, done[u] + global);
  }
  return done;
}

Segment Order::continuation(size_t steps) const {
  Segment next;
  next.plan_world_size = segment_.fresh() ? options_.world_size : segment_.plan_world_size;
  next.plan_batch_size = segment_.fresh() ? options_.batch_size : segment_.plan_batch_size;
  next.begin = consumed(steps);
  return next;
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
  // Mixed only when not the defaults, so that states saved before they
  // existed keep their fingerprint.
  if (options_.batching != Batching::kReference) mix(0x100 + static_cast<uint64_t>(options_.batching));
  if (!segment_.fresh()) {
    mix(segment_.plan_world_size);
    mix(segment_.plan_batch_size);
    for (uint64_t begin : segment_.begin) mix(begin);
  }
  // 0 means "not checked" in LoaderState.
  return state == 0 ? 1 : state;
}

}  // namespace mimicit::loader
