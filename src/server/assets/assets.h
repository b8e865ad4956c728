// The viewer's static files, compiled into the binary (no CDN, no file
// system): app.js (every page's script), style.css, favicon.svg. Each is a
// real file beside this header, embedded at build time byte for byte
// (mimicit_embed in cmake/MimicitEmbed.cmake generates the .cc defining
// its constant; editing the file rebuilds it).
//
// Thread-safety: constant data.
#pragma once

#include <string_view>

namespace mimicit::server {

struct Asset {
  std::string_view name;  // as in /static/<name>
  std::string_view content_type;
  std::string_view body;
};

// The asset called `name`, or null.
const Asset* find_asset(std::string_view name);

extern const std::string_view kAppJs;
extern const std::string_view kStyleCss;
extern const std::string_view kFaviconSvg;

}  // namespace mimicit::server
