// Fuzz target: instruction files and train configs (InstructionFile,
// TrainConfig), and the sample texts built from them (GroupDataset).
//
// The input is one JSON file, opened (from a temporary file, one validating
// thread) both as a *_instructions.json and as a *_train.json; every record
// and entry is read back. When it opens as an instruction file, it also
// becomes the only dataset of a group whose first samples are built, which
// runs the prompt formats and the Unicode text cleaning over the records'
// text. The group, instruction format and options come from the input size,
// so every combination is reached without a prefix that would make the
// seeds invalid JSON. Seeds: small valid and malformed files
// (fuzz/make_seeds.py).
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "mimicit/dataset.h"

namespace {

using namespace mimicit::dataset;

constexpr uint64_t kMaxSamples = 64;

void build_samples(const std::string& path, size_t variant) {
  DatasetConfig dataset;
  dataset.name = "FUZZ";
  dataset.mimicit_path = path;
  dataset.mimicit_path_as_written = path;
  dataset.num_samples = variant % 3 == 0 ? -1 : static_cast<int64_t>(variant % 7);
  dataset.task_descriptions = {"Describe the image.", "Answer: ##"};
  GroupConfig group;
  group.group = kAllGroups[variant % 4];
  group.datasets.push_back(dataset);
  DataConfig config;
  config.groups.push_back(group);

  SampleOptions options;
  options.instruction_format = static_cast<InstructionFormat>((variant / 4) % 4);
  options.keep_symbols = variant & 16;
  options.populate_rel_ins = variant & 32;
  options.with_task_description = variant & 64;
  options.resample_frames = 3;
  options.parse.threads = 1;
  auto ds = GroupDataset::open(config, group.group, options);
  SampleText sample;
  for (uint64_t i = 0; i < ds->size() && i < kMaxSamples; ++i) {
    mimicit::fuzz::accept_errors([&] {
      ds->sample_text(i, &sample);
      mimicit::fuzz::touch(sample.full_text);
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static mimicit::fuzz::TempFile temp("fuzz_instructions.json");
  const std::string& path = temp.write(data, size);
  ParseOptions open;
  open.threads = 1;

  bool instructions_open = false;
  mimicit::fuzz::accept_errors([&] {
    auto file = InstructionFile::open(path, open);
    instructions_open = true;
    mimicit::fuzz::touch(file->meta_json());
    Record record;
    for (size_t i = 0; i < file->size(); ++i) {
      if (file->find(file->id(i)) != i) std::abort();  // ids are distinct and findable
      mimicit::fuzz::touch(file->raw_json(i));
      mimicit::fuzz::accept_errors([&] { file->read(i, &record); });
    }
  });
  if (instructions_open) mimicit::fuzz::accept_errors([&] { build_samples(path, size); });

  mimicit::fuzz::accept_errors([&] {
    auto train = TrainConfig::open(path, open);
    std::vector<std::string> ids;
    for (size_t i = 0; i < train->size(); ++i) {
      if (train->find(train->id(i)) != i) std::abort();
      train->read(i, &ids);
    }
  });
  return 0;
}
