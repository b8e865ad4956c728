// mimicit._core.Dataset: one group of a data YAML, sample by sample
// (loader::load_sample), which mimicit.Dataset wraps. The options arrive as
// a dict of what the caller gave (binding_options.cc).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "binding_util.h"
#include "mimicit/loader.h"

using namespace nanobind::literals;

namespace mimicit::python {

namespace {

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

}  // namespace

void bind_dataset(nb::module_& m) {
  nb::class_<PyDataset>(m, "Dataset", "One group of a data YAML (see mimicit.Dataset).")
      .def(nb::init<const std::string&, const std::string&, const nb::dict&>(), "yaml"_a, "group"_a,
           "options"_a)
      .def("__len__", &PyDataset::size)
      .def("get", &PyDataset::get, "index"_a, "Sample `index` of the training list as a dict.")
      .def("ids", &PyDataset::ids, "The training list's instruction ids, in order.")
      .def_prop_ro("task_group", &PyDataset::task_group)
      .def("dropped_records", &PyDataset::dropped, "The records dropped at open, as dicts.");
}

}  // namespace mimicit::python
