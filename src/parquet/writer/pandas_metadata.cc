#include "parquet/writer/pandas_metadata.h"

#include <fmt/format.h>

#include "mimicit/error.h"

namespace mimicit::parquet {

namespace {

struct PandasTypes {
  const char* pandas_type;
  const char* numpy_type;
};

PandasTypes pandas_types(const WriterColumn& column) {
  // pyarrow's names for nested columns: "list[<element>]", and "object"
  // for a struct (pandas holds both as Python objects).
  if (column.shape == Shape::kStruct) return {"object", "object"};
  if (column.shape == Shape::kList) {
    static const std::string_view kLists[] = {"list[bool]",    "list[int32]", "list[int64]", "list[float64]",
                                              "list[unicode]", "list[bytes]", "list[object]"};
    const WriterColumn& e = column.children.at(0);
    std::string_view name = e.shape != Shape::kValue  ? kLists[6]
                            : e.type == Type::BOOLEAN ? kLists[0]
                            : e.type == Type::INT32   ? kLists[1]
                            : e.type == Type::INT64   ? kLists[2]
                            : e.type == Type::DOUBLE  ? kLists[3]
                            : e.is_string             ? kLists[4]
                                                      : kLists[5];
    return {name.data(), "object"};
  }
  switch (column.type) {
    case Type::BOOLEAN:
      // pandas holds a bool column with missing values as object.
      return {"bool", column.optional ? "object" : "bool"};
    case Type::INT32: return {"int32", "int32"};
    case Type::INT64: return {"int64", "int64"};
    case Type::DOUBLE: return {"float64", "float64"};
    default: return column.is_string ? PandasTypes{"unicode", "object"} : PandasTypes{"bytes", "object"};
  }
}

// pyarrow's name for an index that had no name: "__index_level_<n>__".
bool is_anonymous_index_name(std::string_view name) {
  constexpr std::string_view kPrefix = "__index_level_";
  constexpr std::string_view kSuffix = "__";
  if (name.size() <= kPrefix.size() + kSuffix.size()) return false;
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  std::string_view digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  return digits.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string column_entry(const WriterColumn& column, bool is_index) {
  PandasTypes types = pandas_types(column);
  std::string name = is_index && is_anonymous_index_name(column.name) ? "null" : json_quote(column.name);
  return fmt::format(
      R"({{"name": {}, "field_name": {}, "pandas_type": "{}", "numpy_type": "{}", "metadata": null}})", name,
      json_quote(column.name), types.pandas_type, types.numpy_type);
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string pandas_metadata_json(const std::vector<WriterColumn>& columns, std::string_view index_column,
                                 std::string_view creator_version) {
  const WriterColumn* index = nullptr;
  std::string entries;
  for (const WriterColumn& column : columns) {
    if (column.name == index_column) {
      index = &column;
      continue;
    }
    if (!entries.empty()) entries += ", ";
    entries += column_entry(column, /*is_index=*/false);
  }
  if (index == nullptr) fail_invalid("pandas index column '{}' is not a column", index_column);
  if (!entries.empty()) entries += ", ";
  entries += column_entry(*index, /*is_index=*/true);

  return fmt::format(R"({{"index_columns": [{}], )"
                     R"("column_indexes": [{{"name": null, "field_name": null, "pandas_type": "unicode", )"
                     R"("numpy_type": "object", "metadata": {{"encoding": "UTF-8"}}}}], )"
                     R"("columns": [{}], "attributes": {{}}, )"
                     R"("creator": {{"library": "mimicit", "version": {}}}, "pandas_version": "2.2.0"}})",
                     json_quote(index->name), entries, json_quote(creator_version));
}

}  // namespace mimicit::parquet
