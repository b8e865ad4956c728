// A progress line for long jobs: count, bytes, rate and ETA, redrawn in
// place on a terminal at most a few times a second, silent otherwise (so
// logs and pipes stay clean).
//
//   converting  12,345 / 100,000 images  1.2 GiB  85.3 MiB/s  ETA 0:01:23
//
// Not thread-safe: one thread reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace mimicit {

class Progress {
 public:
  // `total` items expected (0 = unknown). Draws on `out` only when it is a
  // terminal and `enabled` is true. In bytes mode the items are bytes and
  // the count is printed as a size ("1.2 GiB / 20.0 GiB").
  enum class Unit { kItems, kBytes };
  Progress(std::string label, uint64_t total, bool enabled = true, std::FILE* out = stderr,
           Unit unit = Unit::kItems);
  ~Progress();

  void advance(uint64_t items, uint64_t bytes);
  uint64_t items() const { return items_; }
  // Draws the final line and moves to a new line.
  void finish();

 private:
  void draw(bool final);
  std::string label_;
  uint64_t total_;
  uint64_t items_ = 0;
  uint64_t bytes_ = 0;
  bool active_;
  bool bytes_mode_;
  bool finished_ = false;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace mimicit
