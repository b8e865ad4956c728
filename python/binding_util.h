// What the binding_<topic>.cc files of mimicit._core share: Python object
// helpers, the conversion of ids and file text, and the option structs
// built from the dicts python/mimicit passes (binding_options.cc).
//
// Options arrive as dicts holding only what the Python caller gave: a key
// that is absent keeps the C++ option struct's default, so the defaults
// live in the structs alone (`_core._defaults()` shows them to Python).
// An unknown key is a ValueError.
#pragma once

#include <nanobind/nanobind.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/convert.h"
#include "mimicit/image_store.h"
#include "mimicit/loader.h"
#include "mimicit/names.h"
#include "mimicit/parquet/writer.h"
#include "mimicit/validate.h"

namespace nb = nanobind;

namespace mimicit::python {

// `object` as an owned reference; a null one raises the pending Python error.
inline nb::object check(PyObject* object) {
  if (object == nullptr) throw nb::python_error();
  return nb::steal(object);
}

// Text read from a file (names, metadata) as str: "replace", as for STRING
// values, since a corrupt or foreign file may hold any bytes there and a
// reader must not fail on them with a bare conversion error.
inline nb::object file_text(std::string_view text) {
  return check(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"));
}

// Ids cross the boundary as UTF-8 with "surrogateescape", so an id that is
// not valid UTF-8 comes out as a str that looks it up again.
std::string id_text(nb::handle id);
inline nb::object id_object(std::string_view id) {
  return check(PyUnicode_DecodeUTF8(id.data(), static_cast<Py_ssize_t>(id.size()), "surrogateescape"));
}

// d[key] as a T; KeyError when absent (for arguments that have no default).
template <typename T>
T required(const nb::dict& d, const char* key) {
  if (!d.contains(key)) throw nb::key_error(key);
  return nb::cast<T>(d[key]);
}

// The enum named by a Python str (table.parse: kInvalidArgument, a
// ValueError, listing the names).
template <typename Enum>
Enum parse_name(const NameTable<Enum>& table, nb::handle value) {
  return table.parse(nb::cast<std::string>(value));
}

// binding_options.cc: option structs from the dicts of python/mimicit.
// `index_progress` is set as the core's progress bar where it applies.
loader::DataOptions data_options(const nb::dict& given);
loader::LoaderOptions loader_options(const nb::dict& given);
validate::Options validate_options(const nb::dict& given);
convert::ConvertOptions convert_options(const nb::dict& given);
parquet::WriterOptions writer_options(const nb::dict& given);

// Registration of each topic, called by NB_MODULE in binding.cc.
void bind_options(nb::module_& m);          // binding_options.cc: _defaults(), _names()
void bind_parquet(nb::module_& m);          // binding_parquet.cc: the parquet submodule
void bind_store(nb::module_& m);            // binding_store.cc: ImageStore
void bind_dataset(nb::module_& m);          // binding_dataset.cc: Dataset
void bind_loader(nb::module_& m);           // binding_loader.cc: Loader
void bind_image(nb::module_& m);            // binding_image.cc: decode_rgb, resize_rgb, probe_image
void bind_validate(nb::module_& m);         // binding_validate.cc
void bind_convert(nb::module_& m);          // binding_convert.cc
void bind_validate_pieces(nb::module_& m);  // binding_validate_pieces.cc

// binding_loader.cc: what Dataset and Loader share.
// The images of `batch` as a numpy array of `shape` that owns the batch.
nb::object images_array(std::unique_ptr<loader::Batch> batch, const std::vector<size_t>& shape);
// The records the producer's groups dropped at open (dataset.h), as dicts.
nb::list dropped_records(const loader::DatasetProducer& producer);

}  // namespace mimicit::python
