// Reads (and writes) objects behind s3:// and http(s):// URLs.
//
// stat() costs one HEAD; read() one ranged GET of exactly the bytes asked
// for (Range: bytes=a-b), never the whole object; a response of another
// length is retried as a truncated body. 403 and 404 are not retried: they
// throw Error(kIo) / Error(kNotFound) naming the URL at once. s3:// URLs are
// signed (Signature V4) with the AwsSettings found at construction; http(s)
// URLs are sent as they are, to any server that honours Range requests.
// list() pages through ListObjectsV2 (s3:// only).
// Thread-safe; one client is meant to serve a whole process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mimicit/bytes.h"
#include "remote/aws_settings.h"
#include "remote/http_client.h"
#include "remote/url.h"

namespace mimicit::remote {

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;           // as the server sent it (quoted), or ""
  std::string last_modified;  // as the server sent it, or ""
  // What identifies this version of the object: the ETag, else Last-Modified
  // with the size.
  std::string version() const;
};

struct ListedObject {
  std::string key;  // the whole key, not relative to the prefix
  uint64_t size = 0;
};

class ObjectClient {
 public:
  explicit ObjectClient(AwsSettings settings = load_aws_settings(),
                        RetryPolicy policy = RetryPolicy::from_environment());

  // The process's client, made from the environment; made anew when the
  // AWS_* or MIMICIT_REMOTE_* variables have changed since (the old one
  // lives on for objects opened through it).
  static ObjectClient& shared();

  ObjectInfo stat(const ObjectUrl& url);
  // Bytes [offset, offset + length) of the object; `expected_version`
  // (when not empty) is sent as If-Match, so a replaced object fails
  // (Error(kIo) "changed while reading") instead of mixing versions.
  std::string read(const ObjectUrl& url, uint64_t offset, uint64_t length,
                   const std::string& expected_version = "");
  // Every object whose key starts with `prefix.key` in its bucket, in key
  // order (ListObjectsV2, one request per 1000 keys, following continuation
  // tokens), at most `max_keys` of them. s3:// only: plain HTTP has no listing, so an http(s):// URL
  // throws Error(kInvalidArgument) naming it. Defined in object_listing.cc.
  std::vector<ListedObject> list(const ObjectUrl& prefix, size_t max_keys = SIZE_MAX);
  // Whole-object PUT (small objects).
  void put(const ObjectUrl& url, ByteView bytes);
  // DeleteObject (s3://); deleting a missing key succeeds.
  void remove(const ObjectUrl& url);
  // True when some object's key starts with url.key (ListObjectsV2,
  // max-keys=1; s3:// only).
  bool has_objects_under(const ObjectUrl& url);

  // S3 multipart upload (s3:// only; object_writer.h streams through it).
  // The object appears at its key only when the upload is completed, and
  // an aborted upload leaves nothing. Parts are numbered from 1; all but
  // the last must hold at least kMinPartBytes. A CompleteMultipartUpload
  // answered "200 OK" with an <Error> body (S3 does that) is retried or
  // thrown like an error status.
  static constexpr uint64_t kMinPartBytes = uint64_t{5} << 20;
  std::string create_multipart_upload(const ObjectUrl& url);  // the UploadId
  // Returns the part's ETag.
  std::string upload_part(const ObjectUrl& url, const std::string& upload_id, int part_number,
                          ByteView bytes);
  // `object_size` (the bytes of all parts) recognises an upload that an
  // earlier try completed but whose answer was lost (a retried request
  // then finds NoSuchUpload): the object at the key with that size and
  // part count is taken as this upload's.
  void complete_multipart_upload(const ObjectUrl& url, const std::string& upload_id,
                                 const std::vector<std::string>& part_etags, uint64_t object_size);
  void abort_multipart_upload(const ObjectUrl& url, const std::string& upload_id);
  // The multipart uploads open under url.key (a key prefix): the first
  // page of ListMultipartUploads (up to 1000).
  struct OpenUpload {
    std::string key;
    std::string upload_id;
  };
  std::vector<OpenUpload> list_multipart_uploads(const ObjectUrl& prefix);

  HttpClient& http() { return http_; }
  const AwsSettings& settings() const { return settings_; }

 private:
  HttpRequest make(const std::string& method, const ObjectUrl& url, Headers extra,
                   const std::vector<std::pair<std::string, std::string>>& query = {},
                   const std::string& payload_sha256 = "UNSIGNED-PAYLOAD") const;
  HttpResponse checked(const std::string& what, const ObjectUrl& url,
                       const std::function<HttpRequest()>& make_request, long expected_status);
  // Throws the error `checked` throws for a response without the expected status.
  static void check_status(const std::string& what, const ObjectUrl& url, const HttpResponse& r,
                           long expected_status);

  AwsSettings settings_;
  HttpClient http_;
};

}  // namespace mimicit::remote
