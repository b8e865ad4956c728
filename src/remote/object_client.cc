#include "remote/object_client.h"

#include <unistd.h>

#include <ctime>
#include <mutex>
#include <string_view>
#include <vector>

#include "mimicit/error.h"
#include "remote/remote_counters.h"

namespace mimicit::remote {
namespace {

std::string host_of(const std::string& endpoint, std::string& scheme) {
  const size_t sep = endpoint.find("://");
  scheme = sep == std::string::npos ? "https" : endpoint.substr(0, sep);
  return sep == std::string::npos ? endpoint : endpoint.substr(sep + 3);
}

uint64_t parse_size(const std::string& text, const ObjectUrl& url) {
  try {
    size_t used = 0;
    const uint64_t v = std::stoull(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  fail(ErrorCode::kIo, "{}: the server sent no usable size ('{}')", url.text, text);
}

}  // namespace

std::string ObjectInfo::version() const {
  return !etag.empty() ? etag : last_modified.empty() ? "" : last_modified + "/" + std::to_string(size);
}

ObjectClient::ObjectClient(AwsSettings settings, RetryPolicy policy)
    : settings_(std::move(settings)), http_(policy) {}

ObjectClient& ObjectClient::shared() {
  // The AWS_* and MIMICIT_REMOTE_* variables the current client was made
  // from; earlier clients stay alive for the objects still open through them.
  static std::mutex mutex;
  static std::vector<std::unique_ptr<ObjectClient>> clients;
  static std::string made_from;
  std::string now;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.starts_with("AWS_") || v.starts_with("MIMICIT_REMOTE_")) now.append(v).push_back('\0');
  }
  std::lock_guard lock(mutex);
  if (clients.empty() || now != made_from) {
    clients.push_back(std::make_unique<ObjectClient>());
    made_from = std::move(now);
  }
  return *clients.back();
}

HttpRequest ObjectClient::make(const std::string& method, const ObjectUrl& url, Headers extra,
                               const std::vector<std::pair<std::string, std::string>>& query,
                               const std::string& payload_sha256) const {
  HttpRequest request;
  request.method = method;
  request.headers = std::move(extra);
  if (url.scheme != Scheme::kS3) {
    request.url = (url.scheme == Scheme::kHttp ? "http://" : "https://") + url.bucket + "/" + url.key;
    return request;
  }
  SignedRequest s;
  s.method = method;
  std::string scheme;
  const std::string host = host_of(settings_.endpoint, scheme);
  s.host = settings_.path_style ? host : url.bucket + "." + host;
  s.path = settings_.path_style ? "/" + url.bucket + "/" + url.key : "/" + url.key;
  s.query = query;
  s.payload_sha256 = payload_sha256;
  request.url = scheme + "://" + s.host + encoded_target(s);
  for (auto& h : sign_s3_request(s, settings_.credentials, settings_.region, std::time(nullptr)))
    request.headers.push_back(std::move(h));
  return request;
}

HttpResponse ObjectClient::checked(const std::string& what, const ObjectUrl& url,
                                   const std::function<HttpRequest()>& make_request, long expected_status) {
  HttpResponse r = http_.send(make_request);
  check_status(what, url, r, expected_status);
  return r;
}

void ObjectClient::check_status(const std::string& what, const ObjectUrl& url, const HttpResponse& r,
                                long expected_status) {
  if (r.status == expected_status || (expected_status == 200 && r.status >= 200 && r.status < 300)) return;
  const std::string detail = r.body.substr(0, 300);
  if (r.status == 404) throw Error(ErrorCode::kNotFound, url.text + ": not found (HTTP 404)");
  if (r.status == 412) fail(ErrorCode::kIo, "{}: the object changed while reading (HTTP 412)", url.text);
  fail(ErrorCode::kIo, "{}: {} failed: HTTP {}{}{}", url.text, what, r.status, detail.empty() ? "" : ": ",
       detail);
}

ObjectInfo ObjectClient::stat(const ObjectUrl& url) {
  const HttpResponse r = checked(
      "HEAD", url, [&] { return make("HEAD", url, {}); }, 200);
  ObjectInfo info;
  info.size = parse_size(r.header("content-length"), url);
  info.etag = r.header("etag");
  info.last_modified = r.header("last-modified");
  return info;
}

std::string ObjectClient::read(const ObjectUrl& url, uint64_t offset, uint64_t length,
                               const std::string& expected_version) {
  if (length == 0) return {};
  Headers extra = {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
  if (!expected_version.empty() && expected_version.front() == '"')
    extra.emplace_back("If-Match", expected_version);
  // A body of the wrong length (a proxy or server cut it) is retried like a
  // transport failure, after the same back-off: send() only retries
  // statuses, so loop here.
  for (int attempt = 1;; ++attempt) {
    HttpResponse r = checked(
        "GET", url, [&] { return make("GET", url, extra); }, 206);
    if (r.body.size() == length) return std::move(r.body);
    if (attempt >= http_.policy().attempts)
      fail(ErrorCode::kIo, "{}: bytes {}-{}: got {} bytes, expected {} (after {} attempts)", url.text, offset,
           offset + length - 1, r.body.size(), length, attempt);
    count(counters().retries);
    http_.policy().back_off(attempt);
  }
}

void ObjectClient::put(const ObjectUrl& url, ByteView bytes) {
  const std::string sha = sha256_hex(as_string_view(bytes));
  checked(
      "PUT", url,
      [&] {
        HttpRequest r = make("PUT", url, {}, {}, sha);
        r.body = bytes;
        return r;
      },
      200);
}

}  // namespace mimicit::remote
