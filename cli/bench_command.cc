// `mimicit bench loader DATA.yaml`: the loader's throughput on your data
// (loader/loader_bench.h does the work).
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "loader/loader_bench.h"

namespace mimicit::cli {

namespace {

struct BenchLoaderArgs {
  std::string yaml;
  loader::BenchOptions options;
};

void add_bench_loader(CLI::App& bench, Action& action) {
  auto* command = bench.add_subcommand(
      "loader", "Build training batches from a data YAML as fast as possible; print samples/s");
  auto args = std::make_shared<BenchLoaderArgs>();
  loader::BenchOptions* o = &args->options;
  command->add_option("DATA", args->yaml, "Data YAML")->required();
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
  add_max_pixels_option(*command, o->max_pixels);
  command->add_flag("--uint8", o->uint8, "uint8 HWC pixels instead of normalised float32 CHW");
  command->add_flag("--without-replacement", o->without_replacement,
                    "A permutation per group and epoch instead of draws with replacement");
  add_name_option(*command, "--batching", o->batching, loader::kBatchingNames,
                  "How samples are grouped into batches");
  command->callback([&action, args] {
    action = [args] {
      loader::bench_loader(args->yaml, args->options, std::cout);
      return 0;
    };
  });
}

}  // namespace

void add_bench_command(CLI::App& app, Action& action) {
  auto* bench = app.add_subcommand("bench", "Measure mimicit's throughput on your data");
  bench->require_subcommand(1);
  add_bench_loader(*bench, action);
}

}  // namespace mimicit::cli
