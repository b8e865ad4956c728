#include "mimicit/py_random.h"

#include <cmath>
#include <limits>

#include "mimicit/error.h"

namespace mimicit {

namespace {

constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

int bit_length(uint64_t n) { return n == 0 ? 0 : 64 - __builtin_clzll(n); }

}  // namespace

void PyRandom::init_genrand(uint32_t s) {
  state_[0] = s;
  for (int i = 1; i < kN; ++i) {
    state_[i] = 1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  index_ = kN;
}

void PyRandom::seed_by_array(std::span<const uint32_t> key) {
  static constexpr uint32_t kZero[1] = {0};
  if (key.empty()) key = kZero;
  init_genrand(19650218U);
  size_t i = 1;
  size_t j = 0;
  for (size_t k = std::max<size_t>(kN, key.size()); k > 0; --k) {
    state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525U)) + key[j] +
                static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      state_[0] = state_[kN - 1];
      i = 1;
    }
    if (j >= key.size()) j = 0;
  }
  for (size_t k = kN - 1; k > 0; --k) {
    state_[i] =
        (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      state_[0] = state_[kN - 1];
      i = 1;
    }
  }
  state_[0] = 0x80000000U;
  index_ = kN;
}

void PyRandom::seed(int64_t seed) {
  // abs() of INT64_MIN fits an unsigned 64-bit value.
  uint64_t n = seed < 0 ? 0 - static_cast<uint64_t>(seed) : static_cast<uint64_t>(seed);
  uint32_t key[2] = {static_cast<uint32_t>(n), static_cast<uint32_t>(n >> 32)};
  seed_by_array(std::span<const uint32_t>(key, (n >> 32) != 0 ? 2 : 1));
}

void PyRandom::twist() {
  static constexpr uint32_t kMag01[2] = {0, kMatrixA};
  int kk = 0;
  for (; kk < kN - kM; ++kk) {
    uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
    state_[kk] = state_[kk + kM] ^ (y >> 1) ^ kMag01[y & 1U];
  }
  for (; kk < kN - 1; ++kk) {
    uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
    state_[kk] = state_[kk + (kM - kN)] ^ (y >> 1) ^ kMag01[y & 1U];
  }
  uint32_t y = (state_[kN - 1] & kUpperMask) | (state_[0] & kLowerMask);
  state_[kN - 1] = state_[kM - 1] ^ (y >> 1) ^ kMag01[y & 1U];
  index_ = 0;
}

uint32_t PyRandom::next_u32() {
  if (index_ >= kN) twist();
  uint32_t y = state_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

uint64_t PyRandom::getrandbits(int k) {
  if (k <= 0) return 0;
  if (k <= 32) return next_u32() >> (32 - k);
  if (k > 64) fail_invalid("getrandbits: {} bits do not fit 64", k);
  uint64_t low = next_u32();  // words are drawn least significant first
  uint64_t high = next_u32() >> (64 - k);
  return low | (high << 32);
}

uint64_t PyRandom::randbelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = bit_length(n);
  uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

double PyRandom::random() {
  uint32_t a = next_u32() >> 5;
  uint32_t b = next_u32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t python_sample_setsize(uint64_t k) {
  uint64_t setsize = 21;
  if (k > 5) {
    // _ceil(_log(k * 3, 4)): math.log(x, base) is log(x) / log(base) in
    // double, with k * 3 converted to double first.
    double exponent = std::ceil(std::log(static_cast<double>(k) * 3.0) / std::log(4.0));
    if (exponent >= 32) return std::numeric_limits<uint64_t>::max();
    setsize += uint64_t{1} << (2 * static_cast<int>(exponent));
  }
  return setsize;
}

std::vector<uint64_t> PyRandom::sample(uint64_t n, uint64_t k) {
  if (k > n) fail_invalid("sample of {} from a population of {}: sample larger than population", k, n);
  std::vector<uint64_t> result;
  result.reserve(k);
  if (n <= python_sample_setsize(k)) {
    std::vector<uint64_t> pool(n);
    for (uint64_t i = 0; i < n; ++i) pool[i] = i;
    for (uint64_t i = 0; i < k; ++i) {
      uint64_t j = randbelow(n - i);
      result.push_back(pool[j]);
      pool[j] = pool[n - i - 1];
    }
  } else {
    // n > setsize >= 4 * 3k here, so a bitmap of n bits is at most a few
    // times the result and lookups are O(1).
    std::vector<bool> selected(n, false);
    for (uint64_t i = 0; i < k; ++i) {
      uint64_t j = randbelow(n);
      while (selected[j]) j = randbelow(n);
      selected[j] = true;
      result.push_back(j);
    }
  }
  return result;
}

std::vector<uint64_t> PyRandom::choices(uint64_t n, uint64_t k) {
  std::vector<uint64_t> result;
  if (k == 0) return result;
  if (n == 0) fail_invalid("choices from an empty population");
  result.reserve(k);
  const double size = static_cast<double>(n);
  for (uint64_t i = 0; i < k; ++i) {
    double pick = std::floor(random() * size);
    // random() < 1, so pick < n unless n is near 2^53; Python would raise
    // IndexError there.
    if (!(pick < size)) fail_invalid("choices: index {} out of a population of {}", pick, n);
    result.push_back(static_cast<uint64_t>(pick));
  }
  return result;
}

int64_t python_hash_int(int64_t v) {
  constexpr uint64_t kModulus = (uint64_t{1} << 61) - 1;
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  int64_t h = static_cast<int64_t>(magnitude % kModulus);
  if (v < 0) h = -h;
  return h == -1 ? -2 : h;
}

int64_t python_hash_int_pair(int64_t a, int64_t b) {
  constexpr uint64_t kPrime1 = 11400714785074694791ULL;
  constexpr uint64_t kPrime2 = 14029467366897019727ULL;
  constexpr uint64_t kPrime5 = 2870177450012600261ULL;
  uint64_t acc = kPrime5;
  for (int64_t item : {a, b}) {
    uint64_t lane = static_cast<uint64_t>(python_hash_int(item));
    acc += lane * kPrime2;
    acc = (acc << 31) | (acc >> 33);
    acc *= kPrime1;
  }
  acc += uint64_t{2} ^ (kPrime5 ^ 3527539ULL);
  if (acc == std::numeric_limits<uint64_t>::max()) return 1546275796;
  return static_cast<int64_t>(acc);
}

int64_t reference_item_seed(int64_t seed, int64_t epoch) {
  // Python: int(h % 1e6) with h an int: h converts to the nearest double,
  // float % keeps the divisor's sign (fmod, then + 1e6 when the signs
  // differ), int() truncates.
  const double h = static_cast<double>(python_hash_int_pair(seed, epoch));
  double mod = std::fmod(h, 1e6);
  if (mod != 0 && mod < 0) mod += 1e6;
  return static_cast<int64_t>(mod);
}

}  // namespace mimicit
