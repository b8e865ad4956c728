#include "remote/object_writer.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>

#include "mimicit/error.h"

namespace mimicit::remote {
namespace {

// The process's multipart uploads not yet committed, for
// abort_open_uploads().
struct OpenUpload {
  ObjectClient* client;
  ObjectUrl url;
  std::string upload_id;
};

struct Registry {
  std::mutex mutex;
  std::condition_variable changed;
  bool closing = false;
  int creating = 0;    // CreateMultipartUpload calls under way
  int committing = 0;  // commits under way (UploadCommitGuard)
  uint64_t next = 1;
  std::map<uint64_t, OpenUpload> open;

  static Registry& get() {
    static Registry* registry = new Registry;  // never destroyed: used until the process exits
    return *registry;
  }
  void check_open(const ObjectUrl& url) {
    if (closing) fail(ErrorCode::kIo, "{}: the run is being stopped; no new upload", url.text);
  }
  // Under `mutex`: enters an upload, returns its registration.
  uint64_t add(OpenUpload upload) {
    const uint64_t registration = next++;
    open.emplace(registration, std::move(upload));
    return registration;
  }
};

uint64_t env_bytes(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  return end && *end == '\0' ? n : fallback;
}

}  // namespace

ObjectWriterOptions ObjectWriterOptions::from_environment() {
  ObjectWriterOptions o;
  o.part_bytes = std::max(ObjectClient::kMinPartBytes, env_bytes("MIMICIT_S3_PART_SIZE", o.part_bytes));
  o.max_in_flight = static_cast<int>(std::max<uint64_t>(1, env_bytes("MIMICIT_S3_UPLOADS", o.max_in_flight)));
  return o;
}

UploadCommitGuard::UploadCommitGuard() {
  Registry& r = Registry::get();
  std::lock_guard lock(r.mutex);
  // Once abort_open_uploads() began, only commits nested in one under way
  // (which it waits for) go on.
  if (r.closing && r.committing == 0) fail(ErrorCode::kIo, "the run is being stopped; nothing is committed");
  ++r.committing;
}

UploadCommitGuard::~UploadCommitGuard() {
  Registry& r = Registry::get();
  std::lock_guard lock(r.mutex);
  --r.committing;
  r.changed.notify_all();
}

ObjectWriter::ObjectWriter(ObjectClient& client, ObjectUrl url, ObjectWriterOptions options)
    : client_(client), url_(std::move(url)), options_(options) {
  if (url_.scheme != Scheme::kS3)
    fail_invalid("{}: cannot write here: http(s):// URLs are read-only (write to s3:// or a local path)",
                 url_.text);
  if (url_.key.empty()) fail_invalid("{}: the URL names no key", url_.text);
  options_.part_bytes = std::max(options_.part_bytes, ObjectClient::kMinPartBytes);
  options_.max_in_flight = std::max(options_.max_in_flight, 1);
}

ObjectWriter::ObjectWriter(ObjectClient& client, HandedUpload handed)
    : client_(client),
      url_(std::move(handed.url)),
      options_(ObjectWriterOptions::from_environment()),
      state_(State::kFinished),
      upload_id_(std::move(handed.upload_id)),
      etags_(handed.part_etags.begin(), handed.part_etags.end()),
      size_(handed.size) {
  if (upload_id_.empty() || etags_.empty()) fail_invalid("{}: a handed-over upload without parts", url_.text);
  Registry& r = Registry::get();
  std::lock_guard lock(r.mutex);
  r.check_open(url_);
  registration_ = r.add({&client_, url_, upload_id_});
}

ObjectWriter::~ObjectWriter() {
  if (state_ != State::kCommitted && state_ != State::kHandedOver) abort();
}

void ObjectWriter::write(ByteView bytes) {
  if (state_ != State::kOpen) fail(ErrorCode::kInternal, "{}: write after finish/commit/abort", url_.text);
  while (!bytes.empty()) {
    const size_t take = std::min<size_t>(bytes.size(), options_.part_bytes - buffer_.size());
    buffer_.append(reinterpret_cast<const char*>(bytes.data()), take);
    bytes = bytes.subspan(take);
    size_ += take;
    if (buffer_.size() == options_.part_bytes) start_part();
  }
}

void ObjectWriter::create_upload() {
  Registry& r = Registry::get();
  {
    std::lock_guard lock(r.mutex);
    r.check_open(url_);
    ++r.creating;
  }
  std::string id;
  try {
    id = client_.create_multipart_upload(url_);
  } catch (...) {
    std::lock_guard lock(r.mutex);
    --r.creating;
    r.changed.notify_all();
    throw;
  }
  bool closing;
  {
    std::lock_guard lock(r.mutex);
    --r.creating;
    closing = r.closing;
    if (!closing) registration_ = r.add({&client_, url_, id});
    r.changed.notify_all();
  }
  if (closing) {
    try {
      client_.abort_multipart_upload(url_, id);
    } catch (const Error&) {
    }
    fail(ErrorCode::kIo, "{}: the run is being stopped; no new upload", url_.text);
  }
  upload_id_ = std::move(id);
}

void ObjectWriter::start_part() {
  if (upload_id_.empty()) create_upload();
  wait_for(static_cast<size_t>(options_.max_in_flight) - 1);
  etags_.emplace_back();
  std::string& slot = etags_.back();  // a deque's elements stay put as it grows
  const int number = static_cast<int>(etags_.size());
  in_flight_.push_back(std::async(std::launch::async, [this, &slot, number, part = std::move(buffer_)] {
    slot = client_.upload_part(url_, upload_id_, number, as_bytes(part));
  }));
  buffer_ = std::string();
  buffer_.reserve(options_.part_bytes);
}

void ObjectWriter::wait_for(size_t in_flight) {
  while (in_flight_.size() > in_flight) {
    std::future<void> oldest = std::move(in_flight_.front());
    in_flight_.erase(in_flight_.begin());
    oldest.get();  // rethrows the part's failure
  }
}

void ObjectWriter::finish() {
  if (state_ == State::kFinished) return;
  if (state_ != State::kOpen) fail(ErrorCode::kInternal, "{}: finish after commit/abort", url_.text);
  // A small object waits for commit() and one PUT; a multipart upload
  // sends its last (possibly short) part now.
  if (!upload_id_.empty() && !buffer_.empty()) start_part();
  wait_for(0);
  state_ = State::kFinished;
}

void ObjectWriter::commit() {
  try {
    finish();
    UploadCommitGuard guard;
    if (upload_id_.empty()) {
      client_.put(url_, as_bytes(buffer_));
    } else {
      client_.complete_multipart_upload(url_, upload_id_, {etags_.begin(), etags_.end()}, size_);
    }
  } catch (...) {
    abort();
    throw;
  }
  state_ = State::kCommitted;
  buffer_ = std::string();
  forget_registration();
}

HandedUpload ObjectWriter::hand_over() {
  try {
    // An object that never filled a part becomes a one-part upload (the
    // last part of an upload may be short).
    if (state_ == State::kOpen && upload_id_.empty()) start_part();
    finish();
  } catch (...) {
    abort();
    throw;
  }
  forget_registration();
  state_ = State::kHandedOver;
  return {.url = url_, .upload_id = upload_id_, .part_etags = {etags_.begin(), etags_.end()}, .size = size_};
}

bool ObjectWriter::forget_registration() {
  if (!registration_) return false;
  Registry& r = Registry::get();
  std::lock_guard lock(r.mutex);
  const bool registered = r.open.erase(registration_) > 0;  // else abort_open_uploads() took it
  registration_ = 0;
  return registered;
}

void ObjectWriter::abort() noexcept {
  if (state_ == State::kCommitted || state_ == State::kAborted || state_ == State::kHandedOver) return;
  state_ = State::kAborted;
  for (auto& part : in_flight_) {
    try {
      part.get();
    } catch (...) {
    }
  }
  in_flight_.clear();
  buffer_ = std::string();
  if (forget_registration()) {
    try {
      client_.abort_multipart_upload(url_, upload_id_);
    } catch (...) {
      // The bucket's lifecycle rule (AbortIncompleteMultipartUpload) is
      // the last resort: an open upload shows no object either way.
    }
  }
}

void abort_open_uploads() noexcept {
  Registry& r = Registry::get();
  std::map<uint64_t, OpenUpload> open;
  {
    std::unique_lock lock(r.mutex);
    r.closing = true;
    r.changed.wait_for(lock, std::chrono::seconds(60), [&] { return r.creating == 0 && r.committing == 0; });
    open.swap(r.open);
  }
  for (auto& [id, upload] : open) {
    try {
      upload.client->abort_multipart_upload(upload.url, upload.upload_id);
    } catch (...) {
    }
  }
}

}  // namespace mimicit::remote
