#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <vector>

#include "loader/random.h"
#include "mimicit/loader.h"

namespace mimicit::loader {
namespace {

// The values below were computed by an independent Python implementation of
// the algorithms named in random.h; SplitMix64's first output for seed
// 1234567 is also the published test vector. They pin the order across
// platforms and compilers.
TEST(LoaderRandom, MatchesIndependentImplementation) {
  uint64_t state = 1234567;
  EXPECT_EQ(splitmix64(state), 6457827717110365317ull);
  EXPECT_EQ(splitmix64(state), 3203168211198807973ull);
  EXPECT_EQ(splitmix64(state), 9817491932198370423ull);

  Rng rng(42);
  EXPECT_EQ(rng.next(), 1546998764402558742ull);
  EXPECT_EQ(rng.next(), 6990951692964543102ull);
  EXPECT_EQ(rng.next(), 12544586762248559009ull);

  EXPECT_EQ(stream_seed(42, 3, 1), 6717522985872898827ull);

  Rng draws(stream_seed(42, 0, 1));
  std::vector<uint64_t> below;
  for (int i = 0; i < 12; ++i) below.push_back(draws.below(10));
  EXPECT_EQ(below, (std::vector<uint64_t>{9, 4, 8, 4, 7, 9, 4, 8, 1, 6, 9, 5}));

  std::vector<int> values(10);
  std::iota(values.begin(), values.end(), 0);
  Rng(7).shuffle(std::span<int>(values));
  EXPECT_EQ(values, (std::vector<int>{8, 3, 9, 0, 7, 2, 1, 6, 5, 4}));
}

TEST(LoaderRandom, BelowIsUniformEnough) {
  Rng rng(1);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) counts[rng.below(7)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

OrderOptions options(uint32_t batch, uint32_t rank = 0, uint32_t world = 1, bool drop_last = false,
                     Sampling sampling = Sampling::kWithReplacement) {
  OrderOptions o;
  o.seed = 42;
  o.epoch = 0;
  o.batch_size = batch;
  o.rank = rank;
  o.world_size = world;
  o.drop_last = drop_last;
  o.sampling = sampling;
  return o;
}

// Every batch of the epoch as (group, indices).
std::vector<std::pair<uint32_t, std::vector<uint64_t>>> batches(const Order& order) {
  std::vector<std::pair<uint32_t, std::vector<uint64_t>>> out;
  for (size_t s = 0; s < order.num_batches(); ++s) {
    BatchIndices b = order.batch(s);
    out.emplace_back(b.group, std::vector<uint64_t>(b.indices.begin(), b.indices.end()));
  }
  return out;
}

// Per group, the rank's samples in the order its batches take them.
std::vector<std::vector<uint64_t>> per_group(const Order& order) {
  std::vector<std::vector<uint64_t>> out(order.group_sizes().size());
  for (const auto& [group, indices] : batches(order)) {
    out[group].insert(out[group].end(), indices.begin(), indices.end());
  }
  return out;
}

TEST(LoaderOrder, SameSeedAndEpochGiveTheSameBatches) {
  const std::vector<uint64_t> sizes = {100, 7, 0, 55};
  Order a(sizes, options(4));
  Order b(sizes, options(4));
  EXPECT_EQ(batches(a), batches(b));
  EXPECT_GT(a.num_batches(), 0u);

  OrderOptions next = options(4);
  next.epoch = 1;
  EXPECT_NE(batches(a), batches(Order(sizes, next)));
  OrderOptions other_seed = options(4);
  other_seed.seed = 43;
  EXPECT_NE(batches(a), batches(Order(sizes, other_seed)));
}

TEST(LoaderOrder, WithReplacementDrawsEachGroupsSizeInRange) {
  const std::vector<uint64_t> sizes = {1000, 3};
  Order order(sizes, options(10));
  auto groups = per_group(order);
  ASSERT_EQ(groups[0].size(), 1000u);
  ASSERT_EQ(groups[1].size(), 3u);
  EXPECT_EQ(groups[0], Order::epoch_indices(1000, 42, 0, 0, Sampling::kWithReplacement));
  for (uint64_t i : groups[0]) EXPECT_LT(i, 1000u);
  // With replacement: some repeats (the chance of none is 1000!/1000^1000).
  std::vector<uint64_t> sorted = groups[0];
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(std::unique(sorted.begin(), sorted.end()), sorted.end());
}

TEST(LoaderOrder, WithoutReplacementIsAPermutation) {
  Order order({500}, options(8, 0, 1, false, Sampling::kWithoutReplacement));
  std::vector<uint64_t> all = per_group(order)[0];
  std::sort(all.begin(), all.end());
  std::vector<uint64_t> expected(500);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

TEST(LoaderOrder, BatchesNeverMixGroupsAndGroupsEndTogether) {
  const std::vector<uint64_t> sizes = {90, 30, 45};
  Order order(sizes, options(5));
  std::map<uint32_t, size_t> steps;
  for (size_t s = 0; s < order.num_batches(); ++s) steps[order.batch(s).group]++;
  EXPECT_EQ(steps[0], 18u);
  EXPECT_EQ(steps[1], 6u);
  EXPECT_EQ(steps[2], 9u);
  // A shuffle, not the groups one after another.
  std::vector<uint32_t> sequence;
  for (size_t s = 0; s < order.num_batches(); ++s) sequence.push_back(order.batch(s).group);
  EXPECT_FALSE(std::is_sorted(sequence.begin(), sequence.end()));
}

TEST(LoaderOrder, RanksAreDisjointAndCoverTheEpoch) {
  const std::vector<uint64_t> sizes = {101, 13, 1, 64};
  for (Sampling sampling : {Sampling::kWithReplacement, Sampling::kWithoutReplacement}) {
    for (uint32_t world = 1; world <= 4; ++world) {
      for (uint32_t batch : {1u, 3u, 8u}) {
        SCOPED_TRACE(testing::Message() << "world " << world << " batch " << batch);
        std::vector<Order> ranks;
        for (uint32_t r = 0; r < world; ++r) {
          ranks.emplace_back(sizes, options(batch, r, world, false, sampling));
        }
        // Every rank: the same number of steps and the same group per step.
        for (uint32_t r = 1; r < world; ++r) {
          ASSERT_EQ(ranks[r].num_batches(), ranks[0].num_batches());
          for (size_t s = 0; s < ranks[0].num_batches(); ++s) {
            ASSERT_EQ(ranks[r].batch(s).group, ranks[0].batch(s).group);
          }
        }
        for (size_t g = 0; g < sizes.size(); ++g) {
          // Interleaving the ranks' lists rebuilds the epoch's list, padded
          // to a multiple of the world size by wrapping around.
          std::vector<uint64_t> list = Order::epoch_indices(sizes[g], 42, 0, g, sampling);
          const size_t per_rank = (sizes[g] + world - 1) / world;
          std::vector<uint64_t> interleaved(per_rank * world);
          for (uint32_t r = 0; r < world; ++r) {
            std::vector<uint64_t> mine = per_group(ranks[r])[g];
            ASSERT_EQ(mine.size(), per_rank);
            for (size_t i = 0; i < per_rank; ++i) interleaved[i * world + r] = mine[i];
          }
          for (size_t p = 0; p < interleaved.size(); ++p) {
            ASSERT_EQ(interleaved[p], list[p % list.size()]) << "group " << g << " position " << p;
          }
        }
      }
    }
  }
}

TEST(LoaderOrder, WithoutReplacementRanksShareOnlyThePadding) {
  const uint64_t n = 103;
  const uint32_t world = 4;  // 104 positions: one padded
  std::map<uint64_t, int> seen;
  for (uint32_t r = 0; r < world; ++r) {
    Order order({n}, options(2, r, world, false, Sampling::kWithoutReplacement));
    const std::vector<uint64_t> mine = per_group(order)[0];
    for (uint64_t i : mine) seen[i]++;
  }
  EXPECT_EQ(seen.size(), n);
  int twice = 0;
  for (const auto& [index, count] : seen) twice += count == 2;
  EXPECT_EQ(twice, 1);
}

TEST(LoaderOrder, DropLastDropsEachGroupsShortBatch) {
  const std::vector<uint64_t> sizes = {23, 4, 9};
  Order keep(sizes, options(5, 1, 2, false));
  Order drop(sizes, options(5, 1, 2, true));
  // Per rank: 12, 2 and 5 samples -> 3, 1, 1 batches kept; 2, 0, 1 with drop_last.
  EXPECT_EQ(keep.num_batches(), 5u);
  EXPECT_EQ(drop.num_batches(), 3u);
  for (size_t s = 0; s < drop.num_batches(); ++s) EXPECT_EQ(drop.batch(s).indices.size(), 5u);
  size_t short_batches = 0;
  for (size_t s = 0; s < keep.num_batches(); ++s) short_batches += keep.batch(s).indices.size() < 5;
  EXPECT_EQ(short_batches, 2u);
}

TEST(LoaderOrder, FingerprintNamesTheConfigurationNotThePlace) {
  const std::vector<uint64_t> sizes = {10, 20};
  const uint64_t base = Order(sizes, options(4, 0, 2)).fingerprint();
  OrderOptions other_epoch = options(4, 1, 2);
  other_epoch.epoch = 5;
  other_epoch.seed = 1;
  EXPECT_EQ(Order(sizes, other_epoch).fingerprint(), base);
  EXPECT_NE(Order(sizes, options(3, 0, 2)).fingerprint(), base);
  EXPECT_NE(Order(sizes, options(4, 0, 3)).fingerprint(), base);
  EXPECT_NE(Order(sizes, options(4, 0, 2, true)).fingerprint(), base);
  EXPECT_NE(Order({10, 21}, options(4, 0, 2)).fingerprint(), base);
}

TEST(LoaderOrder, RejectsBadOptions) {
  EXPECT_THROW(Order({10}, options(0)), Error);
  EXPECT_THROW(Order({10}, options(1, 0, 0)), Error);
  EXPECT_THROW(Order({10}, options(1, 2, 2)), Error);
  Order order({10}, options(4));
  EXPECT_THROW(order.batch(order.num_batches()), Error);
  Order empty({}, options(4));
  EXPECT_EQ(empty.num_batches(), 0u);
}

}  // namespace
}  // namespace mimicit::loader
