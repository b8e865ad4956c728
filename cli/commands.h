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

#include "mimicit/names.h"
#include "mimicit/prompt.h"

namespace mimicit::cli {

constexpr int kExitData = 1;
constexpr int kExitUsage = 2;

using Action = std::function<int()>;

// One line on stderr: "mimicit: <message>".
void print_error(const std::string& message);

// An option `flag` that sets `value` by one of the names of `table`
// (mimicit/names.h): --help lists the names (with their notes) and shows
// `value` as it is now as the default; any other name is a usage error
// listing the names. `value` must outlive the parse.
template <typename Enum>
CLI::Option* add_name_option(CLI::App& command, const std::string& flag, Enum& value,
                             const NameTable<Enum>& table, std::string description) {
  std::string listed;
  for (const NameEntry<Enum>& entry : table) {
    listed += listed.empty() ? "" : ", ";
    listed += entry.name;
    if (*entry.help != '\0') listed += std::string(" (") + entry.help + ")";
  }
  description += ": " + listed;
  const CLI::Validator known(
      [&table](std::string& text) -> std::string {
        if (table.find(text)) return "";
        return "unknown " + std::string(table.what()) + " '" + text + "' (expected " + table.names() + ")";
      },
      "");
  return command
      .add_option_function<std::string>(
          flag, [&value, &table](const std::string& text) { value = table.parse(text); }, description)
      ->check(known)
      ->type_name("NAME")
      ->default_str(table.name(value));
}

// --python-unicode into `value`: whose Unicode tables the text cleaning
// follows (dataset::PythonUnicode).
inline CLI::Option* add_python_unicode_option(CLI::App& command, dataset::PythonUnicode& value) {
  return add_name_option(command, "--python-unicode", value, dataset::kPythonUnicodeNames,
                         "Clean text with the Unicode tables of this Python (\\w, \\s, strip); the reference "
                         "pins 3.9");
}

// --max-pixels into `value`: the decompression-bomb limit of one image
// (PreprocessOptions::max_pixels); --help shows the default, the reference's.
inline CLI::Option* add_max_pixels_option(CLI::App& command, uint64_t& value) {
  return command
      .add_option(
          "--max-pixels", value,
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
