#include "server/background.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mimicit::server {

namespace {

// On Linux a thread's nice value is its own (setpriority on its thread id).
void lower_priority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, 10);  // failing to lower it is harmless
}

}  // namespace

void BackgroundJob::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_.load() || stop_.load()) return;
  started_ = true;
  thread_ = std::thread([this] {
    lower_priority();
    task_(stop_);
  });
}

void BackgroundJob::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace mimicit::server
