// mimicit._core.validate: the data YAML check of include/mimicit/validate.h.
// Returns the report's JSON text (report_json), which the package parses
// into a dict: the Python report is the CLI's --json output by
// construction. The GIL is released for the whole validation.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <cstdint>
#include <string>

#include "binding_util.h"
#include "mimicit/validate.h"

using namespace nanobind::literals;

namespace mimicit::python {

void bind_validate(nb::module_& m) {
  m.def(
      "validate",
      [](const std::string& yaml, const nb::dict& given) {
        const validate::Options options = validate_options(given);
        nb::gil_scoped_release release;
        return validate::report_json(validate::validate_data(yaml, options));
      },
      "yaml"_a, "options"_a = nb::dict(),
      "Validates a data YAML; returns the report as JSON text (see mimicit.validate). `options`: what the "
      "caller gave of decode, threads, base_dir, cache_dir, max_problems, python_unicode.");
}

}  // namespace mimicit::python
