// The loader's random numbers: fully specified, so a (seed, epoch) gives the
// same order on every platform, compiler and standard library.
//
// std::mt19937 would be portable, but std::uniform_int_distribution and
// std::shuffle are not (their algorithms are implementation-defined), so the
// loader draws with its own generator and bounded-integer rule:
//   - SplitMix64 (Steele, Lea, Flood 2014) mixes seeds and seeds the
//     generator, as its authors recommend;
//   - xoshiro256** 1.0 (Blackman, Vigna 2018) is the generator;
//   - below(n) is the plain rejection rule: draw x until x >= (2^64 - n) % n,
//     return x % n (exactly uniform; rejects with probability < n / 2^64);
//   - shuffle() is Fisher-Yates from the back: for i = n-1 .. 1, swap a[i]
//     with a[below(i + 1)].
// Every step is integer arithmetic on uint64_t, defined by the language.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

namespace mimicit::loader {

// One SplitMix64 step: advances `state` and returns the next output.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The seed of one random stream of an epoch: stream 0 is the group sequence,
// stream g + 1 the draws of group g. Each input passes through SplitMix64 so
// that neighbouring seeds, epochs and streams give unrelated generators.
inline uint64_t stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream) {
  uint64_t state = seed;
  state = splitmix64(state) ^ epoch;
  state = splitmix64(state) ^ stream;
  return splitmix64(state);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = splitmix64(seed);
  }

  // xoshiro256**: the next 64 random bits.
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n > 0.
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // (2^64 - n) mod n
    while (true) {
      const uint64_t x = next();
      if (x >= threshold) return x % n;
    }
  }

  template <typename T>
  void shuffle(std::span<T> values) {
    for (size_t i = values.size(); i > 1; --i) {
      std::swap(values[i - 1], values[below(i)]);
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace mimicit::loader
