// The pieces of validate_data (include/mimicit/validate.h), one file each:
//   validate_config.cc   the YAML: groups, datasets, keys, paths
//   validate_images.cc   image stores: duplicate ids, the decode pass
//   validate_records.cc  instruction records and train configs
//   validate.cc          the order of the stages, and the report
//   validate_report.cc   kinds, problem order, Collector, JSON and text
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "mimicit/dataset.h"
#include "mimicit/image_store.h"
#include "mimicit/store_cache.h"
#include "mimicit/validate.h"
#include "util/progress.h"
#include "util/worker_pool.h"

namespace mimicit::validate::internal {

// Collects problems, listing at most `cap` per (kind, group, dataset) (the
// first ones in report order) and counting all of them. Memory stays about
// 2 * cap problems per bucket whatever is added. Not thread-safe: workers
// fill their own Collector and the caller merges them in.
class Collector {
 public:
  explicit Collector(uint64_t cap) : cap_(cap) {}

  void add(Problem problem);
  void merge(Collector&& other);
  // Problems counted but not kept (already trimmed elsewhere).
  void count_omitted(Kind kind, uint64_t n);

  // Sorted problems and the per-kind counts, into `summary`.
  std::vector<Problem> finish(Summary& summary);

 private:
  void trim(std::vector<Problem>& bucket, size_t keep);

  uint64_t cap_;
  std::map<std::tuple<Kind, std::string, std::string>, std::vector<Problem>> buckets_;
  std::array<uint64_t, kNumKinds> counts_{};
  uint64_t omitted_ = 0;
};

Problem make_problem(Kind kind, std::string group, std::string dataset, std::string id, std::string image_id,
                     std::string file, std::string detail);

// ---------------------------------------------------------------------------
// The YAML (validate_config.cc)

struct DatasetPlan {
  // Paths resolved; a path that does not exist is cleared (mimicit_path,
  // train_config_path) or dropped (images_paths) after its missing_file.
  dataset::DatasetConfig config;
  bool images_missing = false;  // an images_path was dropped
};

struct GroupPlan {
  dataset::Group group = dataset::Group::kImageText;
  std::vector<DatasetPlan> datasets;  // YAML order
  // A dataset of the group could not be read: checks that need all of the
  // group's records or stores are skipped.
  bool incomplete = false;
};

// Reports bad_file (YAML syntax), bad_config and missing_file; returns the
// groups and datasets that could be read.
std::vector<GroupPlan> check_config(const std::string& yaml_path, const std::string& text,
                                    const Options& options, Collector& out);

bool is_image_group(dataset::Group group);

// ---------------------------------------------------------------------------
// Image stores (validate_images.cc)

struct StoreState {
  std::string path;
  std::shared_ptr<const ImageStore> store;  // null: could not be opened
};

// An image problem, reported once, on the first instruction using it.
struct ImageFinding {
  Kind kind = Kind::kDuplicateImage;
  std::string image_id;
  std::string file;
  std::string detail;
  std::vector<size_t> groups;  // the groups whose references count
  size_t fallback_group = 0;   // where it goes when nothing uses it
  size_t fallback_dataset = 0;
  uint64_t refs = 0;
  // The first use: (group, dataset, record) in YAML and file order.
  std::tuple<uint64_t, uint64_t, uint64_t> first_use{UINT64_MAX, UINT64_MAX, UINT64_MAX};
};

struct ImageFindings {
  std::vector<ImageFinding> findings;
  // (kind, image id, file) -> index in findings, so each is reported once.
  std::map<std::tuple<Kind, std::string, std::string>, size_t> index;

  // Adds the finding or, when it is known, its groups to it.
  void add(ImageFinding finding);
};

// A store of a group, and the first dataset of the group listing it.
struct StoreUse {
  size_t store = 0;  // index into the StoreState list
  size_t dataset = 0;
};

// duplicate_image of group `group`: ids repeated in one of its stores or
// found in two of them (`uses`: its opened stores, in YAML order).
void find_duplicate_images(const std::vector<StoreState>& all, const std::vector<StoreUse>& uses,
                           size_t group, const Options& options, ImageFindings& findings, Collector& out);

// The decode pass over the images of `store` placed in [begin, end):
// bad_base64, undecodable_image, tiny_image, lenient_base64, at most
// max_problems of each kind kept (the first by id). `progress` may be null.
DecodeResult decode_images(const ImageStore& store, StoragePlace begin, StoragePlace end,
                           const Options& options, WorkerPool& pool, Progress* progress);

// A store's decode findings (decode_images, or pieces of it merged) as
// image findings; returns the number of images read.
uint64_t add_decoded(const StoreState& state, const std::vector<size_t>& groups,
                     std::pair<size_t, size_t> fallback, DecodeResult result, ImageFindings& findings,
                     Collector& out);

// The decode pass over one store: bad_base64, undecodable_image,
// tiny_image, lenient_base64. `groups`: the groups using the store (their references
// count); `fallback`: (group, dataset) for images nobody uses. Returns the
// number of images read.
uint64_t decode_store(const StoreState& state, const std::vector<size_t>& groups,
                      std::pair<size_t, size_t> fallback, const Options& options, WorkerPool& pool,
                      ImageFindings& findings, Collector& out);

// ---------------------------------------------------------------------------
// Records (validate_records.cc)

struct DatasetState {
  const DatasetPlan* plan = nullptr;
  std::shared_ptr<const dataset::InstructionFile> instructions;  // null: missing or bad
  std::shared_ptr<const dataset::TrainConfig> train_config;      // null: none, missing or bad
  bool first_use_of_instructions = true;  // in its group (a file listed twice is checked once)
  bool first_use_of_train_config = true;
};

struct GroupState {
  size_t index = 0;  // in YAML order
  dataset::Group group = dataset::Group::kImageText;
  std::vector<DatasetState> datasets;
  StoreGroup stores;           // the stores opened, distinct, YAML order
  bool check_images = false;   // every store opened: an id missing from all is missing
  bool check_related = false;  // every instruction file opened
};

struct RecordCounts {
  uint64_t records = 0;
  uint64_t image_refs = 0;
};

// Checks every record and train config entry of the group; uses of images
// in `findings` are noted there. Advances `progress` by records.
RecordCounts check_group_records(const GroupState& group, const Options& options, WorkerPool& pool,
                                 ImageFindings& findings, Collector& out, Progress& progress);

}  // namespace mimicit::validate::internal
