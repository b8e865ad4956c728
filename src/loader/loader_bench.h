// `mimicit bench loader DATA.yaml`: opens a data YAML as the training loader
// does, pulls batches as fast as the loader builds them, and reports the
// start-up time, the samples and images per second, and the padding of
// the batches (zero image slots; text bytes short of each batch's longest).
//
// Thread-safety: one call at a time per stream; the loader's worker threads
// are its own.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "mimicit/loader.h"
#include "mimicit/preprocess.h"
#include "mimicit/prompt.h"

namespace mimicit::loader {

struct BenchOptions {
  uint32_t batch_size = 8;
  int threads = 0;     // worker threads; 0: all cores
  int prefetch = 0;    // batches built ahead; 0: 2 per thread
  uint64_t limit = 0;  // samples, going on into the next epochs; 0: one epoch
  uint32_t image_size = 224;
  std::vector<std::string> groups;                              // empty: every group
  uint64_t seed = 42;                                           // of the order and the samples
  bool fast = false;                                            // PreprocessOptions::fast
  uint64_t max_pixels = image::PreprocessOptions{}.max_pixels;  // PreprocessOptions::max_pixels
  bool uint8 = false;                // uint8 HWC pixels instead of normalised float32 CHW
  bool without_replacement = false;  // a permutation per group and epoch
  Batching batching = Batching::kReference;
  dataset::PythonUnicode python_unicode = dataset::PythonUnicode::kPython39;  // SampleOptions::python_unicode
};

// Writes to `out`: the YAML and each group's samples, the start-up time
// (YAML, instruction files, epoch order), then the batches, samples,
// images and dropped samples pulled with their time, samples/s and
// images/s, and the first 10 dropped samples. Draws a progress line on
// stderr when it is a terminal. Throws what opening the data throws
// (DatasetProducer::open).
void bench_loader(const std::string& yaml, const BenchOptions& options, std::ostream& out);

}  // namespace mimicit::loader
