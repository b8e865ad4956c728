// An s3:// output folder of convert (one machine or the merge of a sharded
// run).
//
// The run's files are built in a local staging folder, as for a local
// output; each finished file is uploaded (add()) to <prefix>/<name> by a
// multipart upload left open, so nothing appears in the bucket while the
// run goes on, and the staged file is removed (the staging folder holds
// about one part at a time). commit() completes every upload (16 at a
// time), after all of them were sent, under an UploadCommitGuard: a SIGINT/SIGTERM waits for
// it. A commit that fails half-way deletes the objects it completed. A run
// that fails, or is destroyed uncommitted, or is stopped by a signal
// (remote::abort_open_uploads), aborts the uploads: the prefix is left as
// it was. Since S3 cannot replace a folder at once, the prefix must hold no
// object when the run starts. Uploads left open under it by a run that was
// killed (SIGKILL, a lost worker) are aborted when the next run starts, as
// a local run removes the temporary folders of killed runs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "remote/object_writer.h"
#include "remote/url.h"

namespace mimicit::convert {

class RemoteOutput {
 public:
  // Throws Error(kInvalidArgument) for an http(s):// URL (read-only).
  explicit RemoteOutput(const std::string& url);

  // The constructor's check alone: Error(kInvalidArgument) for an
  // http(s):// URL.
  static void check_url(const std::string& url);

  // Before a run writes: throws Error(kInvalidArgument) for an http(s)://
  // URL or a prefix that already holds objects; aborts the uploads open
  // under it (abort_open_uploads_under).
  static void prepare(const std::string& url);
  // Aborts every multipart upload open under the prefix: those of killed
  // runs, or of a run of many processes that failed (the prefix is the
  // run's own: it was empty when the run started).
  static void abort_open_uploads_under(const std::string& url);

  // Uploads `file` as <prefix>/<its name> (invisible until commit) and
  // removes it.
  void add(const std::filesystem::path& file);
  // add() for every regular file of `folder` whose name does not start
  // with '.', in name order.
  void add_folder(const std::filesystem::path& folder);
  // Takes in the upload of <prefix>/<name> another process handed over
  // (upload_and_hand_over); it is committed (or aborted) with this
  // output's, in the order added.
  void adopt(const std::string& name, std::string upload_id, std::vector<std::string> part_etags,
             uint64_t size);
  void commit();

  uint64_t objects() const { return files_.size(); }

 private:
  remote::ObjectUrl prefix_;
  std::vector<std::unique_ptr<remote::ObjectWriter>> files_;
};

// Uploads `file` as <prefix of `out`>/<its name>, hands the upload over
// (open: invisible until some RemoteOutput adopts and commits it) and
// removes the file.
remote::HandedUpload upload_and_hand_over(const std::string& out, const std::filesystem::path& file);

// True for s3:// and http(s):// outputs.
bool is_remote_output(const std::string& out);

}  // namespace mimicit::convert
