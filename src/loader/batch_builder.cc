#include "loader/batch_builder.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <utility>

namespace mimicit::loader {
namespace {

// Runs fn(); returns the failure it throws as an Error (anything else a
// producer throws becomes kInternal: it still drops only this sample).
template <typename Fn>
bool run_caught(Fn&& fn, Error& error) {
  try {
    fn();
    return true;
  } catch (const Error& e) {
    error = e;
  } catch (const std::exception& e) {
    error = Error(ErrorCode::kInternal, e.what());
  } catch (...) {
    error = Error(ErrorCode::kInternal, "unknown exception");
  }
  return false;
}

}  // namespace

size_t dtype_size(DType dtype) { return dtype == DType::kFloat32 ? 4 : 1; }

void BatchBuilder::record_failure(size_t sample, const Error& error) {
  failed_[sample] = 1;
  SampleError& failure = failures_[sample];
  failure.epoch = batch_.epoch;
  failure.step = batch_.step;
  failure.group = batch_.group;
  failure.index = batch_.samples[sample].index;
  failure.id = batch_.samples[sample].id;
  failure.code = error.code();
  failure.message = error.message();
}

void BatchBuilder::plan(const SampleProducer& producer, uint64_t epoch, uint64_t step,
                        const BatchIndices& indices) {
  batch_ = Batch();
  batch_.epoch = epoch;
  batch_.step = step;
  batch_.group = indices.group;
  batch_.layout = producer.image_layout(indices.group);
  const size_t n = indices.indices.size();
  batch_.samples.resize(n);
  failed_.assign(n, 0);
  failures_.assign(n, SampleError());
  Error error(ErrorCode::kInternal, "");
  for (size_t j = 0; j < n; ++j) {
    SampleInfo& sample = batch_.samples[j];
    sample.index = indices.indices[j];
    if (!run_caught([&] { producer.describe(indices.group, epoch, sample.index, sample); }, error)) {
      record_failure(j, error);
      sample.num_images = 0;
    }
    batch_.max_images = std::max(batch_.max_images, sample.num_images);
  }
  batch_.images.resize(n * batch_.max_images * batch_.layout.bytes());
}

void BatchBuilder::load(const SampleProducer& producer, size_t j, SampleProducer::Scratch* scratch) {
  if (failed_[j]) return;
  const size_t slot_bytes = batch_.layout.bytes();
  const SampleInfo& sample = batch_.samples[j];
  Error error(ErrorCode::kInternal, "");
  for (uint32_t k = 0; k < sample.num_images; ++k) {
    std::span<uint8_t> out(batch_.image(j, k), slot_bytes);
    if (!run_caught([&] { producer.load_image(batch_.group, sample, k, out, scratch); }, error)) {
      record_failure(j, error);
      return;
    }
  }
  const size_t unused = batch_.max_images - sample.num_images;
  if (unused > 0) std::memset(batch_.image(j, sample.num_images), 0, unused * slot_bytes);
}

Batch BatchBuilder::finish() {
  const size_t n = batch_.samples.size();
  if (std::find(failed_.begin(), failed_.end(), 1) != failed_.end()) {
    uint32_t max_images = 0;
    for (size_t j = 0; j < n; ++j) {
      if (!failed_[j]) max_images = std::max(max_images, batch_.samples[j].num_images);
    }
    // Kept sample j moves to position `kept` <= j with max_images <= the old
    // stride, so every destination lies at or before its source: moving
    // front to back never overwrites images still to be moved.
    const size_t slot_bytes = batch_.layout.bytes();
    const size_t sample_bytes = max_images * slot_bytes;
    size_t kept = 0;
    for (size_t j = 0; j < n; ++j) {
      if (failed_[j]) {
        batch_.errors.push_back(std::move(failures_[j]));
        continue;
      }
      if (sample_bytes > 0 && (kept != j || max_images != batch_.max_images)) {
        std::memmove(batch_.images.data() + kept * sample_bytes, batch_.image(j, 0), sample_bytes);
      }
      if (kept != j) batch_.samples[kept] = std::move(batch_.samples[j]);
      ++kept;
    }
    batch_.samples.resize(kept);
    batch_.max_images = max_images;
    batch_.images.resize(kept * sample_bytes);
  }
  failed_.clear();
  failures_.clear();
  return std::move(batch_);
}

Error sample_error(const SampleProducer& producer, const SampleError& failure) {
  std::string where = fmt::format("epoch {}, step {}, group '{}', sample {}", failure.epoch, failure.step,
                                  producer.group_name(failure.group), failure.index);
  if (!failure.id.empty()) where += fmt::format(" (id '{}')", failure.id);
  return Error(failure.code, where + ": " + failure.message);
}

Batch load_sample(const SampleProducer& producer, size_t group, uint64_t index,
                  SampleProducer::Scratch* scratch, uint64_t epoch) {
  if (group >= producer.num_groups()) {
    fail_invalid("group {} is out of range ({} groups)", group, producer.num_groups());
  }
  if (index >= producer.group_size(group)) {
    fail(ErrorCode::kNotFound, "sample {} is out of range for group '{}' ({} samples)", index,
         producer.group_name(group), producer.group_size(group));
  }
  std::unique_ptr<SampleProducer::Scratch> own;
  if (scratch == nullptr) {
    own = producer.make_scratch();
    scratch = own.get();
  }
  const uint64_t indices[1] = {index};
  BatchBuilder builder;
  builder.plan(producer, epoch, 0, BatchIndices{static_cast<uint32_t>(group), indices});
  builder.load(producer, 0, scratch);
  Batch batch = builder.finish();
  if (!batch.errors.empty()) {
    const SampleError& failure = batch.errors.front();
    std::string where = fmt::format("group '{}', sample {}", producer.group_name(group), index);
    if (!failure.id.empty()) where += fmt::format(" (id '{}')", failure.id);
    throw Error(failure.code, where + ": " + failure.message);
  }
  return batch;
}

}  // namespace mimicit::loader
