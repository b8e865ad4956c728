// BatchBuilder: one batch under construction, in three phases.
//
//   plan()   describes every sample of the step (text part and image count)
//            and allocates the image buffer for the largest count;
//   load(j)  writes sample j's images into its slots and zeroes the unused
//            ones; calls for different j may run on different threads;
//   finish() removes the samples that failed (moving the others' images
//            down, shrinking max_images when the largest sample failed) and
//            lists the failures in sample order.
// A failure of a sample is caught and recorded, never thrown: what one
// sample does cannot stop the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "mimicit/loader.h"

namespace mimicit::loader {

class BatchBuilder {
 public:
  void plan(const SampleProducer& producer, uint64_t epoch, uint64_t step, const BatchIndices& indices);
  size_t size() const { return batch_.samples.size(); }
  void load(const SampleProducer& producer, size_t sample, SampleProducer::Scratch* scratch);
  // The finished batch; the builder is empty afterwards.
  Batch finish();

 private:
  void record_failure(size_t sample, const Error& error);

  Batch batch_;
  std::vector<uint8_t> failed_;        // per planned sample
  std::vector<SampleError> failures_;  // per planned sample, where failed_
};

// The error a sample failure is reported with by OnError::kRaise and by
// load_sample(): the failure's code, its message prefixed with where.
Error sample_error(const SampleProducer& producer, const SampleError& failure);

}  // namespace mimicit::loader
