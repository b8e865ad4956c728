// `mimicit sample`: the training samples' text, as the reference pipeline
// builds it, one JSON object a line:
//   {"id": ..., "group": ..., "dataset": ..., "full_text": ..., "image_ids": [...]}
// in training-list order, group by group in YAML order (compact JSON,
// util/json_writer.h; invalid UTF-8 would be U+FFFD).
//
// Thread-safety: one call per stream.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "mimicit/dataset.h"
#include "util/json_writer.h"

namespace mimicit::dataset {

struct SampleLinesOptions {
  std::optional<Group> group;     // only this group; nullopt: every group of the YAML
  std::optional<uint64_t> limit;  // lines in all, across groups (like `head -n`); nullopt: all
  SampleOptions sample;           // how the texts are built
};

// What write_sample_lines() left out.
struct SampleLinesReport {
  uint64_t lines = 0;    // written
  uint64_t failed = 0;   // samples whose text could not be built
  uint64_t dropped = 0;  // records the groups' files dropped at open
  bool clean() const { return failed == 0 && dropped == 0; }
};

// Receives one problem at a time: "dropped record: <file>: ...: record
// '<id>': <problem>" (GroupDataset::dropped_records) or "group G, sample N
// (id '<id>'): <problem>" (a sample that cannot be built: a missing record,
// an in-context id without one, ...).
using SampleProblemSink = std::function<void(const std::string& problem)>;

// Writes the lines to `out`, in blocks of about 1 MiB. Bad records never
// stop the rest: every sample that can be built is written, the others go
// to `problems` (null: not reported), counted in the report. options.limit
// counts training-list entries, written or not. Throws
// Error(kInvalidArgument) "<yaml>: no group G in the data YAML" when
// options.group is not in `config`, kIo when `out` fails, and what opening
// a group throws (GroupDataset::open: a file that is not JSON, ...).
SampleLinesReport write_sample_lines(const DataConfig& config, const SampleLinesOptions& options,
                                     std::ostream& out, const SampleProblemSink& problems = nullptr);

// One line's object (without the newline).
void write_sample_json(JsonWriter& json, const SampleText& sample);

}  // namespace mimicit::dataset
