// WorkerPool: a fixed set of threads that run one parallel loop at a time.
//
// run(n, fn) calls fn(i) for every i in [0, n), spread over the pool's
// threads and the calling thread, and returns when all calls are done. The
// threads live as long as the pool, so a job that runs many small loops
// (a converter working in batches) pays for thread creation once. fn must
// be safe to call concurrently for different i; an exception thrown by fn
// is rethrown by run() (the first one; the loop finishes the other items).
// run() itself must be called from one thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mimicit {

class WorkerPool {
 public:
  // `threads` workers in all, the caller included; 0 = hardware concurrency.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  void run(size_t n, const std::function<void(size_t)>& fn);

 private:
  void work_loop();
  void drain();  // runs items of the current loop until none is left

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t size_ = 0;
  size_t next_ = 0;      // next item to hand out
  size_t finished_ = 0;  // items completed
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace mimicit
