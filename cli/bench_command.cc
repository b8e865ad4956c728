// `mimicit bench loader DATA.yaml`: opens a data YAML as the training loader
// does, pulls batches as fast as the loader builds them and prints the
// start-up time and samples per second.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "mimicit/loader.h"
#include "util/progress.h"

namespace mimicit::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct BenchLoaderOptions {
  std::string yaml;
  uint32_t batch_size = 8;
  int threads = 0;
  int prefetch = 0;
  uint64_t limit = 0;  // samples; 0 = one epoch
  uint32_t image_size = 224;
  std::vector<std::string> groups;
  uint64_t seed = 42;
  bool fast = false;
  bool uint8 = false;
  bool without_replacement = false;
  dataset::PythonUnicode python_unicode = dataset::PythonUnicode::kPython39;
};

// Samples in one epoch of the order (the progress bar's total).
uint64_t samples_in_epoch(const loader::Order& order) {
  uint64_t total = 0;
  for (uint64_t step = 0; step < order.num_batches(); ++step) total += order.batch(step).indices.size();
  return total;
}

int bench_loader(const BenchLoaderOptions& o) {
  loader::DataOptions data;
  data.sample.image_size = o.image_size;
  data.sample.seed = static_cast<int64_t>(o.seed);
  data.sample.python_unicode = o.python_unicode;
  data.preprocess.fast = o.fast;
  data.dtype = o.uint8 ? loader::DType::kUint8 : loader::DType::kFloat32;
  data.groups = o.groups;
  loader::LoaderOptions options;
  options.order.batch_size = o.batch_size;
  options.order.seed = o.seed;
  options.order.drop_last = false;
  options.order.sampling = o.without_replacement ? loader::Sampling::kWithoutReplacement
                                                 : loader::Sampling::kWithReplacement;
  options.threads = o.threads;
  options.prefetch = o.prefetch;

  const Clock::time_point open_start = Clock::now();
  auto producer = loader::DatasetProducer::open(o.yaml, data);
  loader::Loader loader(producer, options);
  const double open_seconds = seconds_since(open_start);
  std::cout << fmt::format("loader: {}\n", o.yaml);
  for (size_t g = 0; g < producer->num_groups(); ++g) {
    std::cout << fmt::format("  {}: {} samples\n", producer->group_name(g), producer->group_size(g));
  }
  std::cout << fmt::format("start-up: {:.3f} s (YAML, instruction files, epoch order)\n",
                           open_seconds);

  uint64_t samples = 0, images = 0, batches = 0, epoch = 0;
  double first_batch = -1;
  loader::Batch batch;
  // On a terminal: samples done, image bytes built per second, ETA.
  Progress progress("samples", o.limit > 0 ? o.limit : samples_in_epoch(loader.order()));
  const Clock::time_point start = Clock::now();
  while (true) {
    if (!loader.next(batch)) {
      if (o.limit == 0 || loader.order().num_batches() == 0) break;
      loader.set_epoch(++epoch);
      continue;
    }
    if (first_batch < 0) first_batch = seconds_since(start);
    ++batches;
    samples += batch.samples.size();
    for (const loader::SampleInfo& s : batch.samples) images += s.num_images;
    progress.advance(batch.samples.size() + batch.errors.size(), batch.images.size());
    if (o.limit > 0 && samples >= o.limit) break;
  }
  progress.finish();
  const double seconds = seconds_since(start);
  std::cout << fmt::format(
      "{} batches, {} samples, {} images, {} dropped in {:.3f} s (first batch after {:.3f} s)\n",
      batches, samples, images, loader.error_count(), seconds, first_batch < 0 ? 0.0 : first_batch);
  std::cout << fmt::format("{:.1f} samples/s, {:.1f} images/s ({} threads, batch {}, S = {})\n",
                           seconds > 0 ? samples / seconds : 0.0,
                           seconds > 0 ? images / seconds : 0.0, loader.threads(), o.batch_size,
                           o.image_size);
  const std::vector<loader::SampleError> errors = loader.errors();
  for (size_t i = 0; i < errors.size() && i < 10; ++i) {
    const loader::SampleError& e = errors[i];
    std::cout << fmt::format("  dropped: epoch {} step {} {} {}: {}\n", e.epoch, e.step,
                             producer->group_name(e.group), e.id, e.message);
  }
  return 0;
}

void add_bench_loader(CLI::App& bench, Action& action) {
  auto* command = bench.add_subcommand(
      "loader", "Build training batches from a data YAML as fast as possible; print samples/s");
  auto o = std::make_shared<BenchLoaderOptions>();
  command->add_option("DATA", o->yaml, "Data YAML")->required();
  command->add_option("--batch-size", o->batch_size, "Samples per batch")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  command->add_option("--threads", o->threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  command->add_option("--prefetch", o->prefetch, "Batches built ahead (default: 2 per thread)")
      ->check(CLI::Range(1, 1 << 16));
  command->add_option("--limit", o->limit,
                      "Stop after N samples, going on into the next epochs (default: one epoch)");
  command->add_option("--image-size", o->image_size, "Image side S")
      ->check(CLI::Range(1, 16384))
      ->capture_default_str();
  command->add_option("--groups", o->groups, "Groups to load, comma-separated (default: all)")
      ->delimiter(',');
  command->add_option("--seed", o->seed, "Seed of the order")->capture_default_str();
  command->add_flag("--fast", o->fast, "Decode large JPEGs at a reduced scale (not pixel-exact)");
  add_python_unicode_option(*command, o->python_unicode);
  command->add_flag("--uint8", o->uint8, "uint8 HWC pixels instead of normalised float32 CHW");
  command->add_flag("--without-replacement", o->without_replacement,
                    "A permutation per group and epoch instead of draws with replacement");
  command->callback([&action, o] { action = [o] { return bench_loader(*o); }; });
}

}  // namespace

void add_bench_command(CLI::App& app, Action& action) {
  auto* bench = app.add_subcommand("bench", "Measure mimicit's throughput on your data");
  bench->require_subcommand(1);
  add_bench_loader(*bench, action);
}

}  // namespace mimicit::cli
