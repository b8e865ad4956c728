// mimicit._core.parquet: read, _write, _metadata_json and find_sorted
// (include/mimicit/parquet), which mimicit.parquet wraps.
//
// The GIL is released around C++ work that touches no Python object:
// opening files, decoding pages, encoding and writing. Values cross the
// boundary in batches so that the GIL is taken once per batch, not once per
// value.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "binding_util.h"
#include "inspect/parquet_meta.h"
#include "mimicit/error.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/schema.h"
#include "mimicit/parquet/writer.h"

using namespace nanobind::literals;

namespace mimicit::python {
namespace {

using parquet::ColumnDescriptor;
using parquet::ParquetFile;
using parquet::Value;

// ---------------------------------------------------------------------------
// Reading: RowReader rows are copied into a RowBatch without the GIL, then
// turned into Python objects with it.

// One value owned by a batch. Bytes live in the batch arena, list elements in
// the batch element vector (both addressed by offset, as they may grow).
struct Cell {
  Value::Kind kind = Value::Kind::kNull;
  union {
    bool b;
    int32_t i32;
    int64_t i64;
    float f;
    double d;
  };
  size_t begin = 0;  // kBytes/kInt96: arena offset; kList: first element
  size_t size = 0;   // bytes or elements
  Cell() : i64(0) {}
};

class RowBatch {
 public:
  static constexpr size_t kMaxRows = 4096;
  static constexpr size_t kMaxArenaBytes = 64u << 20;

  void clear() {
    rows_ = 0;
    cells_.clear();
    elements_.clear();
    arena_.clear();
  }
  bool full() const { return rows_ >= kMaxRows || arena_.size() >= kMaxArenaBytes; }
  size_t rows() const { return rows_; }

  void add_row(const std::vector<Value>& row) {
    for (const Value& value : row) cells_.push_back(copy(value));
    ++rows_;
  }

  const Cell& cell(size_t row, size_t column, size_t num_columns) const {
    return cells_[row * num_columns + column];
  }
  const Cell& element(size_t index) const { return elements_[index]; }
  std::string_view bytes(const Cell& cell) const {
    return std::string_view(arena_).substr(cell.begin, cell.size);
  }

 private:
  Cell copy(const Value& value) {
    Cell cell;
    cell.kind = value.kind;
    switch (value.kind) {
      case Value::Kind::kBytes:
      case Value::Kind::kInt96:
        cell.begin = arena_.size();
        cell.size = value.bytes.size();
        arena_.append(value.bytes);
        break;
      case Value::Kind::kList:
        cell.begin = elements_.size();
        cell.size = value.list.size();
        // Elements are never lists themselves, so copying one appends
        // nothing else to elements_ and the range stays contiguous.
        for (const Value& element : value.list) elements_.push_back(copy(element));
        break;
      default:
        // The whole scalar union, whichever member is active.
        std::memcpy(&cell.i64, &value.i64, sizeof cell.i64);
        break;
    }
    return cell;
  }

  size_t rows_ = 0;
  std::vector<Cell> cells_;
  std::vector<Cell> elements_;
  std::string arena_;
};

nb::object to_python(const RowBatch& batch, const Cell& cell, const ColumnDescriptor& column) {
  switch (cell.kind) {
    case Value::Kind::kNull: return nb::none();
    case Value::Kind::kBool: return nb::bool_(cell.b);
    case Value::Kind::kInt32:
      if (column.is_unsigned()) {
        return check(PyLong_FromUnsignedLong(static_cast<uint32_t>(cell.i32)));
      }
      return check(PyLong_FromLong(cell.i32));
    case Value::Kind::kInt64:
      if (column.is_unsigned()) {
        return check(PyLong_FromUnsignedLongLong(static_cast<uint64_t>(cell.i64)));
      }
      return check(PyLong_FromLongLong(cell.i64));
    case Value::Kind::kFloat: return check(PyFloat_FromDouble(cell.f));
    case Value::Kind::kDouble: return check(PyFloat_FromDouble(cell.d));
    case Value::Kind::kInt96: return check(PyBytes_FromStringAndSize(batch.bytes(cell).data(), cell.size));
    case Value::Kind::kBytes: {
      std::string_view bytes = batch.bytes(cell);
      if (column.is_string()) {
        // "replace", as `parquet cat` does: invalid UTF-8 in a STRING
        // column still reads, with U+FFFD for each maximal invalid sequence.
        return check(PyUnicode_DecodeUTF8(bytes.data(), bytes.size(), "replace"));
      }
      return check(PyBytes_FromStringAndSize(bytes.data(), bytes.size()));
    }
    case Value::Kind::kList: {
      nb::object list = check(PyList_New(static_cast<Py_ssize_t>(cell.size)));
      for (size_t i = 0; i < cell.size; ++i) {
        nb::object element = to_python(batch, batch.element(cell.begin + i), column);
        PyList_SET_ITEM(list.ptr(), static_cast<Py_ssize_t>(i), element.release().ptr());
      }
      return list;
    }
  }
  throw Error(ErrorCode::kInternal, "unknown value kind");
}

std::vector<int> column_indices(const ParquetFile& file,
                                const std::optional<std::vector<std::string>>& names) {
  std::vector<int> indices;
  if (!names) return indices;
  for (const std::string& name : *names) {
    int index = file.schema().find_column(name);
    if (index < 0) fail_invalid("{}: no column '{}'", file.path(), name);
    indices.push_back(index);
  }
  return indices;
}

// Fills `batch` with up to a batch of rows; false when the file is done.
bool read_batch(parquet::RowReader& reader, std::vector<Value>& row, RowBatch& batch) {
  batch.clear();
  while (!batch.full()) {
    if (!reader.next(row)) return batch.rows() > 0;
    batch.add_row(row);
  }
  return true;
}

nb::dict read_columns(const std::string& path, const std::optional<std::vector<std::string>>& columns) {
  std::shared_ptr<const ParquetFile> file;
  std::unique_ptr<parquet::RowReader> reader;
  {
    nb::gil_scoped_release release;
    file = ParquetFile::open(path);
    reader = std::make_unique<parquet::RowReader>(file, column_indices(*file, columns));
  }
  std::vector<const ColumnDescriptor*> descriptors;
  std::vector<nb::object> lists;
  nb::dict result;
  for (int index : reader->columns()) {
    const ColumnDescriptor& column = file->schema().column(index);
    descriptors.push_back(&column);
    lists.push_back(check(PyList_New(0)));
    result[file_text(column.field_name)] = lists.back();
  }
  RowBatch batch;
  std::vector<Value> row;
  while (true) {
    bool more;
    {
      nb::gil_scoped_release release;
      more = read_batch(*reader, row, batch);
    }
    if (!more) break;
    for (size_t r = 0; r < batch.rows(); ++r) {
      for (size_t c = 0; c < descriptors.size(); ++c) {
        nb::object value = to_python(batch, batch.cell(r, c, descriptors.size()), *descriptors[c]);
        if (PyList_Append(lists[c].ptr(), value.ptr()) != 0) throw nb::python_error();
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------
// Writing: Python values are checked and converted into WriteCells with the
// GIL (keeping references to the str/bytes objects they view), then appended
// to the ParquetWriter without it.

enum class ColumnKind { kBool, kInt32, kInt64, kDouble, kString, kBinary, kList, kStruct };

// A column's type: a value kind, or a list (children[0]: the element) or a
// struct (children: the fields, named by `names`).
struct WriteType {
  ColumnKind kind = ColumnKind::kBinary;
  std::vector<WriteType> children;
  std::vector<std::string> names;
};

struct WriteColumn {
  parquet::WriterColumn column;
  WriteType type;
  nb::object values;  // a PySequence_Fast of the column's values
};

// One call on the writer: a null, a value, or the start of a list of
// `length` elements or of a struct (its parts follow depth first).
struct WriteCell {
  enum class Op : uint8_t { kNull, kValue, kList, kStruct };
  Op op = Op::kNull;
  ColumnKind kind = ColumnKind::kBinary;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  size_t length = 0;
  std::string_view bytes;
};

// Parses "bool", ..., "binary", "list<T>" or "struct<name: T, ...>" from
// `text` at `pos` (spaces allowed around the parts).
WriteType parse_type_at(const std::string& column, const std::string& text, size_t& pos) {
  auto skip = [&] {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  };
  auto bad = [&]() -> WriteType {
    throw nb::value_error(("column '" + column + "': unknown type '" + text +
                           "' (expected bool, int32, int64, double, string, binary, list<T> or "
                           "struct<name: T, ...>)")
                              .c_str());
  };
  skip();
  size_t start = pos;
  while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
    ++pos;
  std::string word = text.substr(start, pos - start);
  WriteType type;
  static const std::pair<const char*, ColumnKind> kValues[] = {
      {"bool", ColumnKind::kBool},     {"int32", ColumnKind::kInt32},   {"int64", ColumnKind::kInt64},
      {"double", ColumnKind::kDouble}, {"string", ColumnKind::kString}, {"binary", ColumnKind::kBinary}};
  for (const auto& [name, kind] : kValues) {
    if (word == name) {
      type.kind = kind;
      return type;
    }
  }
  if (word != "list" && word != "struct") return bad();
  skip();
  if (pos >= text.size() || text[pos] != '<') return bad();
  ++pos;
  if (word == "list") {
    type.kind = ColumnKind::kList;
    type.children.push_back(parse_type_at(column, text, pos));
  } else {
    type.kind = ColumnKind::kStruct;
    for (;;) {
      skip();
      size_t colon = text.find(':', pos);
      if (colon == std::string::npos) return bad();
      std::string name = text.substr(pos, colon - pos);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (name.empty()) return bad();
      pos = colon + 1;
      type.names.push_back(name);
      type.children.push_back(parse_type_at(column, text, pos));
      skip();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      break;
    }
  }
  skip();
  if (pos >= text.size() || text[pos] != '>') return bad();
  ++pos;
  return type;
}

WriteType parse_type(const std::string& column, const std::string& text) {
  size_t pos = 0;
  WriteType type = parse_type_at(column, text, pos);
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos != text.size()) {
    throw nb::value_error(("column '" + column + "': unknown type '" + text + "'").c_str());
  }
  return type;
}

parquet::Type physical_type(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kBool: return parquet::Type::BOOLEAN;
    case ColumnKind::kInt32: return parquet::Type::INT32;
    case ColumnKind::kInt64: return parquet::Type::INT64;
    case ColumnKind::kDouble: return parquet::Type::DOUBLE;
    default: return parquet::Type::BYTE_ARRAY;
  }
}

// The writer's column for `type`; the parts of nested columns are nullable,
// as pyarrow's.
parquet::WriterColumn writer_column(const std::string& name, const WriteType& type, bool nullable,
                                    bool dictionary, bool bloom) {
  if (type.kind == ColumnKind::kList) {
    parquet::WriterColumn c = parquet::WriterColumn::list(
        name, writer_column("element", type.children[0], true, dictionary, false));
    c.optional = nullable;
    return c;
  }
  if (type.kind == ColumnKind::kStruct) {
    std::vector<parquet::WriterColumn> fields;
    for (size_t i = 0; i < type.children.size(); ++i) {
      fields.push_back(writer_column(type.names[i], type.children[i], true, dictionary, false));
    }
    parquet::WriterColumn c = parquet::WriterColumn::structure(name, std::move(fields));
    c.optional = nullable;
    return c;
  }
  return {name, physical_type(type.kind), nullable, type.kind == ColumnKind::kString, dictionary, bloom};
}

[[noreturn]] void raise_type_error(const WriteColumn& column, size_t row, const char* expected,
                                   PyObject* value) {
  std::string message = "column '" + column.column.name + "', row " + std::to_string(row) + ": expected " +
                        expected + ", got " + Py_TYPE(value)->tp_name;
  throw nb::type_error(message.c_str());
}

int64_t to_integer(const WriteColumn& column, ColumnKind kind, size_t row, PyObject* value) {
  if (PyBool_Check(value) || !PyIndex_Check(value)) raise_type_error(column, row, "int", value);
  nb::object index = check(PyNumber_Index(value));
  int overflow = 0;
  long long result = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (result == -1 && PyErr_Occurred()) throw nb::python_error();
  bool fits =
      overflow == 0 && (kind == ColumnKind::kInt64 || (result >= std::numeric_limits<int32_t>::min() &&
                                                       result <= std::numeric_limits<int32_t>::max()));
  if (!fits) {
    std::string message = "column '" + column.column.name + "', row " + std::to_string(row) +
                          ": integer out of range for " + (kind == ColumnKind::kInt32 ? "int32" : "int64");
    throw nb::value_error(message.c_str());
  }
  return result;
}

// Converts one Python value of `type` into the writer calls that append
// it (nested values depth first); str/bytes objects are appended to
// `keep_alive` so that the views stay valid while the GIL is released.
void to_cells(const WriteColumn& column, const WriteType& type, size_t row, PyObject* value,
              std::vector<WriteCell>& out, std::vector<nb::object>& keep_alive) {
  WriteCell cell;
  if (value == Py_None) {
    out.push_back(cell);
    return;
  }
  cell.op = WriteCell::Op::kValue;
  cell.kind = type.kind;
  switch (type.kind) {
    case ColumnKind::kBool:
      if (!PyBool_Check(value)) raise_type_error(column, row, "bool", value);
      cell.b = value == Py_True;
      break;
    case ColumnKind::kInt32:
    case ColumnKind::kInt64: cell.i = to_integer(column, type.kind, row, value); break;
    case ColumnKind::kDouble:
      if (PyBool_Check(value) || PyUnicode_Check(value) || PyBytes_Check(value)) {
        raise_type_error(column, row, "float", value);
      }
      cell.d = PyFloat_AsDouble(value);
      if (cell.d == -1.0 && PyErr_Occurred()) throw nb::python_error();
      break;
    case ColumnKind::kString: {
      if (!PyUnicode_Check(value)) raise_type_error(column, row, "str", value);
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(value, &size);
      if (data == nullptr) throw nb::python_error();
      cell.bytes = std::string_view(data, static_cast<size_t>(size));
      keep_alive.push_back(nb::borrow(value));
      break;
    }
    case ColumnKind::kBinary:
      if (PyBytes_Check(value)) {
        cell.bytes = std::string_view(PyBytes_AS_STRING(value), static_cast<size_t>(PyBytes_GET_SIZE(value)));
      } else if (PyByteArray_Check(value)) {
        cell.bytes =
            std::string_view(PyByteArray_AS_STRING(value), static_cast<size_t>(PyByteArray_GET_SIZE(value)));
      } else {
        raise_type_error(column, row, "bytes", value);
      }
      keep_alive.push_back(nb::borrow(value));
      break;
    case ColumnKind::kList: {
      if (PyUnicode_Check(value) || PyBytes_Check(value) || !PySequence_Check(value)) {
        raise_type_error(column, row, "a list", value);
      }
      nb::object items = check(PySequence_Fast(value, "a list"));
      keep_alive.push_back(items);
      Py_ssize_t n = PySequence_Fast_GET_SIZE(items.ptr());
      cell.op = WriteCell::Op::kList;
      cell.length = static_cast<size_t>(n);
      out.push_back(cell);
      for (Py_ssize_t k = 0; k < n; ++k) {
        to_cells(column, type.children[0], row, PySequence_Fast_GET_ITEM(items.ptr(), k), out, keep_alive);
      }
      return;
    }
    case ColumnKind::kStruct: {
      if (!PyDict_Check(value)) raise_type_error(column, row, "a dict", value);
      cell.op = WriteCell::Op::kStruct;
      out.push_back(cell);
      for (size_t k = 0; k < type.children.size(); ++k) {
        PyObject* field = PyDict_GetItemString(value, type.names[k].c_str());  // borrowed
        to_cells(column, type.children[k], row, field == nullptr ? Py_None : field, out, keep_alive);
      }
      return;
    }
  }
  out.push_back(cell);
}

void append_cell(parquet::ParquetWriter& writer, size_t index, const WriteCell& cell) {
  switch (cell.op) {
    case WriteCell::Op::kNull: return writer.append_null(index);
    case WriteCell::Op::kList: return writer.append_list(index, cell.length);
    case WriteCell::Op::kStruct: return writer.append_struct(index);
    case WriteCell::Op::kValue: break;
  }
  switch (cell.kind) {
    case ColumnKind::kBool: return writer.append_bool(index, cell.b);
    case ColumnKind::kInt32: return writer.append_int32(index, static_cast<int32_t>(cell.i));
    case ColumnKind::kInt64: return writer.append_int64(index, cell.i);
    case ColumnKind::kDouble: return writer.append_double(index, cell.d);
    default: return writer.append_bytes(index, cell.bytes);
  }
}

// `schema`: one (name, type, nullable, dictionary, bloom_filter) per column.
using SchemaEntry = std::tuple<std::string, std::string, bool, bool, bool>;

std::vector<WriteColumn> prepare_columns(const std::vector<SchemaEntry>& schema, const nb::list& data,
                                         size_t& num_rows) {
  if (schema.size() != nb::len(data)) throw nb::value_error("one data sequence per column");
  std::vector<WriteColumn> columns;
  for (size_t i = 0; i < schema.size(); ++i) {
    const auto& [name, type, nullable, dictionary, bloom] = schema[i];
    WriteColumn column;
    column.type = parse_type(name, type);
    column.column = writer_column(name, column.type, nullable, dictionary, bloom);
    column.values = check(PySequence_Fast(data[i].ptr(), "column values must be a sequence"));
    size_t size = static_cast<size_t>(PySequence_Fast_GET_SIZE(column.values.ptr()));
    if (i == 0) num_rows = size;
    if (size != num_rows) {
      throw nb::value_error(("column '" + name + "' has " + std::to_string(size) +
                             " values, the first column has " + std::to_string(num_rows))
                                .c_str());
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

void write_columns(const std::string& path, const std::vector<SchemaEntry>& schema, const nb::list& data,
                   const nb::dict& option_values) {
  size_t num_rows = 0;
  std::vector<WriteColumn> columns = prepare_columns(schema, data, num_rows);
  parquet::WriterOptions options = writer_options(option_values);
  std::vector<parquet::WriterColumn> writer_columns;
  for (const WriteColumn& column : columns) writer_columns.push_back(column.column);
  std::unique_ptr<parquet::ParquetWriter> writer;
  {
    nb::gil_scoped_release release;
    writer = std::make_unique<parquet::ParquetWriter>(path, std::move(writer_columns), options);
  }
  constexpr size_t kBatchRows = 4096;
  std::vector<WriteCell> cells;
  std::vector<size_t> ends;  // per row and column: where its cells end
  std::vector<nb::object> keep_alive;
  for (size_t first = 0; first < num_rows; first += kBatchRows) {
    size_t end = std::min(num_rows, first + kBatchRows);
    cells.clear();
    ends.clear();
    keep_alive.clear();
    for (size_t row = first; row < end; ++row) {
      for (const WriteColumn& column : columns) {
        PyObject* value = PySequence_Fast_GET_ITEM(column.values.ptr(), row);
        to_cells(column, column.type, row, value, cells, keep_alive);
        ends.push_back(cells.size());
      }
    }
    nb::gil_scoped_release release;
    size_t next = 0;
    size_t slot = 0;
    for (size_t row = first; row < end; ++row) {
      for (size_t c = 0; c < columns.size(); ++c) {
        for (; next < ends[slot]; ++next) append_cell(*writer, c, cells[next]);
        ++slot;
      }
      writer->end_row();
    }
  }
  nb::gil_scoped_release release;
  writer->close();
}

// ---------------------------------------------------------------------------
// Metadata: `mimicit parquet meta --json`'s text, which mimicit.parquet.metadata
// parses, so that the CLI and Python cannot name a field differently.

std::string metadata_json(const std::string& path) {
  nb::gil_scoped_release release;
  return inspect::parquet_meta_json(path);
}

// ---------------------------------------------------------------------------
// find_sorted: `column` is a name or an index; `key` a str, bytes or int
// (ints are looked up by their decimal text, as the CLI takes them).

int resolve_column(const ParquetFile& file, const nb::handle& column) {
  if (nb::isinstance<nb::int_>(column)) {
    int index = nb::cast<int>(column);
    if (index < 0 || static_cast<size_t>(index) >= file.schema().num_columns()) {
      fail_invalid("{}: no column {}", file.path(), index);
    }
    return index;
  }
  std::string name = nb::cast<std::string>(column);
  int index = file.schema().find_column(name);
  if (index < 0) fail_invalid("{}: no column '{}'", file.path(), name);
  return index;
}

std::string key_text(const nb::handle& key) {
  if (nb::isinstance<nb::bytes>(key)) {
    nb::bytes bytes = nb::borrow<nb::bytes>(key);
    return std::string(bytes.c_str(), bytes.size());
  }
  if (nb::isinstance<nb::str>(key)) return nb::cast<std::string>(key);
  if (nb::isinstance<nb::int_>(key) && !nb::isinstance<nb::bool_>(key)) {
    return nb::cast<std::string>(nb::str(key));
  }
  throw nb::type_error("key must be str, bytes or int");
}

std::optional<int64_t> find_sorted(const std::string& path, nb::handle column, nb::handle key) {
  std::shared_ptr<const ParquetFile> file;
  {
    nb::gil_scoped_release release;
    file = ParquetFile::open(path);
  }
  int index = resolve_column(*file, column);
  std::string text = key_text(key);
  nb::gil_scoped_release release;
  return parquet::find_sorted(file, index, text);
}

}  // namespace

void bind_parquet(nb::module_& m) {
  nb::module_ pq = m.def_submodule("parquet", "Parquet files, read and written by mimicit");
  pq.def("read", &read_columns, "path"_a, "columns"_a = nb::none(),
         "Reads a Parquet file into {field name: list of values}.");
  pq.def("_write", &write_columns, "path"_a, "schema"_a, "data"_a, "options"_a,
         "Writes columns; see mimicit.parquet.write for the public signature.");
  pq.def("_metadata_json", &metadata_json, "path"_a,
         "The footer of a Parquet file as `parquet meta --json` prints it.");
  pq.def("find_sorted", &find_sorted, "path"_a, "column"_a, "key"_a,
         "Row of `key` in a column sorted ascending across the file, or None.");
}

}  // namespace mimicit::python
