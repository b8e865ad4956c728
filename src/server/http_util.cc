#include "server/http_util.h"

#include "mimicit/image.h"

namespace mimicit::server {

std::optional<uint64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8, written as a dotted quad.
  return host.substr(0, 4) == "127." && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

std::string host_name(std::string_view host_header) {
  if (!host_header.empty() && host_header.front() == '[') {
    const size_t close = host_header.find(']');
    return std::string(close == std::string_view::npos ? host_header.substr(1)
                                                       : host_header.substr(1, close - 1));
  }
  const size_t colon = host_header.find(':');
  std::string name(host_header.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

bool host_allowed(std::string_view host_header, std::string_view bound_host) {
  if (!is_loopback_host(bound_host)) return true;
  if (host_header.empty()) return true;  // HTTP/1.0 without Host: no name to rebind
  const std::string name = host_name(host_header);
  return is_loopback_host(name) || name == host_name(bound_host);
}

const char* image_content_type(ByteView bytes) {
  switch (image::sniff_format(bytes)) {
    case image::ImageFormat::kJpeg: return "image/jpeg";
    case image::ImageFormat::kPng: return "image/png";
    case image::ImageFormat::kWebp: return "image/webp";
    case image::ImageFormat::kGif: return "image/gif";
    case image::ImageFormat::kBmp: return "image/bmp";
    case image::ImageFormat::kTiff: return "image/tiff";
    case image::ImageFormat::kPpm: return "image/x-portable-anymap";
    case image::ImageFormat::kTga: return "image/x-tga";
    case image::ImageFormat::kIco: return "image/x-icon";
    case image::ImageFormat::kPcx: return "image/x-pcx";
    case image::ImageFormat::kJpeg2000: return "image/jp2";
    case image::ImageFormat::kAvif: return "image/avif";
    case image::ImageFormat::kUnknown: break;
  }
  return "application/octet-stream";
}

}  // namespace mimicit::server
