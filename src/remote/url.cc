#include "remote/url.h"

#include "mimicit/error.h"

namespace mimicit::remote {

bool is_remote(std::string_view path) {
  return path.starts_with("s3://") || path.starts_with("http://") || path.starts_with("https://");
}

ObjectUrl parse_object_url(std::string_view url) {
  ObjectUrl out;
  out.text = std::string(url);
  std::string_view rest;
  if (url.starts_with("s3://")) {
    out.scheme = Scheme::kS3;
    rest = url.substr(5);
  } else if (url.starts_with("http://")) {
    out.scheme = Scheme::kHttp;
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.scheme = Scheme::kHttps;
    rest = url.substr(8);
  } else {
    fail_invalid("{}: not an s3://, http:// or https:// URL", url);
  }
  const size_t slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  out.key = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
  if (out.bucket.empty())
    fail_invalid("{}: the URL names no {}", url, out.scheme == Scheme::kS3 ? "bucket" : "host");
  return out;
}

ObjectUrl with_key(const ObjectUrl& url, std::string key) {
  ObjectUrl out = url;
  out.key = std::move(key);
  const char* scheme = url.scheme == Scheme::kS3     ? "s3://"
                       : url.scheme == Scheme::kHttp ? "http://"
                                                     : "https://";
  out.text = scheme + out.bucket + "/" + out.key;
  return out;
}

}  // namespace mimicit::remote
