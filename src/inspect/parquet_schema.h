// `mimicit parquet schema`: prints the schema tree of a Parquet file
// (Schema::to_string), then one line per leaf column with its dotted path,
// physical type, logical and converted types, repetition, levels, and why
// mimicit cannot read it if that is the case:
//
//   columns:
//     0 a.b: INT64, logical INTEGER(64,false), converted UINT_64, optional, max def 1, max rep 0
#pragma once

#include <ostream>
#include <string>

namespace mimicit::inspect {

// Throws mimicit::Error naming the file when it cannot be opened.
void print_parquet_schema(const std::string& path, std::ostream& out);

}  // namespace mimicit::inspect
