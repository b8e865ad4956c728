// convert_images: the single-machine run. Sources whose storage order is
// sorted go straight into the parts; the others through one shard and the
// part plan and part writer that sharded runs use (convert_shards.cc), so
// both paths write the same bytes.
#include "mimicit/convert.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "convert/convert_image.h"
#include "convert/convert_internal.h"
#include "convert/convert_parts.h"
#include "convert/convert_upload.h"
#include "mimicit/base64.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "store/store_scan.h"
#include "util/progress.h"
#include "util/worker_pool.h"

namespace mimicit::convert {

namespace fs = std::filesystem;

namespace internal {

void check_options(const ConvertOptions& options) {
  if (options.sources.empty()) fail_invalid("no source to convert");
  if (options.out.empty()) fail_invalid("no output folder (-o)");
  if (is_remote_output(options.out)) RemoteOutput::check_url(options.out);
  // Same bound as decoding: a larger N would allocate more per image than
  // the decoder ever accepts from a file.
  uint64_t max_pixels = image::DecodeOptions{}.max_pixels;
  if (uint64_t{options.resize} * options.resize > max_pixels) {
    fail_invalid("--resize {}: N x N must not exceed {} pixels (the decoder's limit)", options.resize,
                 max_pixels);
  }
  PartWriter check(fs::path(), options);  // throws for a partition size too small
}

fs::path output_path(const ConvertOptions& options) {
  fs::path out = fs::absolute(options.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  return out;
}

// Renames the finished `temp` into place as `out`. Both folders are synced
// around the rename, so that after a power loss `out` is the old output or
// the complete new one.
void commit_dir(const fs::path& temp, const fs::path& out) {
  sync_path(temp.string());
  if (!fs::exists(out)) {
    fs::rename(temp, out);
    sync_path(out.parent_path().string());
    return;
  }
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, out.c_str(), RENAME_EXCHANGE) != 0) {
    fail(ErrorCode::kIo, "{}: cannot replace the folder: {}", out.string(), std::strerror(errno));
  }
  sync_path(out.parent_path().string());
  // `temp` now holds the previous output, unlocked: if this removal fails or
  // is cut short by a kill, the next run into `out` removes the rest. The
  // new output is in place either way, so this is no failure.
  std::error_code ignored;
  fs::remove_all(temp, ignored);
}

void fetch(const ImageStore& store, Item& item) {
  item.dropped.clear();
  try {
    store.get(item.id, item.raw);
  } catch (const Error& e) {
    item.raw.clear();
    item.dropped = e.what();
  }
}

void prepare(const ConvertOptions& options, uint64_t max_row_bytes, Item& item) {
  if (!item.dropped.empty()) return;
  try {
    item.dropped = process_image(options, item.raw, item.image);
    if (!item.dropped.empty()) return;
    if (options.payload == Payload::kBase64) {
      item.text.clear();
      base64_encode(item.image.view(), item.text);
    }
    uint64_t stored = options.payload == Payload::kBase64 ? item.text.size() : item.image.size();
    if (stored + item.id.size() + 16 > max_row_bytes) {
      item.dropped = fmt::format("image of {} bytes does not fit in a part of --max-partition-size {}",
                                 stored, options.max_partition_bytes);
    }
  } catch (const Error& e) {
    item.dropped = e.what();
  }
}

std::string_view stored_value(const ConvertOptions& options, const Item& item) {
  return options.payload == Payload::kBase64 ? std::string_view(item.text)
                                             : as_string_view(item.image.view());
}

}  // namespace internal

namespace {

using namespace internal;

// Sorted sources: each image goes straight into the parts as it is read.
void convert_sorted(const ImageStore& store, const ConvertOptions& options, const fs::path& temp,
                    ConvertReport& report, const FileDone& on_part) {
  PartWriter parts(temp, options, on_part);
  DropLog drops(temp / "_dropped.jsonl");
  WorkerPool pool(options.threads);
  Progress progress("converting", store.size(), options.progress);
  scan_store_in_storage_order<Item>(
      store, pool, [&](Item& item) { fetch(store, item); },
      [&](Item& item) { prepare(options, parts.max_row_bytes(), item); },
      [&](Item& item) {
        report.bytes_in += item.raw.size();
        if (!item.dropped.empty()) {
          drops.add(item.id, item.dropped);
        } else {
          parts.append(item.id, stored_value(options, item));
          ++report.images;
        }
        progress.advance(1, item.raw.size());
      });
  parts.close();
  drops.close();
  progress.finish();
  report.dropped = drops.count();
  report.partitions = parts.parts();
  report.bytes_out = parts.bytes_written();
  report.duplicates = store.duplicates().size();
}

// Unsorted sources: the whole store as one shard (its values spilled in
// storage order into a hidden folder of the output), then the merge's part
// plan and part writer, each part in turn.
void convert_unsorted(const ImageStore& store, const ConvertOptions& options, const fs::path& temp,
                      ConvertReport& report, const FileDone& on_part) {
  ConvertPlan plan;
  plan.images = store.size();
  plan.duplicates = store.duplicates().size();
  plan.shards.push_back({.index = 0,
                         .begin = {},
                         .end = StoragePlace::end(),
                         .images = store.size(),
                         .store_images = store.size()});
  fs::path work = temp / ".work";
  fs::path dir = work / shard_folder_name(0);
  fs::create_directories(dir);
  {
    WorkerPool pool(options.threads);
    Progress progress("converting", store.size(), options.progress);
    write_shard(store, options, plan.shards[0], dir, pool, &progress);
    progress.finish();
  }
  MergePlan merge = layout_parts(store, options, plan, work, temp);
  uint64_t bytes_out = 0;
  for (const PartPlan& part : merge.parts) {
    bytes_out += write_part(store, options, merge, part, work, temp).bytes;
    if (on_part) on_part(temp / PartWriter::file_name(part.index));  // may remove it (an upload)
  }
  report = merge_report(merge, bytes_out);
  fs::remove_all(work);
}

// An s3:// output: built in a local staging folder, each part uploaded as
// it closes, all committed at the end (convert_upload.h).
ConvertReport convert_to_remote(const ImageStore& store, const ConvertOptions& options,
                                std::chrono::steady_clock::time_point start) {
  RemoteOutput::prepare(options.out);
  RemoteOutput remote(options.out);
  const std::string staging = (fs::temp_directory_path() / "mimicit-convert-upload").string();
  remove_stale_temporaries(staging);
  LockedTempDir temp_dir(staging);
  const fs::path temp(temp_dir.path());
  ConvertReport report;
  const FileDone upload = [&](const fs::path& p) { remote.add(p); };
  try {
    if (storage_order_is_sorted(store))
      convert_sorted(store, options, temp, report, upload);
    else
      convert_unsorted(store, options, temp, report, upload);
    remote.add_folder(temp);
    remote.commit();
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  std::error_code ignored;
  fs::remove_all(temp, ignored);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace

ConvertReport convert_images(const ConvertOptions& options) {
  auto start = std::chrono::steady_clock::now();
  check_options(options);
  auto store = ImageStore::open(options.sources, full_pass_options());
  if (is_remote_output(options.out)) return convert_to_remote(*store, options, start);
  fs::path out = output_path(options);
  // The output is built in a locked temporary folder beside `out`, renamed
  // over it when complete. The folders of runs into `out` that were killed
  // are removed first: nothing else would ever remove them.
  fs::create_directories(out.parent_path());
  remove_stale_temporaries(out.string());
  LockedTempDir temp_dir(out.string());
  const fs::path temp(temp_dir.path());
  ConvertReport report;
  try {
    if (storage_order_is_sorted(*store))
      convert_sorted(*store, options, temp, report, {});
    else
      convert_unsorted(*store, options, temp, report, {});
    commit_dir(temp, out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace mimicit::convert
