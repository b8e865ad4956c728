#include "server/stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "util/json_writer.h"
#include "util/utf8.h"

namespace mimicit::server {

namespace {

// The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `x`.
uint64_t round_width(double x) {
  uint64_t step = 1;
  while (true) {
    for (uint64_t m : {1, 2, 5}) {
      if (static_cast<double>(step * m) >= x) return step * m;
    }
    step *= 10;
  }
}

uint32_t quantile(const std::vector<uint32_t>& sorted, double q) {
  const auto i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

constexpr uint64_t kTargetBins = 25;
// Records between two updates of the shared numbers (and stop checks).
constexpr uint64_t kBatch = 1024;

}  // namespace

void write_histogram(JsonWriter& json, std::vector<uint32_t> values) {
  std::sort(values.begin(), values.end());
  json.begin_object().key("n").value(uint64_t{values.size()});
  if (values.empty()) {
    json.key("bins").begin_array().end_array().end_object();
    return;
  }
  const uint64_t lo_value = values.front();
  const uint64_t p99 = quantile(values, 0.99);
  json.key("min").value(lo_value).key("median").value(uint64_t{quantile(values, 0.5)});
  json.key("p90").value(uint64_t{quantile(values, 0.9)}).key("p99").value(p99);
  json.key("max").value(uint64_t{values.back()});
  const uint64_t width = round_width(static_cast<double>(p99 - lo_value + 1) / kTargetBins);
  const uint64_t first = lo_value / width * width;
  const uint64_t last_closed = p99 / width * width;  // the last bin that ends at or after p99
  json.key("bins").begin_array();
  auto it = values.begin();
  for (uint64_t lo = first; lo <= last_closed; lo += width) {
    const uint64_t hi = lo + width - 1;
    auto end = std::upper_bound(it, values.end(), static_cast<uint32_t>(std::min<uint64_t>(hi, UINT32_MAX)));
    json.begin_object().key("lo").value(lo).key("hi").value(hi);
    json.key("count").value(static_cast<uint64_t>(end - it)).end_object();
    it = end;
  }
  if (it != values.end()) {
    json.begin_object().key("lo").value(last_closed + width).key("hi").null();
    json.key("count").value(static_cast<uint64_t>(values.end() - it)).end_object();
  }
  json.end_array().end_object();
}

StatsJob::StatsJob(std::shared_ptr<const Catalog> catalog, uint64_t max_records, uint64_t max_images)
    : catalog_(std::move(catalog)),
      max_records_(max_records),
      max_images_(max_images),
      job_([this](const std::atomic<bool>& stop) { run(stop); }) {}

StatsJob::~StatsJob() { job_.stop(); }

void StatsJob::run(const std::atomic<bool>& stop) {
  const auto started = std::chrono::steady_clock::now();
  const Catalog& catalog = *catalog_;
  const uint64_t total = catalog.total_records();
  const uint64_t target = std::min(total, max_records_);
  // Every `image_stride`-th sampled record contributes one image.
  const uint64_t image_stride = max_images_ == 0 ? 0 : std::max<uint64_t>(1, target / max_images_);
  Sampled batch;
  uint64_t images_taken = 0;
  size_t file = 0;
  uint64_t file_begin = 0;  // position of files()[file]'s first record in the concatenation
  dataset::Record record;
  Buffer bytes;
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto flush = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    auto append = [](std::vector<uint32_t>& to, std::vector<uint32_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
      from.clear();
    };
    append(sampled_.instruction_chars, batch.instruction_chars);
    append(sampled_.answer_chars, batch.answer_chars);
    append(sampled_.images_per_record, batch.images_per_record);
    append(sampled_.widths, batch.widths);
    append(sampled_.heights, batch.heights);
    for (const auto& [format, n] : batch.formats) sampled_.formats[format] += n;
    batch.formats.clear();
    sampled_.records += std::exchange(batch.records, 0);
    sampled_.unreadable_records += std::exchange(batch.unreadable_records, 0);
    sampled_.images_missing += std::exchange(batch.images_missing, 0);
    sampled_.images_unreadable += std::exchange(batch.images_unreadable, 0);
    sampled_.seconds = seconds();
  };
  for (uint64_t j = 0; j < target && !stop.load(); ++j) {
    const auto position = static_cast<uint64_t>(static_cast<unsigned __int128>(j) * total / target);
    while (position >= file_begin + catalog.files()[file].file->size()) {
      file_begin += catalog.files()[file].file->size();
      ++file;
    }
    const Catalog::File& ref = catalog.files()[file];
    try {
      ref.file->read(position - file_begin, &record);
    } catch (const Error&) {
      ++batch.unreadable_records;
      continue;
    }
    ++batch.records;
    batch.instruction_chars.push_back(static_cast<uint32_t>(count_code_points(record.instruction)));
    batch.answer_chars.push_back(static_cast<uint32_t>(count_code_points(record.answer)));
    batch.images_per_record.push_back(
        static_cast<uint32_t>(std::min<size_t>(record.image_ids.size(), UINT32_MAX)));
    if (image_stride != 0 && j % image_stride == 0 && images_taken < max_images_ &&
        !record.image_ids.empty()) {
      ++images_taken;
      const std::string& image_id = record.image_ids[j / image_stride % record.image_ids.size()];
      try {
        if (!catalog.get_image(&catalog.groups()[ref.group], image_id, bytes)) {
          ++batch.images_missing;
        } else {
          const image::ImageInfo info = image::probe(bytes);
          batch.widths.push_back(info.width);
          batch.heights.push_back(info.height);
          ++batch.formats[image::format_name(info.format)];
        }
      } catch (const Error&) {
        ++batch.images_unreadable;
      }
    }
    if ((j + 1) % kBatch == 0) flush();
  }
  flush();
  std::lock_guard<std::mutex> lock(mutex_);
  sampled_.done = !stop.load();
}

std::string StatsJob::json() const {
  const Catalog& catalog = *catalog_;
  Sampled copy;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    copy = sampled_;
  }
  JsonWriter json;
  json.begin_object();
  json.key("state").value(!job_.started() ? "idle" : copy.done ? "done" : "running");
  json.key("records_total").value(catalog.total_records());
  json.key("records_target").value(std::min(catalog.total_records(), max_records_));
  json.key("records_sampled").value(copy.records);
  json.key("records_unreadable").value(copy.unreadable_records);
  json.key("images_target").value(max_images_);
  json.key("images_probed").value(uint64_t{copy.widths.size()});
  json.key("images_missing").value(copy.images_missing);
  json.key("images_unreadable").value(copy.images_unreadable);
  json.key("seconds").value(copy.seconds);
  json.key("datasets").begin_array();
  for (const GroupView& group : catalog.groups()) {
    if (!group.data) continue;
    for (const auto& ds : group.data->datasets()) {
      json.begin_object()
          .key("group")
          .value(dataset::group_name(group.group))
          .key("dataset")
          .value(ds.config.name);
      json.key("records").value(uint64_t{ds.instructions->size()}).key("training").value(ds.training_size);
      json.end_object();
    }
  }
  json.end_array();
  json.key("formats").begin_object();
  for (const auto& [format, n] : copy.formats) json.key(format).value(n);
  json.end_object();
  json.key("charts").begin_object();
  json.key("instruction_chars");
  write_histogram(json, std::move(copy.instruction_chars));
  json.key("answer_chars");
  write_histogram(json, std::move(copy.answer_chars));
  json.key("images_per_record");
  write_histogram(json, std::move(copy.images_per_record));
  json.key("image_width");
  write_histogram(json, std::move(copy.widths));
  json.key("image_height");
  write_histogram(json, std::move(copy.heights));
  json.end_object();
  json.end_object();
  return json.take();
}

}  // namespace mimicit::server
