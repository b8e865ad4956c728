#include "mimicit/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <stdexcept>
#include <thread>

namespace mimicit::loader {
namespace {

// A synthetic producer: sample i of group g has 1 + i % 3 images (4 x 4
// RGB bytes, or float32 (3, 2, 2) in group 1) whose bytes are a function of
// (g, i, slot). Chosen samples fail in describe() (not found), in
// load_image() (corrupt) or with a non-mimicit exception. `jitter` makes
// loads take uneven time, so that threads finish out of order.
class TestProducer : public SampleProducer {
 public:
  std::vector<uint64_t> sizes = {40, 25, 9};
  std::set<std::pair<size_t, uint64_t>> missing;  // describe() throws kNotFound
  std::set<std::pair<size_t, uint64_t>> corrupt;  // load_image(slot 1 or 0) throws kCorrupt
  std::set<std::pair<size_t, uint64_t>> bizarre;  // load_image throws std::runtime_error
  bool jitter = false;

  size_t num_groups() const override { return sizes.size(); }
  uint64_t group_size(size_t g) const override { return sizes[g]; }
  std::string group_name(size_t g) const override { return "G" + std::to_string(g); }
  ImageLayout image_layout(size_t g) const override {
    if (g == 1) return {DType::kFloat32, {3, 2, 2}};
    return {DType::kUint8, {4, 4, 3}};
  }

  void describe(size_t g, uint64_t /*epoch*/, uint64_t i, SampleInfo& out) const override {
    if (missing.count({g, i})) fail(ErrorCode::kNotFound, "no instruction G{}_{}", g, i);
    out.id = id(g, i);
    out.dataset = "D" + std::to_string(g);
    out.text = "text of " + out.id;
    out.num_images = static_cast<uint32_t>(1 + i % 3);
    for (uint32_t k = 0; k < out.num_images; ++k)
      out.image_ids.push_back(out.id + "_IMG_" + std::to_string(k));
  }

  void load_image(size_t g, const SampleInfo& sample, uint32_t slot, std::span<uint8_t> out,
                  Scratch*) const override {
    if (jitter) std::this_thread::sleep_for(std::chrono::microseconds((sample.index * 7919 + slot) % 300));
    if (corrupt.count({g, sample.index}) && slot == sample.num_images - 1) {
      fail_corrupt("image {}: bad data", sample.image_ids[slot]);
    }
    if (bizarre.count({g, sample.index})) throw std::runtime_error("bizarre failure");
    fill(g, sample.index, slot, out);
  }

  static std::string id(size_t g, uint64_t i) {
    return "G" + std::to_string(g) + "_INS_" + std::to_string(i);
  }
  static void fill(size_t g, uint64_t i, uint32_t slot, std::span<uint8_t> out) {
    for (size_t b = 0; b < out.size(); ++b)
      out[b] = static_cast<uint8_t>(1 + (g * 131 + i * 17 + slot * 5 + b) % 251);
  }
};

LoaderOptions loader_options(int threads, uint32_t batch = 4, int prefetch = 0) {
  LoaderOptions o;
  o.order.seed = 7;
  o.order.batch_size = batch;
  o.order.drop_last = false;
  o.threads = threads;
  o.prefetch = prefetch;
  return o;
}

// A batch's content, comparable with ==.
struct Digest {
  uint64_t step;
  uint32_t group;
  std::vector<std::string> ids;
  std::vector<uint64_t> indices;
  uint32_t max_images;
  std::vector<uint8_t> images;
  size_t errors;
  bool operator==(const Digest&) const = default;
};

Digest digest(const Batch& b) {
  Digest d{b.step,
           b.group,
           {},
           {},
           b.max_images,
           std::vector<uint8_t>(b.images.data(), b.images.data() + b.images.size()),
           b.errors.size()};
  for (const SampleInfo& s : b.samples) {
    d.ids.push_back(s.id);
    d.indices.push_back(s.index);
  }
  return d;
}

std::vector<Digest> drain(Loader& loader, size_t limit = SIZE_MAX) {
  std::vector<Digest> out;
  Batch batch;
  while (out.size() < limit && loader.next(batch)) out.push_back(digest(batch));
  return out;
}

// Checks a batch against the order and the producer's pixel function.
void expect_batch_matches(const TestProducer& producer, const Order& order, const Batch& batch) {
  BatchIndices expected = order.batch(batch.step);
  ASSERT_EQ(batch.group, expected.group);
  ASSERT_EQ(batch.layout, producer.image_layout(batch.group));
  size_t kept = 0;
  uint32_t max_images = 0;
  for (uint64_t index : expected.indices) {
    const std::pair<size_t, uint64_t> key{batch.group, index};
    if (producer.missing.count(key) || producer.corrupt.count(key) || producer.bizarre.count(key)) continue;
    ASSERT_LT(kept, batch.samples.size());
    const SampleInfo& s = batch.samples[kept];
    EXPECT_EQ(s.index, index);
    EXPECT_EQ(s.id, TestProducer::id(batch.group, index));
    max_images = std::max(max_images, s.num_images);
    ++kept;
  }
  ASSERT_EQ(batch.samples.size(), kept);
  ASSERT_EQ(batch.max_images, max_images);
  ASSERT_EQ(batch.images.size(), kept * max_images * batch.layout.bytes());
  std::vector<uint8_t> slot(batch.layout.bytes());
  for (size_t j = 0; j < kept; ++j) {
    for (uint32_t k = 0; k < max_images; ++k) {
      if (k < batch.samples[j].num_images) {
        TestProducer::fill(batch.group, batch.samples[j].index, k, slot);
      } else {
        std::fill(slot.begin(), slot.end(), 0);  // padding
      }
      ASSERT_EQ(std::memcmp(batch.image(j, k), slot.data(), slot.size()), 0)
          << "step " << batch.step << " sample " << j << " slot " << k;
    }
  }
}

TEST(Loader, DeliversTheOrdersBatchesWithPaddedImages) {
  auto producer = std::make_shared<TestProducer>();
  Loader loader(producer, loader_options(2));
  Batch batch;
  size_t count = 0;
  while (loader.next(batch)) {
    EXPECT_EQ(batch.step, count);
    expect_batch_matches(*producer, loader.order(), batch);
    ++count;
  }
  EXPECT_EQ(count, loader.order().num_batches());
  EXPECT_EQ(count, 10u + 7u + 3u);
  EXPECT_EQ(loader.position(), count);
  EXPECT_FALSE(loader.next(batch));  // stays at the end
  EXPECT_EQ(loader.error_count(), 0u);
}

TEST(Loader, SameSeedAndEpochGiveTheSameBatches) {
  auto producer = std::make_shared<TestProducer>();
  Loader a(producer, loader_options(2));
  Loader b(producer, loader_options(1));
  std::vector<Digest> first = drain(a);
  EXPECT_EQ(first, drain(b));
  a.set_epoch(1);
  std::vector<Digest> second = drain(a);
  EXPECT_NE(first, second);
  a.set_epoch(0);
  EXPECT_EQ(drain(a), first);
}

TEST(Loader, SkipsFailedSamplesAndReportsThemInOrder) {
  auto producer = std::make_shared<TestProducer>();
  LoaderOptions options = loader_options(2);
  Order order({40, 25, 9}, options.order);
  // Fail the first sample of step 0 (describe) and the sample with the most
  // images of step 1 (load: shrinks max_images when it is the only one).
  BatchIndices step0 = order.batch(0);
  BatchIndices step1 = order.batch(1);
  producer->missing.insert({step0.group, step0.indices[0]});
  producer->corrupt.insert({step1.group, step1.indices.back()});
  producer->bizarre.insert({step1.group, step1.indices[0]});

  Loader loader(producer, options);
  Batch batch;
  std::vector<SampleError> seen;
  while (loader.next(batch)) {
    expect_batch_matches(*producer, loader.order(), batch);
    seen.insert(seen.end(), batch.errors.begin(), batch.errors.end());
  }
  const uint64_t expected = [&] {
    // Repeated draws of the same index fail every time.
    uint64_t n = 0;
    for (size_t s = 0; s < order.num_batches(); ++s) {
      BatchIndices b = order.batch(s);
      for (uint64_t i : b.indices) {
        n += producer->missing.count({b.group, i}) + producer->corrupt.count({b.group, i}) +
             producer->bizarre.count({b.group, i});
      }
    }
    return n;
  }();
  EXPECT_GE(expected, 3u);
  EXPECT_EQ(loader.error_count(), expected);
  std::vector<SampleError> reported = loader.errors();
  ASSERT_EQ(reported.size(), expected);
  for (size_t e = 0; e < reported.size(); ++e) {
    EXPECT_EQ(reported[e].step, seen[e].step);
    EXPECT_EQ(reported[e].index, seen[e].index);
  }
  // Step 0's first failure: describe() failed, so no id, kNotFound.
  EXPECT_EQ(reported[0].step, 0u);
  EXPECT_EQ(reported[0].code, ErrorCode::kNotFound);
  EXPECT_TRUE(reported[0].id.empty());
  EXPECT_NE(reported[0].message.find("no instruction"), std::string::npos);
  // Step 1: the non-mimicit exception first (sample order), then the corrupt image.
  auto it = std::find_if(reported.begin(), reported.end(), [](const SampleError& e) { return e.step == 1; });
  ASSERT_NE(it, reported.end());
  EXPECT_EQ(it->code, ErrorCode::kInternal);
  EXPECT_EQ(it->message, "bizarre failure");
  ++it;
  ASSERT_NE(it, reported.end());
  EXPECT_EQ(it->code, ErrorCode::kCorrupt);
  EXPECT_EQ(it->id, TestProducer::id(step1.group, step1.indices.back()));
}

TEST(Loader, ABatchWhoseSamplesAllFailComesOutEmpty) {
  auto producer = std::make_shared<TestProducer>();
  producer->sizes = {3};
  for (uint64_t i = 0; i < 3; ++i) producer->missing.insert({0, i});
  Loader loader(producer, loader_options(2, 2));
  std::vector<Digest> batches = drain(loader);
  ASSERT_EQ(batches.size(), 2u);
  for (const Digest& d : batches) {
    EXPECT_TRUE(d.ids.empty());
    EXPECT_TRUE(d.images.empty());
    EXPECT_EQ(d.max_images, 0u);
  }
  EXPECT_EQ(loader.error_count(), 3u);
}

TEST(Loader, RaiseModeThrowsTheFailureAndContinuesAfterIt) {
  auto producer = std::make_shared<TestProducer>();
  LoaderOptions options = loader_options(2);
  options.on_error = OnError::kRaise;
  Order order(std::vector<uint64_t>(producer->sizes), options.order);
  BatchIndices step2 = order.batch(2);
  producer->corrupt.insert({step2.group, step2.indices[0]});
  Loader loader(producer, options);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  ASSERT_TRUE(loader.next(batch));
  try {
    loader.next(batch);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    std::string message = e.message();
    EXPECT_NE(message.find("step 2"), std::string::npos) << message;
    EXPECT_NE(message.find(TestProducer::id(step2.group, step2.indices[0])), std::string::npos) << message;
  }
  EXPECT_EQ(loader.position(), 3u);
  ASSERT_TRUE(loader.next(batch));
  EXPECT_EQ(batch.step, 3u);
}

TEST(Loader, ResumeEqualsUninterrupted) {
  auto producer = std::make_shared<TestProducer>();
  Loader whole(producer, loader_options(2));
  whole.set_epoch(3);
  std::vector<Digest> expected = drain(whole);

  Loader first(producer, loader_options(2));
  first.set_epoch(3);
  std::vector<Digest> head = drain(first, 7);
  LoaderState state = first.state();
  EXPECT_EQ(state.epoch, 3u);
  EXPECT_EQ(state.position, 7u);
  EXPECT_EQ(state.seed, 7u);

  Loader resumed(producer, loader_options(3, 4, 1));
  resumed.load_state(state);
  std::vector<Digest> tail = drain(resumed);
  head.insert(head.end(), tail.begin(), tail.end());
  EXPECT_EQ(head, expected);

  // The same loader, rewound while its workers are busy prefetching.
  first.load_state(state);
  EXPECT_EQ(drain(first), tail);
}

TEST(Loader, LoadStateChecksTheConfiguration) {
  auto producer = std::make_shared<TestProducer>();
  Loader loader(producer, loader_options(1));
  LoaderState state = loader.state();
  Loader other(producer, loader_options(1, 5));
  LoaderOptions dropping = loader_options(1);
  dropping.order.drop_last = true;
  EXPECT_THROW(Loader(producer, dropping).load_state(state), Error);  // other epoch coverage
  LoaderOptions shaped = loader_options(1);
  shaped.order.batching = Batching::kByShape;
  EXPECT_THROW(Loader(producer, shaped).load_state(state), Error);
  // Another batch size resumes elastically; a state without its world size
  // and batch size (saved before elastic resume) only with the same ones.
  state.world_size = state.batch_size = 0;
  EXPECT_THROW(other.load_state(state), Error);
  state.position = loader.order().num_batches() + 1;
  EXPECT_THROW(loader.load_state(state), Error);
  state.position = loader.order().num_batches();  // the end: valid, nothing left
  loader.load_state(state);
  Batch batch;
  EXPECT_FALSE(loader.next(batch));
  state.fingerprint = 0;  // unchecked
  state.position = 1;
  other.load_state(state);
  EXPECT_TRUE(other.next(batch));
  EXPECT_EQ(batch.step, 1u);
}

TEST(Loader, RanksSplitEveryGroup) {
  auto producer = std::make_shared<TestProducer>();
  std::multiset<std::string> all;
  size_t steps = 0;
  for (uint32_t rank = 0; rank < 3; ++rank) {
    LoaderOptions options = loader_options(2);
    options.order.rank = rank;
    options.order.world_size = 3;
    options.order.sampling = Sampling::kWithoutReplacement;
    Loader loader(producer, options);
    std::vector<Digest> batches = drain(loader);
    if (rank == 0) steps = batches.size();
    EXPECT_EQ(batches.size(), steps);
    for (const Digest& d : batches) all.insert(d.ids.begin(), d.ids.end());
  }
  // 40, 25 and 9 samples over 3 ranks: 42, 27 and 9 positions (4 padded).
  EXPECT_EQ(all.size(), 42u + 27u + 9u);
  std::set<std::string> distinct(all.begin(), all.end());
  EXPECT_EQ(distinct.size(), 40u + 25u + 9u);
}

// Digests of every rank of a world, from `state` when given.
std::vector<std::vector<Digest>> run_world(const std::shared_ptr<TestProducer>& producer, uint32_t world,
                                           uint32_t batch, Batching batching, const LoaderState* state,
                                           size_t limit, std::vector<LoaderState>* states = nullptr) {
  std::vector<std::vector<Digest>> out;
  for (uint32_t rank = 0; rank < world; ++rank) {
    LoaderOptions options = loader_options(2, batch);
    options.order.rank = rank;
    options.order.world_size = world;
    options.order.sampling = Sampling::kWithoutReplacement;
    options.order.batching = batching;
    Loader loader(producer, options);
    loader.set_epoch(2);
    if (state != nullptr) loader.load_state(*state);
    out.push_back(drain(loader, limit));
    if (states != nullptr) states->push_back(loader.state());
  }
  return out;
}

std::multiset<std::string> ids_of(const std::vector<std::vector<Digest>>& ranks) {
  std::multiset<std::string> ids;
  for (const auto& batches : ranks) {
    for (const Digest& d : batches) ids.insert(d.ids.begin(), d.ids.end());
  }
  return ids;
}

TEST(Loader, ElasticResumeCoversTheRestOnce) {
  auto producer = std::make_shared<TestProducer>();
  for (Batching batching : {Batching::kReference, Batching::kByShape, Batching::kByLength}) {
    for (auto [world, next_world] : {std::pair{4u, 2u}, {2u, 3u}, {2u, 1u}, {1u, 2u}}) {
      SCOPED_TRACE(testing::Message()
                   << kBatchingNames.name(batching) << " " << world << " -> " << next_world);
      const std::multiset<std::string> expected =
          ids_of(run_world(producer, world, 3, batching, nullptr, SIZE_MAX));
      std::vector<LoaderState> states;
      const auto head = run_world(producer, world, 3, batching, nullptr, 5, &states);
      for (const LoaderState& s : states) {
        EXPECT_EQ(s.position, 5u);
        EXPECT_EQ(s.fingerprint, states[0].fingerprint);
      }
      const auto tail = run_world(producer, next_world, 3, batching, &states[0], SIZE_MAX);
      std::multiset<std::string> all = ids_of(head);
      for (const std::string& id : ids_of(tail)) all.insert(id);
      EXPECT_EQ(all, expected);
    }
  }
}

TEST(Loader, ResumedEpochResumesBitIdenticallyOnItsWorld) {
  // 4 ranks -> 2 ranks after 5 steps; the 2-rank run saves after 3 more
  // steps, and that state loaded on 2 ranks continues it exactly.
  auto producer = std::make_shared<TestProducer>();
  std::vector<LoaderState> states;
  run_world(producer, 4, 3, Batching::kByShape, nullptr, 5, &states);
  const auto whole = run_world(producer, 2, 3, Batching::kByShape, &states[0], SIZE_MAX);
  std::vector<LoaderState> mid;
  const auto head = run_world(producer, 2, 3, Batching::kByShape, &states[0], 3, &mid);
  EXPECT_FALSE(mid[0].segment.fresh());
  const auto tail = run_world(producer, 2, 3, Batching::kByShape, &mid[0], SIZE_MAX);
  for (size_t r = 0; r < 2; ++r) {
    std::vector<Digest> joined = head[r];
    joined.insert(joined.end(), tail[r].begin(), tail[r].end());
    EXPECT_EQ(joined, whole[r]);
  }
}

TEST(Loader, ByShapeBatchesHaveNoImagePadding) {
  auto producer = std::make_shared<TestProducer>();
  const auto reference = run_world(producer, 2, 4, Batching::kReference, nullptr, SIZE_MAX);
  const auto shaped = run_world(producer, 2, 4, Batching::kByShape, nullptr, SIZE_MAX);
  EXPECT_EQ(ids_of(shaped), ids_of(reference));
  EXPECT_EQ(shaped[0].size(), shaped[1].size());
  size_t padded_reference = 0;
  for (const auto* ranks : {&reference, &shaped}) {
    for (const auto& batches : *ranks) {
      for (const Digest& d : batches) {
        for (uint64_t index : d.indices) {
          const uint32_t images = static_cast<uint32_t>(1 + index % 3);  // TestProducer's count
          if (ranks == &shaped) {
            EXPECT_EQ(images, d.max_images) << "step " << d.step;
          } else {
            padded_reference += images < d.max_images;
          }
        }
      }
    }
  }
  EXPECT_GT(padded_reference, 0u);
}

TEST(Loader, LoadSampleReturnsOneSampleOrThrows) {
  TestProducer producer;
  Batch one = load_sample(producer, 1, 5);
  ASSERT_EQ(one.samples.size(), 1u);
  EXPECT_EQ(one.samples[0].id, "G1_INS_5");
  EXPECT_EQ(one.max_images, 3u);
  EXPECT_EQ(one.images.size(), 3 * 12 * 4u);
  producer.corrupt.insert({1, 5});
  EXPECT_THROW(load_sample(producer, 1, 5), Error);
  EXPECT_THROW(load_sample(producer, 1, 25), Error);
  EXPECT_THROW(load_sample(producer, 3, 0), Error);
}

// --- Concurrency (these also run under TSan: the names match *Concurrent*).

TEST(LoaderConcurrent, ManyThreadsGiveTheSameBatchesAsOne) {
  auto producer = std::make_shared<TestProducer>();
  producer->jitter = true;
  producer->corrupt.insert({0, 3});
  producer->missing.insert({1, 4});
  Loader one(producer, loader_options(1, 3, 1));
  std::vector<Digest> expected = drain(one);
  for (int threads : {2, 4, 8}) {
    for (int prefetch : {1, 3, 16}) {
      Loader many(producer, loader_options(threads, 3, prefetch));
      EXPECT_EQ(drain(many), expected) << threads << " threads, prefetch " << prefetch;
      EXPECT_EQ(many.error_count(), one.error_count());
    }
  }
}

TEST(LoaderConcurrent, RestartsWhileWorkersAreBusy) {
  auto producer = std::make_shared<TestProducer>();
  producer->jitter = true;
  Loader reference(producer, loader_options(1, 2));
  std::vector<std::vector<Digest>> epochs;
  for (uint64_t e = 0; e < 3; ++e) {
    reference.set_epoch(e);
    epochs.push_back(drain(reference));
  }
  Loader loader(producer, loader_options(4, 2, 6));
  Batch batch;
  for (int round = 0; round < 6; ++round) {
    const uint64_t epoch = static_cast<uint64_t>(round % 3);
    loader.set_epoch(epoch);
    const size_t take = static_cast<size_t>(round) * 3 % epochs[epoch].size();
    for (size_t s = 0; s < take; ++s) {
      ASSERT_TRUE(loader.next(batch));
      ASSERT_EQ(digest(batch), epochs[epoch][s]);
    }
    LoaderState state = loader.state();
    state.position = take / 2;
    loader.load_state(state);
    ASSERT_TRUE(loader.next(batch));
    ASSERT_EQ(digest(batch), epochs[epoch][take / 2]);
  }
}

TEST(LoaderConcurrent, DestroyedMidEpochWithoutHanging) {
  auto producer = std::make_shared<TestProducer>();
  producer->jitter = true;
  for (int prefetch : {1, 4}) {
    Loader loader(producer, loader_options(4, 3, prefetch));
    Batch batch;
    ASSERT_TRUE(loader.next(batch));
  }
  Loader never_started(producer, loader_options(3));
}

TEST(LoaderConcurrent, ErrorsAreReadableWhileLoading) {
  auto producer = std::make_shared<TestProducer>();
  for (uint64_t i = 0; i < 40; i += 3) producer->corrupt.insert({0, i});
  Loader loader(producer, loader_options(3, 2));
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      const uint64_t before = loader.error_count();
      const size_t reported = loader.errors().size();
      const uint64_t after = loader.error_count();
      EXPECT_LE(before, reported);  // every failure is kept (fewer than the cap)
      EXPECT_LE(reported, after);
    }
  });
  Batch batch;
  while (loader.next(batch)) {
  }
  done = true;
  watcher.join();
  EXPECT_GT(loader.error_count(), 0u);
}

}  // namespace
}  // namespace mimicit::loader
