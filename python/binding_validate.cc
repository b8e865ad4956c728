// mimicit._core.validate: the data YAML check of include/mimicit/validate.h.
// Returns the report's JSON text (report_json), which the package parses
// into a dict: the Python report is the CLI's --json output by
// construction. The GIL is released for the whole validation.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <string>

#include "mimicit/validate.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace mimicit::python {

void bind_validate(nb::module_& m) {
  m.def(
      "validate",
      [](const std::string& yaml, bool decode, int threads, const std::string& base_dir,
         const std::string& cache_dir, uint64_t max_problems, const std::string& python_unicode) {
        validate::Options options;
        options.python_unicode = dataset::parse_python_unicode(python_unicode);
        options.decode = decode;
        options.threads = threads;
        options.base_dir = base_dir;
        options.cache_dir = cache_dir;
        options.max_problems = max_problems;
        nb::gil_scoped_release release;
        return validate::report_json(validate::validate_data(yaml, options));
      },
      "yaml"_a, "decode"_a = false, "threads"_a = 0, "base_dir"_a = "", "cache_dir"_a = "",
      "max_problems"_a = 1000, "python_unicode"_a = "3.9",
      "Validates a data YAML; returns the report as JSON text (see mimicit.validate).");
}

}  // namespace mimicit::python
