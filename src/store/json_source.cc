#include "store/json_source.h"

#include <string_view>

#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "remote/object_cache.h"
#include "store/json_scanner.h"
#include "util/json_walker.h"

namespace mimicit::store {

namespace {

// The scan asks the kernel to read this far ahead of it, so that a cold
// file streams from disk at full speed rather than one page fault at a time.
constexpr uint64_t kReadAhead = uint64_t{64} << 20;

class JsonSource final : public Source {
 public:
  JsonSource(std::shared_ptr<const MappedFile> file, uint64_t max_image_bytes)
      : file_(std::move(file)), max_image_bytes_(max_image_bytes) {}

  const std::string& path() const override { return file_->path(); }
  PayloadKind payload_kind() const override { return PayloadKind::kJsonBase64; }
  const MappedFile* mapped_file() const override { return file_.get(); }

  void scan_ids(const std::function<void(std::string_view id, uint64_t locator)>& fn) const override {
    with_context(path(), [&] {
      file_->will_need(0, 2 * kReadAhead);
      // Read ahead of the scan and release behind it: the pass over a file
      // of any size keeps a few MB of it resident.
      uint64_t released = 0;
      const auto progress = [this, &released](uint64_t offset) {
        file_->will_need(offset + kReadAhead, kReadAhead);
        if (offset > released + kReadAhead) {
          file_->release(released, offset - kReadAhead - released);
          released = offset - kReadAhead;
        }
      };
      scan_json_ids(file_->bytes(), fn, kReadAhead, progress);
      file_->release(released, file_->size() - released);
    });
  }

  void fetch(uint64_t locator, std::string_view id, Buffer& out, Base64Leniency* leniency) const override {
    try {
      ByteView doc = file_->bytes();
      RawJsonString raw = locate_value_string(doc, locator);
      // The value's pages leave this process's resident set once decoded
      // (they stay in the page cache): walking a 100 GB file must not make
      // the process look 100 GB large.
      struct Release {
        const MappedFile& file;
        uint64_t begin, end;
        ~Release() { file.release(begin, end - begin); }
      } release{*file_, locator,
                static_cast<uint64_t>(raw.text.data() + raw.text.size() -
                                      reinterpret_cast<const char*>(doc.data()))};
      check_image_size(base64_decoded_size_upper_bound(raw.text.size()), max_image_bytes_, "base64 text of",
                       raw.text.size());
      if (!raw.has_escapes) return base64_decode(raw.text, out, leniency);
      // Rare: escaped values are unescaped into a private copy (fetch may
      // run on many threads, so no shared scratch buffer).
      std::string text;
      text.reserve(raw.text.size());
      size_t pos = 0;
      if (const char* error = unescape_json_string(raw.text, text, &pos)) {
        fail_corrupt("byte offset {}: {}", raw.text.data() - reinterpret_cast<const char*>(doc.data()) + pos,
                     error);
      }
      base64_decode(text, out, leniency);
    } catch (Error& e) {
      e.add_context(fmt::format("{}: id '{}'", path(), id));
      throw;
    }
  }

 private:
  std::shared_ptr<const MappedFile> file_;
  uint64_t max_image_bytes_;
};

}  // namespace

std::unique_ptr<Source> open_json_source(const std::string& path, const ImageStoreOptions& options) {
  return std::make_unique<JsonSource>(remote::open_mapped(path), options.max_image_bytes);
}

}  // namespace mimicit::store
