// Source: one file (or image folder) of an ImageStore. The store asks each
// source for its ids once, at open, and later fetches payloads by the
// opaque 64-bit locator the source handed out with each id (a row number,
// a byte offset, a file index: the source's business).
//
// Thread-safety: scan_ids() is called once, from one thread; fetch() may be
// called from many threads at once and must not share mutable state
// without synchronisation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "mimicit/base64.h"
#include "mimicit/bytes.h"
#include "mimicit/file.h"
#include "mimicit/image_store.h"

namespace mimicit {
class WorkerPool;
}  // namespace mimicit

namespace mimicit::store {

class Source {
 public:
  virtual ~Source() = default;
  virtual const std::string& path() const = 0;
  virtual PayloadKind payload_kind() const = 0;
  // The mapped file behind the source (null for an image folder): a remote
  // object's version, found when it was opened, stamps the store's index.
  virtual const MappedFile* mapped_file() const { return nullptr; }
  // Calls fn(id, locator) for every entry, in file order. `id` is valid for
  // the duration of the call only.
  virtual void scan_ids(const std::function<void(std::string_view id, uint64_t locator)>& fn) const = 0;
  // The image file bytes of the entry at `locator` into `out` (replacing its
  // contents); base64 payloads are decoded, and *leniency (when not null)
  // says what their text needed (kNone for other payloads). `id` names the
  // entry in errors.
  virtual void fetch(uint64_t locator, std::string_view id, Buffer& out, Base64Leniency* leniency) const = 0;
  // The unit of the file that a reader decodes as a whole and that holds
  // the entry at `locator` (ImageStore::for_each_in_storage_range): never
  // decreasing with the locator. One block per file unless overridden.
  virtual uint64_t block_of(uint64_t /*locator*/) const { return 0; }

  // Seek tables (parquet/reader/seek_table.h) of the source's large pages, in
  // their stored form; sources without pages have none. seek_table_work()
  // is the bytes build_seek_tables walks (a progress total); it reports
  // bytes walked to `progress`, from `pool`'s threads.
  virtual uint64_t seek_table_work() const { return 0; }
  virtual Buffer build_seek_tables(const std::function<void(uint64_t)>& /*progress*/,
                                   WorkerPool* /*pool*/) const {
    return {};
  }
  // Serves gets through `tables` (as build_seek_tables made them, kept
  // alive by `owner`); false when they do not fit this file, and then
  // none are used. Called before any fetch().
  virtual bool use_seek_tables(ByteView /*tables*/, std::shared_ptr<const void> /*owner*/) { return true; }
};

// Throws Error(kLimit) when an image of `bytes` bytes is over
// `max_image_bytes` (ImageStoreOptions). The message says what was measured
// ("<measured> <measured_bytes> bytes": "base64 text of 12 bytes"); it is
// formatted only then, as this runs on every get. The caller adds the file
// and the id.
void check_image_size(uint64_t bytes, uint64_t max_image_bytes, std::string_view measured,
                      uint64_t measured_bytes);

std::unique_ptr<Source> open_parquet_source(const std::string& path, const ImageStoreOptions& options = {});
std::unique_ptr<Source> open_json_source(const std::string& path, const ImageStoreOptions& options = {});
std::unique_ptr<Source> open_image_folder_source(const std::string& dir,
                                                 const ImageStoreOptions& options = {});

}  // namespace mimicit::store
