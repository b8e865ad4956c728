// Resolving the column names a user types (--columns a,b) to column indices.
#pragma once

#include <string>
#include <vector>

#include "mimicit/parquet/schema.h"

namespace mimicit::inspect {

// Maps each name (a dotted path "a.b.c" or a field name, see
// Schema::find_column) to its column index, in the order given, dropping
// repeats. An empty list selects every column, in file order. An unknown
// name throws Error(kInvalidArgument) listing the available columns.
std::vector<int> resolve_columns(const parquet::Schema& schema, const std::vector<std::string>& names);

// "a, b.c, d.list.element (d)": every column's dotted path, with its field
// name when that differs, for messages.
std::string describe_columns(const parquet::Schema& schema);

}  // namespace mimicit::inspect
