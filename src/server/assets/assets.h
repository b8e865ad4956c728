// The viewer's static files, compiled into the binary (no CDN, no file
// system): app.js (every page's script), style.css, favicon.svg. Each lives
// in its own .cc file as a raw string literal.
//
// Thread-safety: constant data.
#pragma once

#include <string_view>

namespace mimicit::server {

struct Asset {
  std::string_view name;          // as in /static/<name>
  std::string_view content_type;
  std::string_view body;
};

// The asset called `name`, or null.
const Asset* find_asset(std::string_view name);

extern const std::string_view kAppJs;
extern const std::string_view kStyleCss;
extern const std::string_view kFaviconSvg;

}  // namespace mimicit::server
