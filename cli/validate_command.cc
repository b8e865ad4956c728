// `mimicit validate DATA.yaml`: argument parsing and exit codes; the checks
// are mimicit::validate (include/mimicit/validate.h).
//
// Exit codes: 0 no problems, 1 problems found (the report lists them), 2
// validation could not run (bad usage, the YAML cannot be read at all).
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "mimicit/error.h"
#include "mimicit/validate.h"

namespace mimicit::cli {

namespace {

struct ValidateArgs {
  std::string yaml;
  bool json = false;
  size_t examples = 5;
  validate::Options options;
};

int run_validate(const ValidateArgs& args) {
  validate::Report report;
  try {
    report = validate::validate_data(args.yaml, args.options);
  } catch (const Error& e) {
    print_error(e.message());
    return kExitUsage;
  }
  const std::string text = args.json ? validate::report_json(report) + "\n"
                                     : validate::report_text(report, args.yaml, args.examples);
  std::cout.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::cout.flush();
  if (!std::cout) fail(ErrorCode::kIo, "cannot write to stdout");
  return report.clean() ? 0 : kExitData;
}

}  // namespace

void add_validate_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "validate", "Check a data YAML before training: files, instruction and image ids, texts, images");
  auto args = std::make_shared<ValidateArgs>();
  args->options.progress = true;
  command->add_option("DATA_YAML", args->yaml, "The data YAML (groups of datasets)")->required();
  command->add_flag(
      "--decode", args->options.decode,
      "Also read and decode every image of the stores (bad_base64, undecodable_image, tiny_image; "
      "lenient_base64 notices)");
  command->add_flag("--json", args->json, "Print one JSON object: {\"problems\": [...], \"summary\": {...}}");
  command->add_option("--threads", args->options.threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  command->add_option("--base-dir", args->options.base_dir,
                      "Resolve relative paths against DIR (default: the working directory)");
  command
      ->add_option("--max-problems", args->options.max_problems,
                   "List at most N problems of a kind per dataset, 0 for all (all are counted)")
      ->capture_default_str();
  add_python_unicode_option(*command, args->options.python_unicode);
  add_max_pixels_option(*command, args->options.max_pixels);
  command->add_option("--examples", args->examples, "Problems shown per kind in the text report")
      ->capture_default_str();
  command->footer("Problem kinds:\n" + validate::kinds_help() +
                  "\nExit codes: 0 no problems, 1 problems found, 2 validation could not run.");
  command->callback([&action, args] { action = [args] { return run_validate(*args); }; });
}

}  // namespace mimicit::cli
