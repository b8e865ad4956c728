// SampleView: what the viewer shows of one instruction id in one group: its
// record, its in-context turns and the prompt the reference pipeline builds
// for it (spec 2.2), in any of the four instruction formats.
//
// GroupDataset::sample_text() builds the prompt of a training-list entry in
// the format the group was opened with; the viewer switches formats per
// request and shows records that are not in the training list, so it
// resolves the turns itself with the same rules, from the group's public
// tables:
//   - the record of an id: the last dataset whose instruction file holds it;
//   - the in-context ids: from the last dataset whose keys (train config
//     keys, else record ids) hold the id: its train config list, else (with
//     populate_rel_ins) that dataset's record's rel_ins_ids, else none;
//   - each turn cleaned (keep_symbols as the group was opened) and rendered
//     by append_turn, the image placeholder on every turn of
//     IMAGE_TEXT_IN_CONTEXT and on the first turn elsewhere, trailing
//     newlines removed.
// The task description (with_task_description) is not shown. A test checks
// the prompt against sample_text() for every entry and format.
//
// Thread-safety: pure function of the (thread-safe) GroupDataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/dataset.h"
#include "mimicit/prompt.h"

namespace mimicit::server {

struct Turn {
  std::string id;
  bool found = false;  // a record holds it (in some dataset of the group)
  size_t dataset = 0;  // the dataset whose record it is
  bool has_instruction = false;
  bool has_answer = false;
  std::string instruction;  // as in the file
  std::string answer;
  std::string clean_instruction;  // as the prompt holds it
  std::string clean_answer;
};

struct SampleView {
  std::string id;
  // The record: the last dataset holding the id; nullopt: no record.
  std::optional<size_t> record_dataset;
  dataset::Record record;
  // The dataset whose keys hold the id (its in-context list is used);
  // nullopt: the id is no training key of the group.
  std::optional<size_t> key_dataset;
  // The in-context turns, then the sample's own turn.
  std::vector<Turn> turns;
  std::string prompt;  // empty when prompt_error says why there is none
  std::string prompt_error;
  // The images the sample loads: the record's image_ids; VIDEO_TEXT: the
  // resample_frames frames picked from them; TEXT_ONLY: none.
  std::vector<std::string> images;
};

SampleView view_sample(const dataset::GroupDataset& group, std::string_view id,
                       dataset::InstructionFormat format);

}  // namespace mimicit::server
