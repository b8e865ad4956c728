// BackgroundJob: one thread that runs a task once, after start(), at a low
// scheduling priority so that it does not slow down the requests being
// served. The task gets a stop flag to check between steps; the destructor
// (or stop()) sets it and joins the thread.
//
// Thread-safety: start(), stop() and running() may be called from any
// thread.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace mimicit::server {

class BackgroundJob {
 public:
  using Task = std::function<void(const std::atomic<bool>& stop)>;
  explicit BackgroundJob(Task task) : task_(std::move(task)) {}
  ~BackgroundJob() { stop(); }
  BackgroundJob(const BackgroundJob&) = delete;
  BackgroundJob& operator=(const BackgroundJob&) = delete;

  // The first call starts the task; later calls do nothing.
  void start();
  void stop();
  bool started() const { return started_.load(); }

 private:
  Task task_;
  std::mutex mutex_;
  std::thread thread_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_{false};
};

}  // namespace mimicit::server
