// mimicit._core.Loader (include/mimicit/loader.h), which mimicit.Loader
// wraps, and the batch images that Dataset shares. A batch's images reach
// numpy without a copy: the array views the batch buffer and owns the batch
// through a capsule, so the buffer lives as long as any array or tensor
// made from it. The options arrive as dicts of what the caller gave
// (binding_options.cc).
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

namespace {

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
    d["world_size"] = s.world_size;
    d["batch_size"] = s.batch_size;
    if (!s.segment.fresh()) {  // a resumed epoch: its plan and where the resume started
      d["plan_world_size"] = s.segment.plan_world_size;
      d["plan_batch_size"] = s.segment.plan_batch_size;
      d["begin"] = s.segment.begin;
    }
    return d;
  }

  void load_state(const nb::dict& d) {
    loader::LoaderState s;
    s.seed = required<uint64_t>(d, "seed");
    s.epoch = required<uint64_t>(d, "epoch");
    s.position = required<uint64_t>(d, "position");
    s.fingerprint = d.contains("fingerprint") ? nb::cast<uint64_t>(d["fingerprint"]) : 0;
    if (d.contains("world_size")) {
      s.world_size = required<uint32_t>(d, "world_size");
      s.batch_size = required<uint32_t>(d, "batch_size");
    }
    if (d.contains("plan_world_size")) {
      s.segment.plan_world_size = required<uint32_t>(d, "plan_world_size");
      s.segment.plan_batch_size = required<uint32_t>(d, "plan_batch_size");
      s.segment.begin = nb::cast<std::vector<uint64_t>>(d["begin"]);
    }
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

}  // namespace

void bind_loader(nb::module_& m) {
  nb::class_<PyLoader>(m, "Loader", "Batches of a data YAML (see mimicit.Loader).")
      .def(nb::init<const std::string&, const nb::dict&, const nb::dict&>(), "yaml"_a, "data"_a, "options"_a)
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

}  // namespace mimicit::python
