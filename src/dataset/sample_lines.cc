#include "dataset/sample_lines.h"

#include <algorithm>

#include "mimicit/error.h"

namespace mimicit::dataset {

namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

void flush(std::string& text, std::ostream& out) {
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  text.clear();
}

}  // namespace

void write_sample_json(JsonWriter& json, const SampleText& sample) {
  json.begin_object().key("id").value(sample.id).key("group").value(group_name(sample.group));
  json.key("dataset").value(sample.dataset).key("full_text").value(sample.full_text);
  json.key("image_ids").strings(sample.image_ids).end_object();
}

SampleLinesReport write_sample_lines(const DataConfig& config, const SampleLinesOptions& options,
                                     std::ostream& out, const SampleProblemSink& problems) {
  std::vector<Group> groups;
  if (options.group) {
    if (config.find(*options.group) == nullptr) {
      fail_invalid("{}: no group {} in the data YAML", config.path, group_name(*options.group));
    }
    groups.push_back(*options.group);
  } else {
    for (const GroupConfig& group : config.groups) groups.push_back(group.group);
  }
  std::string text;
  JsonWriter json(text);
  SampleText sample;
  SampleLinesReport report;
  uint64_t remaining = options.limit.value_or(UINT64_MAX);
  for (Group group : groups) {
    if (remaining == 0) break;
    const auto dataset = GroupDataset::open(config, group, options.sample);
    report.dropped += dataset->dropped_count();
    if (problems) {
      for (const DroppedRecord& dropped : dataset->dropped_records())
        problems("dropped record: " + dropped.message);
      const uint64_t unlisted = dataset->dropped_count() - dataset->dropped_records().size();
      if (unlisted > 0)
        problems(fmt::format("group {}: {} more dropped records", group_name(group), unlisted));
    }
    const uint64_t count = std::min(remaining, dataset->size());
    remaining -= count;
    for (uint64_t i = 0; i < count; ++i) {
      try {
        dataset->sample_text(i, &sample);
      } catch (const Error& e) {
        ++report.failed;
        if (problems) {
          problems(fmt::format("group {}, sample {} (id '{}'): {}", group_name(group), i,
                               dataset->training_id(i), e.message()));
        }
        continue;
      }
      write_sample_json(json, sample);
      text.push_back('\n');
      ++report.lines;
      if (text.size() >= kFlushBytes) flush(text, out);
    }
  }
  flush(text, out);
  out.flush();
  if (!out) fail(ErrorCode::kIo, "cannot write the output");
  return report;
}

}  // namespace mimicit::dataset
