#include "mimicit/units.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "mimicit/error.h"

namespace mimicit {

namespace {

std::string lower(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// Multiplier of a unit suffix, 0 when unknown.
double unit_multiplier(const std::string& unit) {
  struct Unit {
    const char* name;
    double multiplier;
  };
  static const Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1024.0},
      {"kib", 1024.0},
      {"kb", 1e3},
      {"m", 1048576.0},
      {"mib", 1048576.0},
      {"mb", 1e6},
      {"g", 1073741824.0},
      {"gib", 1073741824.0},
      {"gb", 1e9},
      {"t", 1099511627776.0},
      {"tib", 1099511627776.0},
      {"tb", 1e12},
  };
  for (const Unit& u : kUnits) {
    if (unit == u.name) return u.multiplier;
  }
  return 0;
}

}  // namespace

uint64_t parse_byte_size(std::string_view text) {
  std::string s = lower(text);
  size_t digits = 0;
  while (digits < s.size() && (std::isdigit(static_cast<unsigned char>(s[digits])) || s[digits] == '.')) {
    ++digits;
  }
  double number = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + digits, number);
  double multiplier = unit_multiplier(s.substr(digits));
  if (digits == 0 || ec != std::errc() || end != s.data() + digits || multiplier == 0) {
    fail_invalid("'{}' is not a size (examples: 1.5GiB, 256MiB, 2GB, 1000000)", text);
  }
  double bytes = std::round(number * multiplier);
  if (bytes < 1 || bytes > 9.0e18) fail_invalid("'{}' is not a usable size", text);
  return static_cast<uint64_t>(bytes);
}

std::string format_bytes(uint64_t bytes) {
  static const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace mimicit
