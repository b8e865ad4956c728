#include "inspect/images.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "mimicit/error.h"
#include "mimicit/file.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/units.h"
#include "store/open_store.h"
#include "store/store_scan.h"
#include "util/json_writer.h"
#include "util/progress.h"

namespace mimicit::inspect {

namespace {

constexpr size_t kExamples = 10;

// "256-511": the power-of-two bucket of a dimension.
std::string bucket(uint32_t size) {
  if (size == 0) return "0";
  uint32_t lo = std::bit_floor(size);
  return fmt::format("{}-{}", lo, uint64_t{lo} * 2 - 1);
}

struct ProbeItem {
  std::string id;
  size_t rank = 0;
  Buffer bytes;
  image::ImageInfo info;
  std::string error;
};

struct Stats {
  uint64_t images = 0;
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> formats;
  std::map<uint32_t, uint64_t> widths;  // keyed by bucket floor, so buckets sort by size
  std::map<uint32_t, uint64_t> heights;
  uint64_t unreadable = 0;
  std::vector<std::pair<std::string, std::string>> unreadable_examples;
};

void count(Stats& stats, const ProbeItem& item) {
  ++stats.images;
  stats.bytes += item.bytes.size();
  if (!item.error.empty()) {
    ++stats.unreadable;
    // The examples are the first ids in sorted order, whatever order the
    // images are read in.
    auto& examples = stats.unreadable_examples;
    examples.emplace_back(item.id, item.error);
    std::sort(examples.begin(), examples.end());
    if (examples.size() > kExamples) examples.pop_back();
    return;
  }
  ++stats.formats[image::format_name(item.info.format)];
  ++stats.widths[item.info.width ? std::bit_floor(item.info.width) : 0];
  ++stats.heights[item.info.height ? std::bit_floor(item.info.height) : 0];
}

void write_histogram(JsonWriter& json, const std::map<uint32_t, uint64_t>& histogram) {
  json.begin_object();
  for (const auto& [lo, n] : histogram) json.key(bucket(lo)).value(n);
  json.end_object();
}

void print_json(const ImageStore& store, const Stats& s, std::ostream& out) {
  JsonWriter json;
  json.begin_object().key("files").strings(store.files());
  json.key("images")
      .value(s.images)
      .key("bytes")
      .value(s.bytes)
      .key("index_bytes")
      .value(store.index_bytes());
  json.key("formats").begin_object();
  for (const auto& [name, n] : s.formats) json.key(name).value(n);
  json.end_object().key("width");
  write_histogram(json, s.widths);
  json.key("height");
  write_histogram(json, s.heights);
  json.key("unreadable").value(s.unreadable).key("unreadable_examples").begin_array();
  for (const auto& [id, reason] : s.unreadable_examples) {
    json.begin_object().key("id").value(id).key("reason").value(reason).end_object();
  }
  json.end_array().key("duplicates").value(store.duplicates().size()).key("duplicate_examples").begin_array();
  for (size_t i = 0; i < std::min(kExamples, store.duplicates().size()); ++i) {
    const auto& duplicate = store.duplicates()[i];
    json.begin_object()
        .key("id")
        .value(duplicate.id)
        .key("occurrences")
        .value(duplicate.occurrences)
        .end_object();
  }
  json.end_array().end_object();
  out << json.text() << '\n';
}

void print_text(const ImageStore& store, const Stats& s, std::ostream& out) {
  std::string t;
  for (const std::string& file : store.files()) t += fmt::format("file:        {}\n", file);
  t += fmt::format("images:      {}\nbytes:       {}\nindex:       {}\n", s.images, format_bytes(s.bytes),
                   format_bytes(store.index_bytes()));
  t += "formats:    ";
  for (const auto& [name, n] : s.formats) t += fmt::format(" {} {}", name, n);
  t += "\nwidth:      ";
  for (const auto& [lo, n] : s.widths) t += fmt::format(" {}: {}", bucket(lo), n);
  t += "\nheight:     ";
  for (const auto& [lo, n] : s.heights) t += fmt::format(" {}: {}", bucket(lo), n);
  t += fmt::format("\nunreadable:  {}\n", s.unreadable);
  for (const auto& [id, reason] : s.unreadable_examples) t += fmt::format("  {}: {}\n", id, reason);
  t += fmt::format("duplicates:  {}\n", store.duplicates().size());
  for (size_t i = 0; i < std::min(kExamples, store.duplicates().size()); ++i) {
    t += fmt::format("  {} ({} times)\n", store.duplicates()[i].id, store.duplicates()[i].occurrences);
  }
  out << t;
}

}  // namespace

void list_image_ids(const std::vector<std::string>& paths, uint64_t limit, std::ostream& out) {
  auto store = ImageStore::open(paths);
  std::string block;
  uint64_t printed = 0;
  store->for_each_id([&](std::string_view id) {
    if (limit && printed == limit) return false;
    block.append(id).push_back('\n');
    ++printed;
    if (block.size() >= (1 << 16)) {
      out << block;
      block.clear();
    }
    return true;
  });
  out << block;
  if (!out) fail(ErrorCode::kIo, "cannot write the output");
}

void get_image(const std::vector<std::string>& paths, const std::string& id, const std::string& out_path,
               std::ostream& out) {
  auto store = ImageStore::open(paths);
  Buffer bytes;
  store->get(id, bytes);
  if (out_path.empty()) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail(ErrorCode::kIo, "cannot write the output");
    return;
  }
  AtomicFileWriter file(out_path);
  file.write(bytes.view());
  file.commit();
}

std::function<void(uint64_t, uint64_t)> index_progress_bar() {
  struct Bar {
    std::mutex mutex;
    std::optional<Progress> progress;
    uint64_t total = 0;
  };
  auto bar = std::make_shared<Bar>();
  // One bar per store built: a new total, or a count that starts again,
  // is the next store (options are shared by every store of a loader,
  // which may open them from several threads).
  return [bar](uint64_t done, uint64_t total) {
    std::lock_guard<std::mutex> lock(bar->mutex);
    if (!bar->progress || total != bar->total || done < bar->progress->items()) {
      bar->progress.emplace("indexing pages", total, true, stderr, Progress::Unit::kBytes);
      bar->total = total;
    }
    bar->progress->advance(done - bar->progress->items(), 0);
    if (done >= total) bar->progress->finish();
  };
}

void index_store(const std::vector<std::string>& paths, bool rebuild, std::ostream& out) {
  ImageStoreOptions options;
  options.use_saved_index = !rebuild;
  options.publish_index = true;  // a store in s3:// gets its index beside it, for every node
  options.index_progress = index_progress_bar();
  auto started = std::chrono::steady_clock::now();
  store::OpenReport report;
  auto store = store::open_store(paths, options, &report);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const uint64_t store_bytes = store->file_bytes();
  auto share = [&](uint64_t bytes) {
    return store_bytes == 0
               ? std::string("0")
               : fmt::format("{:.2f}", 100.0 * static_cast<double>(bytes) / static_cast<double>(store_bytes));
  };
  std::string t;
  t += fmt::format("index:        {} ({})\n", report.index_path.empty() ? "not saved" : report.index_path,
                   report.built_seek_tables  ? "built"
                   : report.used_saved_index ? "up to date"
                                             : "built");
  t += fmt::format("images:       {} in {} files, {}\n", store->size(), store->files().size(),
                   format_bytes(store_bytes));
  t += fmt::format("ids:          {} ({}% of the store)\n", format_bytes(store->index_bytes()),
                   share(store->index_bytes()));
  t += fmt::format("seek tables:  {} ({}% of the store)\n", format_bytes(report.seek_table_bytes),
                   share(report.seek_table_bytes));
  t += fmt::format("time:         {:.2f} s\n", seconds);
  out << t;
}

void print_image_stats(const std::vector<std::string>& paths, const StatsOptions& options,
                       std::ostream& out) {
  auto store = ImageStore::open(paths, full_pass_options());
  Stats stats;
  WorkerPool pool(options.threads);
  Progress progress("reading", store->size(), options.progress);
  scan_store_in_storage_order<ProbeItem>(
      *store, pool,
      [&](ProbeItem& item) {
        item.error.clear();
        try {
          store->get(item.id, item.bytes);
        } catch (const Error& e) {
          item.bytes.clear();
          item.error = e.what();
        }
      },
      [&](ProbeItem& item) {
        if (!item.error.empty()) return;
        try {
          item.info = image::probe(item.bytes.view());
        } catch (const Error& e) {
          item.error = e.what();
        }
      },
      [&](ProbeItem& item) {
        count(stats, item);
        progress.advance(1, item.bytes.size());
      });
  progress.finish();
  if (options.json)
    print_json(*store, stats, out);
  else
    print_text(*store, stats, out);
}

}  // namespace mimicit::inspect
