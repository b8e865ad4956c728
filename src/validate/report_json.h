// The JSON of a validation report in pieces (validate.h's report_json is
// made of them), so that the viewer's /api/validation writes the problems
// and the summary exactly as `mimicit validate --json` does.
//
// Thread-safety: pure functions (one writer per thread).
#pragma once

#include "mimicit/validate.h"
#include "util/json_writer.h"

namespace mimicit::validate {

// The members of one problem: "kind", "group", "dataset", "id", "image_id",
// "file", "detail" (inside an object the caller opens and closes, so it may
// add members of its own).
void write_problem_members(JsonWriter& json, const Problem& problem);
// The "summary" object of report_json.
void write_summary(JsonWriter& json, const Summary& summary);

}  // namespace mimicit::validate
