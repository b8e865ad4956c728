// AWS Signature Version 4 for S3 requests (header-based, "AWS4-HMAC-SHA256").
//
// sign_s3_request() returns the headers to send: x-amz-date,
// x-amz-content-sha256, x-amz-security-token (with a session token) and
// Authorization. The signed headers are host and the x-amz-* headers, so a
// Range header may be added or changed without signing again. The canonical
// URI encodes each path byte once (S3 does not double-encode); the query is
// sorted by key, keys and values fully encoded.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mimicit::remote {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
  bool anonymous() const { return access_key_id.empty(); }
};

struct SignedRequest {
  std::string method;                                      // GET, HEAD, PUT, POST, DELETE
  std::string host;                                        // the Host header: "host[:port]"
  std::string path;                                        // "/bucket/key" or "/key", not yet encoded
  std::vector<std::pair<std::string, std::string>> query;  // not yet encoded
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";         // hex SHA-256 of the body, or UNSIGNED-PAYLOAD
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// `unix_seconds` is the signing time (UTC).
Headers sign_s3_request(const SignedRequest& request, const AwsCredentials& credentials,
                        const std::string& region, int64_t unix_seconds);

// The request's path and query as sent on the wire (encoded as signed).
std::string encoded_target(const SignedRequest& request);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace mimicit::remote
