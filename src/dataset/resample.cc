#include "dataset/resample.h"

#include "mimicit/error.h"
#include "mimicit/py_random.h"

namespace mimicit::dataset {

ResampledList resample(uint64_t n, int64_t num_samples) {
  if (num_samples < -1) fail_invalid("num_samples {}: expected -1, 0 or a positive count", num_samples);
  if (n > UINT32_MAX) fail(ErrorCode::kLimit, "{} keys: at most 2^32 - 1 per dataset", n);
  ResampledList list;
  list.keys = n;
  const uint64_t target = static_cast<uint64_t>(num_samples);
  if (num_samples <= 0 || target == n) {
    list.size = n;
    return list;
  }
  if (n == 0) fail_corrupt("num_samples is {} but there are no instructions to draw from", num_samples);
  PyRandom random(0);
  std::vector<uint64_t> picks;
  if (target > n) {
    list.kind = ResampledList::Kind::kRepeat;
    list.repeated = target / n * n;
    picks = random.choices(n, target % n);
  } else {
    list.kind = ResampledList::Kind::kSample;
    picks = random.sample(n, target);
  }
  list.size = target;
  list.picks.assign(picks.begin(), picks.end());
  return list;
}

}  // namespace mimicit::dataset
