// JSON text of strings and floating-point numbers: the escaping and number
// rules every JSON output of mimicit shares (`parquet cat` and `meta`, the
// validate and `images stats` reports, _dropped.jsonl, `sample`, the viewer).
//   strings  `"` and `\` escaped, control characters as \u00XX, invalid UTF-8
//            replaced by U+FFFD (one per maximal invalid subsequence, as
//            Python's errors="replace" does: util/utf8.h)
//   floats   the shortest text that reads back to the same float (resp.
//            double); NaN and infinities as the strings "NaN", "Infinity",
//            "-Infinity" (in CSV, append_number_text: the bare words)
//
// All functions append to a std::string so callers can buffer whole blocks
// of output; none throws except std::bad_alloc.
#pragma once

#include <string>
#include <string_view>

namespace mimicit {

// Appends `s` as a JSON string literal (with the quotes).
void append_json_string(std::string& out, std::string_view s);
// Appends the shortest round-trip text of `v`, or "NaN"/"Infinity"/"-Infinity"
// (quoted) for the non-finite values.
void append_json_float(std::string& out, float v);
void append_json_double(std::string& out, double v);
// The same text with the non-finite values unquoted (CSV).
void append_number_text(std::string& out, float v);
void append_number_text(std::string& out, double v);

}  // namespace mimicit
