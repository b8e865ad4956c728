// `mimicit parquet cat`: prints the rows of a Parquet file as JSON lines or CSV.
//
// Rows are read with RowReader from `offset` on and printing stops after
// `limit` rows, so the first rows of a file of any size come out at once
// (only the pages that hold them are read). Each value is rendered as
// inspect/value_format.h describes.
//
// jsonl: one JSON object per row; its keys are the selected columns'
//   ColumnDescriptor::field_name (struct fields joined with '.', a list
//   column's key is its list field), in the order of the selection (file
//   order when none is given).
// csv: a header line of the same keys, then one line per row; fields quoted
//   per RFC 4180 when needed; lines end with "\n".
//
// Output is built in blocks of about 1 MiB and written with one call each.
// Errors (unknown column, corrupt data, a failed write) throw mimicit::Error
// naming the file.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "mimicit/names.h"

namespace mimicit::inspect {

enum class CatFormat { kJsonl, kCsv };
inline constexpr NameTable<CatFormat> kCatFormatNames{
    "format", {{CatFormat::kJsonl, "jsonl", "one JSON object a row"}, {CatFormat::kCsv, "csv"}}};

struct CatOptions {
  std::vector<std::string> columns;  // names as resolve_columns takes them; empty = all
  int64_t offset = 0;                // first row printed (0-based)
  int64_t limit = -1;                // rows printed at most; -1 = all
  CatFormat format = CatFormat::kJsonl;
};

void cat_parquet(const std::string& path, const CatOptions& options, std::ostream& out);

}  // namespace mimicit::inspect
