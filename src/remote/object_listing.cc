// ObjectClient::list: ListObjectsV2 pages, parsed from their XML.
#include <cstdlib>
#include <optional>
#include <string_view>

#include "mimicit/error.h"
#include "remote/object_client.h"
#include "remote/remote_counters.h"

namespace mimicit::remote {
namespace {

// The text of XML character data with its entities decoded (the five named
// ones and numeric references; S3 escapes keys this way).
std::string xml_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out.push_back(raw[i]);
      continue;
    }
    const size_t end = raw.find(';', i);
    if (end == std::string_view::npos) fail_corrupt("a listing holds a bad XML entity");
    const std::string_view name = raw.substr(i + 1, end - i - 1);
    if (name == "amp")
      out.push_back('&');
    else if (name == "lt")
      out.push_back('<');
    else if (name == "gt")
      out.push_back('>');
    else if (name == "quot")
      out.push_back('"');
    else if (name == "apos")
      out.push_back('\'');
    else if (name.size() > 1 && name[0] == '#') {
      const bool hex = name[1] == 'x' || name[1] == 'X';
      const uint32_t cp =
          static_cast<uint32_t>(std::stoul(std::string(name.substr(hex ? 2 : 1)), nullptr, hex ? 16 : 10));
      // UTF-8 of the code point.
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      fail_corrupt("a listing holds an unknown XML entity '&{};'", name);
    }
    i = end;
  }
  return out;
}

// The character data of the first <tag>...</tag> in [from, to), or nullopt.
std::optional<std::string> element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const size_t begin = xml.find(open);
  if (begin == std::string_view::npos) return std::nullopt;
  const size_t text = begin + open.size();
  const size_t end = xml.find(close, text);
  if (end == std::string_view::npos) return std::nullopt;
  return xml_text(xml.substr(text, end - text));
}

}  // namespace

std::vector<ListedObject> ObjectClient::list(const ObjectUrl& prefix, size_t max_keys) {
  if (prefix.scheme != Scheme::kS3) {
    fail_invalid("{}: an http(s) server cannot be listed; name its objects (or use s3:// for a prefix)",
                 prefix.text);
  }
  std::vector<ListedObject> objects;
  ObjectUrl bucket = prefix;
  bucket.key.clear();
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> query = {{"list-type", "2"}, {"prefix", prefix.key}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    if (max_keys < 1000) query.emplace_back("max-keys", std::to_string(max_keys));
    count(counters().lists);
    const HttpResponse r = checked(
        "LIST", prefix, [&] { return make("GET", bucket, {}, query); }, 200);
    const std::string_view xml = r.body;
    for (size_t at = xml.find("<Contents>"); at != std::string_view::npos; at = xml.find("<Contents>", at)) {
      const size_t end = xml.find("</Contents>", at);
      if (end == std::string_view::npos) break;
      const std::string_view item = xml.substr(at, end - at);
      ListedObject o;
      o.key = element(item, "Key").value_or("");
      const std::string size = element(item, "Size").value_or("0");
      o.size = std::strtoull(size.c_str(), nullptr, 10);
      if (!o.key.empty()) objects.push_back(std::move(o));
      at = end;
    }
    if (objects.size() >= max_keys) {
      objects.resize(max_keys);
      break;
    }
    if (element(xml, "IsTruncated").value_or("false") != "true") break;
    token = element(xml, "NextContinuationToken").value_or("");
    if (token.empty())
      fail(ErrorCode::kIo, "{}: a truncated listing without a continuation token", prefix.text);
  }
  return objects;
}

}  // namespace mimicit::remote
