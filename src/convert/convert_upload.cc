#include "convert/convert_upload.h"

#include <algorithm>
#include <fstream>

#include "mimicit/error.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

void abort_uploads() noexcept { remote::abort_open_uploads(); }

bool is_remote_output(const std::string& out) { return remote::is_remote(out); }

RemoteOutput::RemoteOutput(const std::string& url) : prefix_(remote::parse_object_url(url)) {
  if (prefix_.scheme != remote::Scheme::kS3)
    fail_invalid("{}: http(s):// URLs are read-only; convert writes to a local folder or s3://", url);
  while (!prefix_.key.empty() && prefix_.key.back() == '/') prefix_.key.pop_back();
  remote::ObjectUrl listed = prefix_;
  if (!listed.key.empty()) listed.key += '/';
  if (remote::ObjectClient::shared().has_objects_under(listed)) {
    fail_invalid(
        "{}: objects exist under this prefix; convert writes only into an empty one "
        "(remove them first, e.g. aws s3 rm --recursive {})",
        url, url);
  }
  // Uploads of killed runs: each pass aborts up to a page of them.
  for (int pass = 0; pass < 100; ++pass) {
    auto open = remote::ObjectClient::shared().list_multipart_uploads(listed);
    if (open.empty()) break;
    for (const auto& upload : open) {
      remote::ObjectUrl key = prefix_;
      key.key = upload.key;
      key.text = "s3://" + key.bucket + "/" + key.key;
      remote::ObjectClient::shared().abort_multipart_upload(key, upload.upload_id);
    }
  }
}

void RemoteOutput::add(const fs::path& file) {
  remote::ObjectUrl url = prefix_;
  url.key = prefix_.key.empty() ? file.filename().string() : prefix_.key + "/" + file.filename().string();
  url.text = "s3://" + url.bucket + "/" + url.key;
  auto writer = std::make_unique<remote::ObjectWriter>(remote::ObjectClient::shared(), url);
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorCode::kIo, "{}: cannot open", file.string());
  std::string chunk(size_t{4} << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n > 0) writer->write(as_bytes(std::string_view(chunk.data(), n)));
  }
  if (in.bad()) fail(ErrorCode::kIo, "{}: cannot read", file.string());
  writer->finish();
  files_.push_back(std::move(writer));
  std::error_code ignored;
  fs::remove(file, ignored);
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
  size_t done = 0;
  try {
    for (; done < files_.size(); ++done) files_[done]->commit();
  } catch (...) {
    // Some objects appeared: take them back, so the prefix holds all or
    // nothing. (The rest abort in their destructors.)
    for (size_t i = 0; i < done; ++i) {
      try {
        remote::ObjectClient::shared().remove(files_[i]->url());
      } catch (const Error&) {
      }
    }
    throw;
  }
}

}  // namespace mimicit::convert
