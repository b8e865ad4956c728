#include "server/api.h"

#include <algorithm>

#include "mimicit/error.h"
#include "server/html.h"
#include "server/limits.h"
#include "server/sample_view.h"
#include "util/json_writer.h"
#include "util/utf8.h"

namespace mimicit::server {

namespace {

void write_text(JsonWriter& json, std::string_view key, std::string_view text, size_t max_bytes,
                bool& truncated) {
  bool cut = false;
  json.key(key).value(utf8_prefix(text, max_bytes, &cut));
  truncated = truncated || cut;
}

// `index`: the training-list position, when the sample is listed as one.
void write_sample(JsonWriter& json, const GroupView& group, std::string_view id,
                  dataset::InstructionFormat format, const uint64_t* index, size_t max_text) {
  const SampleView view = view_sample(*group.data, id, format);
  const auto& datasets = group.data->datasets();
  bool truncated = false;
  json.begin_object();
  if (index != nullptr) json.key("index").value(*index);
  json.key("id").value(view.id).key("group").value(dataset::group_name(group.group));
  const size_t dataset = index != nullptr ? group.data->training_dataset(*index)
                                          : view.record_dataset.value_or(view.key_dataset.value_or(0));
  json.key("dataset").value(datasets.empty() ? std::string() : datasets[dataset].config.name);
  json.key("found").value(view.record_dataset.has_value());
  write_text(json, "instruction", view.record.instruction, max_text, truncated);
  write_text(json, "answer", view.record.answer, max_text, truncated);
  json.key("images").begin_array();
  for (size_t i = 0; i < view.images.size() && i < kMaxImagesListed; ++i) json.value(view.images[i]);
  json.end_array().key("images_total").value(uint64_t{view.images.size()});
  json.key("turns").begin_array();
  for (size_t t = 0; t + 1 < view.turns.size(); ++t) {
    const Turn& turn = view.turns[t];
    json.begin_object().key("id").value(turn.id).key("found").value(turn.found);
    write_text(json, "instruction", turn.instruction, max_text, truncated);
    write_text(json, "answer", turn.answer, max_text, truncated);
    json.end_object();
  }
  json.end_array();
  json.key("prompt").value(view.prompt).key("prompt_error").value(view.prompt_error);
  json.key("training_key").value(view.key_dataset.has_value());
  json.key("truncated").value(truncated);
  json.end_object();
}

}  // namespace

std::string summary_json(const Catalog& catalog) {
  JsonWriter json;
  json.begin_object().key("yaml").value(catalog.yaml_path());
  json.key("warnings").strings(catalog.config().warnings);
  json.key("groups").begin_array();
  for (const GroupView& group : catalog.groups()) {
    json.begin_object().key("group").value(dataset::group_name(group.group));
    json.key("samples").value(group.data ? group.data->size() : uint64_t{0});
    json.key("error").value(group.error).key("store_error").value(group.store_error);
    json.key("images").value(group.images);
    json.key("datasets").begin_array();
    if (group.data) {
      for (const auto& ds : group.data->datasets()) {
        json.begin_object().key("name").value(ds.config.name);
        json.key("records").value(uint64_t{ds.instructions->size()}).key("training").value(ds.training_size);
        json.key("num_samples").value(ds.config.num_samples);
        json.key("mimicit_path").value(ds.config.mimicit_path);
        json.key("train_config_path").value(ds.config.train_config_path);
        json.key("images_paths").strings(ds.config.images_paths).end_object();
      }
    }
    json.end_array().end_object();
  }
  json.end_array().end_object();
  return json.take();
}

std::string samples_json(const GroupView& group, uint64_t offset, uint64_t limit,
                         dataset::InstructionFormat format) {
  const uint64_t total = group.data->size();
  const uint64_t end = offset + std::min(limit, total - offset);
  JsonWriter json;
  json.begin_object().key("group").value(dataset::group_name(group.group));
  json.key("format").value(dataset::instruction_format_name(format));
  json.key("offset").value(offset).key("limit").value(limit).key("total").value(total);
  json.key("samples").begin_array();
  for (uint64_t i = offset; i < end; ++i) {
    write_sample(json, group, group.data->training_id(i), format, &i, kListTextBytes);
  }
  json.end_array().end_object();
  return json.take();
}

std::string sample_json(const GroupView& group, std::string_view id, dataset::InstructionFormat format) {
  JsonWriter json;
  write_sample(json, group, id, format, nullptr, SIZE_MAX);
  return json.take();
}

}  // namespace mimicit::server
