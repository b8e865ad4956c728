// `mimicit convert SRC... -o OUT`: argument parsing only; the work is
// convert::convert_images.
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "commands.h"
#include "mimicit/units.h"
#include "mimicit/convert.h"

namespace mimicit::cli {

namespace {

const std::map<std::string, parquet::Codec> kCodecs = {
    {"snappy", parquet::Codec::SNAPPY}, {"zstd", parquet::Codec::ZSTD},
    {"gzip", parquet::Codec::GZIP}, {"none", parquet::Codec::UNCOMPRESSED}};
const std::map<std::string, convert::Reencode> kReencodes = {
    {"keep", convert::Reencode::kKeep}, {"png", convert::Reencode::kPng}, {"jpeg", convert::Reencode::kJpeg}};
const std::map<std::string, int> kPngLevels = {
    {"fast", convert::ConvertOptions::kPngFast}, {"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4},
    {"5", 5}, {"6", 6}, {"7", 7}, {"8", 8}, {"9", 9}};
const std::map<std::string, convert::Payload> kPayloads = {
    {"base64", convert::Payload::kBase64}, {"binary", convert::Payload::kBinary}};

int run_convert(const convert::ConvertOptions& options) {
  convert::ConvertReport r = convert::convert_images(options);
  std::cout << fmt::format(
      "{}: {} images in {} parts ({}), {} dropped{}, {} duplicate ids, {:.1f} s\n", options.out,
      r.images, r.partitions, format_bytes(r.bytes_out), r.dropped,
      r.dropped ? " (see _dropped.jsonl)" : "", r.duplicates, r.seconds);
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "convert", "Convert image stores (Parquet, partition folders, images.json, image folders) "
                 "into one sorted, partitioned Parquet store");
  auto options = std::make_shared<convert::ConvertOptions>();
  auto max_size = std::make_shared<std::string>("1.5GiB");
  command->add_option("SRC", options->sources, "Stores to read; later sources win on duplicate ids")
      ->required();
  command->add_option("-o,--out", options->out, "Output folder (replaced atomically when done)")
      ->required();
  command->add_option("--max-partition-size", *max_size,
                      "Largest part file, e.g. 256MiB, 1.5GiB (default 1.5GiB)");
  command->add_option("--compression", options->codec, "snappy (default), zstd, gzip or none")
      ->transform(CLI::CheckedTransformer(kCodecs, CLI::ignore_case));
  command->add_option("--reencode", options->reencode,
                      "keep (default: image bytes untouched), png or jpeg")
      ->transform(CLI::CheckedTransformer(kReencodes, CLI::ignore_case));
  command->add_option("--resize", options->resize, "Resize every image to N x N (implies re-encoding)");
  command->add_option("--png-level", options->png_level,
                      "Re-encoded PNGs: fast (default: Up filter + libdeflate level 1, ~16x faster "
                      "than Pillow's level 6, ~7% larger) or a zlib level 0-9 with adaptive "
                      "filters, as Pillow (which uses 6)")
      ->transform(CLI::CheckedTransformer(kPngLevels, CLI::ignore_case));
  command->add_option("--jpeg-quality", options->jpeg_quality, "Quality 1-100 of re-encoded JPEGs (default 95)")
      ->check(CLI::Range(1, 100));
  command->add_flag("--verify", options->verify,
                    "Decode every image; drop the undecodable (listed in OUT/_dropped.jsonl)");
  command->add_option("--payload", options->payload,
                      "base64 (default: a base64 string column) or binary (raw bytes)")
      ->transform(CLI::CheckedTransformer(kPayloads, CLI::ignore_case));
  command->add_option("--threads", options->threads, "Worker threads (default: all cores)");
  command->footer(
      "Rows are sorted by id across all parts; pandas.read_parquet(OUT) and\n"
      "dask.dataframe.read_parquet(OUT) read the ids as the index. Images whose base64\n"
      "cannot be decoded are always dropped and listed in OUT/_dropped.jsonl.\n"
      "Example: mimicit convert LA_images.json -o LA_store --compression zstd --verify");
  command->callback([&action, options, max_size] {
    action = [options, max_size] {
      options->max_partition_bytes = parse_byte_size(*max_size);
      return run_convert(*options);
    };
  });
}

}  // namespace mimicit::cli
