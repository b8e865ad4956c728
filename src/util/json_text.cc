#include "util/json_text.h"

#include <cmath>
#include <cstdint>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "util/utf8.h"

namespace mimicit {

namespace {

// Appends s[i..] up to the next byte that is not plain ASCII or needs an
// escape (`"`, `\`, controls); returns the index of that byte.
size_t append_plain_run(std::string& out, std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size()) {
    const auto b = static_cast<uint8_t>(s[j]);
    if (b >= 0x80 || b < 0x20 || b == '"' || b == '\\') break;
    ++j;
  }
  out.append(s.data() + i, j - i);
  return j;
}

void append_json_escape(std::string& out, uint8_t b) {
  if (b == '"' || b == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(b));
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const char escape[] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
  out.append(escape, sizeof escape);
}

// Shortest round-trip text of a finite number; fmt's "{}" is shortest for
// the argument's own type, so a float prints as the float it is ("0.1", not
// "0.10000000149011612").
// JSON has no NaN or infinity, so there they are strings (`quote`); CSV
// writes the bare words.
template <typename Float>
void append_number(std::string& out, Float v, bool quote) {
  if (!std::isfinite(v)) {
    if (quote) out.push_back('"');
    out.append(std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    if (quote) out.push_back('"');
  } else {
    char buffer[64];  // the longest shortest-form double is 24 characters
    char* end = fmt::format_to(buffer, FMT_COMPILE("{}"), v);
    out.append(buffer, end);
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    i = append_plain_run(out, s, i);
    if (i == s.size()) break;
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      append_json_escape(out, b);
      ++i;
    } else {
      i = append_valid_sequence(out, s, i);
    }
  }
  out.push_back('"');
}

void append_json_float(std::string& out, float v) { append_number(out, v, /*quote=*/true); }
void append_json_double(std::string& out, double v) { append_number(out, v, /*quote=*/true); }
void append_number_text(std::string& out, float v) { append_number(out, v, /*quote=*/false); }
void append_number_text(std::string& out, double v) { append_number(out, v, /*quote=*/false); }

}  // namespace mimicit
