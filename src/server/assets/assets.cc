#include "server/assets/assets.h"

namespace mimicit::server {

const Asset* find_asset(std::string_view name) {
  static const Asset kAssets[] = {
      {"app.js", "text/javascript; charset=utf-8", kAppJs},
      {"style.css", "text/css; charset=utf-8", kStyleCss},
      {"favicon.svg", "image/svg+xml", kFaviconSvg},
  };
  for (const Asset& asset : kAssets) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

}  // namespace mimicit::server
