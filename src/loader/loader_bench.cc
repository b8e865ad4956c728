#include "loader/loader_bench.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "mimicit/loader.h"
#include "util/progress.h"

namespace mimicit::loader {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Samples in one epoch of the order (the progress bar's total).
uint64_t samples_in_epoch(const Order& order) {
  uint64_t total = 0;
  for (uint64_t step = 0; step < order.num_batches(); ++step) total += order.batch(step).indices.size();
  return total;
}

DataOptions data_options(const BenchOptions& o) {
  DataOptions data;
  data.sample.image_size = o.image_size;
  data.sample.seed = static_cast<int64_t>(o.seed);
  data.sample.python_unicode = o.python_unicode;
  data.preprocess.fast = o.fast;
  data.preprocess.max_pixels = o.max_pixels;
  data.dtype = o.uint8 ? DType::kUint8 : DType::kFloat32;
  data.groups = o.groups;
  return data;
}

LoaderOptions loader_options(const BenchOptions& o) {
  LoaderOptions options;
  options.order.batch_size = o.batch_size;
  options.order.seed = o.seed;
  options.order.drop_last = false;
  options.order.sampling = o.without_replacement ? Sampling::kWithoutReplacement : Sampling::kWithReplacement;
  options.order.batching = o.batching;
  options.threads = o.threads;
  options.prefetch = o.prefetch;
  return options;
}

struct Pulled {
  uint64_t batches = 0;
  uint64_t samples = 0;
  uint64_t images = 0;
  uint64_t image_slots = 0;  // samples * max_images, summed over the batches
  uint64_t text_bytes = 0;
  uint64_t text_slots = 0;  // samples * the longest text, in bytes
  double first_batch = 0;   // seconds until the first batch
  double seconds = 0;
};

// Pulls batches until the epoch ends, or past it until o.limit samples.
Pulled pull_batches(Loader& loader, const BenchOptions& o) {
  Pulled pulled;
  uint64_t epoch = 0;
  bool first = true;
  Batch batch;
  // On a terminal: samples done, image bytes built per second, ETA.
  Progress progress("samples", o.limit > 0 ? o.limit : samples_in_epoch(loader.order()));
  const Clock::time_point start = Clock::now();
  while (true) {
    if (!loader.next(batch)) {
      if (o.limit == 0 || loader.order().num_batches() == 0) break;
      loader.set_epoch(++epoch);
      continue;
    }
    if (std::exchange(first, false)) pulled.first_batch = seconds_since(start);
    ++pulled.batches;
    pulled.samples += batch.samples.size();
    size_t longest = 0;
    for (const SampleInfo& s : batch.samples) {
      pulled.images += s.num_images;
      pulled.text_bytes += s.text.size();
      longest = std::max(longest, s.text.size());
    }
    pulled.image_slots += uint64_t{batch.max_images} * batch.samples.size();
    pulled.text_slots += uint64_t{longest} * batch.samples.size();
    progress.advance(batch.samples.size() + batch.errors.size(), batch.images.size());
    if (o.limit > 0 && pulled.samples >= o.limit) break;
  }
  progress.finish();
  pulled.seconds = seconds_since(start);
  return pulled;
}

}  // namespace

void bench_loader(const std::string& yaml, const BenchOptions& o, std::ostream& out) {
  const Clock::time_point open_start = Clock::now();
  auto producer = DatasetProducer::open(yaml, data_options(o));
  Loader loader(producer, loader_options(o));
  const double open_seconds = seconds_since(open_start);
  out << fmt::format("loader: {}\n", yaml);
  for (size_t g = 0; g < producer->num_groups(); ++g) {
    const dataset::GroupDataset& group = producer->group_dataset(g);
    out << fmt::format("  {}: {} samples\n", producer->group_name(g), producer->group_size(g));
    if (group.dropped_count() == 0) continue;
    out << fmt::format("  {}: {} instruction records dropped\n", producer->group_name(g),
                       group.dropped_count());
    for (size_t i = 0; i < group.dropped_records().size() && i < 10; ++i) {
      out << fmt::format("    dropped record: {}\n", group.dropped_records()[i].message);
    }
  }
  out << fmt::format("start-up: {:.3f} s (YAML, instruction files, epoch order)\n", open_seconds);

  const Pulled p = pull_batches(loader, o);
  out << fmt::format(
      "{} batches, {} samples, {} images, {} dropped in {:.3f} s (first batch after {:.3f} s)\n", p.batches,
      p.samples, p.images, loader.error_count(), p.seconds, p.first_batch);
  out << fmt::format("{:.1f} samples/s, {:.1f} images/s ({} threads, batch {}, S = {})\n",
                     p.seconds > 0 ? p.samples / p.seconds : 0.0, p.seconds > 0 ? p.images / p.seconds : 0.0,
                     loader.threads(), o.batch_size, o.image_size);
  // Padding: image slots holding zeros, and text bytes a batch pads to its
  // longest text (the share of tokens padding costs, with bytes for tokens).
  auto share = [](uint64_t part, uint64_t whole) { return whole > 0 ? 100.0 * part / whole : 0.0; };
  out << fmt::format("padding ({}): {} of {} image slots ({:.1f}%), {} of {} text bytes ({:.1f}%)\n",
                     kBatchingNames.name(o.batching), p.image_slots - p.images, p.image_slots,
                     share(p.image_slots - p.images, p.image_slots), p.text_slots - p.text_bytes,
                     p.text_slots, share(p.text_slots - p.text_bytes, p.text_slots));
  const std::vector<SampleError> errors = loader.errors();
  for (size_t i = 0; i < errors.size() && i < 10; ++i) {
    const SampleError& e = errors[i];
    out << fmt::format("  dropped: epoch {} step {} {} {}: {}\n", e.epoch, e.step,
                       producer->group_name(e.group), e.id, e.message);
  }
}

}  // namespace mimicit::loader
