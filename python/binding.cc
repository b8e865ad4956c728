// The Python module mimicit._core: the C++ core exposed through nanobind.
//
// Layout: `_core.version()`, the exception classes (MimicitError and one
// subclass per error code), ImageStore, Dataset and Loader, and the
// submodule `_core.parquet` (read, _write, metadata, find_sorted). The
// package `mimicit` (python/mimicit) re-exports these and adds the argument
// handling that is simpler in Python (type inference, option normalisation).
//
// The GIL is released around C++ work that touches no Python object: opening
// files, decoding pages, encoding and writing. Values cross the boundary in
// batches so that the GIL is taken once per batch, not once per value.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/loader.h"
#include "mimicit/parquet/metadata.h"
#include "mimicit/parquet/reader.h"
#include "mimicit/parquet/schema.h"
#include "mimicit/parquet/writer.h"
#include "inspect/images.h"
#include "inspect/parquet_meta.h"
#include "store/open_store.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mimicit::python {
namespace {

using parquet::ColumnDescriptor;
using parquet::ParquetFile;
using parquet::Value;

// ---------------------------------------------------------------------------
// Exceptions: mimicit::Error -> mimicit.MimicitError (or a subclass that also
// derives from the matching built-in, so `except OSError` catches I/O
// failures and `except ValueError` catches bad arguments).

constexpr size_t kNumCodes = static_cast<size_t>(ErrorCode::kInternal) + 1;
std::array<PyObject*, kNumCodes> g_error_types{};  // owned for the process lifetime

PyObject* new_exception_type(nb::module_& m, const char* name, PyObject* bases,
                             const char* doc) {
  std::string qualified = std::string("mimicit.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

PyObject* bases_of(PyObject* first, PyObject* second) {
  PyObject* bases = PyTuple_Pack(2, first, second);
  if (bases == nullptr) throw nb::python_error();
  return bases;
}

void register_exceptions(nb::module_& m) {
  PyObject* base = new_exception_type(
      m, "MimicitError", PyExc_Exception,
      "Base class of every mimicit error; `.code` names the kind of failure.");
  g_error_types.fill(base);
  auto set = [&](ErrorCode code, const char* name, PyObject* builtin, const char* doc) {
    PyObject* bases = builtin ? bases_of(base, builtin) : nullptr;
    g_error_types[static_cast<size_t>(code)] =
        new_exception_type(m, name, bases ? bases : base, doc);
    Py_XDECREF(bases);
  };
  set(ErrorCode::kInvalidArgument, "InvalidArgumentError", PyExc_ValueError,
      "A bad argument or option (also a ValueError).");
  set(ErrorCode::kIo, "IoError", PyExc_OSError,
      "The operating system refused an operation (also an OSError).");
  set(ErrorCode::kCorrupt, "CorruptError", nullptr, "The input violates its format.");
  set(ErrorCode::kUnsupported, "UnsupportedError", nullptr,
      "Valid input that mimicit does not handle (deep nesting, encryption).");
  set(ErrorCode::kNotFound, "NotFoundError", PyExc_KeyError,
      "A key or id that is not there (also a KeyError).");
  set(ErrorCode::kLimit, "LimitError", nullptr, "A configured resource limit would be exceeded.");
}

void raise_error(const Error& error) {
  PyObject* type = g_error_types[static_cast<size_t>(error.code())];
  const std::string& text = error.message();
  // "replace": a message naming a non-UTF-8 path must still be raised.
  nb::object message = nb::steal(PyUnicode_DecodeUTF8(text.data(), text.size(), "replace"));
  if (!message.is_valid()) return;
  nb::object exception = nb::steal(PyObject_CallOneArg(type, message.ptr()));
  if (!exception.is_valid()) return;
  if (PyObject_SetAttrString(exception.ptr(), "code",
                             nb::str(error_code_name(error.code())).ptr()) != 0) {
    return;
  }
  PyErr_SetObject(type, exception.ptr());
}

void translate_exception(const std::exception_ptr& pointer, void*) {
  try {
    std::rethrow_exception(pointer);
  } catch (const Error& error) {
    raise_error(error);
  }
}

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

nb::object check(PyObject* object) {
  if (object == nullptr) throw nb::python_error();
  return nb::steal(object);
}

// Text read from a file (names, metadata) as str: "replace", as for STRING
// values, since a corrupt or foreign file may hold any bytes there and a
// reader must not fail on them with a bare conversion error.
nb::object file_text(std::string_view text) {
  return check(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"));
}

nb::object to_python(const RowBatch& batch, const Cell& cell, const ColumnDescriptor& column) {
  switch (cell.kind) {
    case Value::Kind::kNull:
      return nb::none();
    case Value::Kind::kBool:
      return nb::bool_(cell.b);
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
    case Value::Kind::kFloat:
      return check(PyFloat_FromDouble(cell.f));
    case Value::Kind::kDouble:
      return check(PyFloat_FromDouble(cell.d));
    case Value::Kind::kInt96:
      return check(PyBytes_FromStringAndSize(batch.bytes(cell).data(), cell.size));
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

nb::dict read_columns(const std::string& path,
                      const std::optional<std::vector<std::string>>& columns) {
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
  auto skip = [&] { while (pos < text.size() && text[pos] == ' ') ++pos; };
  auto bad = [&]() -> WriteType {
    throw nb::value_error(("column '" + column + "': unknown type '" + text +
                           "' (expected bool, int32, int64, double, string, binary, list<T> or "
                           "struct<name: T, ...>)")
                              .c_str());
  };
  skip();
  size_t start = pos;
  while (pos < text.size() && (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_')) ++pos;
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
    parquet::WriterColumn c =
        parquet::WriterColumn::list(name, writer_column("element", type.children[0], true, dictionary, false));
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
  std::string message = "column '" + column.column.name + "', row " + std::to_string(row) +
                        ": expected " + expected + ", got " + Py_TYPE(value)->tp_name;
  throw nb::type_error(message.c_str());
}

int64_t to_integer(const WriteColumn& column, ColumnKind kind, size_t row, PyObject* value) {
  if (PyBool_Check(value) || !PyIndex_Check(value)) raise_type_error(column, row, "int", value);
  nb::object index = check(PyNumber_Index(value));
  int overflow = 0;
  long long result = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (result == -1 && PyErr_Occurred()) throw nb::python_error();
  bool fits = overflow == 0 && (kind == ColumnKind::kInt64 ||
                                (result >= std::numeric_limits<int32_t>::min() &&
                                 result <= std::numeric_limits<int32_t>::max()));
  if (!fits) {
    std::string message = "column '" + column.column.name + "', row " + std::to_string(row) +
                          ": integer out of range for " +
                          (kind == ColumnKind::kInt32 ? "int32" : "int64");
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
    case ColumnKind::kInt64:
      cell.i = to_integer(column, type.kind, row, value);
      break;
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
        cell.bytes = std::string_view(PyBytes_AS_STRING(value),
                                      static_cast<size_t>(PyBytes_GET_SIZE(value)));
      } else if (PyByteArray_Check(value)) {
        cell.bytes = std::string_view(PyByteArray_AS_STRING(value),
                                      static_cast<size_t>(PyByteArray_GET_SIZE(value)));
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

parquet::Codec parse_codec(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "none" || name == "uncompressed") return parquet::Codec::UNCOMPRESSED;
  if (name == "snappy") return parquet::Codec::SNAPPY;
  if (name == "gzip") return parquet::Codec::GZIP;
  if (name == "zstd") return parquet::Codec::ZSTD;
  if (name == "brotli") return parquet::Codec::BROTLI;
  if (name == "lz4") return parquet::Codec::LZ4;
  if (name == "lz4_raw") return parquet::Codec::LZ4_RAW;
  throw nb::value_error(("unknown codec '" + name + "'").c_str());
}

// Applies the options the caller gave; absent keys keep WriterOptions'
// defaults, so the defaults live in one place (writer.h).
parquet::WriterOptions parse_options(const nb::dict& given) {
  parquet::WriterOptions options;
  for (auto [key_object, value] : given) {
    std::string key = nb::cast<std::string>(key_object);
    if (key == "codec") options.codec = parse_codec(nb::cast<std::string>(value));
    else if (key == "compression_level") options.compression_level = nb::cast<int>(value);
    else if (key == "row_group_rows") options.row_group_rows = nb::cast<int64_t>(value);
    else if (key == "row_group_bytes") options.row_group_bytes = nb::cast<int64_t>(value);
    else if (key == "page_bytes") options.page_bytes = nb::cast<int64_t>(value);
    else if (key == "page_rows") options.page_rows = nb::cast<int64_t>(value);
    else if (key == "dictionary_bytes") options.dictionary_bytes = nb::cast<int64_t>(value);
    else if (key == "data_page_version") options.data_page_version = nb::cast<int>(value);
    else if (key == "statistics") options.statistics = nb::cast<bool>(value);
    else if (key == "page_index") options.page_index = nb::cast<bool>(value);
    else if (key == "write_crc") options.write_crc = nb::cast<bool>(value);
    else if (key == "max_statistics_bytes") options.max_statistics_bytes = nb::cast<size_t>(value);
    else if (key == "bloom_filter_fpp") options.bloom_filter_fpp = nb::cast<double>(value);
    else if (key == "pandas_index") options.pandas_index_column = nb::cast<std::string>(value);
    else if (key == "created_by") options.created_by = nb::cast<std::string>(value);
    else if (key == "metadata") {
      for (auto [k, v] : nb::cast<nb::dict>(value)) {
        options.key_value_metadata.push_back({nb::cast<std::string>(k), nb::cast<std::string>(v)});
      }
    } else {
      throw nb::value_error(("unknown writer option '" + key + "'").c_str());
    }
  }
  return options;
}

// `schema`: one (name, type, nullable, dictionary, bloom_filter) per column.
using SchemaEntry = std::tuple<std::string, std::string, bool, bool, bool>;

std::vector<WriteColumn> prepare_columns(const std::vector<SchemaEntry>& schema,
                                         const nb::list& data, size_t& num_rows) {
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

void write_columns(const std::string& path, const std::vector<SchemaEntry>& schema,
                   const nb::list& data, const nb::dict& option_values) {
  size_t num_rows = 0;
  std::vector<WriteColumn> columns = prepare_columns(schema, data, num_rows);
  parquet::WriterOptions options = parse_options(option_values);
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

// ---------------------------------------------------------------------------
// ImageStore. Ids cross the boundary as UTF-8 with "surrogateescape", so an
// id that is not valid UTF-8 comes out as a str that looks it up again.

std::string id_text(nb::handle id) {
  if (PyBytes_Check(id.ptr())) {
    return std::string(PyBytes_AS_STRING(id.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(id.ptr())));
  }
  if (!PyUnicode_Check(id.ptr())) throw nb::type_error("an image id must be str or bytes");
  nb::object encoded = check(PyUnicode_AsEncodedString(id.ptr(), "utf-8", "surrogateescape"));
  return std::string(PyBytes_AS_STRING(encoded.ptr()),
                     static_cast<size_t>(PyBytes_GET_SIZE(encoded.ptr())));
}

nb::object id_object(std::string_view id) {
  return check(PyUnicode_DecodeUTF8(id.data(), static_cast<Py_ssize_t>(id.size()), "surrogateescape"));
}

const char* payload_kind_name(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kBase64: return "base64";
    case PayloadKind::kBinary: return "binary";
    case PayloadKind::kHuggingFaceStruct: return "huggingface_struct";
    case PayloadKind::kHuggingFaceList: return "huggingface_list";
    case PayloadKind::kJsonBase64: return "json_base64";
    case PayloadKind::kImageFile: return "image_file";
  }
  return "unknown";
}

class PyImageStore {
 public:
  PyImageStore(const std::vector<std::string>& paths, bool use_saved_index, bool save_index,
               const std::string& cache_dir, std::optional<bool> index_pages) {
    ImageStoreOptions options;
    options.use_saved_index = use_saved_index;
    options.save_index = save_index;
    options.cache_dir = cache_dir;
    if (index_pages) options.index_pages = *index_pages;
    options.index_progress = inspect::index_progress_bar();
    nb::gil_scoped_release release;
    store_ = store::open_store(paths, options, &report_);
  }

  nb::dict index_info() const {
    nb::dict info;
    info["index_path"] = report_.index_path;
    info["used_saved_index"] = report_.used_saved_index;
    info["saved_index"] = report_.saved_index;
    info["built_seek_tables"] = report_.built_seek_tables;
    info["seek_table_bytes"] = report_.seek_table_bytes;
    info["index_bytes"] = store_->index_bytes();
    return info;
  }

  size_t size() const { return store_->size(); }

  bool contains(nb::handle id) const {
    if (!PyUnicode_Check(id.ptr()) && !PyBytes_Check(id.ptr())) return false;
    return store_->contains(id_text(id));
  }

  nb::bytes get_bytes(nb::handle id) const {
    std::string key = id_text(id);
    Buffer out;
    {
      nb::gil_scoped_release release;
      store_->get(key, out);
    }
    return nb::bytes(reinterpret_cast<const char*>(out.data()), out.size());
  }

  nb::list ids() const {
    nb::list result;
    store_->for_each_id([&](std::string_view id) {
      if (PyList_Append(result.ptr(), id_object(id).ptr()) != 0) throw nb::python_error();
      return true;
    });
    return result;
  }

  nb::list duplicates() const {
    nb::list result;
    for (const DuplicateId& d : store_->duplicates()) {
      result.append(nb::make_tuple(id_object(d.id), d.occurrences));
    }
    return result;
  }

  std::vector<std::string> files() const { return store_->files(); }

  std::vector<std::string> payload_kinds() const {
    std::vector<std::string> kinds;
    for (PayloadKind kind : store_->payload_kinds()) kinds.push_back(payload_kind_name(kind));
    return kinds;
  }

  uint64_t index_bytes() const { return store_->index_bytes(); }

 private:
  std::shared_ptr<const ImageStore> store_;
  store::OpenReport report_;
};

void register_image_store(nb::module_& m) {
  nb::class_<PyImageStore>(m, "ImageStore", "Encoded images by id (see mimicit.ImageStore).")
      .def(nb::init<const std::vector<std::string>&, bool, bool, const std::string&, std::optional<bool>>(),
           "paths"_a, "use_saved_index"_a = true, "save_index"_a = true, "cache_dir"_a = "",
           "index_pages"_a = nb::none())
      .def("index_info", &PyImageStore::index_info,
           "What the open did: index_path, used_saved_index, saved_index, built_seek_tables, seek_table_bytes, "
           "index_bytes.")
      .def("__len__", &PyImageStore::size)
      .def("__contains__", &PyImageStore::contains, "id"_a)
      .def("get_bytes", &PyImageStore::get_bytes, "id"_a,
           "The image file bytes of `id`; NotFoundError (a KeyError) when absent.")
      .def("ids", &PyImageStore::ids, "Every distinct id, sorted byte-wise.")
      .def("duplicates", &PyImageStore::duplicates, "[(id, occurrences)] of repeated ids.")
      .def("files", &PyImageStore::files, "The files read, after expanding folders.")
      .def("payload_kinds", &PyImageStore::payload_kinds, "The payload kind of each file.")
      .def("index_bytes", &PyImageStore::index_bytes, "Bytes of memory the id index takes.");
}

// ---------------------------------------------------------------------------
// Dataset and Loader (include/mimicit/loader.h). The options arrive as dicts
// built by python/mimicit (which owns the defaults and argument checks). A
// batch's images reach numpy without a copy: the array views the batch
// buffer and owns the batch through a capsule, so the buffer lives as long
// as any array or tensor made from it.

template <typename T>
T option(const nb::dict& options, const char* key) {
  if (!options.contains(key)) throw nb::key_error(key);
  return nb::cast<T>(options[key]);
}

loader::DataOptions data_options(const nb::dict& o) {
  loader::DataOptions d;
  const std::string format = option<std::string>(o, "instruction_format");
  std::optional<dataset::InstructionFormat> parsed = dataset::parse_instruction_format(format);
  if (!parsed) {
    fail_invalid("unknown instruction_format '{}' (expected simple, llama2, idefics or fuyu)",
                 format);
  }
  d.sample.instruction_format = *parsed;
  d.sample.keep_symbols = option<bool>(o, "keep_symbols");
  d.sample.python_unicode = dataset::parse_python_unicode(option<std::string>(o, "python_unicode"));
  d.sample.populate_rel_ins = option<bool>(o, "populate_rel_ins");
  d.sample.with_task_description = option<bool>(o, "with_task_description");
  d.sample.resample_frames = option<uint32_t>(o, "resample_frames");
  d.sample.image_size = option<uint32_t>(o, "image_size");
  d.sample.seed = option<int64_t>(o, "seed");
  d.sample.epoch = option<int64_t>(o, "epoch");
  const auto mean = option<std::vector<float>>(o, "mean");
  const auto stdev = option<std::vector<float>>(o, "std");
  if (mean.size() != 3 || stdev.size() != 3) fail_invalid("mean and std need 3 values (R, G, B)");
  for (size_t c = 0; c < 3; ++c) {
    d.preprocess.normalization.mean[c] = mean[c];
    d.preprocess.normalization.std[c] = stdev[c];
  }
  d.preprocess.fast = option<bool>(o, "fast");
  if (!o["max_pixels"].is_none()) d.preprocess.max_pixels = option<uint64_t>(o, "max_pixels");  // None: the default
  const std::string dtype = option<std::string>(o, "dtype");
  if (dtype != "float32" && dtype != "uint8") {
    fail_invalid("unknown dtype '{}' (expected float32 or uint8)", dtype);
  }
  d.dtype = dtype == "uint8" ? loader::DType::kUint8 : loader::DType::kFloat32;
  d.groups = option<std::vector<std::string>>(o, "groups");
  d.config.base_dir = option<std::string>(o, "base_dir");
  d.stores.cache_dir = option<std::string>(o, "cache_dir");
  d.stores.index_progress = inspect::index_progress_bar();
  return d;
}

// The images of `batch` as a numpy array of `shape` that owns the batch.
nb::object images_array(std::unique_ptr<loader::Batch> batch, const std::vector<size_t>& shape) {
  if (batch->images.data() == nullptr) batch->images.reserve(16);  // never a null data pointer
  loader::Batch* owner = batch.release();
  nb::capsule keep(owner, [](void* p) noexcept { delete static_cast<loader::Batch*>(p); });
  void* data = owner->images.data();
  if (owner->layout.dtype == loader::DType::kFloat32) {
    return nb::cast(nb::ndarray<nb::numpy, float>(data, shape.size(), shape.data(), keep));
  }
  return nb::cast(nb::ndarray<nb::numpy, uint8_t>(data, shape.size(), shape.data(), keep));
}

nb::list string_list(const std::vector<loader::SampleInfo>& samples, std::string loader::SampleInfo::*field) {
  nb::list out;
  for (const loader::SampleInfo& s : samples) out.append(id_object(s.*field));
  return out;
}

nb::list image_id_lists(const std::vector<loader::SampleInfo>& samples) {
  nb::list out;
  for (const loader::SampleInfo& s : samples) {
    nb::list ids;
    for (const std::string& id : s.image_ids) ids.append(id_object(id));
    out.append(ids);
  }
  return out;
}

nb::dict error_dict(const loader::SampleProducer& producer, const loader::SampleError& e) {
  nb::dict d;
  d["epoch"] = e.epoch;
  d["step"] = e.step;
  d["task_group"] = producer.group_name(e.group);
  d["index"] = e.index;
  d["id"] = e.id.empty() ? nb::none() : id_object(e.id);
  d["code"] = error_code_name(e.code);
  d["message"] = id_object(e.message);
  return d;
}

// The records the producer's groups dropped at open (dataset.h), as dicts.
nb::list dropped_records(const loader::DatasetProducer& producer) {
  nb::list out;
  for (size_t g = 0; g < producer.num_groups(); ++g) {
    for (const dataset::DroppedRecord& r : producer.group_dataset(g).dropped_records()) {
      nb::dict d;
      d["task_group"] = producer.group_name(g);
      d["file"] = id_object(r.file);
      d["id"] = id_object(r.id);
      d["offset"] = r.offset;
      d["row"] = r.row < 0 ? nb::none() : nb::cast(r.row);
      d["field"] = r.field.empty() ? nb::none() : id_object(r.field);
      d["found"] = id_object(r.found);
      d["message"] = id_object(r.message);
      out.append(d);
    }
  }
  return out;
}

// A lock for the consumer calls of a native object, taken with the GIL
// released (a thread holding it may be waiting for a batch without the GIL).
class ConsumerLock {
 public:
  explicit ConsumerLock(std::mutex& mutex) : lock_(mutex, std::defer_lock) {
    nb::gil_scoped_release release;
    lock_.lock();
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

class PyDataset {
 public:
  PyDataset(const std::string& yaml, const std::string& group, const nb::dict& options) {
    loader::DataOptions data = data_options(options);
    data.groups = {group};
    epoch_ = static_cast<uint64_t>(data.sample.epoch);
    nb::gil_scoped_release release;
    producer_ = loader::DatasetProducer::open(yaml, data);
  }

  uint64_t size() const { return producer_->group_size(0); }

  // Sample i as the reference's __getitem__ sees it (patch_images in its
  // reference shape).
  nb::dict get(uint64_t i) {
    auto batch = std::make_unique<loader::Batch>();
    {
      nb::gil_scoped_release release;
      std::unique_ptr<loader::SampleProducer::Scratch> scratch;
      {
        std::lock_guard lock(mutex_);
        scratch = std::move(scratch_);
      }
      if (!scratch) scratch = producer_->make_scratch();
      *batch = loader::load_sample(*producer_, 0, i, scratch.get(), epoch_);
      std::lock_guard lock(mutex_);
      scratch_ = std::move(scratch);
    }
    const loader::SampleInfo& s = batch->samples.front();
    nb::dict d;
    d["id"] = id_object(s.id);
    d["task_group"] = producer_->group_name(0);
    d["dataset"] = id_object(s.dataset);
    d["full_text"] = id_object(s.text);
    nb::list ids;
    for (const std::string& id : s.image_ids) ids.append(id_object(id));
    d["image_ids"] = ids;
    // (1, N, *image) as the reference; an image sample without images is
    // torch.tensor([]).unsqueeze(0): (1, 0).
    std::vector<size_t> shape = {1, s.num_images};
    if (s.num_images > 0) {
      for (uint32_t dim : batch->layout.shape) shape.push_back(dim);
    }
    d["patch_images"] = images_array(std::move(batch), shape);
    return d;
  }

  nb::list ids() const {
    const dataset::GroupDataset& group = producer_->group_dataset(0);
    nb::list out;
    for (uint64_t i = 0; i < group.size(); ++i) out.append(id_object(group.training_id(i)));
    return out;
  }

  std::string task_group() const { return producer_->group_name(0); }
  nb::list dropped() const { return dropped_records(*producer_); }

 private:
  std::shared_ptr<const loader::DatasetProducer> producer_;
  uint64_t epoch_ = 0;  // the task descriptions' epoch
  std::mutex mutex_;
  std::unique_ptr<loader::SampleProducer::Scratch> scratch_;  // reused by get()
};

loader::LoaderOptions loader_options(const nb::dict& o) {
  loader::LoaderOptions l;
  l.order.batch_size = option<uint32_t>(o, "batch_size");
  l.order.rank = option<uint32_t>(o, "rank");
  l.order.world_size = option<uint32_t>(o, "world_size");
  l.order.seed = option<uint64_t>(o, "seed");
  l.order.epoch = option<uint64_t>(o, "epoch");
  l.order.drop_last = option<bool>(o, "drop_last");
  l.order.sampling = option<bool>(o, "replacement") ? loader::Sampling::kWithReplacement
                                                    : loader::Sampling::kWithoutReplacement;
  l.threads = option<int>(o, "threads");
  l.prefetch = option<int>(o, "prefetch");
  const std::string on_error = option<std::string>(o, "on_error");
  if (on_error != "skip" && on_error != "raise") {
    fail_invalid("unknown on_error '{}' (expected skip or raise)", on_error);
  }
  l.on_error = on_error == "raise" ? loader::OnError::kRaise : loader::OnError::kSkip;
  l.max_error_reports = option<size_t>(o, "max_error_reports");
  return l;
}

class PyLoader {
 public:
  PyLoader(const std::string& yaml, const nb::dict& data, const nb::dict& options) {
    loader::DataOptions data_opts = data_options(data);
    loader::LoaderOptions loader_opts = loader_options(options);
    nb::gil_scoped_release release;
    producer_ = loader::DatasetProducer::open(yaml, data_opts);
    loader_ = std::make_unique<loader::Loader>(producer_, loader_opts);
  }

  // The next batch as a dict, or None at the end of the epoch.
  nb::object next() {
    auto batch = std::make_unique<loader::Batch>();
    bool more;
    {
      nb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      more = loader_->next(*batch);
    }
    if (!more) return nb::none();
    nb::dict d;
    d["epoch"] = batch->epoch;
    d["step"] = batch->step;
    d["task_group"] = producer_->group_name(batch->group);
    d["id"] = string_list(batch->samples, &loader::SampleInfo::id);
    d["dataset"] = string_list(batch->samples, &loader::SampleInfo::dataset);
    d["full_text"] = string_list(batch->samples, &loader::SampleInfo::text);
    d["image_ids"] = image_id_lists(batch->samples);
    std::vector<uint32_t> counts;
    for (const loader::SampleInfo& s : batch->samples) counts.push_back(s.num_images);
    d["image_counts"] = counts;
    nb::list errors;
    for (const loader::SampleError& e : batch->errors) errors.append(error_dict(*producer_, e));
    d["errors"] = errors;
    std::vector<size_t> shape = {batch->samples.size(), batch->max_images};
    for (uint32_t dim : batch->layout.shape) shape.push_back(dim);
    d["images"] = images_array(std::move(batch), shape);
    return d;
  }

  void set_epoch(uint64_t epoch) {
    ConsumerLock lock(mutex_);
    loader_->set_epoch(epoch);
  }

  nb::dict state() {
    ConsumerLock lock(mutex_);
    const loader::LoaderState s = loader_->state();
    nb::dict d;
    d["seed"] = s.seed;
    d["epoch"] = s.epoch;
    d["position"] = s.position;
    d["fingerprint"] = s.fingerprint;
    return d;
  }

  void load_state(const nb::dict& d) {
    loader::LoaderState s;
    s.seed = option<uint64_t>(d, "seed");
    s.epoch = option<uint64_t>(d, "epoch");
    s.position = option<uint64_t>(d, "position");
    s.fingerprint = d.contains("fingerprint") ? nb::cast<uint64_t>(d["fingerprint"]) : 0;
    ConsumerLock lock(mutex_);
    loader_->load_state(s);
  }

  uint64_t num_batches() {
    ConsumerLock lock(mutex_);
    return loader_->order().num_batches();
  }
  uint64_t position() {
    ConsumerLock lock(mutex_);
    return loader_->position();
  }
  int threads() const { return loader_->threads(); }
  uint64_t error_count() const { return loader_->error_count(); }
  nb::list errors() const {
    nb::list out;
    for (const loader::SampleError& e : loader_->errors()) out.append(error_dict(*producer_, e));
    return out;
  }
  nb::list dropped() const { return dropped_records(*producer_); }
  nb::list groups() const {
    nb::list out;
    for (size_t g = 0; g < producer_->num_groups(); ++g) {
      out.append(nb::make_tuple(producer_->group_name(g), producer_->group_size(g)));
    }
    return out;
  }

 private:
  std::shared_ptr<const loader::DatasetProducer> producer_;
  std::unique_ptr<loader::Loader> loader_;
  std::mutex mutex_;  // one consumer call at a time
};

void register_loader(nb::module_& m) {
  nb::class_<PyDataset>(m, "Dataset", "One group of a data YAML (see mimicit.Dataset).")
      .def(nb::init<const std::string&, const std::string&, const nb::dict&>(), "yaml"_a,
           "group"_a, "options"_a)
      .def("__len__", &PyDataset::size)
      .def("get", &PyDataset::get, "index"_a, "Sample `index` of the training list as a dict.")
      .def("ids", &PyDataset::ids, "The training list's instruction ids, in order.")
      .def_prop_ro("task_group", &PyDataset::task_group)
      .def("dropped_records", &PyDataset::dropped, "The records dropped at open, as dicts.");
  nb::class_<PyLoader>(m, "Loader", "Batches of a data YAML (see mimicit.Loader).")
      .def(nb::init<const std::string&, const nb::dict&, const nb::dict&>(), "yaml"_a, "data"_a,
           "options"_a)
      .def("next", &PyLoader::next, "The next batch as a dict, or None at the end of the epoch.")
      .def("set_epoch", &PyLoader::set_epoch, "epoch"_a)
      .def("state", &PyLoader::state)
      .def("load_state", &PyLoader::load_state, "state"_a)
      .def_prop_ro("num_batches", &PyLoader::num_batches)
      .def_prop_ro("position", &PyLoader::position)
      .def_prop_ro("threads", &PyLoader::threads)
      .def_prop_ro("error_count", &PyLoader::error_count)
      .def("errors", &PyLoader::errors)
      .def("dropped_records", &PyLoader::dropped, "The records dropped at open, as dicts.")
      .def("groups", &PyLoader::groups, "[(group name, samples)] in loader order.");
}

}  // namespace
}  // namespace mimicit::python

namespace mimicit::python {
void bind_validate(nb::module_& m);  // python/binding_validate.cc
void bind_convert(nb::module_& m);          // python/binding_convert.cc
void bind_validate_pieces(nb::module_& m);  // python/binding_validate_pieces.cc
}  // namespace mimicit::python

NB_MODULE(_core, m) {
  using namespace mimicit::python;
  m.doc() = "mimicit C++ core";
  register_exceptions(m);
  nb::register_exception_translator(&translate_exception, nullptr);
  m.def("version", [] { return std::string(MIMICIT_VERSION); }, "The mimicit version.");

  register_image_store(m);
  register_loader(m);
  bind_validate(m);
  bind_convert(m);
  bind_validate_pieces(m);

  nb::module_ pq = m.def_submodule("parquet", "Parquet files, read and written by mimicit");
  pq.def("read", &read_columns, "path"_a, "columns"_a = nb::none(),
         "Reads a Parquet file into {field name: list of values}.");
  pq.def("_write", &write_columns, "path"_a, "schema"_a, "data"_a, "options"_a,
         "Writes columns; see mimicit.parquet.write for the public signature.");
  pq.def("_metadata_json", &metadata_json, "path"_a, "The footer of a Parquet file as `parquet meta --json` prints it.");
  pq.def("find_sorted", &find_sorted, "path"_a, "column"_a, "key"_a,
         "Row of `key` in a column sorted ascending across the file, or None.");
  // Image decoding (src/image), for the tests that compare with Pillow and
  // for tools. The GIL is released while decoding; `data` stays alive (and
  // immutable) through the argument reference.
  m.def(
      "decode_rgb",
      [](nb::bytes data, uint64_t max_pixels, bool apply_exif_orientation) {
        mimicit::image::DecodeOptions options;
        options.max_pixels = max_pixels;
        options.apply_exif_orientation = apply_exif_orientation;
        mimicit::ByteView view(reinterpret_cast<const uint8_t*>(data.c_str()), data.size());
        mimicit::image::RgbImage image;
        {
          nb::gil_scoped_release release;
          image = mimicit::image::decode_rgb(view, options);
        }
        nb::bytes pixels(reinterpret_cast<const char*>(image.pixels.data()), image.pixels.size());
        return std::make_tuple(image.height, image.width, pixels);
      },
      "data"_a, "max_pixels"_a = 89478485, "apply_exif_orientation"_a = false,
      "Decodes an image file like Pillow's Image.open(f).convert('RGB'): "
      "(height, width, HWC RGB bytes).");
  m.def(
      "resize_rgb",
      [](uint32_t height, uint32_t width, nb::bytes pixels, uint32_t new_width,
         uint32_t new_height) {
        mimicit::image::RgbImage image;
        image.width = width;
        image.height = height;
        const auto* data = reinterpret_cast<const uint8_t*>(pixels.c_str());
        image.pixels.assign(data, data + pixels.size());
        {
          nb::gil_scoped_release release;
          image = mimicit::image::resize_bicubic(image, new_width, new_height);
        }
        nb::bytes out(reinterpret_cast<const char*>(image.pixels.data()), image.pixels.size());
        return std::make_tuple(image.height, image.width, out);
      },
      "height"_a, "width"_a, "pixels"_a, "new_width"_a, "new_height"_a,
      "Resizes HWC RGB bytes like Pillow's resize((new_width, new_height), BICUBIC): "
      "(height, width, HWC RGB bytes).");
  m.def(
      "probe_image",
      [](nb::bytes data) {
        mimicit::ByteView view(reinterpret_cast<const uint8_t*>(data.c_str()), data.size());
        mimicit::image::ImageInfo info = mimicit::image::probe(view);
        nb::dict out;
        out["format"] = mimicit::image::format_name(info.format);
        out["width"] = info.width;
        out["height"] = info.height;
        out["channels"] = info.channels_in_file;
        out["bits"] = info.bits_per_channel;
        out["animated"] = info.animated;
        return out;
      },
      "data"_a, "Format and size of an image file from its headers: a dict.");
}
