// `mimicit sample DATA.yaml`: the training samples' text as the reference
// pipeline builds it, one JSON object a line:
//   {"id": ..., "group": ..., "dataset": ..., "full_text": ..., "image_ids": [...]}
// in training-list order, group by group in YAML order.
#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "util/json_text.h"

namespace mimicit::cli {

namespace {

using namespace mimicit::dataset;

struct SampleArgs {
  std::string yaml;
  std::string group;
  std::string base_dir;
  std::optional<uint64_t> limit;
  std::string instruction_format = "simple";
  SampleOptions options;
};

void append_sample_json(const SampleText& sample, std::string& out) {
  out += "{\"id\":";
  append_json_string(out, sample.id);
  out += ",\"group\":";
  append_json_string(out, group_name(sample.group));
  out += ",\"dataset\":";
  append_json_string(out, sample.dataset);
  out += ",\"full_text\":";
  append_json_string(out, sample.full_text);
  out += ",\"image_ids\":[";
  for (size_t i = 0; i < sample.image_ids.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, sample.image_ids[i]);
  }
  out += "]}\n";
}

int run_sample(SampleArgs& args) {
  args.options.instruction_format = *parse_instruction_format(args.instruction_format);
  DataConfigOptions config_options;
  config_options.base_dir = args.base_dir;
  const DataConfig config = DataConfig::load(args.yaml, config_options);
  for (const std::string& warning : config.warnings) print_error("warning: " + args.yaml + ": " + warning);
  std::vector<Group> groups;
  if (!args.group.empty()) {
    const Group group = *parse_group(args.group);
    if (config.find(group) == nullptr) fail_invalid("{}: no group {} in the data YAML", args.yaml, args.group);
    groups.push_back(group);
  } else {
    for (const GroupConfig& group : config.groups) groups.push_back(group.group);
  }
  std::string out;
  SampleText sample;
  // --limit counts lines in all, like `head -n`: the first N of the
  // stream the command prints without it.
  uint64_t remaining = args.limit.value_or(UINT64_MAX);
  for (Group group : groups) {
    if (remaining == 0) break;
    const auto dataset = GroupDataset::open(config, group, args.options);
    const uint64_t count = std::min(remaining, dataset->size());
    remaining -= count;
    for (uint64_t i = 0; i < count; ++i) {
      dataset->sample_text(i, &sample);
      append_sample_json(sample, out);
      if (out.size() >= (1 << 20)) {
        std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
        out.clear();
      }
    }
  }
  std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  std::cout.flush();
  if (!std::cout) fail(ErrorCode::kIo, "cannot write to stdout");
  return 0;
}

}  // namespace

void add_sample_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "sample", "Print the training samples' text as JSON lines (id, group, dataset, full_text, image_ids)");
  auto args = std::make_shared<SampleArgs>();
  command->add_option("DATA_YAML", args->yaml, "The data YAML (groups of datasets)")->required();
  command->add_option("--group", args->group, "Only this group (default: every group, in YAML order)")
      ->check(CLI::IsMember({"IMAGE_TEXT", "TEXT_ONLY", "VIDEO_TEXT", "IMAGE_TEXT_IN_CONTEXT"}));
  command->add_option("--limit", args->limit, "Print the first N samples (in all, across groups)");
  command->add_option("--instruction-format", args->instruction_format, "Prompt format")
      ->check(CLI::IsMember({"simple", "llama2", "idefics", "fuyu"}))
      ->capture_default_str();
  command->add_flag("--keep-symbols", args->options.keep_symbols,
                    "Keep symbols in questions and answers (default: delete them as the reference does)");
  add_python_unicode_option(*command, args->options.python_unicode);
  command->add_flag("--populate-rel-ins", args->options.populate_rel_ins,
                    "Use rel_ins_ids as in-context examples when a dataset has no train config");
  command->add_flag("--with-task-description", args->options.with_task_description,
                    "Put one of the dataset's task descriptions in front");
  command->add_option("--seed", args->options.seed, "Seed of the task description choice")->capture_default_str();
  command->add_option("--epoch", args->options.epoch, "Epoch of the task description choice")->capture_default_str();
  command->add_option("--resample-frames", args->options.resample_frames, "VIDEO_TEXT frames per sample")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  command->add_option("--base-dir", args->base_dir,
                      "Resolve relative paths of the YAML against DIR (default: the working directory)");
  command->footer(
      "The training list of each dataset is resampled as the reference does (num_samples; random.seed(0)); "
      "the task description is the reference's random.choice after random.seed(int(hash((seed, epoch)) % 1e6)).");
  command->callback([&action, args] {
    action = [args] { return run_sample(*args); };
  });
}

}  // namespace mimicit::cli
