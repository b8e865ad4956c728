#include "convert/convert_upload.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

#include "mimicit/error.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

void abort_uploads() noexcept { remote::abort_open_uploads(); }

bool is_remote_output(const std::string& out) { return remote::is_remote(out); }

namespace {

remote::ObjectUrl output_prefix(const std::string& url) {
  remote::ObjectUrl prefix = remote::parse_object_url(url);
  if (prefix.scheme != remote::Scheme::kS3)
    fail_invalid("{}: http(s):// URLs are read-only; convert writes to a local folder or s3://", url);
  while (!prefix.key.empty() && prefix.key.back() == '/') prefix.key.pop_back();
  return prefix;
}

// The prefix as a key prefix: "" or "a/b/".
remote::ObjectUrl listed(remote::ObjectUrl prefix) {
  if (!prefix.key.empty()) prefix.key += '/';
  return prefix;
}

remote::ObjectUrl object_under(const remote::ObjectUrl& prefix, const std::string& name) {
  return remote::with_key(prefix, prefix.key.empty() ? name : prefix.key + "/" + name);
}

// Streams `file` into `writer`.
void send_file(const fs::path& file, remote::ObjectWriter& writer) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorCode::kIo, "{}: cannot open", file.string());
  std::string chunk(size_t{4} << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n > 0) writer.write(as_bytes(std::string_view(chunk.data(), n)));
  }
  if (in.bad()) fail(ErrorCode::kIo, "{}: cannot read", file.string());
}

}  // namespace

RemoteOutput::RemoteOutput(const std::string& url) : prefix_(output_prefix(url)) {}

void RemoteOutput::check_url(const std::string& url) { output_prefix(url); }

void RemoteOutput::prepare(const std::string& url) {
  const remote::ObjectUrl prefix = listed(output_prefix(url));
  if (remote::ObjectClient::shared().has_objects_under(prefix)) {
    fail_invalid(
        "{}: objects exist under this prefix; convert writes only into an empty one "
        "(remove them first, e.g. aws s3 rm --recursive {})",
        url, url);
  }
  abort_open_uploads_under(url);
}

void RemoteOutput::abort_open_uploads_under(const std::string& url) {
  const remote::ObjectUrl prefix = output_prefix(url);
  // Each pass aborts up to a page of them.
  for (int pass = 0; pass < 100; ++pass) {
    auto open = remote::ObjectClient::shared().list_multipart_uploads(listed(prefix));
    if (open.empty()) break;
    for (const auto& upload : open)
      remote::ObjectClient::shared().abort_multipart_upload(remote::with_key(prefix, upload.key),
                                                            upload.upload_id);
  }
}

void RemoteOutput::add(const fs::path& file) {
  auto writer = std::make_unique<remote::ObjectWriter>(remote::ObjectClient::shared(),
                                                       object_under(prefix_, file.filename().string()));
  send_file(file, *writer);
  writer->finish();
  files_.push_back(std::move(writer));
  std::error_code ignored;
  fs::remove(file, ignored);
}

void RemoteOutput::adopt(const std::string& name, std::string upload_id, std::vector<std::string> part_etags,
                         uint64_t size) {
  remote::HandedUpload upload{.url = object_under(prefix_, name),
                              .upload_id = std::move(upload_id),
                              .part_etags = std::move(part_etags),
                              .size = size};
  files_.push_back(std::make_unique<remote::ObjectWriter>(remote::ObjectClient::shared(), std::move(upload)));
}

remote::HandedUpload upload_and_hand_over(const std::string& out, const fs::path& file) {
  remote::ObjectWriter writer(remote::ObjectClient::shared(),
                              object_under(output_prefix(out), file.filename().string()));
  send_file(file, writer);
  remote::HandedUpload handed = writer.hand_over();
  std::error_code ignored;
  fs::remove(file, ignored);
  return handed;
}

void RemoteOutput::add_folder(const fs::path& folder) {
  std::vector<fs::path> names;
  for (const fs::directory_entry& e : fs::directory_iterator(folder)) {
    if (e.is_regular_file() && !e.path().filename().string().starts_with(".")) names.push_back(e.path());
  }
  std::sort(names.begin(), names.end());
  for (const fs::path& p : names) add(p);
}

void RemoteOutput::commit() {
  remote::UploadCommitGuard guard;
  // Completions go kCommitThreads at a time (each is one request, ~20-50
  // ms: thousands of parts one after the other would take minutes), and
  // stop at the first failure.
  constexpr size_t kCommitThreads = 16;
  std::vector<char> committed(files_.size(), 0);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto complete = [&] {
    for (size_t i = next++; i < files_.size() && !failed; i = next++) {
      try {
        files_[i]->commit();
        committed[i] = 1;
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(kCommitThreads, files_.size()); ++t) threads.emplace_back(complete);
  complete();
  for (std::thread& thread : threads) thread.join();
  if (!first_error) return;
  // Some objects appeared: take them back, so the prefix holds all or
  // nothing. (The rest abort in their destructors.)
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!committed[i]) continue;
    try {
      remote::ObjectClient::shared().remove(files_[i]->url());
    } catch (const Error&) {
    }
  }
  std::rethrow_exception(first_error);
}

}  // namespace mimicit::convert
