// The `mimicit` command: argument parsing and exit codes only. The work is
// done by the functions in src/convert, src/validate and src/inspect, which write to a std::ostream.
//
// Exit codes: 0 success, 1 a problem with the data or the system (corrupt
// file, I/O error), 2 bad usage (unknown option or column). Every failure is
// one line on stderr, "mimicit: <message>".
#include <csignal>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "convert/demo.h"
#include "inspect/parquet_cat.h"
#include "inspect/parquet_check.h"
#include "inspect/parquet_meta.h"
#include "inspect/parquet_schema.h"
#include "mimicit/error.h"

namespace mimicit::cli {

void print_error(const std::string& message) { std::cerr << "mimicit: " << message << '\n'; }

}  // namespace mimicit::cli

namespace {

using namespace mimicit;
using namespace mimicit::cli;

void add_schema_command(CLI::App& parquet, Action& action) {
  auto* command = parquet.add_subcommand("schema", "Print the schema tree and each column's types");
  auto path = std::make_shared<std::string>();
  command->add_option("FILE", *path, "Parquet file")->required();
  command->callback([&action, path] {
    action = [path] {
      inspect::print_parquet_schema(*path, std::cout);
      return 0;
    };
  });
}

void add_meta_command(CLI::App& parquet, Action& action) {
  auto* command = parquet.add_subcommand(
      "meta", "Print the footer: file, row groups, column chunks, statistics, indexes");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  command->add_option("FILE", *path, "Parquet file")->required();
  command->add_flag("--json", *json, "Print one JSON object with every value in full");
  command->callback([&action, path, json] {
    action = [path, json] {
      inspect::print_parquet_meta(*path, *json ? inspect::MetaFormat::kJson : inspect::MetaFormat::kText,
                                  std::cout);
      return 0;
    };
  });
}

// A row count: digits only (CLI11's NonNegativeNumber prints a 300-digit bound).
const CLI::Validator kRowCount(
    [](std::string& text) -> std::string {
      const bool digits =
          !text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos;
      return digits ? "" : "'" + text + "' is not a row count (0 or more)";
    },
    "N");

void add_columns_option(CLI::App& command, std::vector<std::string>& columns) {
  command.add_option("--columns", columns, "Columns to read, comma-separated (default: all)")->delimiter(',');
}

void add_cat_command(CLI::App& parquet, Action& action) {
  auto* command = parquet.add_subcommand("cat", "Print rows as JSON lines or CSV");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<inspect::CatOptions>();
  command->add_option("FILE", *path, "Parquet file")->required();
  add_columns_option(*command, options->columns);
  command->add_option("--limit", options->limit, "Print at most N rows (default: all)")->check(kRowCount);
  command->add_option("--offset", options->offset, "Skip the first N rows")->check(kRowCount);
  add_name_option(*command, "--format", options->format, inspect::kCatFormatNames, "Output format");
  command->callback([&action, path, options] {
    action = [path, options] {
      inspect::cat_parquet(*path, *options, std::cout);
      return 0;
    };
  });
}

int run_check(const std::string& path, const inspect::CheckOptions& options) {
  const inspect::CheckReport report = inspect::check_parquet(path, options);
  inspect::print_check_report(report, std::cout);
  std::cout.flush();
  // The report on stdout lists every problem; stderr gets one line.
  for (const std::string& warning : report.warnings) print_error("warning: " + warning);
  if (report.problems.empty()) return 0;
  std::string more = report.problems.size() > 1
                         ? fmt::format(" (and {} more problems, listed above)", report.problems.size() - 1)
                         : "";
  print_error(report.problems.front() + more);
  return kExitData;
}

void add_check_command(CLI::App& parquet, Action& action) {
  auto* command = parquet.add_subcommand(
      "check", "Decode every value, verify CRCs and counts; print per-column totals and MB/s");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<inspect::CheckOptions>();
  command->add_option("FILE", *path, "Parquet file")->required();
  add_columns_option(*command, options->columns);
  command->add_option("--threads", options->threads, "Decode column chunks on N threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  command->callback(
      [&action, path, options] { action = [path, options] { return run_check(*path, *options); }; });
}

void add_demo_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "demo", "Convert the bundled demo images into the store OUTDIR/demo_store; print its path");
  auto out_dir = std::make_shared<std::string>();
  command->add_option("OUTDIR", *out_dir, "Folder to write into (created if missing)")->required();
  command->footer(
      "The images are read from $MIMICIT_DEMO_DIR/images, else from demo/images beside the build "
      "folder.");
  command->callback([&action, out_dir] {
    action = [out_dir] {
      std::cout << convert::write_demo_store(convert::resolve_demo_dir(), *out_dir).string() << '\n';
      return 0;
    };
  });
}

int exit_code_of(const Error& error) {
  return error.code() == ErrorCode::kInvalidArgument ? kExitUsage : kExitData;
}

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe (`mimicit parquet cat big.parquet | head`) must end the
  // command with an error, not kill it with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  std::ios::sync_with_stdio(false);

  CLI::App app{"mimicit: read, check and write MIMIC-IT multimodal datasets (Parquet image stores)"};
  app.set_version_flag("--version", std::string("mimicit ") + MIMICIT_VERSION, "Print the version and exit");
  app.require_subcommand(1);

  Action action;
  auto* parquet = app.add_subcommand("parquet", "Inspect and verify Parquet files");
  parquet->require_subcommand(1);
  add_schema_command(*parquet, action);
  add_meta_command(*parquet, action);
  add_cat_command(*parquet, action);
  add_check_command(*parquet, action);
  add_demo_command(app, action);
  add_convert_command(app, action);
  add_images_command(app, action);
  add_sample_command(app, action);
  add_bench_command(app, action);
  add_validate_command(app, action);
  add_serve_command(app, action);
  // Set last: subcommands created earlier do not inherit it.
  app.footer(
      "Examples:\n"
      "  mimicit demo out\n"
      "  mimicit parquet cat out/demo_store/part.0.parquet --columns __index_level_0__ --limit 5\n"
      "  mimicit parquet check images.parquet --threads 4\n"
      "  mimicit convert images.json old_store/ -o store --compression zstd\n"
      "  mimicit images get store LA_IMG_000000377944 -o image.jpg\n"
      "  mimicit validate data.yaml --decode\n"
      "Run 'mimicit COMMAND --help' for a command's options.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(std::string(e.what()) + " (see mimicit --help)");
    return kExitUsage;
  }

  try {
    return action ? action() : kExitUsage;
  } catch (const Error& e) {
    print_error(e.message());
    return exit_code_of(e);
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
    return kExitData;
  }
}
