#include "util/progress.h"

#include <unistd.h>

#include <fmt/format.h>

#include "mimicit/units.h"

namespace mimicit {

namespace {

std::string clock_time(double seconds) {
  auto s = static_cast<uint64_t>(seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, uint64_t total, bool enabled, std::FILE* out, Unit unit)
    : label_(std::move(label)),
      total_(total),
      active_(enabled && out != nullptr && ::isatty(::fileno(out))),
      bytes_mode_(unit == Unit::kBytes),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (active_ && !finished_) std::fputc('\n', out_);
}

void Progress::advance(uint64_t items, uint64_t bytes) {
  items_ += items;
  bytes_ += bytes;
  if (!active_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  draw(false);
}

void Progress::finish() {
  if (!active_ || finished_) return;
  draw(true);
  std::fputc('\n', out_);
  finished_ = true;
}

void Progress::draw(bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(bytes_) / seconds : 0;
  std::string line;
  if (bytes_mode_) {
    line = fmt::format("\r{}  {}", label_, format_bytes(items_));
    if (total_ > 0) line += fmt::format(" / {}", format_bytes(total_));
    line += fmt::format("  {}/s", format_bytes(static_cast<uint64_t>(rate)));
  } else {
    line = fmt::format("\r{}  {}", label_, items_);
    if (total_ > 0) line += fmt::format(" / {}", total_);
    line += fmt::format("  {}  {}/s", format_bytes(bytes_), format_bytes(static_cast<uint64_t>(rate)));
  }
  if (!final && total_ > 0 && items_ > 0 && items_ < total_) {
    double eta = seconds * static_cast<double>(total_ - items_) / static_cast<double>(items_);
    line += "  ETA " + clock_time(eta);
  } else if (final) {
    line += "  in " + clock_time(seconds);
  }
  line += "\x1b[K";  // clear the rest of the previous, longer line
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

}  // namespace mimicit
