#include "server/html.h"

#include "util/percent_encoding.h"
#include "util/utf8.h"

namespace mimicit::server {

void append_html(std::string& out, std::string_view text) {
  std::string valid;
  append_valid_utf8(valid, text);
  for (char c : valid) {
    const auto b = static_cast<uint8_t>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n':
      case '\r':
      case '\t': out.push_back(c); break;
      default:
        if (b < 0x20) {
          append_utf8(0x2400 + b, out);
        } else if (b == 0x7F) {
          append_utf8(0x2421, out);
        } else {
          out.push_back(c);
        }
    }
  }
}

std::string html(std::string_view text) {
  std::string out;
  append_html(out, text);
  return out;
}

void append_url_component(std::string& out, std::string_view text) { append_percent_encoded(out, text); }

std::string url_component(std::string_view text) {
  std::string out;
  append_url_component(out, text);
  return out;
}

}  // namespace mimicit::server
