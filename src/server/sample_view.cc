#include "server/sample_view.h"

#include <fmt/format.h>

namespace mimicit::server {

namespace {

using dataset::GroupDataset;

// The last dataset whose keys hold `id`, and its key position.
std::optional<std::pair<size_t, size_t>> find_key(const GroupDataset& group, std::string_view id) {
  const auto& datasets = group.datasets();
  for (size_t d = datasets.size(); d-- > 0;) {
    const GroupDataset::Dataset& ds = datasets[d];
    const std::optional<size_t> k = ds.train_config ? ds.train_config->find(id) : ds.instructions->find(id);
    if (k) return std::make_pair(d, *k);
  }
  return std::nullopt;
}

std::vector<std::string> in_context_ids(const GroupDataset& group, size_t d, size_t key) {
  std::vector<std::string> ids;
  const GroupDataset::Dataset& ds = group.datasets()[d];
  if (ds.train_config) {
    ds.train_config->read(key, &ids);
  } else if (group.options().populate_rel_ins) {
    ids = ds.instructions->read(key).rel_ins_ids;
  }
  return ids;
}

Turn read_turn(const GroupDataset& group, std::string id) {
  Turn turn;
  turn.id = std::move(id);
  const std::optional<GroupDataset::RecordRef> ref = group.find_record(turn.id);
  if (!ref) return turn;
  const dataset::Record record = group.datasets()[ref->dataset].instructions->read(ref->index);
  const bool keep_symbols = group.options().keep_symbols;
  const dataset::PythonUnicode unicode = group.options().python_unicode;
  turn.found = true;
  turn.dataset = ref->dataset;
  turn.has_instruction = record.has_instruction;
  turn.has_answer = record.has_answer;
  turn.instruction = record.instruction;
  turn.answer = record.answer;
  turn.clean_instruction = dataset::clean_question(record.instruction, keep_symbols, unicode);
  turn.clean_answer = dataset::clean_answer(record.answer, keep_symbols, unicode);
  return turn;
}

// The messages follow GroupDataset::sample_text's.
void build_prompt(const GroupDataset& group, dataset::InstructionFormat format, SampleView& view) {
  const std::string name = dataset::group_name(group.group());
  const bool in_context = group.group() == dataset::Group::kImageTextInContext;
  const bool text_only = group.group() == dataset::Group::kTextOnly;
  std::string text;
  for (size_t t = 0; t < view.turns.size(); ++t) {
    const Turn& turn = view.turns[t];
    const bool own = t + 1 == view.turns.size();
    if (!turn.found) {
      view.prompt_error = own ? fmt::format("group {}: '{}' has no instruction record", name, turn.id)
                              : fmt::format("group {}: in-context id '{}' of '{}' has no instruction record",
                                            name, turn.id, view.id);
      return;
    }
    if (!turn.has_instruction || !turn.has_answer) {
      view.prompt_error = fmt::format("group {}: record '{}' has no \"{}\"", name, turn.id,
                                      turn.has_instruction ? "answer" : "instruction");
      return;
    }
    dataset::append_turn(text, format, turn.clean_instruction, turn.clean_answer, in_context || t == 0,
                         text_only);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  view.prompt = std::move(text);
}

void pick_images(const GroupDataset& group, SampleView& view) {
  const std::vector<std::string>& ids = view.record.image_ids;
  switch (group.group()) {
    case dataset::Group::kTextOnly: break;
    case dataset::Group::kVideoText:
      if (!ids.empty()) {
        for (uint64_t frame : dataset::frame_indices(ids.size(), group.options().resample_frames)) {
          view.images.push_back(ids[frame]);
        }
      }
      break;
    case dataset::Group::kImageText:
    case dataset::Group::kImageTextInContext: view.images = ids; break;
  }
}

}  // namespace

SampleView view_sample(const GroupDataset& group, std::string_view id, dataset::InstructionFormat format) {
  SampleView view;
  view.id.assign(id);
  if (const auto ref = group.find_record(id)) {
    view.record_dataset = ref->dataset;
    view.record = group.datasets()[ref->dataset].instructions->read(ref->index);
  }
  std::vector<std::string> ids;
  if (const auto key = find_key(group, id)) {
    view.key_dataset = key->first;
    ids = in_context_ids(group, key->first, key->second);
  }
  ids.push_back(view.id);
  for (std::string& turn_id : ids) view.turns.push_back(read_turn(group, std::move(turn_id)));
  build_prompt(group, format, view);
  pick_images(group, view);
  return view;
}

}  // namespace mimicit::server
