// The JSON answers of the viewer's APIs (the HTTP layer in server.cc checks
// the parameters before calling these):
//
//   /api/summary   {"yaml", "warnings": [...], "groups": [{"group", "samples",
//                   "error", "store_error", "images", "datasets": [{"name",
//                   "records", "training", "num_samples", "mimicit_path",
//                   "train_config_path", "images_paths": [...]}]}]}
//   /api/samples   {"group", "format", "offset", "limit", "total",
//                   "samples": [sample, ...]}  for entries offset .. offset +
//                   limit - 1 of the group's training list
//   /api/sample/ID one sample, as below, with texts in full
//
// A sample: {"index" (training-list position; absent for /api/sample),
//   "id", "group", "dataset", "instruction", "answer", "truncated" (a text
//   was cut to kListTextBytes), "images": [...] (at most kMaxImagesListed),
//   "images_total", "turns": [{"id", "found", "instruction", "answer"}]
//   (in-context turns; texts cut in lists), "prompt", "prompt_error",
//   "training_key"}.
//
// Thread-safety: pure functions of the (immutable) catalog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mimicit/prompt.h"
#include "server/catalog.h"

namespace mimicit::server {

std::string summary_json(const Catalog& catalog);
// Requires offset <= group.data->size(); limit is used as given.
std::string samples_json(const GroupView& group, uint64_t offset, uint64_t limit,
                         dataset::InstructionFormat format);
std::string sample_json(const GroupView& group, std::string_view id, dataset::InstructionFormat format);

}  // namespace mimicit::server
