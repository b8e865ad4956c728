// The MIMIC-IT dataset model: which datasets a training run uses (the data
// YAML), their instruction records and train configs, and the training
// samples the reference pipeline builds from them (spec sections 1.1, 1.2,
// 1.4, 2.1 and 2.2).
//
//   DataConfig       the parsed data YAML: groups and datasets, in YAML order,
//                    paths resolved and checked.
//   InstructionFile  one *_instructions.json: {"meta": ..., "data": {id:
//                    record, ...}}, records in file order, by id, with their
//                    JSON text (unknown fields included); or the Hugging Face
//                    layout's instruction shards (a .parquet file, a folder,
//                    a glob), read as the JSON they stand for
//                    (src/dataset/instruction_parquet.h).
//   TrainConfig      one *_train.json: {id: [in-context ids], ...}.
//   GroupDataset     one group of a DataConfig, as the reference's
//                    MimicitDataset: the resampled training list and the text
//                    of each sample (sample_text), the image ids to load and
//                    the image tensor shape the reference produces.
//
// Files are memory-mapped. An InstructionFile keeps ~60 bytes per record
// plus its id; records are parsed (simdjson) when opened, to validate them,
// and again when a sample needs them. Opening checks the whole file: JSON
// syntax and UTF-8 (an error here is fatal: the file is not JSON), and the
// types of the known fields (instruction and answer: strings; image_ids and
// rel_ins_ids: arrays of strings or null). A record that is not an object,
// or whose field has the wrong type, is dropped: left out of the file's ids
// as if the file did not hold it, and reported (InstructionFile::
// dropped_records, GroupDataset::dropped_records). The reference would load
// it and crash with a TypeError when a sample used it. Only the fields the
// samples read count (ParseOptions::checked_fields: GroupDataset leaves out
// image_ids in TEXT_ONLY and rel_ins_ids unless it populates in-context
// examples from them), so every record the reference trains on is kept. A
// record without an instruction or answer loads; using it in a sample fails
// naming it.
//
// Where the reference would crash, mimicit follows the spec instead: a
// task_description given as one string is one description (the reference's
// random.choice would pick one of its characters); a missing or null
// rel_ins_ids is no in-context examples; a leading UTF-8 byte order mark is
// skipped (orjson refuses it). The reference's own seeding of the task
// description choice is kept (see SampleOptions::seed).
//
// Errors are mimicit::Error naming the file and the place: kCorrupt (bad
// JSON or YAML, "byte offset N (line L)", a field of the wrong type), kIo,
// kNotFound (a missing *_path file, a sample's id without a record),
// kInvalidArgument (bad options), kLimit, kUnsupported (nesting).
//
// Thread-safety: DataConfig is a plain value. InstructionFile, TrainConfig
// and GroupDataset are immutable once opened; every const method, including
// sample_text(), may be called from any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/names.h"
#include "mimicit/prompt.h"

namespace mimicit::dataset {

// ---------------------------------------------------------------------------
// Groups and the data YAML (spec 1.4)

enum class Group { kImageText, kTextOnly, kVideoText, kImageTextInContext };
inline constexpr Group kAllGroups[] = {Group::kImageText, Group::kTextOnly, Group::kVideoText,
                                       Group::kImageTextInContext};

inline constexpr NameTable<Group> kGroupNames{"group",
                                              {{Group::kImageText, "IMAGE_TEXT"},
                                               {Group::kTextOnly, "TEXT_ONLY"},
                                               {Group::kVideoText, "VIDEO_TEXT"},
                                               {Group::kImageTextInContext, "IMAGE_TEXT_IN_CONTEXT"}}};
inline const char* group_name(Group group) { return kGroupNames.name(group); }
inline std::optional<Group> parse_group(std::string_view name) { return kGroupNames.find(name); }

struct DatasetConfig {
  std::string name;
  // Paths as resolved against DataConfigOptions::base_dir (absolute when
  // that is), and as written in the YAML.
  std::string mimicit_path;
  std::vector<std::string> images_paths;  // a string or a list in the YAML; empty: none
  std::string train_config_path;          // empty: none
  std::string mimicit_path_as_written;
  // -1 or 0: all; more than the keys: repeat then choices; fewer: sample.
  int64_t num_samples = -1;
  std::vector<std::string> task_descriptions;  // a string is one description
  // Keys mimicit does not know, kept (validate reports them).
  std::vector<std::string> unknown_keys;
};

struct GroupConfig {
  Group group = Group::kImageText;
  std::vector<DatasetConfig> datasets;  // YAML order
};

struct DataConfigOptions {
  // Relative paths are relative to this folder; empty: the working
  // directory (as the reference does).
  std::string base_dir;
  // Check that every *_path exists (the reference asserts it).
  bool check_paths = true;
  // Limits (Error(kLimit) beyond them). A real data YAML is a few KB.
  // The file's size, checked before reading it: yaml-cpp takes up to ~500
  // bytes of memory per byte of YAML ("[1,1,1,...]"), so this also bounds
  // the parser's memory (~0.5 GB at the default).
  uint64_t max_yaml_bytes = uint64_t{1} << 20;
  // The document with every alias replaced by its anchor's node: values
  // (scalars, nulls, lists, mappings) and bytes of scalar text. Checked on
  // the parser's events before anything walks the tree: a "billion laughs"
  // document (anchors of lists of aliases of anchors ...) is a few hundred
  // bytes that would expand to gigabytes; it is refused instead, as is an
  // alias inside its own anchor's node.
  uint64_t max_expanded_nodes = uint64_t{1} << 20;
  uint64_t max_expanded_bytes = uint64_t{64} << 20;
};

struct DataConfig {
  std::string path;                   // the YAML file; empty when parsed from text
  std::vector<GroupConfig> groups;    // YAML order
  std::vector<std::string> warnings;  // repeated keys (the later value wins, as in PyYAML)

  // Throws Error: kIo, kCorrupt (YAML syntax, an unknown group naming the
  // allowed ones, a missing mimicit_path, a value of the wrong type),
  // kNotFound (a *_path that does not exist: names group, dataset, key and
  // path), kLimit (the limits of DataConfigOptions). Every message starts
  // with the YAML file's path.
  static DataConfig load(const std::string& path, const DataConfigOptions& options = {});
  static DataConfig parse(std::string_view yaml, const std::string& name,
                          const DataConfigOptions& options = {});
  // The text of a data YAML file: kIo when it cannot be read, kLimit when
  // it is larger than options.max_yaml_bytes (checked before reading).
  static std::string read(const std::string& path, const DataConfigOptions& options = {});

  const GroupConfig* find(Group group) const;
};

// ---------------------------------------------------------------------------
// Instruction files (spec 1.1) and train configs (spec 1.2)

// One record's known fields. A missing or null image_ids/rel_ins_ids reads
// as empty (text-only data).
struct Record {
  bool has_instruction = false;
  bool has_answer = false;
  std::string instruction;
  std::string answer;
  std::vector<std::string> image_ids;
  std::vector<std::string> rel_ins_ids;
};

// A key that appears twice in one JSON object: the later value replaced the
// earlier one (orjson/Python dict semantics: the key keeps its first
// position).
struct RepeatedKey {
  std::string key;
  uint64_t replaced_offset = 0;  // byte offset of the value that was dropped
  uint64_t kept_offset = 0;      // byte offset of the value that replaced it
};

// The known fields of a record, as bits of ParseOptions::checked_fields.
enum RecordField : uint32_t {
  kFieldInstruction = 1,
  kFieldAnswer = 2,
  kFieldImageIds = 4,
  kFieldRelInsIds = 8,
  kAllRecordFields = 15,
};

// An instruction record left out when its file was opened: it is not an
// object, or one of the checked fields has the wrong type.
struct DroppedRecord {
  std::string file;  // the instruction file; Parquet instructions: the shard
  std::string id;
  uint64_t offset = 0;  // JSON: byte offset of the record's value in `file`
  int64_t row = -1;     // Parquet instructions: the row in the shard; JSON: -1
  std::string field;    // the field of the wrong type; empty: the record itself
  std::string found;    // what it is: "a number", "null", "an array holding a number", ...
  // "<file>: byte offset N (line L): record '<id>': field 'answer' is a
  // number, expected a string" (Parquet: "<shard>: row R: record ...").
  std::string message;
};

struct ParseOptions {
  // Threads validating records; 0: all cores.
  int threads = 0;
  // The fields whose wrong type drops a record (RecordField bits). A field
  // left out is read as absent when its type is wrong (Record: empty).
  uint32_t checked_fields = kAllRecordFields;
  // Dropped records kept in dropped_records(); dropped_count() counts all.
  size_t max_dropped_reports = 10000;
  // The largest record (instruction file), entry (train config) or other
  // top-level value ("meta"): each is parsed whole by simdjson, whose
  // buffers take several bytes per byte of it, on every validating thread.
  // Larger ones are Error(kLimit) naming the id and the offset, before
  // parsing. Real records are a few KB.
  uint64_t max_value_bytes = uint64_t{16} << 20;
};

class InstructionFile {
 public:
  static std::shared_ptr<const InstructionFile> open(const std::string& path,
                                                     const ParseOptions& options = {});
  ~InstructionFile();
  InstructionFile(const InstructionFile&) = delete;
  InstructionFile& operator=(const InstructionFile&) = delete;

  const std::string& path() const;
  // Distinct ids, in file order.
  size_t size() const;
  std::string_view id(size_t i) const;
  // The position of `id`, or nullopt.
  std::optional<size_t> find(std::string_view id) const;
  // The record's JSON text as it is in the file (unknown fields included).
  std::string_view raw_json(size_t i) const;
  uint64_t offset(size_t i) const;
  // Parses record i into *out (reusing its buffers).
  void read(size_t i, Record* out) const;
  Record read(size_t i) const;
  // Drops the mapped pages of records [begin, end) from the process's
  // resident set (MappedFile::release): a pass over every record calls it
  // behind itself, so its RSS does not grow with the file. Later reads fault
  // the pages back in from the page cache; safe while other threads read.
  void release_records(size_t begin, size_t end) const;
  // The "meta" value's JSON text (empty when absent).
  std::string_view meta_json() const;
  const std::vector<RepeatedKey>& repeated_ids() const;
  // The records dropped at open (see the top of this file), in file order:
  // at most ParseOptions::max_dropped_reports of dropped_count().
  const std::vector<DroppedRecord>& dropped_records() const;
  uint64_t dropped_count() const;
  size_t memory_bytes() const;

 private:
  InstructionFile();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class TrainConfig {
 public:
  static std::shared_ptr<const TrainConfig> open(const std::string& path, const ParseOptions& options = {});
  ~TrainConfig();
  TrainConfig(const TrainConfig&) = delete;
  TrainConfig& operator=(const TrainConfig&) = delete;

  const std::string& path() const;
  size_t size() const;
  std::string_view id(size_t i) const;
  std::optional<size_t> find(std::string_view id) const;
  // The in-context ids of entry i, in order.
  void read(size_t i, std::vector<std::string>* out) const;
  const std::vector<RepeatedKey>& repeated_ids() const;

 private:
  TrainConfig();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Training samples (spec 2.1, 2.2)

struct SampleOptions {
  InstructionFormat instruction_format = InstructionFormat::kSimple;
  bool keep_symbols = false;
  // The Unicode tables of the cleaning: the reference's Python 3.9.
  PythonUnicode python_unicode = PythonUnicode::kPython39;
  // Without a train config, use each record's rel_ins_ids as its in-context
  // examples.
  bool populate_rel_ins = false;
  bool with_task_description = false;
  // VIDEO_TEXT frames per sample.
  uint32_t resample_frames = 32;
  // Image side S of the tensor shapes (the reference's patch_image_size).
  uint32_t image_size = 224;
  // Task descriptions: the reference picks one with random.choice() after
  // random.seed(int(hash((seed, epoch)) % 1e6)), reseeded before every
  // sample; so does mimicit. The pick is a pure function of (seed, epoch):
  // the same for every sample of an epoch, on any thread.
  int64_t seed = 42;
  int64_t epoch = 0;
  ParseOptions parse;
};

struct SampleText {
  std::string id;
  Group group = Group::kImageText;
  std::string dataset;  // the dataset whose training list holds this entry
  size_t dataset_index = 0;
  std::string full_text;
  // The images to load, in order: the record's image_ids (VIDEO_TEXT: the
  // resample_frames chosen frames; TEXT_ONLY: none).
  std::vector<std::string> image_ids;
  // The reference's patch_images shape: (1, N, 3, S, S); VIDEO_TEXT
  // (1, F, 3, S, S); TEXT_ONLY (1, 1, 3, 224, 224) of zeros; an image
  // sample without images (1, 0), as torch.tensor([]).unsqueeze(0).
  std::vector<int64_t> image_shape;
};

// A record id present in more than one dataset of a group: the group sees
// only the later dataset's record (the reference's dict.update).
struct ReplacedRecord {
  std::string id;
  size_t replaced_dataset = 0;  // index into GroupDataset::datasets()
  size_t kept_dataset = 0;
};

class GroupDataset {
 public:
  struct Dataset {
    DatasetConfig config;
    std::shared_ptr<const InstructionFile> instructions;
    std::shared_ptr<const TrainConfig> train_config;  // null: none
    uint64_t training_begin = 0;                      // its part of the training list
    uint64_t training_size = 0;
  };

  // Loads the group's files (each once) and resamples. Throws Error(kNotFound)
  // when `config` has no such group, and whatever opening the files throws,
  // prefixed with the group and dataset.
  static std::shared_ptr<const GroupDataset> open(const DataConfig& config, Group group,
                                                  const SampleOptions& options = {});
  ~GroupDataset();
  GroupDataset(const GroupDataset&) = delete;
  GroupDataset& operator=(const GroupDataset&) = delete;

  Group group() const;
  const SampleOptions& options() const;
  const std::vector<Dataset>& datasets() const;

  // The training list: every dataset's resampled keys, in YAML order.
  uint64_t size() const;
  std::string_view training_id(uint64_t i) const;
  size_t training_dataset(uint64_t i) const;

  // Sample i of the training list. Throws Error(kNotFound) naming the id when
  // it or one of its in-context ids has no record (or no instruction or
  // answer), Error(kCorrupt) for a VIDEO_TEXT record without frames.
  void sample_text(uint64_t i, SampleText* out) const;
  SampleText sample_text(uint64_t i) const;
  // The same in another epoch: only the task description depends on it (the
  // reference reseeds its choice with (seed, epoch)). The options' epoch is
  // picked once at open; another epoch costs one more seeding per sample.
  void sample_text(uint64_t i, int64_t epoch, SampleText* out) const;

  // The record `id` resolves to in this group: the last dataset holding it.
  struct RecordRef {
    size_t dataset = 0;
    size_t index = 0;
  };
  std::optional<RecordRef> find_record(std::string_view id) const;

  // The image stores of the group, each path once, in YAML order.
  const std::vector<std::string>& images_paths() const;
  // Ids whose record was replaced by a later dataset's (count = size()).
  const std::vector<ReplacedRecord>& replaced_records() const;
  // The records the group's instruction files dropped at open (each file
  // once, YAML order; at most ParseOptions::max_dropped_reports per file),
  // and how many in all.
  const std::vector<DroppedRecord>& dropped_records() const;
  uint64_t dropped_count() const;

 private:
  GroupDataset();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mimicit::dataset
