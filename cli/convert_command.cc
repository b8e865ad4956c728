// `mimicit convert SRC... -o OUT [--to hf|otter|llava]`: argument parsing
// only; the work is convert::convert_images (image stores) or
// convert::convert_layout (whole datasets, --to).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "mimicit/convert.h"
#include "mimicit/units.h"

namespace mimicit::cli {

namespace {

const std::map<std::string, int> kPngLevels = {{"fast", convert::ConvertOptions::kPngFast},
                                               {"0", 0},
                                               {"1", 1},
                                               {"2", 2},
                                               {"3", 3},
                                               {"4", 4},
                                               {"5", 5},
                                               {"6", 6},
                                               {"7", 7},
                                               {"8", 8},
                                               {"9", 9}};

// While a conversion into s3:// runs, SIGINT and SIGTERM abort its
// multipart uploads (nothing of the output remains) before the process
// dies of the signal. They are blocked before any thread starts, so only
// the waiter takes them, in ordinary code.
class AbortUploadsOnSignal {
 public:
  AbortUploadsOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
    waiter_ = std::thread([this] {
      int signal = 0;
      sigwait(&signals_, &signal);
      if (done_) return;
      convert::abort_uploads();
      // Die of the signal, as without this handler.
      ::signal(signal, SIG_DFL);
      pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
      ::raise(signal);
    });
  }
  ~AbortUploadsOnSignal() {
    done_ = true;
    pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
    pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
  }

 private:
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

int run_convert(const convert::ConvertOptions& options) {
  std::optional<AbortUploadsOnSignal> on_signal;
  if (options.out.starts_with("s3://")) on_signal.emplace();
  convert::ConvertReport r = convert::convert_images(options);
  std::cout << fmt::format("{}: {} images in {} parts ({}), {} dropped{}, {} duplicate ids, {:.1f} s\n",
                           options.out, r.images, r.partitions, format_bytes(r.bytes_out), r.dropped,
                           r.dropped ? " (see _dropped.jsonl)" : "", r.duplicates, r.seconds);
  return 0;
}

int run_layout(const convert::LayoutOptions& options) {
  convert::LayoutReport r = convert::convert_layout(options);
  std::cout << fmt::format(
      "{}: {} datasets in the {} layout: {} records, {} images, {} files ({}){}, {:.1f} s\n", options.out,
      r.datasets, convert::layout_name(options.to), r.records, r.images, r.files, format_bytes(r.bytes_out),
      r.missing_images ? fmt::format(", {} image ids without an image", r.missing_images) : std::string(),
      r.seconds);
  return 0;
}

// --to's names and what each writes, from the one table beside the enum.
std::map<std::string, convert::Layout> layout_names() {
  std::map<std::string, convert::Layout> names;
  for (const convert::LayoutName& n : convert::kLayoutNames) names.emplace(n.name, n.layout);
  return names;
}

std::string layout_help() {
  std::string help = "Convert whole datasets (instructions and images) into another layout instead:";
  for (const convert::LayoutName& n : convert::kLayoutNames)
    help += fmt::format("\n  {}: {}", n.name, n.help);
  return help;
}

}  // namespace

void add_convert_command(CLI::App& app, Action& action) {
  auto* command =
      app.add_subcommand("convert",
                         "Convert image stores (Parquet, partition folders, images.json, image folders) "
                         "into one sorted, partitioned Parquet store");
  auto options = std::make_shared<convert::ConvertOptions>();
  auto max_size = std::make_shared<std::string>();
  auto layout = std::make_shared<convert::LayoutOptions>();
  auto to = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>();
  auto max_shard = std::make_shared<std::string>();
  command
      ->add_option("SRC", options->sources,
                   "Stores to read; later sources win on duplicate ids. With --to: a data YAML, or "
                   "the instructions (JSON, or HF shards: a .parquet file, a folder, a glob) "
                   "followed by their image stores")
      ->required();
  command
      ->add_option("-o,--out", options->out,
                   "Output folder (replaced atomically when done), or an empty s3://bucket/prefix (objects "
                   "appear when done)")
      ->required();
  command->add_option("--max-partition-size", *max_size, "Largest part file, e.g. 256MiB, 1.5GiB")
      ->default_str(format_bytes(options->max_partition_bytes));
  add_name_option(*command, "--compression", options->codec, parquet::kCodecNames, "Codec of the part files");
  add_name_option(*command, "--reencode", options->reencode, convert::kReencodeNames, "Image bytes written");
  command->add_option("--resize", options->resize, "Resize every image to N x N (implies re-encoding)");
  command
      ->add_option("--png-level", options->png_level,
                   "Re-encoded PNGs: fast (default: Up filter + libdeflate level 1, ~16x faster "
                   "than Pillow's level 6, ~7% larger) or a zlib level 0-9 with adaptive "
                   "filters, as Pillow (which uses 6)")
      ->transform(CLI::CheckedTransformer(kPngLevels, CLI::ignore_case));
  command->add_option("--jpeg-quality", options->jpeg_quality, "Quality 1-100 of re-encoded JPEGs")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  command->add_flag("--verify", options->verify,
                    "Decode every image; drop the undecodable (listed in OUT/_dropped.jsonl)");
  add_name_option(*command, "--payload", options->payload, convert::kPayloadNames, "Image column");
  command->add_option("--threads", options->threads, "Worker threads (default: all cores)");
  command->add_option("--to", *to, layout_help())->transform(CLI::IsMember(layout_names(), CLI::ignore_case));
  command->add_option("--task", *task,
                      "With --to: the dataset's name X (default: from the instructions' path, "
                      "CGD_instructions.json or CGD_Instructions/ give CGD; a data YAML's names)");
  command->add_option("--max-shard-size", *max_shard, "With --to hf: largest shard, e.g. 500MB, 1GB")
      ->default_str(format_bytes(layout->max_shard_bytes));
  command->footer(
      "Image stores: rows are sorted by id across all parts; pandas.read_parquet(OUT) and\n"
      "dask.dataframe.read_parquet(OUT) read the ids as the index. Images whose base64\n"
      "cannot be decoded are always dropped and listed in OUT/_dropped.jsonl.\n"
      "  mimicit convert LA_images.json -o LA_store --compression zstd --verify\n"
      "Layouts (--to): texts, ids and image bytes are copied untouched, both ways.\n"
      "  mimicit convert LA_instructions.json LA.parquet --to hf -o hf/   # hf/LA, hf/LA_Images,\n"
      "      hf/LA_Instructions (train-00000-of-0000N.parquet) and hf/README.md: push hf/ to the hub\n"
      "  mimicit convert data.yaml --to hf -o hf/            # every dataset of the YAML\n"
      "  mimicit convert hf/LA_Instructions --to otter -o otter/   # LA_Images found beside it;\n"
      "      writes otter/LA_instructions.json, otter/LA_images/ and otter/data.yaml\n"
      "  mimicit convert hf/LA --to otter -o otter/          # the pictures embedded in the rows\n"
      "  mimicit convert data.yaml --to llava -o llava/      # llava/LA.json + llava/images/\n"
      "See docs/layouts.md.");
  command->callback([&action, options, max_size, layout, to, task, max_shard] {
    if (to->empty()) {
      action = [options, max_size] {
        if (!max_size->empty()) options->max_partition_bytes = parse_byte_size(*max_size);
        return run_convert(*options);
      };
      return;
    }
    action = [options, layout, to, task, max_shard] {
      layout->to = *convert::parse_layout(*to);
      layout->datasets = convert::layout_sources(options->sources, *task);
      layout->out = options->out;
      if (!max_shard->empty()) layout->max_shard_bytes = parse_byte_size(*max_shard);
      layout->codec = options->codec;
      layout->threads = options->threads;
      layout->progress = options->progress;
      return run_layout(*layout);
    };
  });
}

}  // namespace mimicit::cli
