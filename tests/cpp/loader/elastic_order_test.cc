// Batching modes and elastic resume of the order (loader.h, "Batching" and
// "Elastic resume"), checked on every rank of a world in one process.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "mimicit/loader.h"

namespace mimicit::loader {
namespace {

using Multiset = std::map<std::pair<uint32_t, uint64_t>, int>;  // (group, index) -> times

OrderOptions make(uint32_t batch, uint32_t world, Batching batching, bool drop_last,
                  Sampling sampling = Sampling::kWithoutReplacement) {
  OrderOptions o;
  o.seed = 7;
  o.epoch = 3;
  o.batch_size = batch;
  o.world_size = world;
  o.drop_last = drop_last;
  o.sampling = sampling;
  o.batching = batching;
  return o;
}

// Image counts 1..5 and lengths spread over 0..999, fixed per sample.
std::shared_ptr<const GroupShapes> shapes_for(const std::vector<uint64_t>& sizes) {
  auto shapes = std::make_shared<GroupShapes>();
  for (uint64_t n : sizes) {
    std::vector<SampleShape> group(n);
    for (uint64_t i = 0; i < n; ++i) group[i] = {static_cast<uint32_t>(1 + (i * 7) % 5), (i * 389) % 1000};
    shapes->push_back(std::move(group));
  }
  return shapes;
}

// The orders of every rank of a world.
std::vector<Order> world_orders(const std::vector<uint64_t>& sizes, OrderOptions o,
                                const std::shared_ptr<const GroupShapes>& shapes,
                                const Segment& segment = {}) {
  std::vector<Order> ranks;
  for (uint32_t r = 0; r < o.world_size; ++r) {
    o.rank = r;
    ranks.emplace_back(sizes, o, shapes, segment);
  }
  return ranks;
}

// What the ranks deliver in steps [from, to), checking that they agree on
// the number of steps and on the group of every step.
Multiset delivered(const std::vector<Order>& ranks, size_t from, size_t to) {
  Multiset seen;
  for (const Order& order : ranks) {
    EXPECT_EQ(order.num_batches(), ranks[0].num_batches());
    for (size_t s = from; s < to; ++s) {
      const BatchIndices b = order.batch(s);
      EXPECT_EQ(b.group, ranks[0].batch(s).group) << "step " << s;
      for (uint64_t i : b.indices) seen[{b.group, i}]++;
    }
  }
  return seen;
}

Multiset merged(Multiset a, const Multiset& b) {
  for (const auto& [key, count] : b) a[key] += count;
  return a;
}

const std::vector<uint64_t> kSizes = {101, 13, 0, 64, 1};

TEST(LoaderBatching, EveryModeCoversTheReferenceEpoch) {
  auto shapes = shapes_for(kSizes);
  for (bool drop_last : {false, true}) {
    for (uint32_t world : {1u, 2u, 3u, 4u}) {
      for (uint32_t batch : {1u, 3u, 8u}) {
        SCOPED_TRACE(testing::Message() << "world " << world << " batch " << batch << " drop " << drop_last);
        const auto reference =
            world_orders(kSizes, make(batch, world, Batching::kReference, drop_last), shapes);
        const Multiset expected = delivered(reference, 0, reference[0].num_batches());
        for (Batching batching : {Batching::kByShape, Batching::kByLength}) {
          const auto ranks = world_orders(kSizes, make(batch, world, batching, drop_last), shapes);
          EXPECT_EQ(delivered(ranks, 0, ranks[0].num_batches()), expected) << kBatchingNames.name(batching);
        }
      }
    }
  }
}

TEST(LoaderBatching, ByShapeBatchesHoldOneImageCount) {
  auto shapes = shapes_for(kSizes);
  for (uint32_t world : {1u, 3u}) {
    const auto ranks = world_orders(kSizes, make(4, world, Batching::kByShape, true), shapes);
    std::set<uint32_t> counts;
    size_t short_batches = 0;
    for (const Order& order : ranks) {
      for (size_t s = 0; s < order.num_batches(); ++s) {
        const BatchIndices b = order.batch(s);
        std::set<uint32_t> in_batch;
        for (uint64_t i : b.indices) in_batch.insert((*shapes)[b.group][i].images);
        EXPECT_LE(in_batch.size(), 1u) << "step " << s;
        counts.insert(in_batch.begin(), in_batch.end());
        short_batches += b.indices.size() < 4;
      }
    }
    EXPECT_EQ(counts.size(), 5u);
    EXPECT_GT(short_batches, 0u);  // the shapes' remainders, kept
  }
}

TEST(LoaderBatching, ByLengthCutsThePadding) {
  const std::vector<uint64_t> sizes = {2000};
  auto shapes = shapes_for(sizes);
  auto padding = [&](Batching batching) {
    Order order(sizes, make(8, 1, batching, true), shapes);
    uint64_t pad = 0;
    for (size_t s = 0; s < order.num_batches(); ++s) {
      uint64_t longest = 0, total = 0;
      for (uint64_t i : order.batch(s).indices) {
        longest = std::max(longest, (*shapes)[0][i].length);
        total += (*shapes)[0][i].length;
      }
      pad += longest * order.batch(s).indices.size() - total;
    }
    return pad;
  };
  EXPECT_LT(padding(Batching::kByLength) * 10, padding(Batching::kReference));
}

TEST(LoaderBatching, DeterministicAndNeedsShapes) {
  auto shapes = shapes_for(kSizes);
  Order a(kSizes, make(3, 2, Batching::kByShape, false), shapes);
  Order b(kSizes, make(3, 2, Batching::kByShape, false), shapes);
  ASSERT_EQ(a.num_batches(), b.num_batches());
  for (size_t s = 0; s < a.num_batches(); ++s) {
    ASSERT_EQ(a.batch(s).group, b.batch(s).group);
    ASSERT_TRUE(std::ranges::equal(a.batch(s).indices, b.batch(s).indices));
  }
  EXPECT_NE(a.fingerprint(), Order(kSizes, make(3, 2, Batching::kReference, false), shapes).fingerprint());
  EXPECT_THROW(Order(kSizes, make(3, 2, Batching::kByShape, false)), Error);
  EXPECT_THROW(Order(kSizes, make(3, 2, Batching::kByLength, false), shapes_for({1, 2})), Error);
}

// The elastic matrix: the head of an epoch with W ranks, then the rest with
// W' ranks (and batch B'), delivers what the uninterrupted W run delivers,
// exactly once.
TEST(LoaderElastic, RestOfTheEpochIsCoveredExactlyOnceOnAnotherWorld) {
  auto shapes = shapes_for(kSizes);
  struct Case {
    uint32_t world, batch, new_world, new_batch;
  };
  const Case cases[] = {{4, 2, 2, 2}, {2, 3, 3, 3}, {2, 2, 1, 2}, {1, 4, 2, 4},
                        {1, 2, 4, 2}, {4, 2, 3, 5}, {3, 1, 2, 1}, {2, 4, 2, 2}};
  for (Batching batching : {Batching::kReference, Batching::kByShape, Batching::kByLength}) {
    for (bool drop_last : {false, true}) {
      for (const Case& c : cases) {
        const auto whole = world_orders(kSizes, make(c.batch, c.world, batching, drop_last), shapes);
        const size_t steps = whole[0].num_batches();
        const Multiset expected = delivered(whole, 0, steps);
        for (size_t k : {size_t{0}, size_t{1}, steps / 3, steps - 1, steps}) {
          SCOPED_TRACE(testing::Message()
                       << kBatchingNames.name(batching) << " drop " << drop_last << " " << c.world << "x"
                       << c.batch << " -> " << c.new_world << "x" << c.new_batch << " at step " << k);
          const Segment rest = whole[0].continuation(k);
          for (const Order& order : whole) EXPECT_EQ(order.continuation(k).begin, rest.begin);
          const auto resumed =
              world_orders(kSizes, make(c.new_batch, c.new_world, batching, drop_last), shapes, rest);
          const Multiset tail = delivered(resumed, 0, resumed[0].num_batches());
          EXPECT_EQ(merged(delivered(whole, 0, k), tail), expected);
          // Every batch of the rest is at most the new batch size.
          for (const Order& order : resumed) {
            for (size_t s = 0; s < order.num_batches(); ++s)
              EXPECT_LE(order.batch(s).indices.size(), c.new_batch);
          }
          // And a second resume, back on the first world, mid-way.
          const size_t half = resumed[0].num_batches() / 2;
          const auto again = world_orders(kSizes, make(c.batch, c.world, batching, drop_last), shapes,
                                          resumed[0].continuation(half));
          EXPECT_EQ(merged(merged(delivered(whole, 0, k), delivered(resumed, 0, half)),
                           delivered(again, 0, again[0].num_batches())),
                    expected);
        }
      }
    }
  }
}

TEST(LoaderElastic, SameWorldContinuationIsTheUninterruptedOrder) {
  // A continuation at the same world size and batch size is a new segment
  // (its own shuffle), but a state loads it bit-identically (loader_test);
  // the order itself only promises the same samples.
  const auto whole = world_orders(kSizes, make(3, 2, Batching::kReference, false), nullptr);
  const Segment rest = whole[0].continuation(whole[0].num_batches());
  const auto done = world_orders(kSizes, make(3, 2, Batching::kReference, false), nullptr, rest);
  EXPECT_EQ(done[0].num_batches(), 0u);  // nothing left
}

TEST(LoaderElastic, RejectsSegmentsThatDoNotFit) {
  Segment bad;
  bad.plan_world_size = 2;
  bad.plan_batch_size = 3;
  bad.begin = {1, 2};  // the epoch has 5 units
  EXPECT_THROW(Order(kSizes, make(3, 2, Batching::kReference, false), nullptr, bad), Error);
  bad.begin = {1000, 0, 0, 0, 0};  // past the end of group 0
  EXPECT_THROW(Order(kSizes, make(3, 2, Batching::kReference, false), nullptr, bad), Error);
  bad.begin = {0, 0, 0, 0, 0};
  bad.plan_batch_size = 0;
  EXPECT_THROW(Order(kSizes, make(3, 2, Batching::kReference, false), nullptr, bad), Error);
}

}  // namespace
}  // namespace mimicit::loader
