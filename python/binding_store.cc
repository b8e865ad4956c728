// mimicit._core.ImageStore (include/mimicit/image_store.h), which
// mimicit.ImageStore wraps. Ids cross the boundary as UTF-8 with
// "surrogateescape" (binding_util.h). get_bytes releases the GIL.
#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binding_util.h"
#include "inspect/images.h"
#include "mimicit/image_store.h"
#include "mimicit/remote_stats.h"
#include "store/open_store.h"

using namespace nanobind::literals;

namespace mimicit::python {

std::string id_text(nb::handle id) {
  if (PyBytes_Check(id.ptr())) {
    return std::string(PyBytes_AS_STRING(id.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(id.ptr())));
  }
  if (!PyUnicode_Check(id.ptr())) throw nb::type_error("an image id must be str or bytes");
  nb::object encoded = check(PyUnicode_AsEncodedString(id.ptr(), "utf-8", "surrogateescape"));
  return std::string(PyBytes_AS_STRING(encoded.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(encoded.ptr())));
}

namespace {

class PyImageStore {
 public:
  // An argument left at None keeps ImageStoreOptions' default.
  PyImageStore(const std::vector<std::string>& paths, std::optional<bool> use_saved_index,
               std::optional<bool> save_index, const std::string& cache_dir,
               std::optional<bool> index_pages) {
    ImageStoreOptions options;
    if (use_saved_index) options.use_saved_index = *use_saved_index;
    if (save_index) options.save_index = *save_index;
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
    for (PayloadKind kind : store_->payload_kinds()) kinds.push_back(kPayloadKindNames.name(kind));
    return kinds;
  }

  uint64_t index_bytes() const { return store_->index_bytes(); }

 private:
  std::shared_ptr<const ImageStore> store_;
  store::OpenReport report_;
};

}  // namespace

void bind_store(nb::module_& m) {
  nb::class_<PyImageStore>(m, "ImageStore", "Encoded images by id (see mimicit.ImageStore).")
      .def(nb::init<const std::vector<std::string>&, std::optional<bool>, std::optional<bool>,
                    const std::string&, std::optional<bool>>(),
           "paths"_a, "use_saved_index"_a = nb::none(), "save_index"_a = nb::none(), "cache_dir"_a = "",
           "index_pages"_a = nb::none())
      .def("index_info", &PyImageStore::index_info,
           "What the open did: index_path, used_saved_index, saved_index, built_seek_tables, "
           "seek_table_bytes, "
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
  m.def(
      "_remote_stats",
      [](bool reset) {
        const RemoteStats s = remote_stats();
        if (reset) reset_remote_stats();
        nb::dict d;
        d["requests"] = s.requests;
        d["heads"] = s.heads;
        d["lists"] = s.lists;
        d["bytes"] = s.bytes;
        d["retries"] = s.retries;
        d["cache_hits"] = s.cache_hits;
        d["cache_misses"] = s.cache_misses;
        d["fetched_bytes"] = s.fetched_bytes;
        return d;
      },
      "reset"_a = false,
      "This process's remote I/O counters (mimicit/remote_stats.h); reset: zero them after.");
}

}  // namespace mimicit::python
