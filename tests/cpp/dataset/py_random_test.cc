// PyRandom against values printed by CPython 3.11's random module.
#include "mimicit/py_random.h"

#include <gtest/gtest.h>

#include "mimicit/error.h"

namespace mimicit {
namespace {

std::vector<uint64_t> draws(PyRandom& r, int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(r.next_u32());
  return out;
}

TEST(PyRandom, SeedsLikeRandomSeed) {
  PyRandom zero(0);
  EXPECT_EQ(draws(zero, 5),
            (std::vector<uint64_t>{3626764237, 1654615998, 3255389356, 3823568514, 1806341205}));
  PyRandom small(12345);
  EXPECT_EQ(draws(small, 3), (std::vector<uint64_t>{1789368711, 3146859322, 43676229}));
  PyRandom two_words((int64_t{1} << 40) + 7);
  EXPECT_EQ(draws(two_words, 3), (std::vector<uint64_t>{2635837658, 3209733218, 3500038837}));
  PyRandom negative(-9);  // abs(seed)
  EXPECT_EQ(draws(negative, 2), (std::vector<uint64_t>{1988601454, 2633739374}));
}

TEST(PyRandom, GetrandbitsRandomAndRandbelow) {
  PyRandom r(0);
  std::vector<uint64_t> bits;
  for (int k : {1, 7, 31, 32, 33, 48, 64}) bits.push_back(r.getrandbits(k));
  EXPECT_EQ(bits, (std::vector<uint64_t>{1, 49, 1627694678, 3823568514, 1806341205, 271752282791482ULL,
                                         8963783824838420066ULL}));
  PyRandom f(0);
  EXPECT_EQ(f.random(), 0x1.b0580f98a7dbep-1);
  EXPECT_EQ(f.random(), 0x1.84129978f9c1ap-1);
  EXPECT_EQ(f.random(), 0x1.aeaa51052e978p-2);
  PyRandom b(0);
  std::vector<uint64_t> below;
  for (uint64_t n : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{10}, uint64_t{1000},
                     (uint64_t{1} << 31) + 1, (uint64_t{1} << 40) + 3}) {
    below.push_back(b.randbelow(n));
  }
  EXPECT_EQ(below, (std::vector<uint64_t>{0, 1, 0, 4, 988, 2087043557, 788025983492ULL}));
}

std::vector<uint64_t> head(std::vector<uint64_t> v, size_t n) {
  v.resize(std::min(n, v.size()));
  return v;
}

TEST(PyRandom, SampleBothPaths) {
  // n <= setsize: partial Fisher-Yates; n > setsize: rejection with a set.
  EXPECT_EQ(PyRandom(0).sample(10, 3), (std::vector<uint64_t>{6, 9, 0}));
  EXPECT_EQ(PyRandom(0).sample(30, 4), (std::vector<uint64_t>{27, 12, 24, 28}));
  EXPECT_EQ(head(PyRandom(0).sample(40, 17), 12),
            (std::vector<uint64_t>{24, 26, 2, 16, 32, 31, 25, 19, 30, 11, 18, 28}));
  EXPECT_EQ(head(PyRandom(0).sample(300, 20), 12),
            (std::vector<uint64_t>{197, 215, 20, 132, 261, 248, 207, 155, 244, 183, 298, 111}));
  EXPECT_EQ(PyRandom(0).sample(5, 5), (std::vector<uint64_t>{3, 4, 0, 1, 2}));
  EXPECT_EQ(head(PyRandom(0).sample(1000, 999), 12),
            (std::vector<uint64_t>{864, 394, 776, 911, 430, 41, 265, 988, 523, 497, 414, 940}));
  EXPECT_TRUE(PyRandom(0).sample(7, 0).empty());
  EXPECT_THROW(PyRandom(0).sample(3, 4), Error);
}

TEST(PyRandom, Choices) {
  EXPECT_EQ(PyRandom(0).choices(7, 2), (std::vector<uint64_t>{5, 5}));
  EXPECT_EQ(PyRandom(0).choices(3, 10), (std::vector<uint64_t>{2, 2, 1, 0, 1, 1, 2, 0, 1, 1}));
  EXPECT_EQ(PyRandom(0).choices(100, 5), (std::vector<uint64_t>{84, 75, 42, 25, 51}));
  EXPECT_TRUE(PyRandom(0).choices(0, 0).empty());
  EXPECT_THROW(PyRandom(0).choices(0, 1), Error);
}

TEST(PyRandom, SampleSetsize) {
  const std::pair<uint64_t, uint64_t> cases[] = {{0, 21},    {1, 21},     {5, 21},     {6, 85},
                                                 {7, 85},    {21, 85},    {22, 277},   {85, 277},
                                                 {86, 1045}, {341, 1045}, {342, 4117}, {1000000, 4194325}};
  for (auto [k, setsize] : cases) EXPECT_EQ(python_sample_setsize(k), setsize) << k;
}

TEST(PyRandom, TupleHashAndItemSeed) {
  struct Case {
    int64_t a, b, hash, seed;
  };
  const Case cases[] = {
      {42, 0, 6038560907587197923LL, 197952},
      {0, 0, -8458139203682520985LL, 478912},
      {-1, 0, 2575514064802888272LL, 888192},
      {-5, 3, -4407243991241898740LL, 101504},
      {int64_t{1} << 40, 9, 4424358106959351948LL, 351808},
      {123, -1, 9151797543718476606LL, 476800},
      {INT64_MAX, (int64_t{1} << 61) - 1, 2248468952609198383LL, 198336},
      {INT64_MIN, 5, -5229735110852842374LL, 157504},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(python_hash_int_pair(c.a, c.b), c.hash) << c.a << "," << c.b;
    EXPECT_EQ(reference_item_seed(c.a, c.b), c.seed) << c.a << "," << c.b;
  }
  const int64_t values[] = {
      -1, -2, (int64_t{1} << 61) - 1, int64_t{1} << 61, -(int64_t{1} << 61), INT64_MAX, INT64_MIN};
  const int64_t hashes[] = {-2, -2, 0, 1, -2, 3, -4};
  for (size_t i = 0; i < std::size(values); ++i)
    EXPECT_EQ(python_hash_int(values[i]), hashes[i]) << values[i];
}

}  // namespace
}  // namespace mimicit
