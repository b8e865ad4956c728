// `mimicit parquet meta`: prints the footer of a Parquet file.
//
// Text mode is for people: aligned "key: value" lines; long key-value
// metadata values and statistics bounds are cut to about 100 characters
// with their full size noted. JSON mode is for programs: one object, every
// value complete, with these keys (a stable contract; absent optional
// footer fields are null):
//
// {
//   "path": string, "size": int (file bytes), "footer_size": int (thrift footer bytes),
//   "version": int, "created_by": string|null, "num_rows": int,
//   "num_row_groups": int, "num_columns": int,
//   "key_value_metadata": [{"key": string, "value": string|null}, ...],   // file order
//   "row_groups": [{
//     "index": int, "num_rows": int, "total_byte_size": int,
//     "total_compressed_size": int|null,
//     "offset": int|null,   // file_offset, else the first chunk's first page offset
//     "columns": [{
//       "index": int, "path": string (dotted path_in_schema),
//       "encrypted": bool,   // true: only "index" and "path" follow from here
//       "physical_type": string ("INT64", ...), "logical_type": string|null ("STRING", ...),
//       "converted_type": string|null ("UTF8", ...),
//       "codec": string ("ZSTD", ...), "encodings": [string, ...],
//       "num_values": int, "total_compressed_size": int, "total_uncompressed_size": int,
//       "data_page_offset": int, "dictionary_page_offset": int|null,
//       "index_page_offset": int|null,
//       "statistics": null | {
//         "min": value|null, "max": value|null,   // rendered as `parquet cat` renders values
//         "legacy_min_max": bool,   // true: from the deprecated min/max fields (signed order)
//         "null_count": int|null, "distinct_count": int|null,
//         "is_min_value_exact": bool|null, "is_max_value_exact": bool|null },
//       "bloom_filter": null | {"offset": int, "length": int|null},
//       "column_index": null | {"offset": int, "length": int|null},
//       "offset_index": null | {"offset": int, "length": int|null} }] }]
// }
//
// A min/max whose byte count does not fit the physical type renders as null.
#pragma once

#include <ostream>
#include <string>

namespace mimicit::inspect {

enum class MetaFormat { kText, kJson };

// Throws mimicit::Error naming the file when it cannot be opened.
void print_parquet_meta(const std::string& path, MetaFormat format, std::ostream& out);
// The JSON object above, on one line without a newline (what JSON mode
// prints, and what Python's mimicit.parquet.metadata() parses).
std::string parquet_meta_json(const std::string& path);

}  // namespace mimicit::inspect
