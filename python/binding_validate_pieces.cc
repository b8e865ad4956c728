// mimicit._core functions that run `mimicit validate`'s decode pass in
// pieces (include/mimicit/validate.h), for mimicit.dask.validate:
//
//   validate_decode_targets(yaml, options) -> [store path, ...]
//   storage_ranges(store, range_images, ranges, cache_dir)
//       -> [(begin file, begin position, end file, end position, images), ...]
//   validate_decode_range(store, range, options)
//       -> (images, [count per kind], [(kind, image id, detail), ...])
//   validate_with_decoded(yaml, options, {store: [piece result, ...]})
//       -> the report's JSON text (as mimicit.validate's)
//
// `options` is a dict of validate::Options (binding_options.cc): decode,
// threads, base_dir, cache_dir, max_problems, python_unicode.
// Results are plain tuples and lists so they pickle as they are. The GIL is
// released for the work.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <string>
#include <vector>

#include "binding_util.h"
#include "mimicit/error.h"
#include "mimicit/image_store.h"
#include "mimicit/validate.h"
#include "store/storage_ranges.h"

using namespace nanobind::literals;

namespace mimicit::python {

namespace {

nb::tuple result_tuple(const validate::DecodeResult& r) {
  nb::list counts;
  for (uint64_t c : r.counts) counts.append(c);
  nb::list kept;
  for (const validate::DecodedImage& image : r.kept) {
    kept.append(nb::make_tuple(validate::kind_name(image.kind), image.image_id, image.detail));
  }
  return nb::make_tuple(r.images, counts, kept);
}

validate::DecodeResult result_of(nb::handle value) {
  nb::tuple t = nb::cast<nb::tuple>(value);
  if (t.size() != 3) fail_invalid("a decode result is (images, counts, kept), not {} items", t.size());
  validate::DecodeResult r;
  r.images = nb::cast<uint64_t>(t[0]);
  std::vector<uint64_t> counts = nb::cast<std::vector<uint64_t>>(t[1]);
  if (counts.size() != r.counts.size()) {
    fail_invalid("a decode result has {} counts, not {}", counts.size(), r.counts.size());
  }
  std::copy(counts.begin(), counts.end(), r.counts.begin());
  for (nb::handle item : nb::cast<nb::list>(t[2])) {
    nb::tuple k = nb::cast<nb::tuple>(item);
    if (k.size() != 3) fail_invalid("a decoded image is (kind, image id, detail)");
    std::string kind = nb::cast<std::string>(k[0]);
    std::optional<validate::Kind> parsed = validate::parse_kind(kind);
    if (!parsed) fail_invalid("unknown problem kind '{}'", kind);
    r.kept.push_back(
        {.kind = *parsed, .image_id = nb::cast<std::string>(k[1]), .detail = nb::cast<std::string>(k[2])});
  }
  return r;
}

}  // namespace

void bind_validate_pieces(nb::module_& m) {
  m.def(
      "validate_decode_targets",
      [](const std::string& yaml, const nb::dict& options) {
        validate::Options o = validate_options(options);
        nb::gil_scoped_release release;
        return validate::decode_targets(yaml, o);
      },
      "yaml"_a, "options"_a, "The image stores validate decodes, in YAML order.");
  m.def(
      "storage_ranges",
      [](const std::string& store, uint64_t range_images, uint64_t ranges, const std::string& cache_dir) {
        std::vector<StorageRange> cut;
        {
          nb::gil_scoped_release release;
          auto opened = ImageStore::open(store, validate::store_options({.cache_dir = cache_dir}));
          if (range_images == 0) range_images = range_size_for(opened->size(), ranges);
          cut = cut_storage_order(*opened, range_images);
        }
        nb::list out;
        for (const StorageRange& r : cut) {
          out.append(nb::make_tuple(r.begin.file, r.begin.position, r.end.file, r.end.position, r.images));
        }
        return out;
      },
      "store"_a, "range_images"_a, "ranges"_a = 0, "cache_dir"_a = "",
      "Storage order of a store cut into ranges of about range_images images (0: into about `ranges`).");
  m.def(
      "validate_decode_range",
      [](const std::string& store, const nb::tuple& range, const nb::dict& options) {
        if (range.size() != 5) fail_invalid("a range is a tuple of 5 integers, not {}", range.size());
        StoragePlace begin{nb::cast<uint32_t>(range[0]), nb::cast<uint64_t>(range[1])};
        StoragePlace end{nb::cast<uint32_t>(range[2]), nb::cast<uint64_t>(range[3])};
        validate::Options o = validate_options(options);
        validate::DecodeResult result;
        {
          nb::gil_scoped_release release;
          result = validate::decode_range(store, begin, end, o);
        }
        return result_tuple(result);
      },
      "store"_a, "range"_a, "options"_a, "The decode pass over one range of a store.");
  m.def(
      "validate_with_decoded",
      [](const std::string& yaml, const nb::dict& options, const nb::dict& decoded) {
        validate::Options o = validate_options(options);
        for (auto [store, pieces] : decoded) {
          validate::DecodeResult& merged = o.decoded[nb::cast<std::string>(store)];
          for (nb::handle piece : nb::cast<nb::list>(pieces)) merged.merge(result_of(piece), o.max_problems);
        }
        nb::gil_scoped_release release;
        return validate::report_json(validate::validate_data(yaml, o));
      },
      "yaml"_a, "options"_a, "decoded"_a,
      "validate with the decode pass of the stores in `decoded` (their pieces' results) taken as done.");
}

}  // namespace mimicit::python
