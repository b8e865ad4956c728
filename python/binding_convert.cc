// mimicit._core convert functions: `mimicit convert` (mimicit/convert.h) in
// shards, which mimicit.dask runs on a cluster.
//
//   convert_plan(options, shard_images, shards) -> {"images", "duplicates", "shards"}
//   convert_shard(options, shard, work_dir) -> {"images", "dropped", "bytes_in", "reused"}
//   convert_merge(options, plan, work_dir)  -> report dict
//
// `options` is a dict built by python/mimicit/dask.py (which owns the
// defaults): sources, out, max_partition_size (bytes, or text such as
// "1.5GiB"), compression, reencode,
// resize, verify, png_level ("fast" or 0-9), jpeg_quality, payload,
// threads. A shard is a plain tuple (index, begin file, begin position,
// end file, end position, images, store images) so it pickles as it is.
// The GIL is released for the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mimicit/error.h"
#include "mimicit/units.h"
#include "mimicit/convert.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mimicit::python {

namespace {

using convert::ConvertOptions;
using convert::ConvertPlan;
using convert::ConvertShard;

template <typename T>
T required(const nb::dict& d, const char* key) {
  if (!d.contains(key)) throw nb::key_error(key);
  return nb::cast<T>(d[key]);
}

template <typename Enum>
Enum choice(const std::string& name, const char* what,
            std::initializer_list<std::pair<const char*, Enum>> known) {
  std::string listed;
  for (const auto& [text, value] : known) {
    if (name == text) return value;
    listed += listed.empty() ? text : std::string(", ") + text;
  }
  fail_invalid("unknown {} '{}' (expected {})", what, name, listed);
}

ConvertOptions convert_options(const nb::dict& d) {
  ConvertOptions o;
  o.sources = required<std::vector<std::string>>(d, "sources");
  o.out = required<std::string>(d, "out");
  if (!d.contains("max_partition_size")) throw nb::key_error("max_partition_size");
  nb::handle size = d["max_partition_size"];
  o.max_partition_bytes = nb::isinstance<nb::str>(size) ? parse_byte_size(nb::cast<std::string>(size))
                                                        : nb::cast<uint64_t>(size);
  o.codec = choice<parquet::Codec>(required<std::string>(d, "compression"), "compression",
                                   {{"snappy", parquet::Codec::SNAPPY},
                                    {"zstd", parquet::Codec::ZSTD},
                                    {"gzip", parquet::Codec::GZIP},
                                    {"none", parquet::Codec::UNCOMPRESSED}});
  o.reencode = choice<convert::Reencode>(required<std::string>(d, "reencode"), "reencode",
                                       {{"keep", convert::Reencode::kKeep},
                                        {"png", convert::Reencode::kPng},
                                        {"jpeg", convert::Reencode::kJpeg}});
  o.resize = required<uint32_t>(d, "resize");
  o.verify = required<bool>(d, "verify");
  o.png_level = required<int>(d, "png_level");
  if (o.png_level != ConvertOptions::kPngFast && (o.png_level < 0 || o.png_level > 9)) {
    fail_invalid("png_level must be 'fast' or 0 to 9, not {}", o.png_level);
  }
  o.jpeg_quality = required<int>(d, "jpeg_quality");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100) fail_invalid("jpeg_quality must be 1 to 100, not {}", o.jpeg_quality);
  o.payload = choice<convert::Payload>(required<std::string>(d, "payload"), "payload",
                                     {{"base64", convert::Payload::kBase64}, {"binary", convert::Payload::kBinary}});
  o.threads = required<int>(d, "threads");
  if (o.threads < 0 || o.threads > 1024) fail_invalid("threads must be 0 (all cores) to 1024, not {}", o.threads);
  o.progress = false;
  return o;
}

nb::tuple shard_tuple(const ConvertShard& s) {
  return nb::make_tuple(s.index, s.begin.file, s.begin.position, s.end.file, s.end.position, s.images,
                        s.store_images);
}

ConvertShard shard_of(const nb::tuple& t) {
  if (t.size() != 7) fail_invalid("a shard is a tuple of 7 integers, not {}", t.size());
  ConvertShard s;
  s.index = nb::cast<uint32_t>(t[0]);
  s.begin = {nb::cast<uint32_t>(t[1]), nb::cast<uint64_t>(t[2])};
  s.end = {nb::cast<uint32_t>(t[3]), nb::cast<uint64_t>(t[4])};
  s.images = nb::cast<uint64_t>(t[5]);
  s.store_images = nb::cast<uint64_t>(t[6]);
  return s;
}

nb::dict report_dict(const convert::ConvertReport& r) {
  nb::dict d;
  d["images"] = r.images;
  d["dropped"] = r.dropped;
  d["duplicates"] = r.duplicates;
  d["partitions"] = r.partitions;
  d["bytes_in"] = r.bytes_in;
  d["bytes_out"] = r.bytes_out;
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

void bind_convert(nb::module_& m) {
  m.def(
      "convert_plan",
      [](const nb::dict& options, uint64_t shard_images, uint64_t shards) {
        ConvertOptions o = convert_options(options);
        ConvertPlan plan;
        {
          nb::gil_scoped_release release;
          plan = convert::plan_convert(o, shard_images, shards);
        }
        nb::list listed;
        for (const ConvertShard& s : plan.shards) listed.append(shard_tuple(s));
        nb::dict d;
        d["images"] = plan.images;
        d["duplicates"] = plan.duplicates;
        d["shards"] = listed;
        return d;
      },
      "options"_a, "shard_images"_a, "shards"_a = 0,
      "Cuts the conversion into shards of about shard_images images (0: into about `shards`).");
  m.def(
      "convert_shard",
      [](const nb::dict& options, const nb::tuple& shard, const std::string& work_dir) {
        ConvertOptions o = convert_options(options);
        ConvertShard s = shard_of(shard);
        convert::ShardReport r;
        {
          nb::gil_scoped_release release;
          r = convert::convert_shard(o, s, work_dir);
        }
        nb::dict d;
        d["images"] = r.images;
        d["dropped"] = r.dropped;
        d["bytes_in"] = r.bytes_in;
        d["reused"] = r.reused;
        return d;
      },
      "options"_a, "shard"_a, "work_dir"_a, "Converts one shard into work_dir (idempotent).");
  m.def(
      "convert_merge",
      [](const nb::dict& options, const nb::dict& plan, const std::string& work_dir) {
        ConvertOptions o = convert_options(options);
        ConvertPlan p;
        p.images = required<uint64_t>(plan, "images");
        p.duplicates = required<uint64_t>(plan, "duplicates");
        for (nb::handle shard : required<nb::list>(plan, "shards")) {
          p.shards.push_back(shard_of(nb::cast<nb::tuple>(shard)));
        }
        convert::ConvertReport report;
        {
          nb::gil_scoped_release release;
          report = convert::merge_shards(o, p, work_dir);
        }
        return report_dict(report);
      },
      "options"_a, "plan"_a, "work_dir"_a,
      "Writes the output from the finished shards and commits it over options['out'].");
}

}  // namespace mimicit::python
