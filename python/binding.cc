// The Python module mimicit._core: the C++ core exposed through nanobind.
//
// This file defines the module, `_core.version()` and the exception classes
// (MimicitError and one subclass per error code); each binding_<topic>.cc
// adds one topic through its bind_<topic>(module) function (binding_util.h
// lists them): options and their defaults, parquet, the image store,
// Dataset, Loader, image functions, validate and convert. The package
// `mimicit` (python/mimicit) re-exports these and adds the argument handling
// that is simpler in Python (type inference, option normalisation).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <array>
#include <exception>
#include <string>

#include "binding_util.h"
#include "mimicit/error.h"

using namespace nb::literals;

namespace mimicit::python {
namespace {

// ---------------------------------------------------------------------------
// Exceptions: mimicit::Error -> mimicit.MimicitError (or a subclass that also
// derives from the matching built-in, so `except OSError` catches I/O
// failures and `except ValueError` catches bad arguments).

constexpr size_t kNumCodes = static_cast<size_t>(ErrorCode::kInternal) + 1;
std::array<PyObject*, kNumCodes> g_error_types{};  // owned for the process lifetime

PyObject* new_exception_type(nb::module_& m, const char* name, PyObject* bases, const char* doc) {
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
  PyObject* base =
      new_exception_type(m, "MimicitError", PyExc_Exception,
                         "Base class of every mimicit error; `.code` names the kind of failure.");
  g_error_types.fill(base);
  auto set = [&](ErrorCode code, const char* name, PyObject* builtin, const char* doc) {
    PyObject* bases = builtin ? bases_of(base, builtin) : nullptr;
    g_error_types[static_cast<size_t>(code)] = new_exception_type(m, name, bases ? bases : base, doc);
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
  if (PyObject_SetAttrString(exception.ptr(), "code", nb::str(error_code_name(error.code())).ptr()) != 0) {
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

}  // namespace
}  // namespace mimicit::python

NB_MODULE(_core, m) {
  using namespace mimicit::python;
  m.doc() = "mimicit C++ core";
  register_exceptions(m);
  nb::register_exception_translator(&translate_exception, nullptr);
  m.def(
      "version", [] { return std::string(MIMICIT_VERSION); }, "The mimicit version.");

  bind_options(m);
  bind_parquet(m);
  bind_store(m);
  bind_dataset(m);
  bind_loader(m);
  bind_image(m);
  bind_validate(m);
  bind_convert(m);
  bind_validate_pieces(m);
}
