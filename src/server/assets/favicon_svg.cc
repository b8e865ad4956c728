#include "server/assets/assets.h"

namespace mimicit::server {

const std::string_view kFaviconSvg = R"SVG(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2b5797"/><path d="M3 12V4l5 5 5-5v8" fill="none" stroke="#fff" stroke-width="2"/></svg>
)SVG";

}  // namespace mimicit::server
