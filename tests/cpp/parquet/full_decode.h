// What a full decode of a column chunk holds, for tests that compare point
// reads against it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mimicit/parquet/reader.h"

namespace mimicit::parquet::testing {

// Every value (nullopt for a null) of a flat BYTE_ARRAY column in one row
// group, page by page through ColumnChunkReader::decode().
inline std::vector<std::optional<std::string>> all_values(const std::shared_ptr<const ParquetFile>& file,
                                                          int rg, int column) {
  std::vector<std::optional<std::string>> values;
  ColumnChunkReader reader(file, rg, column);
  while (reader.next_page()) {
    const DecodedPage& page = reader.decode();
    int64_t v = 0;
    for (int64_t i = 0; i < page.num_levels; ++i) {
      if (page.def_levels && page.def_levels[i] != reader.descriptor().max_def_level) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(page.bytes[v++]));
      }
    }
  }
  return values;
}

}  // namespace mimicit::parquet::testing
