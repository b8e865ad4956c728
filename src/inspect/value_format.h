// Rendering Parquet values as JSON and CSV text, for `mimicit parquet cat`
// and the statistics of `mimicit parquet meta`.
//
// The rendering is a contract (an end-to-end test compares it with pyarrow),
// so every rule is spelled out here:
//   null                      -> null (CSV: an empty field)
//   BOOLEAN                   -> true / false
//   INT32, INT64              -> a JSON integer; when the column is annotated
//                                unsigned, the bits are read as unsigned
//   FLOAT, DOUBLE             -> util/json_text.h's number text: the shortest
//                                text that reads back to the same float (resp.
//                                double); NaN and infinities as the strings
//                                "NaN", "Infinity", "-Infinity"
//   BYTE_ARRAY, string-typed  -> a JSON string (ColumnDescriptor::is_string),
//                                escaped as util/json_text.h says
//   FLOAT16 (FIXED_LEN_BYTE_ARRAY(2))
//                             -> the half's value as a double, by the DOUBLE
//                                rule (pyarrow's to_pylist gives that float)
//   other BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY, INT96
//                             -> a string of standard padded base64
//   DATE/TIME/TIMESTAMP/DECIMAL -> their physical value, by the rules above
//   list                      -> a JSON array of its elements
// CSV fields use the same text without JSON quoting of strings, quoted per
// RFC 4180 when they hold `,` `"` CR or LF; an empty string is written `""`
// so that it differs from null; a list is its JSON text, quoted.
//
// All functions append to a std::string so callers can buffer whole blocks
// of output; none throws except std::bad_alloc.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/schema.h"
#include "util/json_text.h"

namespace mimicit::inspect {

// Appends the JSON text of one value of `column`.
void append_json_value(std::string& out, const parquet::Value& value,
                       const parquet::ColumnDescriptor& column);
// Appends one CSV field (see above); `value` may be a list.
void append_csv_value(std::string& out, const parquet::Value& value, const parquet::ColumnDescriptor& column);
// Appends a text as one CSV field, quoted when it must be.
void append_csv_text(std::string& out, std::string_view text);

// Reads one PLAIN-encoded value of `column`'s physical type, as statistics
// store min/max. nullopt when the byte count does not fit the type. The
// returned Value views `plain`.
std::optional<parquet::Value> value_from_plain(std::string_view plain,
                                               const parquet::ColumnDescriptor& column);

}  // namespace mimicit::inspect
