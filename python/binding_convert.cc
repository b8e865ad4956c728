// mimicit._core convert functions: `mimicit convert` (mimicit/convert.h) in
// shards, which mimicit.dask runs on a cluster.
//
//   convert_plan(options, shard_images, shards) -> {"images", "duplicates", "shards"}
//   convert_shard(options, shard, work_dir) -> {"images", "dropped", "bytes_in", "reused"}
//   convert_layout(options, plan, work_dir) -> merge plan {"images", "kept", "dropped", "duplicates",
//                                              "bytes_in", "shards": [(index, bytes)],
//                                              "parts": [(index, first rank, end rank, rows)]}
//   convert_part(options, merge, part, work_dir) -> {"rows", "bytes", "reused", "upload"}
//                                              (upload: None, or for an s3:// output
//                                              (upload id, [part ETag, ...]), open)
//   convert_commit(options, merge, work_dir, parts=[]) -> report dict (parts: the
//                                              convert_part dicts in part order; s3://)
//   convert_abandon(options)                -> None (a failed run: its open uploads aborted)
//
// `options` is a dict built by python/mimicit/dask.py: sources, out and
// what the caller gave of max_partition_size (bytes, or text such as
// "1.5GiB"), compression, reencode, resize, verify, png_level (-1 for
// "fast", or 0-9), jpeg_quality, payload, threads; the rest keeps
// ConvertOptions' defaults (binding_options.cc). A shard is a plain tuple (index, begin file, begin position,
// end file, end position, images, store images) so it pickles as it is.
// The GIL is released for the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <string>
#include <vector>

#include "binding_util.h"
#include "mimicit/convert.h"
#include "mimicit/error.h"

using namespace nanobind::literals;

namespace mimicit::python {

namespace {

using convert::ConvertOptions;
using convert::ConvertPlan;
using convert::ConvertShard;

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

nb::dict merge_dict(const convert::MergePlan& m) {
  nb::list shards;
  for (const convert::ShardValues& s : m.shards) shards.append(nb::make_tuple(s.index, s.bytes));
  nb::list parts;
  for (const convert::PartPlan& p : m.parts)
    parts.append(nb::make_tuple(p.index, p.first_rank, p.end_rank, p.rows));
  nb::dict d;
  d["images"] = m.images;
  d["kept"] = m.kept;
  d["dropped"] = m.dropped;
  d["duplicates"] = m.duplicates;
  d["bytes_in"] = m.bytes_in;
  d["shards"] = shards;
  d["parts"] = parts;
  return d;
}

// The plan convert_plan returned (a dict of images, duplicates, shards).
ConvertPlan plan_of(const nb::dict& plan) {
  ConvertPlan p;
  p.images = required<uint64_t>(plan, "images");
  p.duplicates = required<uint64_t>(plan, "duplicates");
  for (nb::handle shard : required<nb::list>(plan, "shards"))
    p.shards.push_back(shard_of(nb::cast<nb::tuple>(shard)));
  return p;
}

convert::MergePlan merge_of(const nb::dict& d) {
  convert::MergePlan m;
  m.images = required<uint64_t>(d, "images");
  m.kept = required<uint64_t>(d, "kept");
  m.dropped = required<uint64_t>(d, "dropped");
  m.duplicates = required<uint64_t>(d, "duplicates");
  m.bytes_in = required<uint64_t>(d, "bytes_in");
  for (nb::handle h : required<nb::list>(d, "shards")) {
    auto t = nb::cast<nb::tuple>(h);
    if (t.size() != 2) fail_invalid("a merge plan's shard is a tuple of 2 integers, not {}", t.size());
    m.shards.push_back({nb::cast<uint32_t>(t[0]), nb::cast<uint64_t>(t[1])});
  }
  for (nb::handle h : required<nb::list>(d, "parts")) {
    auto t = nb::cast<nb::tuple>(h);
    if (t.size() != 4) fail_invalid("a merge plan's part is a tuple of 4 integers, not {}", t.size());
    m.parts.push_back({nb::cast<uint32_t>(t[0]), nb::cast<uint64_t>(t[1]), nb::cast<uint64_t>(t[2]),
                       nb::cast<uint64_t>(t[3])});
  }
  return m;
}

nb::dict part_dict(const convert::PartReport& r) {
  nb::dict d;
  d["rows"] = r.rows;
  d["bytes"] = r.bytes;
  d["reused"] = r.reused;
  if (r.upload.upload_id.empty()) {
    d["upload"] = nb::none();
  } else {
    nb::list etags;
    for (const std::string& etag : r.upload.part_etags) etags.append(etag);
    d["upload"] = nb::make_tuple(r.upload.upload_id, etags);
  }
  return d;
}

convert::PartReport part_of(const nb::dict& d) {
  convert::PartReport r;
  r.rows = required<uint64_t>(d, "rows");
  r.bytes = required<uint64_t>(d, "bytes");
  r.reused = required<bool>(d, "reused");
  if (d.contains("upload") && !d["upload"].is_none()) {
    auto t = nb::cast<nb::tuple>(d["upload"]);
    if (t.size() != 2) fail_invalid("a part's upload is a tuple (upload id, ETags), not of {}", t.size());
    r.upload.upload_id = nb::cast<std::string>(t[0]);
    for (nb::handle etag : nb::cast<nb::list>(t[1]))
      r.upload.part_etags.push_back(nb::cast<std::string>(etag));
  }
  return r;
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
      "convert_layout",
      [](const nb::dict& options, const nb::dict& plan, const std::string& work_dir) {
        ConvertOptions o = convert_options(options);
        ConvertPlan p = plan_of(plan);
        convert::MergePlan merge;
        {
          nb::gil_scoped_release release;
          merge = convert::plan_parts(o, p, work_dir);
        }
        return merge_dict(merge);
      },
      "options"_a, "plan"_a, "work_dir"_a,
      "Once every shard is done: cuts the output into its parts (the merge plan).");
  m.def(
      "convert_part",
      [](const nb::dict& options, const nb::dict& merge, uint32_t part, const std::string& work_dir) {
        ConvertOptions o = convert_options(options);
        convert::MergePlan m = merge_of(merge);
        convert::PartReport r;
        {
          nb::gil_scoped_release release;
          r = convert::convert_part(o, m, part, work_dir);
        }
        return part_dict(r);
      },
      "options"_a, "merge"_a, "part"_a, "work_dir"_a, "Writes one part of the output (idempotent).");
  m.def(
      "convert_commit",
      [](const nb::dict& options, const nb::dict& merge, const std::string& work_dir, const nb::list& parts) {
        ConvertOptions o = convert_options(options);
        convert::MergePlan m = merge_of(merge);
        std::vector<convert::PartReport> reports;
        for (nb::handle part : parts) reports.push_back(part_of(nb::cast<nb::dict>(part)));
        convert::ConvertReport report;
        {
          nb::gil_scoped_release release;
          report = convert::commit_parts(o, m, work_dir, reports);
        }
        return report_dict(report);
      },
      "options"_a, "merge"_a, "work_dir"_a, "parts"_a = nb::list(),
      "Once every part is written: renames the output over options['out'] (an s3:// output: completes "
      "the parts' uploads) and removes work_dir.");
  m.def(
      "convert_abandon",
      [](const nb::dict& options) {
        ConvertOptions o = convert_options(options);
        nb::gil_scoped_release release;
        convert::abandon_parts(o);
      },
      "options"_a, "A failed or cancelled run: aborts the uploads its parts left open (s3:// outputs).");
}

}  // namespace mimicit::python
