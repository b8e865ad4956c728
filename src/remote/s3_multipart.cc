// ObjectClient's S3 write calls: DeleteObject, ListObjectsV2 (a prefix's
// emptiness) and the multipart upload.

#include "mimicit/error.h"
#include "remote/object_client.h"
#include "remote/s3_xml.h"

namespace mimicit::remote {
namespace {

void require_s3(const ObjectUrl& url, const char* what) {
  if (url.scheme != Scheme::kS3)
    fail_invalid("{}: {} needs an s3:// URL (http(s):// URLs are read-only)", url.text, what);
}

}  // namespace

void ObjectClient::remove(const ObjectUrl& url) {
  require_s3(url, "deleting");
  const HttpResponse r = http_.send([&] { return make("DELETE", url, {}); });
  if (r.status == 204 || r.status == 200 || r.status == 404) return;
  fail(ErrorCode::kIo, "{}: DELETE failed: HTTP {}: {}", url.text, r.status, s3_error_text(r.body));
}

bool ObjectClient::has_objects_under(const ObjectUrl& url) {
  require_s3(url, "listing");
  return !list(url, 1).empty();
}

std::string ObjectClient::create_multipart_upload(const ObjectUrl& url) {
  require_s3(url, "writing");
  const HttpResponse r = checked(
      "CreateMultipartUpload", url,
      [&] {
        return make("POST", url, {}, {{"uploads", ""}}, sha256_hex(""));
      },
      200);
  auto id = xml_element_text(r.body, "UploadId");
  if (!id || id->empty())
    fail(ErrorCode::kIo, "{}: CreateMultipartUpload answered no UploadId: {}", url.text,
         s3_error_text(r.body));
  return *id;
}

std::string ObjectClient::upload_part(const ObjectUrl& url, const std::string& upload_id, int part_number,
                                      ByteView bytes) {
  const std::string sha = sha256_hex(as_string_view(bytes));
  const HttpResponse r = checked(
      fmt::format("UploadPart {}", part_number), url,
      [&] {
        HttpRequest request =
            make("PUT", url, {}, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}}, sha);
        request.body = bytes;
        return request;
      },
      200);
  const std::string etag = r.header("etag");
  if (etag.empty()) fail(ErrorCode::kIo, "{}: UploadPart {} answered no ETag", url.text, part_number);
  return etag;
}

namespace {

// An upload completed by an earlier try of the same request: the object is
// at the key with the upload's size and an ETag "<md5 of md5s>-<parts>".
bool completed_before(ObjectClient& client, const ObjectUrl& url, size_t parts, uint64_t size) {
  try {
    const ObjectInfo info = client.stat(url);
    std::string etag = info.etag;
    std::erase(etag, '"');
    return info.size == size && etag.ends_with("-" + std::to_string(parts));
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

void ObjectClient::complete_multipart_upload(const ObjectUrl& url, const std::string& upload_id,
                                             const std::vector<std::string>& part_etags,
                                             uint64_t object_size) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1,
                        xml_escape(part_etags[i]));
  }
  body += "</CompleteMultipartUpload>";
  const std::string sha = sha256_hex(body);
  // S3 may answer 200 and then an <Error> in the body (it sends the status
  // before the work is done): retried like a 5xx when it is one.
  for (int attempt = 1;; ++attempt) {
    const HttpResponse r = http_.send([&] {
      HttpRequest request =
          make("POST", url, {{"Content-Type", "application/xml"}}, {{"uploadId", upload_id}}, sha);
      request.body = as_bytes(body);
      return request;
    });
    // The transport retries a request whose answer was lost; if the lost
    // answer was a success, the retry finds the upload gone.
    if (r.status == 404 && xml_element_text(r.body, "Code").value_or("") == "NoSuchUpload") {
      if (completed_before(*this, url, part_etags.size(), object_size)) return;
      fail(ErrorCode::kIo, "{}: CompleteMultipartUpload failed: the upload is gone (NoSuchUpload: aborted?)",
           url.text);
    }
    check_status("CompleteMultipartUpload", url, r, 200);
    if (xml_root_name(r.body) != "Error") return;
    const std::string code = xml_element_text(r.body, "Code").value_or("");
    const bool retry = code == "InternalError" || code == "SlowDown" || code == "ServiceUnavailable";
    if (!retry || attempt >= http_.policy().attempts)
      fail(ErrorCode::kIo, "{}: CompleteMultipartUpload failed: {} (after {} attempts)", url.text,
           s3_error_text(r.body), attempt);
    http_.policy().back_off(attempt);
  }
}

void ObjectClient::abort_multipart_upload(const ObjectUrl& url, const std::string& upload_id) {
  const HttpResponse r = http_.send([&] { return make("DELETE", url, {}, {{"uploadId", upload_id}}); });
  // 404 NoSuchUpload: already aborted (or completed).
  if (r.status == 204 || r.status == 200 || r.status == 404) return;
  fail(ErrorCode::kIo, "{}: AbortMultipartUpload failed: HTTP {}: {}", url.text, r.status,
       s3_error_text(r.body));
}

std::vector<ObjectClient::OpenUpload> ObjectClient::list_multipart_uploads(const ObjectUrl& prefix) {
  require_s3(prefix, "listing");
  ObjectUrl bucket = prefix;
  bucket.key.clear();
  const HttpResponse r = checked(
      "ListMultipartUploads", prefix,
      [&] {
        return make("GET", bucket, {}, {{"uploads", ""}, {"prefix", prefix.key}});
      },
      200);
  if (xml_root_name(r.body) != "ListMultipartUploadsResult")
    fail(ErrorCode::kIo, "{}: ListMultipartUploads answered no listing: {}", prefix.text,
         s3_error_text(r.body));
  std::vector<OpenUpload> uploads;
  for (std::string_view upload : xml_elements(r.body, "Upload")) {
    auto key = xml_element_text(upload, "Key");
    auto id = xml_element_text(upload, "UploadId");
    if (!key || !id || id->empty())
      fail(ErrorCode::kIo, "{}: ListMultipartUploads: an upload without Key or UploadId", prefix.text);
    uploads.push_back({std::move(*key), std::move(*id)});
  }
  return uploads;
}

}  // namespace mimicit::remote
