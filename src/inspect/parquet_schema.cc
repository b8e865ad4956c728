#include "inspect/parquet_schema.h"

#include <fmt/format.h>

#include "mimicit/parquet/reader.h"
#include "util/file_context.h"

namespace mimicit::inspect {

namespace {

using parquet::ColumnDescriptor;

std::string describe_column(const ColumnDescriptor& column) {
  std::string text =
      fmt::format("  {} {}: {}", column.index, column.dotted_path, parquet::to_string(column.type));
  if (column.type == parquet::Type::FIXED_LEN_BYTE_ARRAY) {
    text += fmt::format("({})", column.type_length);
  }
  if (column.logical_type) text += ", logical " + parquet::to_string(*column.logical_type);
  if (column.converted_type) text += ", converted " + parquet::to_string(*column.converted_type);
  text += fmt::format(", {}, max def {}, max rep {}", parquet::to_string(column.repetition),
                      column.max_def_level, column.max_rep_level);
  if (column.field_name != column.dotted_path) text += fmt::format(", field '{}'", column.field_name);
  if (!column.unsupported.empty()) text += ", unsupported: " + column.unsupported;
  return text + '\n';
}

}  // namespace

void print_parquet_schema(const std::string& path, std::ostream& out) {
  std::string text = with_file_context(path, [&] {
    const auto file = parquet::ParquetFile::open(path);
    std::string tree = file->schema().to_string(file->metadata());
    if (!tree.empty() && tree.back() != '\n') tree += '\n';
    tree += "\ncolumns:\n";
    for (const ColumnDescriptor& column : file->schema().columns()) tree += describe_column(column);
    return tree;
  });
  out << text;
}

}  // namespace mimicit::inspect
