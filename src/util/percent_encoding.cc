#include "util/percent_encoding.h"

#include <cstdint>

namespace mimicit {

void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto b = static_cast<uint8_t>(c);
    const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                            b == '-' || b == '.' || b == '_' || b == '~';
    if (unreserved || (keep_slash && b == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
}

std::string percent_encoded(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  append_percent_encoded(out, text, keep_slash);
  return out;
}

}  // namespace mimicit
