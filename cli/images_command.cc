// `mimicit images ls|get|stats|index`: argument parsing only; the work is in
// src/inspect/images.
#include <iostream>
#include <memory>

#include "commands.h"
#include "inspect/images.h"

namespace mimicit::cli {

namespace {

void add_store_option(CLI::App& command, std::vector<std::string>& store) {
  command
      .add_option("STORE", store, "Parquet file or folder, images.json or image folder (several: later wins)")
      ->required()
      ->expected(1, -1);
}

void add_ls(CLI::App& images, Action& action) {
  auto* command = images.add_subcommand("ls", "Print the image ids, sorted, one per line");
  auto store = std::make_shared<std::vector<std::string>>();
  auto limit = std::make_shared<uint64_t>(0);
  add_store_option(*command, *store);
  command->add_option("--limit", *limit, "Print at most N ids");
  command->callback([&action, store, limit] {
    action = [store, limit] {
      inspect::list_image_ids(*store, *limit, std::cout);
      return 0;
    };
  });
}

void add_get(CLI::App& images, Action& action) {
  auto* command = images.add_subcommand("get", "Write one image's bytes (to stdout without -o)");
  auto store = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  command->add_option("STORE", *store, "Parquet file or folder, images.json or image folder")->required();
  command->add_option("ID", *id, "Image id")->required();
  command->add_option("-o,--out", *out, "File to write");
  command->callback([&action, store, id, out] {
    action = [store, id, out] {
      inspect::get_image({*store}, *id, *out, std::cout);
      return 0;
    };
  });
}

void add_stats(CLI::App& images, Action& action) {
  auto* command = images.add_subcommand(
      "stats", "Count images and bytes; formats, width/height histograms, unreadable and duplicate ids");
  auto store = std::make_shared<std::vector<std::string>>();
  auto options = std::make_shared<inspect::StatsOptions>();
  add_store_option(*command, *store);
  command->add_flag("--json", options->json, "Print one JSON object");
  command->add_option("--threads", options->threads, "Worker threads (default: all cores)");
  command->callback([&action, store, options] {
    action = [store, options] {
      inspect::print_image_stats(*store, *options, std::cout);
      return 0;
    };
  });
}

void add_index(CLI::App& images, Action& action) {
  auto* command = images.add_subcommand(
      "index",
      "Build the store's saved index now: the sorted ids, and seek tables for Parquet pages over 4 MiB "
      "(what pandas and dask write by default: one pass over those pages), so that every later open, in "
      "any process or rank, maps it and a get decodes at most ~1 MiB before its image. Saved beside the "
      "store, or in the cache folder when that is read-only; rebuilt by itself when the store changes. "
      "A store in s3:// gets it uploaded beside it (.NAME.mimicit-index), where every node's first open "
      "fetches it instead of reading the store (docs/object_storage.md)");
  auto store = std::make_shared<std::vector<std::string>>();
  auto rebuild = std::make_shared<bool>(false);
  add_store_option(*command, *store);
  command->add_flag("--rebuild", *rebuild, "Ignore a saved index and build it again");
  command->callback([&action, store, rebuild] {
    action = [store, rebuild] {
      inspect::index_store(*store, *rebuild, std::cout);
      return 0;
    };
  });
}

}  // namespace

void add_images_command(CLI::App& app, Action& action) {
  auto* images =
      app.add_subcommand("images", "Look into image stores: list ids, get an image, stats, build the index");
  images->require_subcommand(1);
  add_ls(*images, action);
  add_get(*images, action);
  add_stats(*images, action);
  add_index(*images, action);
}

}  // namespace mimicit::cli
