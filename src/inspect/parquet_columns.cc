#include "inspect/parquet_columns.h"

#include <algorithm>

#include "mimicit/error.h"

namespace mimicit::inspect {

std::vector<int> resolve_columns(const parquet::Schema& schema, const std::vector<std::string>& names) {
  std::vector<int> columns;
  if (names.empty()) {
    for (size_t i = 0; i < schema.num_columns(); ++i) columns.push_back(static_cast<int>(i));
    return columns;
  }
  for (const std::string& name : names) {
    const int index = schema.find_column(name);
    if (index < 0) {
      fail_invalid("unknown column '{}' (available: {})", name, describe_columns(schema));
    }
    if (std::find(columns.begin(), columns.end(), index) == columns.end()) {
      columns.push_back(index);
    }
  }
  return columns;
}

std::string describe_columns(const parquet::Schema& schema) {
  std::string text;
  for (const parquet::ColumnDescriptor& column : schema.columns()) {
    if (!text.empty()) text += ", ";
    text += column.dotted_path;
    if (column.field_name != column.dotted_path) text += " (" + column.field_name + ")";
  }
  return text.empty() ? "none" : text;
}

}  // namespace mimicit::inspect
