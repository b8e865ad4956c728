// The reference's per-dataset resampling (spec 2.1), kept compact: the
// repeated part of an up-sampled list is arithmetic, only the random picks
// are stored.
#pragma once

#include <cstdint>
#include <vector>

namespace mimicit::dataset {

struct ResampledList {
  enum class Kind { kAll, kRepeat, kSample };
  Kind kind = Kind::kAll;
  uint64_t keys = 0;            // n: the dataset's keys
  uint64_t size = 0;            // the list's length
  uint64_t repeated = 0;        // kRepeat: the first (N // n) * n entries are i % n
  std::vector<uint32_t> picks;  // kRepeat: random.choices; kSample: random.sample

  // The key index of entry i (i < size).
  uint64_t key_at(uint64_t i) const {
    switch (kind) {
      case Kind::kAll: return i;
      case Kind::kRepeat: return i < repeated ? i % keys : picks[i - repeated];
      case Kind::kSample: return picks[i];
    }
    return 0;
  }
};

// resample_data(keys, N) for n keys: N of -1 or 0, or N == n: all keys in
// order; N > n: keys repeated N // n times, then random.choices(keys,
// k=N % n) after random.seed(0); N < n: random.sample(keys, N) after
// random.seed(0). Throws Error(kInvalidArgument) for N < -1, Error(kCorrupt)
// for N > 0 over no keys (the reference divides by zero), Error(kLimit)
// for more than 2^32 keys.
ResampledList resample(uint64_t n, int64_t num_samples);

}  // namespace mimicit::dataset
