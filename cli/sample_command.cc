// `mimicit sample DATA.yaml`: the training samples' text as JSON lines
// (dataset/sample_lines.h does the work).
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "commands.h"
#include "dataset/sample_lines.h"
#include "mimicit/dataset.h"

namespace mimicit::cli {

namespace {

using namespace mimicit::dataset;

struct SampleArgs {
  std::string yaml;
  std::optional<Group> group;  // set when --group is given
  std::string base_dir;
  std::optional<uint64_t> limit;
  SampleOptions options;
};

int run_sample(SampleArgs& args) {
  SampleLinesOptions options;
  options.sample = args.options;
  options.group = args.group;
  options.limit = args.limit;
  DataConfigOptions config_options;
  config_options.base_dir = args.base_dir;
  const DataConfig config = DataConfig::load(args.yaml, config_options);
  for (const std::string& warning : config.warnings) print_error("warning: " + args.yaml + ": " + warning);
  // Every good sample is printed; bad records and samples go to stderr and
  // make the exit code 1, at the end.
  const SampleLinesReport report = write_sample_lines(
      config, options, std::cout, [](const std::string& problem) { print_error(problem); });
  if (report.clean()) return 0;
  print_error(fmt::format("{} samples written; {} records dropped, {} samples failed (listed above)",
                          report.lines, report.dropped, report.failed));
  return kExitData;
}

}  // namespace

void add_sample_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "sample", "Print the training samples' text as JSON lines (id, group, dataset, full_text, image_ids)");
  auto args = std::make_shared<SampleArgs>();
  command->add_option("DATA_YAML", args->yaml, "The data YAML (groups of datasets)")->required();
  auto group = std::make_shared<Group>();
  CLI::Option* group_option = add_name_option(*command, "--group", *group, kGroupNames,
                                              "Only this group (default: every group, in YAML order)")
                                  ->default_str("");
  command->add_option("--limit", args->limit, "Print the first N samples (in all, across groups)");
  add_name_option(*command, "--instruction-format", args->options.instruction_format, kInstructionFormatNames,
                  "Prompt format");
  command->add_flag("--keep-symbols", args->options.keep_symbols,
                    "Keep symbols in questions and answers (default: delete them as the reference does)");
  add_python_unicode_option(*command, args->options.python_unicode);
  command->add_flag("--populate-rel-ins", args->options.populate_rel_ins,
                    "Use rel_ins_ids as in-context examples when a dataset has no train config");
  command->add_flag("--with-task-description", args->options.with_task_description,
                    "Put one of the dataset's task descriptions in front");
  command->add_option("--seed", args->options.seed, "Seed of the task description choice")
      ->capture_default_str();
  command->add_option("--epoch", args->options.epoch, "Epoch of the task description choice")
      ->capture_default_str();
  command->add_option("--resample-frames", args->options.resample_frames, "VIDEO_TEXT frames per sample")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  command->add_option("--base-dir", args->base_dir,
                      "Resolve relative paths of the YAML against DIR (default: the working directory)");
  command->footer(
      "The training list of each dataset is resampled as the reference does (num_samples; random.seed(0)); "
      "the task description is the reference's random.choice after random.seed(int(hash((seed, epoch)) % "
      "1e6)). "
      "Bad records never stop the rest: every good sample is printed, each dropped record (a field of the "
      "wrong "
      "type) and each sample that cannot be built is reported on stderr, and the exit code is then 1.");
  command->callback([&action, args, group, group_option] {
    if (group_option->count() > 0) args->group = *group;
    action = [args] { return run_sample(*args); };
  });
}

}  // namespace mimicit::cli
