// The `pandas` key-value entry that pyarrow writes for DataFrame.to_parquet.
//
// pandas.read_parquet (through pyarrow, and fastparquet) reads it to rebuild
// the DataFrame: the columns named in `index_columns` become the index
// instead of data columns. mimicit writes the same JSON shape as pyarrow:
//
//   {"index_columns": ["id"],
//    "column_indexes": [{"name": null, "field_name": null, "pandas_type": "unicode",
//                        "numpy_type": "object", "metadata": {"encoding": "UTF-8"}}],
//    "columns": [{"name": "base64", "field_name": "base64", "pandas_type": "unicode",
//                 "numpy_type": "object", "metadata": null}, ..., <the index column>],
//    "creator": {"library": "mimicit", "version": "0.1.0"},
//    "pandas_version": "2.2.0"}
//
// Data columns are listed in schema order, the index column last, as pyarrow
// does. An index column named like pyarrow's anonymous index
// (`__index_level_0__`) gets "name": null, so pandas restores an unnamed index.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mimicit/parquet/writer.h"

namespace mimicit::parquet {

// `index_column` must name one of `columns`.
std::string pandas_metadata_json(const std::vector<WriterColumn>& columns, std::string_view index_column,
                                 std::string_view creator_version);

// `s` as a JSON string literal, quotes included (UTF-8 passed through,
// control characters escaped).
std::string json_quote(std::string_view s);

}  // namespace mimicit::parquet
