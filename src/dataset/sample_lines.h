// `mimicit sample`: the training samples' text, as the reference pipeline
// builds it, one JSON object a line:
//   {"id": ..., "group": ..., "dataset": ..., "full_text": ..., "image_ids": [...]}
// in training-list order, group by group in YAML order (compact JSON,
// util/json_writer.h; invalid UTF-8 would be U+FFFD).
//
// Thread-safety: one call per stream.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "mimicit/dataset.h"
#include "util/json_writer.h"

namespace mimicit::dataset {

struct SampleLinesOptions {
  std::optional<Group> group;     // only this group; nullopt: every group of the YAML
  std::optional<uint64_t> limit;  // lines in all, across groups (like `head -n`); nullopt: all
  SampleOptions sample;           // how the texts are built
};

// Writes the lines to `out`, in blocks of about 1 MiB. Throws
// Error(kInvalidArgument) "<yaml>: no group G in the data YAML" when
// options.group is not in `config`, kIo when `out` fails, and what opening
// a group throws (GroupDataset::open).
void write_sample_lines(const DataConfig& config, const SampleLinesOptions& options, std::ostream& out);

// One line's object (without the newline).
void write_sample_json(JsonWriter& json, const SampleText& sample);

}  // namespace mimicit::dataset
