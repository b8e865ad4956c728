// ObjectClient::list: ListObjectsV2 pages, parsed from their XML.
#include <cstdlib>
#include <optional>
#include <string_view>

#include "mimicit/error.h"
#include "remote/object_client.h"
#include "remote/remote_counters.h"
#include "remote/s3_xml.h"

namespace mimicit::remote {

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
    if (xml_root_name(xml) != "ListBucketResult")
      fail(ErrorCode::kIo, "{}: LIST answered no listing: {}", prefix.text, s3_error_text(r.body));
    for (std::string_view item : xml_elements(xml, "Contents")) {
      ListedObject o;
      o.key = xml_element_text(item, "Key").value_or("");
      const std::string size = xml_element_text(item, "Size").value_or("0");
      o.size = std::strtoull(size.c_str(), nullptr, 10);
      if (!o.key.empty()) objects.push_back(std::move(o));
    }
    if (objects.size() >= max_keys) {
      objects.resize(max_keys);
      break;
    }
    if (xml_element_text(xml, "IsTruncated").value_or("false") != "true") break;
    token = xml_element_text(xml, "NextContinuationToken").value_or("");
    if (token.empty())
      fail(ErrorCode::kIo, "{}: a truncated listing without a continuation token", prefix.text);
  }
  return objects;
}

}  // namespace mimicit::remote
