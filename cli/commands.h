// What the command files of the `mimicit` CLI share: each file adds its
// subcommands to the CLI11 app and sets the Action that main() runs once
// parsing succeeded. Exit codes: 0 success, 1 a problem with the data or the
// system, 2 bad usage.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mimicit/prompt.h"

namespace mimicit::cli {

constexpr int kExitData = 1;
constexpr int kExitUsage = 2;

using Action = std::function<int()>;

// One line on stderr: "mimicit: <message>".
void print_error(const std::string& message);

// --python-unicode into `value`: whose Unicode tables the text cleaning
// follows (dataset::PythonUnicode); --help shows the names and the default.
inline CLI::Option* add_python_unicode_option(CLI::App& command, dataset::PythonUnicode& value) {
  std::vector<std::string> names;
  for (const dataset::PythonUnicodeName& entry : dataset::kPythonUnicodeNames) names.emplace_back(entry.name);
  return command
      .add_option_function<std::string>(
          "--python-unicode", [&value](const std::string& text) { value = dataset::parse_python_unicode(text); },
          "Clean text with the Unicode tables of this Python (\\w, \\s, strip); the reference pins 3.9")
      ->check(CLI::IsMember(names))
      ->default_str(dataset::python_unicode_name(value));
}

// --max-pixels into `value`: the decompression-bomb limit of one image
// (PreprocessOptions::max_pixels); --help shows the default, the reference's.
inline CLI::Option* add_max_pixels_option(CLI::App& command, uint64_t& value) {
  return command
      .add_option("--max-pixels", value,
                  "Refuse images of more pixels (the reference's training setup raises Pillow's limit to this)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
}

void add_convert_command(CLI::App& app, Action& action);
void add_images_command(CLI::App& app, Action& action);
void add_sample_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_serve_command(CLI::App& app, Action& action);


}  // namespace mimicit::cli
