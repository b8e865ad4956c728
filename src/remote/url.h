// Object URLs: s3://bucket/key and http(s)://host[:port]/path.
//
// An s3:// URL names an object; where it is fetched from (the endpoint, the
// addressing style) is the AwsSettings' business (aws_settings.h). An
// http(s):// URL is fetched as written.
#pragma once

#include <string>
#include <string_view>

namespace mimicit::remote {

enum class Scheme { kS3, kHttp, kHttps };

struct ObjectUrl {
  Scheme scheme = Scheme::kS3;
  std::string bucket;  // s3: the bucket; http(s): "host[:port]"
  std::string key;  // s3: the key (no leading '/'); http(s): the path with its query, without the leading '/'
  std::string text;  // the URL as given, for messages
};

// True for "s3://", "http://" and "https://" paths (case-sensitive scheme,
// as the AWS tools take it).
bool is_remote(std::string_view path);

// Throws Error(kInvalidArgument) naming the URL when it is not a remote URL,
// or an s3:// URL has no bucket.
ObjectUrl parse_object_url(std::string_view url);

// The object `key` beside `url` (same scheme and bucket or host), its text
// written out as parse_object_url would take it back.
ObjectUrl with_key(const ObjectUrl& url, std::string key);

}  // namespace mimicit::remote
