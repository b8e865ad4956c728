#include "remote/aws_sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "mimicit/error.h"
#include "util/percent_encoding.h"

namespace mimicit::remote {
namespace {

using Digest = std::string;  // 32 raw bytes

std::string hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (const char c : raw) {
    const auto b = static_cast<unsigned char>(c);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Digest hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size)) {
    fail(ErrorCode::kInternal, "HMAC-SHA256 failed");
  }
  return Digest(reinterpret_cast<const char*>(out), size);
}

std::string canonical_query(const SignedRequest& r) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : r.query) q.emplace_back(percent_encoded(k), percent_encoded(v));
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out += '&';
    out += k + '=' + v;
  }
  return out;
}

// "20261207T120000Z" and "20261207".
std::pair<std::string, std::string> amz_dates(int64_t unix_seconds) {
  const auto t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32], day[16];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::strftime(day, sizeof day, "%Y%m%d", &tm);
  return {stamp, day};
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string encoded_target(const SignedRequest& request) {
  std::string target = percent_encoded(request.path, true);
  const std::string query = canonical_query(request);
  if (!query.empty()) target += '?' + query;
  return target;
}

Headers sign_s3_request(const SignedRequest& r, const AwsCredentials& credentials, const std::string& region,
                        int64_t unix_seconds) {
  Headers headers;
  if (credentials.anonymous()) return headers;
  const auto [stamp, day] = amz_dates(unix_seconds);
  // Sorted by name, lower case: the canonical headers' order.
  Headers signed_headers = {
      {"host", r.host}, {"x-amz-content-sha256", r.payload_sha256}, {"x-amz-date", stamp}};
  if (!credentials.session_token.empty())
    signed_headers.emplace_back("x-amz-security-token", credentials.session_token);

  std::string canonical = r.method + '\n' + percent_encoded(r.path, true) + '\n' + canonical_query(r) + '\n';
  std::string names;
  for (const auto& [k, v] : signed_headers) {
    canonical += k + ':' + v + '\n';
    names += (names.empty() ? "" : ";") + k;
  }
  canonical += '\n' + names + '\n' + r.payload_sha256;

  const std::string scope = day + '/' + region + "/s3/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + stamp + '\n' + scope + '\n' + sha256_hex(canonical);
  const Digest key =
      hmac(hmac(hmac(hmac("AWS4" + credentials.secret_access_key, day), region), "s3"), "aws4_request");
  const std::string signature = hex(hmac(key, to_sign));

  for (size_t i = 1; i < signed_headers.size(); ++i) headers.push_back(signed_headers[i]);
  headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + '/' +
                                            scope + ", SignedHeaders=" + names + ", Signature=" + signature);
  return headers;
}

}  // namespace mimicit::remote
