// What the command files of the `mimicit` CLI share: each file adds its
// subcommands to the CLI11 app and sets the Action that main() runs once
// parsing succeeded. Exit codes: 0 success, 1 a problem with the data or the
// system, 2 bad usage.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace mimicit::cli {

constexpr int kExitData = 1;
constexpr int kExitUsage = 2;

using Action = std::function<int()>;

// One line on stderr: "mimicit: <message>".
void print_error(const std::string& message);

void add_convert_command(CLI::App& app, Action& action);
void add_images_command(CLI::App& app, Action& action);
void add_sample_command(CLI::App& app, Action& action);
void add_bench_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);
void add_serve_command(CLI::App& app, Action& action);


}  // namespace mimicit::cli
