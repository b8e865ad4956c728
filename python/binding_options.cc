// The option structs of the core built from the dicts python/mimicit
// passes, and the structs' defaults and the enum names shown to Python:
//
//   _defaults() -> {"dataset": {...}, "loader": {...}, "image_store": {...},
//                   "validate": {...}, "convert": {...}, "writer": {...},
//                   "decode": {...}, "normalization": {model: {"mean", "std"}}}
//   _names()    -> {"group": [...], "instruction_format": [...], ...}
//
// A dict holds only what the caller gave; every absent key keeps the
// struct's default, so a default is written once, in the struct. Enum
// values are parsed by the NameTable beside their enum (mimicit/names.h).
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "binding_util.h"
#include "inspect/images.h"
#include "mimicit/convert.h"
#include "mimicit/error.h"
#include "mimicit/image.h"
#include "mimicit/image_store.h"
#include "mimicit/loader.h"
#include "mimicit/preprocess.h"
#include "mimicit/units.h"
#include "mimicit/validate.h"

namespace mimicit::python {

namespace {

template <typename T>
T as(nb::handle value) {
  return nb::cast<T>(value);
}

[[noreturn]] void unknown_option(const char* what, std::string_view key) {
  fail_invalid("unknown {} option '{}'", what, key);
}

std::array<float, 3> channels(nb::handle value, const char* name) {
  const auto values = as<std::vector<float>>(value);
  if (values.size() != 3) fail_invalid("{} needs 3 values (R, G, B), not {}", name, values.size());
  return {values[0], values[1], values[2]};
}

// A float32 constant as the Python float of its shortest decimal text
// (0.481f -> 0.481, not 0.48100000619888306), which converts back to the
// same float32.
nb::float_ short_float(float value) { return nb::float_(std::stod(fmt::format("{}", value))); }

nb::list float_list(const std::array<float, 3>& values) {
  nb::list out;
  for (float v : values) out.append(short_float(v));
  return out;
}

template <typename Enum>
nb::list name_list(const NameTable<Enum>& table) {
  nb::list out;
  for (const NameEntry<Enum>& entry : table) out.append(entry.name);
  return out;
}

nb::dict normalization_dict(const image::Normalization& n) {
  nb::dict d;
  d["mean"] = float_list(n.mean);
  d["std"] = float_list(n.std);
  return d;
}

nb::dict dataset_defaults() {
  const loader::DataOptions o;
  nb::dict d;
  d["instruction_format"] = dataset::kInstructionFormatNames.name(o.sample.instruction_format);
  d["image_size"] = o.sample.image_size;
  d["mean"] = float_list(o.preprocess.normalization.mean);
  d["std"] = float_list(o.preprocess.normalization.std);
  d["dtype"] = loader::kDTypeNames.name(o.dtype);
  d["keep_symbols"] = o.sample.keep_symbols;
  d["python_unicode"] = dataset::kPythonUnicodeNames.name(o.sample.python_unicode);
  d["populate_rel_ins"] = o.sample.populate_rel_ins;
  d["with_task_description"] = o.sample.with_task_description;
  d["resample_frames"] = o.sample.resample_frames;
  d["seed"] = o.sample.seed;
  d["epoch"] = o.sample.epoch;
  d["groups"] = o.groups;
  d["fast"] = o.preprocess.fast;
  d["max_pixels"] = o.preprocess.max_pixels;
  d["base_dir"] = o.config.base_dir;
  d["cache_dir"] = o.stores.cache_dir;
  return d;
}

nb::dict loader_defaults() {
  const loader::LoaderOptions o;
  nb::dict d;
  d["batch_size"] = o.order.batch_size;
  d["rank"] = o.order.rank;
  d["world_size"] = o.order.world_size;
  d["seed"] = o.order.seed;
  d["epoch"] = o.order.epoch;
  d["drop_last"] = o.order.drop_last;
  d["replacement"] = o.order.sampling == loader::Sampling::kWithReplacement;
  d["threads"] = o.threads;
  d["prefetch"] = o.prefetch;
  d["batching"] = loader::kBatchingNames.name(o.order.batching);
  d["on_error"] = loader::kOnErrorNames.name(o.on_error);
  d["max_error_reports"] = o.max_error_reports;
  return d;
}

nb::dict image_store_defaults() {
  const ImageStoreOptions o;
  nb::dict d;
  d["use_saved_index"] = o.use_saved_index;
  d["save_index"] = o.save_index;
  d["index_pages"] = o.index_pages;
  d["cache_dir"] = o.cache_dir;
  return d;
}

nb::dict validate_defaults() {
  const validate::Options o;
  nb::dict d;
  d["decode"] = o.decode;
  d["threads"] = o.threads;
  d["base_dir"] = o.base_dir;
  d["cache_dir"] = o.cache_dir;
  d["max_problems"] = o.max_problems;
  d["python_unicode"] = dataset::kPythonUnicodeNames.name(o.python_unicode);
  d["max_pixels"] = o.max_pixels;
  return d;
}

nb::dict convert_defaults() {
  const convert::ConvertOptions o;
  nb::dict d;
  d["max_partition_size"] = o.max_partition_bytes;
  d["compression"] = parquet::kCodecNames.name(o.codec);
  d["reencode"] = convert::kReencodeNames.name(o.reencode);
  d["resize"] = o.resize;
  d["verify"] = o.verify;
  if (o.png_level == convert::ConvertOptions::kPngFast) {
    d["png_level"] = "fast";
  } else {
    d["png_level"] = o.png_level;
  }
  d["jpeg_quality"] = o.jpeg_quality;
  d["payload"] = convert::kPayloadNames.name(o.payload);
  d["threads"] = o.threads;
  return d;
}

nb::dict writer_defaults() {
  const parquet::WriterOptions o;
  nb::dict d;
  d["codec"] = parquet::kCodecNames.name(o.codec);
  d["compression_level"] = o.compression_level;
  d["row_group_rows"] = o.row_group_rows;
  d["row_group_bytes"] = o.row_group_bytes;
  d["page_bytes"] = o.page_bytes;
  d["page_rows"] = o.page_rows;
  d["dictionary_bytes"] = o.dictionary_bytes;
  d["data_page_version"] = o.data_page_version;
  d["statistics"] = o.statistics;
  d["page_index"] = o.page_index;
  d["write_crc"] = o.write_crc;
  d["max_statistics_bytes"] = o.max_statistics_bytes;
  d["bloom_filter_fpp"] = o.bloom_filter_fpp;
  return d;
}

nb::dict decode_defaults() {
  const image::DecodeOptions o;
  nb::dict d;
  d["max_pixels"] = o.max_pixels;
  d["apply_exif_orientation"] = o.apply_exif_orientation;
  return d;
}

nb::dict defaults() {
  nb::dict d;
  d["dataset"] = dataset_defaults();
  d["loader"] = loader_defaults();
  d["image_store"] = image_store_defaults();
  d["validate"] = validate_defaults();
  d["convert"] = convert_defaults();
  d["writer"] = writer_defaults();
  d["decode"] = decode_defaults();
  nb::dict models;
  models["otter"] = normalization_dict(image::kOtterNormalization);
  models["idefics"] = normalization_dict(image::kIdeficsNormalization);
  d["normalization"] = models;
  return d;
}

nb::dict names() {
  nb::dict d;
  d["group"] = name_list(dataset::kGroupNames);
  d["instruction_format"] = name_list(dataset::kInstructionFormatNames);
  d["python_unicode"] = name_list(dataset::kPythonUnicodeNames);
  d["dtype"] = name_list(loader::kDTypeNames);
  d["on_error"] = name_list(loader::kOnErrorNames);
  d["batching"] = name_list(loader::kBatchingNames);
  d["compression"] = name_list(parquet::kCodecNames);
  d["reencode"] = name_list(convert::kReencodeNames);
  d["payload"] = name_list(convert::kPayloadNames);
  d["payload_kind"] = name_list(kPayloadKindNames);
  d["problem_kind"] = name_list(validate::kKindNames);
  d["image_format"] = name_list(image::kImageFormatNames);
  return d;
}

}  // namespace

loader::DataOptions data_options(const nb::dict& given) {
  loader::DataOptions d;
  for (auto [key_object, value] : given) {
    const std::string key = as<std::string>(key_object);
    if (key == "instruction_format")
      d.sample.instruction_format = parse_name(dataset::kInstructionFormatNames, value);
    else if (key == "keep_symbols")
      d.sample.keep_symbols = as<bool>(value);
    else if (key == "python_unicode")
      d.sample.python_unicode = parse_name(dataset::kPythonUnicodeNames, value);
    else if (key == "populate_rel_ins")
      d.sample.populate_rel_ins = as<bool>(value);
    else if (key == "with_task_description")
      d.sample.with_task_description = as<bool>(value);
    else if (key == "resample_frames")
      d.sample.resample_frames = as<uint32_t>(value);
    else if (key == "image_size")
      d.sample.image_size = as<uint32_t>(value);
    else if (key == "seed")
      d.sample.seed = as<int64_t>(value);
    else if (key == "epoch")
      d.sample.epoch = as<int64_t>(value);
    else if (key == "mean")
      d.preprocess.normalization.mean = channels(value, "mean");
    else if (key == "std")
      d.preprocess.normalization.std = channels(value, "std");
    else if (key == "fast")
      d.preprocess.fast = as<bool>(value);
    else if (key == "max_pixels")
      d.preprocess.max_pixels = as<uint64_t>(value);
    else if (key == "dtype")
      d.dtype = parse_name(loader::kDTypeNames, value);
    else if (key == "groups")
      d.groups = as<std::vector<std::string>>(value);
    else if (key == "base_dir")
      d.config.base_dir = as<std::string>(value);
    else if (key == "cache_dir")
      d.stores.cache_dir = as<std::string>(value);
    else
      unknown_option("dataset", key);
  }
  d.stores.index_progress = inspect::index_progress_bar();
  return d;
}

loader::LoaderOptions loader_options(const nb::dict& given) {
  loader::LoaderOptions l;
  for (auto [key_object, value] : given) {
    const std::string key = as<std::string>(key_object);
    if (key == "batch_size")
      l.order.batch_size = as<uint32_t>(value);
    else if (key == "rank")
      l.order.rank = as<uint32_t>(value);
    else if (key == "world_size")
      l.order.world_size = as<uint32_t>(value);
    else if (key == "seed")
      l.order.seed = as<uint64_t>(value);
    else if (key == "epoch")
      l.order.epoch = as<uint64_t>(value);
    else if (key == "drop_last")
      l.order.drop_last = as<bool>(value);
    else if (key == "replacement") {
      l.order.sampling =
          as<bool>(value) ? loader::Sampling::kWithReplacement : loader::Sampling::kWithoutReplacement;
    } else if (key == "batching")
      l.order.batching = parse_name(loader::kBatchingNames, value);
    else if (key == "threads")
      l.threads = as<int>(value);
    else if (key == "prefetch")
      l.prefetch = as<int>(value);
    else if (key == "on_error")
      l.on_error = parse_name(loader::kOnErrorNames, value);
    else if (key == "max_error_reports")
      l.max_error_reports = as<size_t>(value);
    else
      unknown_option("loader", key);
  }
  return l;
}

validate::Options validate_options(const nb::dict& given) {
  validate::Options o;
  for (auto [key_object, value] : given) {
    const std::string key = as<std::string>(key_object);
    if (key == "decode")
      o.decode = as<bool>(value);
    else if (key == "threads")
      o.threads = as<int>(value);
    else if (key == "base_dir")
      o.base_dir = as<std::string>(value);
    else if (key == "cache_dir")
      o.cache_dir = as<std::string>(value);
    else if (key == "max_problems")
      o.max_problems = as<uint64_t>(value);
    else if (key == "python_unicode")
      o.python_unicode = parse_name(dataset::kPythonUnicodeNames, value);
    else if (key == "max_pixels")
      o.max_pixels = as<uint64_t>(value);
    else
      unknown_option("validate", key);
  }
  return o;
}

convert::ConvertOptions convert_options(const nb::dict& given) {
  convert::ConvertOptions o;
  o.sources = required<std::vector<std::string>>(given, "sources");
  o.out = required<std::string>(given, "out");
  o.progress = false;
  for (auto [key_object, value] : given) {
    const std::string key = as<std::string>(key_object);
    if (key == "sources" || key == "out") continue;
    if (key == "max_partition_size") {
      o.max_partition_bytes =
          nb::isinstance<nb::str>(value) ? parse_byte_size(as<std::string>(value)) : as<uint64_t>(value);
    } else if (key == "compression")
      o.codec = parse_name(parquet::kCodecNames, value);
    else if (key == "reencode")
      o.reencode = parse_name(convert::kReencodeNames, value);
    else if (key == "resize")
      o.resize = as<uint32_t>(value);
    else if (key == "verify")
      o.verify = as<bool>(value);
    else if (key == "png_level")
      o.png_level = as<int>(value);
    else if (key == "jpeg_quality")
      o.jpeg_quality = as<int>(value);
    else if (key == "payload")
      o.payload = parse_name(convert::kPayloadNames, value);
    else if (key == "threads")
      o.threads = as<int>(value);
    else
      unknown_option("convert", key);
  }
  if (o.png_level != convert::ConvertOptions::kPngFast && (o.png_level < 0 || o.png_level > 9)) {
    fail_invalid("png_level must be 'fast' or 0 to 9, not {}", o.png_level);
  }
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100)
    fail_invalid("jpeg_quality must be 1 to 100, not {}", o.jpeg_quality);
  if (o.threads < 0 || o.threads > 1024)
    fail_invalid("threads must be 0 (all cores) to 1024, not {}", o.threads);
  return o;
}

parquet::WriterOptions writer_options(const nb::dict& given) {
  parquet::WriterOptions options;
  for (auto [key_object, value] : given) {
    const std::string key = as<std::string>(key_object);
    if (key == "codec")
      options.codec = parse_name(parquet::kCodecNames, value);
    else if (key == "compression_level")
      options.compression_level = as<int>(value);
    else if (key == "row_group_rows")
      options.row_group_rows = as<int64_t>(value);
    else if (key == "row_group_bytes")
      options.row_group_bytes = as<int64_t>(value);
    else if (key == "page_bytes")
      options.page_bytes = as<int64_t>(value);
    else if (key == "page_rows")
      options.page_rows = as<int64_t>(value);
    else if (key == "dictionary_bytes")
      options.dictionary_bytes = as<int64_t>(value);
    else if (key == "data_page_version")
      options.data_page_version = as<int>(value);
    else if (key == "statistics")
      options.statistics = as<bool>(value);
    else if (key == "page_index")
      options.page_index = as<bool>(value);
    else if (key == "write_crc")
      options.write_crc = as<bool>(value);
    else if (key == "max_statistics_bytes")
      options.max_statistics_bytes = as<size_t>(value);
    else if (key == "bloom_filter_fpp")
      options.bloom_filter_fpp = as<double>(value);
    else if (key == "pandas_index")
      options.pandas_index_column = as<std::string>(value);
    else if (key == "created_by")
      options.created_by = as<std::string>(value);
    else if (key == "metadata") {
      for (auto [k, v] : nb::cast<nb::dict>(value)) {
        options.key_value_metadata.push_back({as<std::string>(k), as<std::string>(v)});
      }
    } else {
      fail_invalid("unknown writer option '{}'", key);
    }
  }
  return options;
}

void bind_options(nb::module_& m) {
  m.def("_defaults", &defaults,
        "The C++ option structs' defaults, by topic: what an omitted keyword argument means.");
  m.def("_names", &names, "The names each enum option takes, by option, in table order.");
}

}  // namespace mimicit::python
