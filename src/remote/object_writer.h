// ObjectWriter: streams one object to s3:// with a multipart upload.
//
// Bytes written are buffered up to the part size, and each full part is
// uploaded (UploadPart, retried like every request: http_client.h) while
// the caller goes on writing; at most `max_in_flight` parts upload at once,
// so memory stays within (max_in_flight + 1) parts. Nothing is visible at
// the key until commit(): a multipart upload shows no object until it is
// completed. finish() uploads the last bytes without completing, so that a
// caller holding several writers can upload all of them first and then
// commit them one after the other (convert's output). An object that never
// filled a part is sent by one PUT at commit(). abort() (and the destructor
// of a writer not committed) aborts the upload, which drops its parts.
//
// An upload may change hands between processes (the parts of a Dask run:
// each worker uploads one, the driver completes them all): hand_over()
// finishes it and returns what completing or aborting it takes, the
// writer (and its process) then forgets it; ObjectWriter(client, handed)
// takes such an upload in, as a finished writer of this process.
//
// A process killed by a signal runs no destructor: abort_open_uploads()
// aborts every upload not yet committed, from the thread that took the
// signal (cli/convert_command.cc). A writer is used by one thread;
// abort_open_uploads() may be called from any.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include "mimicit/bytes.h"
#include "remote/object_client.h"

namespace mimicit::remote {

struct ObjectWriterOptions {
  uint64_t part_bytes = uint64_t{16} << 20;  // at least ObjectClient::kMinPartBytes
  int max_in_flight = 2;                     // parts uploading at once
  // The defaults, overridden by MIMICIT_S3_PART_SIZE (bytes) and
  // MIMICIT_S3_UPLOADS (parts in flight) when set; the part size is raised
  // to 5 MiB.
  static ObjectWriterOptions from_environment();
};

// A finished multipart upload, not completed: the object appears when it
// is (ObjectClient::complete_multipart_upload with these part ETags).
struct HandedUpload {
  ObjectUrl url;
  std::string upload_id;
  std::vector<std::string> part_etags;  // by part number - 1
  uint64_t size = 0;
};

class ObjectWriter {
 public:
  // Throws Error(kInvalidArgument) for a URL that is not s3://.
  ObjectWriter(ObjectClient& client, ObjectUrl url,
               ObjectWriterOptions options = ObjectWriterOptions::from_environment());
  // A writer of an upload another writer handed over: finished, to be
  // committed or aborted here (and aborted by abort_open_uploads()).
  ObjectWriter(ObjectClient& client, HandedUpload handed);
  ~ObjectWriter();  // aborts unless committed; never throws
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  void write(ByteView bytes);
  // Uploads every byte written; the object stays invisible. Idempotent.
  void finish();
  // finish(), then completes the upload (or PUTs a small object): the
  // object appears whole at its key. A failure aborts the upload and
  // throws; the key is then left as it was.
  void commit();
  // Drops what was uploaded; the key is left as it was. Never throws.
  void abort() noexcept;
  // finish() (an object too small for a part is sent as a one-part
  // upload), then gives the upload away: this writer is done with it and
  // its destructor no longer aborts it.
  HandedUpload hand_over();

  const ObjectUrl& url() const { return url_; }
  uint64_t size() const { return size_; }
  // Parts uploaded so far (0 for an object sent by one PUT).
  int parts() const { return static_cast<int>(etags_.size()); }
  bool committed() const { return state_ == State::kCommitted; }

 private:
  enum class State { kOpen, kFinished, kCommitted, kAborted, kHandedOver };
  void start_part();
  void create_upload();
  // Leaves the process's list of open uploads; true when this writer was
  // still in it (abort_open_uploads() had not taken it).
  bool forget_registration();
  void wait_for(size_t in_flight);

  ObjectClient& client_;
  ObjectUrl url_;
  ObjectWriterOptions options_;
  State state_ = State::kOpen;
  std::string upload_id_;
  std::string buffer_;
  std::deque<std::string> etags_;  // by part number - 1, filled as parts finish
  std::vector<std::future<void>> in_flight_;
  uint64_t size_ = 0;
  uint64_t registration_ = 0;  // in the process's list of open uploads; 0: none
};

// While one lives, abort_open_uploads() waits: held around the commits of
// files that must appear together, so that a signal cannot leave some of
// them committed and the others aborted. Throws Error(kIo) when
// abort_open_uploads() already ran.
class UploadCommitGuard {
 public:
  UploadCommitGuard();
  ~UploadCommitGuard();
  UploadCommitGuard(const UploadCommitGuard&) = delete;
  UploadCommitGuard& operator=(const UploadCommitGuard&) = delete;
};

// Aborts every multipart upload of this process that is not committed (or
// being committed: a commit under way is waited for), and refuses new ones:
// a writer created or a part started after this throws. For a process about
// to die of a signal. Best effort; never throws.
void abort_open_uploads() noexcept;

}  // namespace mimicit::remote
