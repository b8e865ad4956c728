#include "inspect/parquet_cat.h"

#include <vector>

#include "inspect/parquet_columns.h"
#include "inspect/value_format.h"
#include "mimicit/error.h"
#include "mimicit/parquet/reader.h"
#include "util/file_context.h"

namespace mimicit::inspect {

namespace {

using parquet::ColumnDescriptor;
using parquet::Value;

constexpr size_t kBlockBytes = 1 << 20;

// Accumulates text and hands it to the stream in large blocks.
class BlockWriter {
 public:
  explicit BlockWriter(std::ostream& out) : out_(out) { text_.reserve(2 * kBlockBytes); }
  std::string& text() { return text_; }
  void flush_if_full() {
    if (text_.size() >= kBlockBytes) write_pending();
  }
  void write_pending() {
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    text_.clear();
  }
  // A closed pipe (`| head`) or a full disk: the reading stops too.
  bool failed() const { return !out_; }
  void flush() {
    write_pending();
    if (failed()) fail(ErrorCode::kIo, "cannot write the output");
  }

 private:
  std::ostream& out_;
  std::string text_;
};

// The text before each value of a JSON line, rendered once: `{"a":`, `,"b":`.
std::vector<std::string> jsonl_key_prefixes(const std::vector<const ColumnDescriptor*>& columns) {
  std::vector<std::string> prefixes;
  for (const ColumnDescriptor* column : columns) {
    std::string prefix(prefixes.empty() ? "{" : ",");
    append_json_string(prefix, column->field_name);
    prefix.push_back(':');
    prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

void append_jsonl_row(std::string& out, const std::vector<Value>& row,
                      const std::vector<const ColumnDescriptor*>& columns,
                      const std::vector<std::string>& prefixes) {
  if (columns.empty()) out.push_back('{');
  for (size_t i = 0; i < columns.size(); ++i) {
    out.append(prefixes[i]);
    append_json_value(out, row[i], *columns[i]);
  }
  out.append("}\n");
}

void append_csv_header(std::string& out, const std::vector<const ColumnDescriptor*>& columns) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_csv_text(out, columns[i]->field_name);
  }
  out.push_back('\n');
}

void append_csv_row(std::string& out, const std::vector<Value>& row,
                    const std::vector<const ColumnDescriptor*>& columns) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_csv_value(out, row[i], *columns[i]);
  }
  out.push_back('\n');
}

void cat_rows(const std::shared_ptr<const parquet::ParquetFile>& file, const CatOptions& options,
              BlockWriter& writer) {
  const std::vector<int> indices = resolve_columns(file->schema(), options.columns);
  std::vector<const ColumnDescriptor*> columns;
  for (int index : indices) columns.push_back(&file->schema().column(index));

  if (options.format == CatFormat::kCsv) append_csv_header(writer.text(), columns);
  // The footer's num_rows is not trusted here: some writers leave it 0.
  if (options.limit == 0) return;

  const std::vector<std::string> prefixes = jsonl_key_prefixes(columns);
  parquet::RowReader reader(file, indices);
  if (options.offset > 0) reader.seek(options.offset);
  std::vector<Value> row;
  for (int64_t printed = 0; options.limit < 0 || printed < options.limit; ++printed) {
    if (!reader.next(row)) break;
    if (options.format == CatFormat::kJsonl) {
      append_jsonl_row(writer.text(), row, columns, prefixes);
    } else {
      append_csv_row(writer.text(), row, columns);
    }
    writer.flush_if_full();
    if (writer.failed()) break;
  }
}

}  // namespace

void cat_parquet(const std::string& path, const CatOptions& options, std::ostream& out) {
  BlockWriter writer(out);
  try {
    with_file_context(path, [&] {
      const auto file = parquet::ParquetFile::open(path);
      cat_rows(file, options, writer);
    });
  } catch (const Error&) {
    writer.write_pending();  // the rows rendered before the error are good ones
    throw;
  }
  writer.flush();
}

}  // namespace mimicit::inspect
