#include "util/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace mimicit {
namespace {

TEST(WorkerPool, RunsEveryItemExactlyOnceAcrossManyLoops) {
  WorkerPool pool(4);
  for (size_t n : {0u, 1u, 3u, 100u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.run(n, [&](size_t i) { hits[i]++; });
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "item " << i << " of " << n;
  }
}

TEST(WorkerPool, RethrowsTheFirstErrorAfterFinishingTheLoop) {
  WorkerPool pool(3);
  std::atomic<int> done{0};
  EXPECT_THROW(pool.run(50,
                        [&](size_t i) {
                          ++done;
                          if (i == 7) throw std::runtime_error("item 7");
                        }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 50);
  // The pool is still usable.
  std::atomic<int> again{0};
  pool.run(10, [&](size_t) { ++again; });
  EXPECT_EQ(again.load(), 10);
}

TEST(WorkerPool, SingleThreadRunsOnTheCaller) {
  WorkerPool pool(1);
  EXPECT_EQ(pool.threads(), 1);
  int sum = 0;
  pool.run(5, [&](size_t i) { sum += static_cast<int>(i); });
  EXPECT_EQ(sum, 10);
}

}  // namespace
}  // namespace mimicit
