// PyRandom: CPython 3.11's random.Random, bit for bit, for the choices the
// reference training pipeline makes with Python's `random` module.
//
// The reference resamples each dataset after `random.seed(0)` with
// `random.sample` and `random.choices`, and picks a task description with
// `random.choice` after seeding with `int(hash((seed, epoch)) % 1e6)`.
// Reproducing its training lists exactly needs the same generator (MT19937
// seeded with init_by_array) and the same algorithms on top of it:
//   getrandbits(k)  one 32-bit output shifted right by 32-k (k <= 32); for
//                   k > 32 the words are drawn least significant first and
//                   the last (top) one is shifted;
//   randbelow(n)    getrandbits(bit_length(n)) until the value is < n;
//   random()        (a * 2^26 + b) / 2^53 with a = out >> 5, b = out >> 6;
//   sample(n, k)    setsize = 21, plus 4 ** ceil(log(3k, 4)) when k > 5; for
//                   n <= setsize a partial Fisher-Yates over a copy, else
//                   rejection of repeated indices against a set;
//   choices(n, k)   floor(random() * n), k times;
//   choice(n)       randbelow(n).
// The functions return indices into the population; the caller maps them.
//
// Thread-safety: a PyRandom is a plain value used by one thread at a time;
// the free functions are pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mimicit {

class PyRandom {
 public:
  // Seeded like random.seed(seed) with an int: the key is the 32-bit words
  // of abs(seed), least significant first ([0] for 0).
  explicit PyRandom(int64_t seed = 0) { this->seed(seed); }

  void seed(int64_t seed);
  // MT19937's init_by_array(key), which random.seed(int) ends in.
  void seed_by_array(std::span<const uint32_t> key);

  // The next raw 32-bit output (genrand_uint32).
  uint32_t next_u32();
  // random.getrandbits(k) for 0 <= k <= 64 (k == 0 draws nothing).
  uint64_t getrandbits(int k);
  // random._randbelow(n); n must be > 0 (Python loops forever on 0: this
  // returns 0 without drawing).
  uint64_t randbelow(uint64_t n);
  // random.random(): 53 random bits as a double in [0, 1).
  double random();

  // Indices of random.sample(range(n), k) (k <= n; Python raises otherwise,
  // this throws Error(kInvalidArgument)).
  std::vector<uint64_t> sample(uint64_t n, uint64_t k);
  // Indices of random.choices(range(n), k=k); n must be > 0 when k > 0.
  std::vector<uint64_t> choices(uint64_t n, uint64_t k);
  // Index of random.choice(seq) for len(seq) == n > 0.
  uint64_t choice(uint64_t n) { return randbelow(n); }

 private:
  void init_genrand(uint32_t s);
  void twist();

  static constexpr int kN = 624;
  std::array<uint32_t, kN> state_{};
  int index_ = kN + 1;
};

// The setsize of random.sample for k picks: 21, plus 4 ** ceil(log(3k, 4))
// when k > 5 (saturating at UINT64_MAX).
uint64_t python_sample_setsize(uint64_t k);

// hash(v) of a Python int (64-bit build): v mod 2^61-1 with v's sign, -1
// becoming -2.
int64_t python_hash_int(int64_t v);
// hash((a, b)) of a tuple of two ints (CPython 3.8+ xxHash-based tuplehash).
int64_t python_hash_int_pair(int64_t a, int64_t b);
// int(hash((seed, epoch)) % 1e6): the seed the reference's
// random_seed(seed, epoch) context gives random.seed() before each sample.
int64_t reference_item_seed(int64_t seed, int64_t epoch);

}  // namespace mimicit
