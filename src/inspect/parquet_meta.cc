#include "inspect/parquet_meta.h"

#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "inspect/value_format.h"
#include "mimicit/parquet/reader.h"
#include "util/file_context.h"
#include "util/json_writer.h"
#include "util/utf8.h"

namespace mimicit::inspect {

namespace {

using parquet::ColumnChunk;
using parquet::ColumnDescriptor;
using parquet::ColumnMetaData;
using parquet::ParquetFile;
using parquet::RowGroup;
using parquet::Statistics;

constexpr size_t kTextValueChars = 100;

// ---------------------------------------------------------------------------
// Facts shared by both formats.

// The statistics bounds to show: the current fields, else the deprecated ones.
struct Bounds {
  std::optional<std::string> min;  // rendered JSON text
  std::optional<std::string> max;
  bool legacy = false;
};

std::optional<std::string> render_bound(const std::optional<std::string>& plain,
                                        const ColumnDescriptor& column) {
  if (!plain) return std::nullopt;
  const std::optional<parquet::Value> value = value_from_plain(*plain, column);
  if (!value) return std::nullopt;
  std::string text;
  append_json_value(text, *value, column);
  return text;
}

Bounds bounds_of(const Statistics& statistics, const ColumnDescriptor& column) {
  Bounds bounds;
  if (statistics.min_value || statistics.max_value) {
    bounds.min = render_bound(statistics.min_value, column);
    bounds.max = render_bound(statistics.max_value, column);
  } else if (statistics.min || statistics.max) {
    bounds.min = render_bound(statistics.min, column);
    bounds.max = render_bound(statistics.max, column);
    bounds.legacy = true;
  }
  return bounds;
}

// Where a row group starts: its file_offset, else its first chunk's first page.
std::optional<int64_t> row_group_offset(const RowGroup& row_group) {
  if (row_group.file_offset) return row_group.file_offset;
  if (row_group.columns.empty() || !row_group.columns[0].meta_data) return std::nullopt;
  const ColumnMetaData& chunk = *row_group.columns[0].meta_data;
  // A dictionary page comes first; offset 0 marks a bogus one (never "PAR1").
  return chunk.dictionary_page_offset && *chunk.dictionary_page_offset > 0 ? *chunk.dictionary_page_offset
                                                                           : chunk.data_page_offset;
}

std::string chunk_path(const ParquetFile& file, const ColumnChunk& chunk, size_t index) {
  if (chunk.meta_data) return fmt::format("{}", fmt::join(chunk.meta_data->path_in_schema, "."));
  return index < file.schema().num_columns() ? file.schema().column(index).dotted_path : "?";
}

// ---------------------------------------------------------------------------
// Text

// Cuts a text for one line: control characters become spaces, invalid UTF-8
// becomes U+FFFD, and past `max_chars` bytes it ends in "... (N bytes)" at a
// character boundary.
std::string one_line(std::string_view raw, size_t max_chars) {
  std::string text;
  append_valid_utf8(text, raw);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (text.size() <= max_chars) return text;
  return fmt::format("{}... ({} bytes)", utf8_prefix(text, max_chars), raw.size());
}

template <typename T>
std::string or_none(const std::optional<T>& value) {
  return value ? fmt::format("{}", *value) : "none";
}

std::string index_location(const std::optional<int64_t>& offset, const std::optional<int32_t>& length) {
  if (!offset) return "none";
  return fmt::format("offset {}, length {}", *offset, or_none(length));
}

std::string statistics_line(const std::optional<Statistics>& statistics, const ColumnDescriptor& column) {
  if (!statistics) return "none";
  const Bounds bounds = bounds_of(*statistics, column);
  std::string line = fmt::format("min {}, max {}", one_line(bounds.min.value_or("none"), kTextValueChars),
                                 one_line(bounds.max.value_or("none"), kTextValueChars));
  if (bounds.legacy) line += " (legacy fields)";
  line += fmt::format(", null_count {}, distinct_count {}", or_none(statistics->null_count),
                      or_none(statistics->distinct_count));
  if (statistics->is_min_value_exact || statistics->is_max_value_exact) {
    auto exact = [](const std::optional<bool>& b) { return b ? (*b ? "yes" : "no") : "unknown"; };
    line += fmt::format(", exact min {} max {}", exact(statistics->is_min_value_exact),
                        exact(statistics->is_max_value_exact));
  }
  return line;
}

std::string type_line(const ColumnMetaData& chunk, const ColumnDescriptor& column) {
  std::string line = parquet::to_string(chunk.type);
  if (column.logical_type) line += " logical " + parquet::to_string(*column.logical_type);
  if (column.converted_type) line += " converted " + parquet::to_string(*column.converted_type);
  return line;
}

void append_text_line(std::string& out, std::string_view indent, std::string_view key,
                      std::string_view value) {
  out += fmt::format("{}{:<24}{}\n", indent, fmt::format("{}:", key), value);
}

void append_text_column(std::string& out, const ParquetFile& file, const ColumnChunk& chunk, size_t index) {
  out += fmt::format("  column {}: {}\n", index, chunk_path(file, chunk, index));
  if (!chunk.meta_data || index >= file.schema().num_columns()) {
    out += "    encrypted\n";
    return;
  }
  const ColumnMetaData& meta = *chunk.meta_data;
  const ColumnDescriptor& column = file.schema().column(index);
  std::vector<std::string> encodings;
  for (parquet::Encoding e : meta.encodings) encodings.push_back(parquet::to_string(e));
  const std::string_view in = "    ";
  append_text_line(out, in, "type", type_line(meta, column));
  append_text_line(out, in, "codec", parquet::to_string(meta.codec));
  append_text_line(out, in, "encodings", fmt::format("{}", fmt::join(encodings, " ")));
  append_text_line(out, in, "num_values", std::to_string(meta.num_values));
  append_text_line(out, in, "compressed_size", std::to_string(meta.total_compressed_size));
  append_text_line(out, in, "uncompressed_size", std::to_string(meta.total_uncompressed_size));
  append_text_line(out, in, "data_page_offset", std::to_string(meta.data_page_offset));
  append_text_line(out, in, "dictionary_page_offset", or_none(meta.dictionary_page_offset));
  append_text_line(out, in, "statistics", statistics_line(meta.statistics, column));
  append_text_line(out, in, "bloom_filter",
                   index_location(meta.bloom_filter_offset, meta.bloom_filter_length));
  append_text_line(out, in, "column_index",
                   index_location(chunk.column_index_offset, chunk.column_index_length));
  append_text_line(out, in, "offset_index",
                   index_location(chunk.offset_index_offset, chunk.offset_index_length));
}

std::string meta_text(const ParquetFile& file) {
  const parquet::FileMetaData& metadata = file.metadata();
  std::string out;
  append_text_line(out, "", "file", file.path());
  append_text_line(out, "", "size", fmt::format("{} bytes", file.file().size()));
  append_text_line(out, "", "footer", fmt::format("{} bytes", file.footer_bytes()));
  append_text_line(out, "", "version", std::to_string(metadata.version));
  append_text_line(out, "", "created_by", one_line(metadata.created_by.value_or("none"), 200));
  append_text_line(out, "", "num_rows", std::to_string(metadata.num_rows));
  append_text_line(out, "", "row_groups", std::to_string(metadata.row_groups.size()));
  append_text_line(out, "", "columns", std::to_string(file.schema().num_columns()));
  append_text_line(out, "", "key_value_metadata",
                   fmt::format("{} entries", metadata.key_value_metadata.size()));
  for (const parquet::KeyValue& entry : metadata.key_value_metadata) {
    out += fmt::format("  {}: {}\n", one_line(entry.key, kTextValueChars),
                       entry.value ? one_line(*entry.value, kTextValueChars) : "(no value)");
  }
  for (size_t g = 0; g < metadata.row_groups.size(); ++g) {
    const RowGroup& row_group = metadata.row_groups[g];
    out += fmt::format("\nrow group {}: {} rows, {} total bytes, offset {}\n", g, row_group.num_rows,
                       row_group.total_byte_size, or_none(row_group_offset(row_group)));
    for (size_t c = 0; c < row_group.columns.size(); ++c) {
      append_text_column(out, file, row_group.columns[c], c);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON

void write_json_location(JsonWriter& json, std::string_view name, const std::optional<int64_t>& offset,
                         const std::optional<int32_t>& length) {
  json.key(name);
  if (!offset) {
    json.null();
    return;
  }
  json.begin_object();
  json.key("offset").value(*offset);
  json.key("length").value(length);
  json.end_object();
}

void write_json_statistics(JsonWriter& json, const std::optional<Statistics>& statistics,
                           const ColumnDescriptor& column) {
  json.key("statistics");
  if (!statistics) {
    json.null();
    return;
  }
  const Bounds bounds = bounds_of(*statistics, column);
  json.begin_object();
  json.key("min").raw(bounds.min.value_or("null"));
  json.key("max").raw(bounds.max.value_or("null"));
  json.key("legacy_min_max").value(bounds.legacy);
  json.key("null_count").value(statistics->null_count);
  json.key("distinct_count").value(statistics->distinct_count);
  json.key("is_min_value_exact").value(statistics->is_min_value_exact);
  json.key("is_max_value_exact").value(statistics->is_max_value_exact);
  json.end_object();
}

std::optional<std::string> logical_type_name(const ColumnDescriptor& column) {
  if (!column.logical_type) return std::nullopt;
  return parquet::to_string(*column.logical_type);
}

std::optional<std::string> converted_type_name(const ColumnDescriptor& column) {
  if (!column.converted_type) return std::nullopt;
  return parquet::to_string(*column.converted_type);
}

void write_json_column(JsonWriter& json, const ParquetFile& file, const ColumnChunk& chunk, size_t index) {
  json.begin_object();
  json.key("index").value(static_cast<int64_t>(index));
  json.key("path").value(chunk_path(file, chunk, index));
  const bool encrypted = !chunk.meta_data || index >= file.schema().num_columns();
  json.key("encrypted").value(encrypted);
  if (!encrypted) {
    const ColumnMetaData& meta = *chunk.meta_data;
    const ColumnDescriptor& column = file.schema().column(index);
    json.key("physical_type").value(parquet::to_string(meta.type));
    json.key("logical_type").value(logical_type_name(column));
    json.key("converted_type").value(converted_type_name(column));
    json.key("codec").value(parquet::to_string(meta.codec));
    json.key("encodings");
    json.begin_array();
    for (parquet::Encoding e : meta.encodings) json.value(parquet::to_string(e));
    json.end_array();
    json.key("num_values").value(meta.num_values);
    json.key("total_compressed_size").value(meta.total_compressed_size);
    json.key("total_uncompressed_size").value(meta.total_uncompressed_size);
    json.key("data_page_offset").value(meta.data_page_offset);
    json.key("dictionary_page_offset").value(meta.dictionary_page_offset);
    json.key("index_page_offset").value(meta.index_page_offset);
    write_json_statistics(json, meta.statistics, column);
    write_json_location(json, "bloom_filter", meta.bloom_filter_offset, meta.bloom_filter_length);
    write_json_location(json, "column_index", chunk.column_index_offset, chunk.column_index_length);
    write_json_location(json, "offset_index", chunk.offset_index_offset, chunk.offset_index_length);
  }
  json.end_object();
}

void write_json_row_group(JsonWriter& json, const ParquetFile& file, const RowGroup& row_group,
                          size_t index) {
  json.begin_object();
  json.key("index").value(static_cast<int64_t>(index));
  json.key("num_rows").value(row_group.num_rows);
  json.key("total_byte_size").value(row_group.total_byte_size);
  json.key("total_compressed_size").value(row_group.total_compressed_size);
  json.key("offset").value(row_group_offset(row_group));
  json.key("columns");
  json.begin_array();
  for (size_t c = 0; c < row_group.columns.size(); ++c) {
    write_json_column(json, file, row_group.columns[c], c);
  }
  json.end_array();
  json.end_object();
}

std::string meta_json(const ParquetFile& file) {
  const parquet::FileMetaData& metadata = file.metadata();
  JsonWriter json;
  json.begin_object();
  json.key("path").value(file.path());
  json.key("size").value(file.file().size());
  json.key("footer_size").value(file.footer_bytes());
  json.key("version").value(metadata.version);
  json.key("created_by").value(metadata.created_by);
  json.key("num_rows").value(metadata.num_rows);
  json.key("num_row_groups").value(static_cast<int64_t>(metadata.row_groups.size()));
  json.key("num_columns").value(static_cast<int64_t>(file.schema().num_columns()));
  json.key("key_value_metadata");
  json.begin_array();
  for (const parquet::KeyValue& entry : metadata.key_value_metadata) {
    json.begin_object();
    json.key("key").value(entry.key);
    json.key("value").value(entry.value);
    json.end_object();
  }
  json.end_array();
  json.key("row_groups");
  json.begin_array();
  for (size_t g = 0; g < metadata.row_groups.size(); ++g) {
    write_json_row_group(json, file, metadata.row_groups[g], g);
  }
  json.end_array();
  json.end_object();
  return json.take();
}

}  // namespace

std::string parquet_meta_json(const std::string& path) {
  return with_file_context(path, [&] { return meta_json(*ParquetFile::open(path)); });
}

void print_parquet_meta(const std::string& path, MetaFormat format, std::ostream& out) {
  if (format == MetaFormat::kJson) {
    out << parquet_meta_json(path) << '\n';
    return;
  }
  out << with_file_context(path, [&] { return meta_text(*ParquetFile::open(path)); });
}

}  // namespace mimicit::inspect
