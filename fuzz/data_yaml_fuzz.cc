// Fuzz target: the data YAML (DataConfig::parse, yaml-cpp underneath).
//
// The input is the YAML text, parsed with relative paths resolved against a
// base folder and without checking that the *_path files exist (the fuzzer
// would only ever reach the kNotFound error otherwise). Every group, dataset
// and field of the result is read. Seeds: small valid and malformed data
// YAMLs (fuzz/make_seeds.py).
#include <string_view>

#include "fuzz_util.h"
#include "mimicit/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mimicit::dataset;
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  DataConfigOptions options;
  options.base_dir = "/fuzz/base";
  options.check_paths = false;
  mimicit::fuzz::accept_errors([&] {
    DataConfig config = DataConfig::parse(yaml, "data.yaml", options);
    for (const GroupConfig& g : config.groups) {
      mimicit::fuzz::touch(group_name(g.group));
      if (config.find(g.group) != &g) std::abort();  // groups are unique
      for (const DatasetConfig& d : g.datasets) {
        mimicit::fuzz::touch(d.name);
        mimicit::fuzz::touch(d.mimicit_path);
        for (const std::string& p : d.images_paths) mimicit::fuzz::touch(p);
        for (const std::string& t : d.task_descriptions) mimicit::fuzz::touch(t);
      }
    }
  });
  return 0;
}
