// Validation of a whole data YAML before training (`mimicit validate`,
// mimicit.validate, and the web viewer): every problem the reference
// pipeline would run into hours into a run (spec 4), found up front.
//
// validate_data() reads the YAML, every instruction file and train config
// it names and every image store of the image groups, and returns a Report:
// the problems, sorted, and a summary. A problem never stops validation:
// a bad dataset is reported and the others are still checked. Checks that
// would only repeat an earlier problem are skipped and said so in
// Summary::notes (e.g. missing_image for a group whose store cannot be
// opened: every id would be missing).
//
// The problem kinds (Kind; kind_name() is the string in reports). Each
// problem names the group, dataset, instruction id and image id it is
// about (empty when not applicable), the file concerned, and a detail:
//
//   bad_config             the YAML's structure: an unknown group, an unknown
//                          key in a dataset, a value of the wrong type, a
//                          missing mimicit_path, a group or dataset repeated
//                          (the later one silently wins), an image-group
//                          dataset without images_path. Detail has the line.
//   missing_file           a *_path that does not exist (the reference
//                          asserts they all do). Detail names the key.
//   bad_file               a file that cannot be read or parsed: the YAML
//                          itself (line and column), an instruction file or
//                          train config (byte offset and line), an image
//                          store (the reader's reason).
//   duplicate_instruction  an instruction id held by two datasets of a group
//                          (the later dataset's record silently replaces
//                          the earlier: reported on the earlier one), or
//                          repeated inside one instruction file or train
//                          config (the later value wins).
//   missing_instruction    a train config key without a record in the group:
//                          the sample built from it fails.
//   missing_related        a rel_ins_ids entry, or an id in a train config
//                          list, that no dataset of the group holds.
//   empty_text             a record whose instruction or answer is empty
//                          or only whitespace after the reference's
//                          cleaning (keep_symbols off: "### @@" becomes " ";
//                          Options::python_unicode's tables), or that has
//                          no instruction or answer field.
//   no_images              a record of an image group (IMAGE_TEXT,
//                          VIDEO_TEXT, IMAGE_TEXT_IN_CONTEXT) without images.
//   missing_image          an image_ids entry absent from every store of the
//                          group (ids are looked up in the union of the
//                          group's stores, as the reference does).
//   duplicate_image        an image id present twice in one store or in two
//                          stores of a group (the reference's lookup fails).
//   bad_base64             (decode) a payload that is not base64.
//   undecodable_image      (decode) an image the decoder refuses, with its
//                          reason (or a payload that cannot be read).
//   tiny_image             (decode) an image with a side under 8 pixels.
//   lenient_base64         (decode) a notice, not a problem: base64 text
//                          that decoded only with leniency (base64.h:
//                          characters skipped, text after the padding,
//                          padding missing, a data: prefix); the detail
//                          says which and what the reference's
//                          urlsafe_b64decode does with it (the same bytes,
//                          or a failure).
//
// Notices (is_notice()) are listed and counted like problems but do not
// count in Summary::problems: a report with only notices is clean().
//
// Image problems (duplicate_image and the decode kinds) are reported once
// per image id and store, on the first instruction that uses the image (in
// YAML, dataset and file order), with the number of instructions using it
// in the detail; an image no instruction uses is reported on the first
// dataset that lists its store, without an instruction id.
//
// Order: problems sort by kind name, group, dataset, id, image id, file,
// detail (byte-wise). Volume: at most Options::max_problems problems of one
// kind are listed per dataset (the first ones in that order); the summary
// counts all of them.
//
// Resources: instruction files are memory-mapped and read once (records in
// parallel on Options::threads); stores are opened once per path (their id
// index only), through a StoreCache (store_cache.h). With `decode`, each
// store is read once in storage order with a pool of threads decoding a
// bounded batch at a time: memory does not grow with the store. A progress
// line is drawn on stderr when it is a terminal and Options::progress is on.
//
// Errors: validate_data throws mimicit::Error only when validation cannot
// run at all: the YAML cannot be read (kIo), bad options (kInvalidArgument).
// Everything else is a Problem. Thread-safety: validate_data is reentrant;
// a Report is a plain value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mimicit/image_store.h"
#include "mimicit/names.h"
#include "mimicit/preprocess.h"
#include "mimicit/prompt.h"
#include "mimicit/store_cache.h"

namespace mimicit::validate {

enum class Kind {
  kBadConfig,
  kMissingFile,
  kBadFile,
  kBadRecord,
  kDuplicateInstruction,
  kMissingInstruction,
  kMissingRelated,
  kEmptyText,
  kNoImages,
  kMissingImage,
  kDuplicateImage,
  kBadBase64,
  kUndecodableImage,
  kTinyImage,
  kLenientBase64,
};
inline constexpr size_t kNumKinds = 15;
inline constexpr Kind kAllKinds[kNumKinds] = {Kind::kBadConfig,
                                              Kind::kMissingFile,
                                              Kind::kBadFile,
                                              Kind::kBadRecord,
                                              Kind::kDuplicateInstruction,
                                              Kind::kMissingInstruction,
                                              Kind::kMissingRelated,
                                              Kind::kEmptyText,
                                              Kind::kNoImages,
                                              Kind::kMissingImage,
                                              Kind::kDuplicateImage,
                                              Kind::kBadBase64,
                                              Kind::kUndecodableImage,
                                              Kind::kTinyImage,
                                              Kind::kLenientBase64};

// The name of each kind in reports, and what it means (for --help).
inline constexpr NameTable<Kind> kKindNames{
    "problem kind",
    {{Kind::kBadConfig, "bad_config", "unknown group or key, wrong value type, repeated group or dataset"},
     {Kind::kMissingFile, "missing_file", "a *_path that does not exist"},
     {Kind::kBadFile, "bad_file",
      "a file that cannot be read or parsed (YAML, instructions, train config, store)"},
     {Kind::kBadRecord, "bad_record",
      "an instruction record that is not an object or has a field of the wrong type (dropped)"},
     {Kind::kDuplicateInstruction, "duplicate_instruction",
      "an id in two datasets of a group, or twice in one file"},
     {Kind::kMissingInstruction, "missing_instruction", "a train config key without a record in the group"},
     {Kind::kMissingRelated, "missing_related",
      "a rel_ins_ids or train config list id the group does not hold"},
     {Kind::kEmptyText, "empty_text", "instruction or answer empty after cleaning, or absent"},
     {Kind::kNoImages, "no_images", "a record of an image group without image_ids"},
     {Kind::kMissingImage, "missing_image", "an image id in none of the group's stores"},
     {Kind::kDuplicateImage, "duplicate_image", "an image id twice in a store or in two stores of a group"},
     {Kind::kBadBase64, "bad_base64", "(--decode) a payload that is not base64"},
     {Kind::kUndecodableImage, "undecodable_image", "(--decode) an image the decoder refuses"},
     {Kind::kTinyImage, "tiny_image", "(--decode) an image under 8 pixels a side"},
     {Kind::kLenientBase64, "lenient_base64",
      "(--decode, notice) base64 that decoded only with leniency (skipped characters, missing padding)"}}};
inline const char* kind_name(Kind kind) { return kKindNames.name(kind); }
inline std::optional<Kind> parse_kind(std::string_view name) { return kKindNames.find(name); }
// A kind that informs without making the data unclean (lenient_base64).
constexpr bool is_notice(Kind kind) { return kind == Kind::kLenientBase64; }
// One line per kind: "  name  what it means" (for --help).
std::string kinds_help();

struct Problem {
  Kind kind = Kind::kBadConfig;
  std::string group;     // "IMAGE_TEXT", ...; an unknown group's name as written; empty: none
  std::string dataset;   // the dataset's name in the YAML; empty: none
  std::string id;        // instruction id; empty: none
  std::string image_id;  // empty: none
  std::string file;      // the file concerned (YAML, instruction file, train config, store); may be empty
  std::string detail;    // what is wrong, with the line, column or byte offset where known
};

// The report order (see above).
bool operator<(const Problem& a, const Problem& b);
bool operator==(const Problem& a, const Problem& b);

struct Summary {
  std::array<uint64_t, kNumKinds> counts{};  // per kind (index: Kind), listed or not
  uint64_t problems = 0;                     // all kinds but notices
  uint64_t notices = 0;                      // notices (is_notice)
  uint64_t omitted = 0;                      // counted but not listed (max_problems)
  uint64_t groups = 0;
  uint64_t datasets = 0;
  uint64_t records = 0;         // instruction records checked
  uint64_t image_refs = 0;      // image_ids entries checked
  uint64_t stores = 0;          // image store paths opened
  uint64_t images = 0;          // distinct images in those stores
  uint64_t images_decoded = 0;  // images read and decoded (decode on)
  bool decoded = false;
  double seconds = 0;
  std::vector<std::string> notes;  // checks skipped, and why

  uint64_t count(Kind kind) const { return counts[static_cast<size_t>(kind)]; }
};

struct Report {
  std::vector<Problem> problems;  // sorted
  Summary summary;

  bool clean() const { return summary.problems == 0; }
};

// ---------------------------------------------------------------------------
// The decode pass in pieces, for running it on many machines
// (mimicit.dask.validate). decode_targets() names the stores validate_data
// decodes; decode_range() reads one range of a store's storage order
// (ImageStore::for_each_in_storage_range) wherever the files are visible;
// a store's pieces merged with DecodeResult::merge and handed to
// validate_data in Options::decoded give the report a local decode pass
// gives (summary.seconds aside).

struct DecodedImage {
  Kind kind = Kind::kUndecodableImage;  // kBadBase64, kUndecodableImage, kTinyImage or kLenientBase64
  std::string image_id;
  std::string detail;
  bool operator==(const DecodedImage&) const = default;
};

struct DecodeResult {
  uint64_t images = 0;                       // images read
  std::array<uint64_t, kNumKinds> counts{};  // per kind (index: Kind), listed or not
  // At most max_problems of each kind (0: all), the first by image id;
  // sorted by kind, then image id.
  std::vector<DecodedImage> kept;

  // Adds the result of another range of the same store (disjoint from the
  // ranges already added).
  void merge(DecodeResult&& piece, uint64_t max_problems);
};

struct Options {
  // Also read and decode every image of the stores (bad_base64,
  // undecodable_image, tiny_image, lenient_base64).
  bool decode = false;
  // Threads for records and decoding; 0: all cores.
  int threads = 0;
  // Relative paths in the YAML are relative to this folder; empty: the
  // working directory (as the reference).
  std::string base_dir;
  // Where image store indexes go when the store's folder is read-only
  // (ImageStoreOptions::cache_dir); empty: the default.
  std::string cache_dir;
  // The stores to validate through: a caller that has them open already
  // (the viewer) passes its StoreCache, so each store is opened once per
  // process, with that cache's options (cache_dir above is then unused).
  // Null: validate_data opens them with store_options(*this).
  std::shared_ptr<StoreCache> stores;
  // Problems of one kind listed per dataset; 0: all.
  uint64_t max_problems = 1000;
  // The decode pass refuses images of more pixels (undecodable_image), as
  // training does (PreprocessOptions::max_pixels: the reference's limit).
  uint64_t max_pixels = image::PreprocessOptions{}.max_pixels;
  // Images with a side under this are tiny_image.
  uint32_t min_image_side = 8;
  // The Unicode tables empty_text cleans with (dataset::SampleOptions).
  dataset::PythonUnicode python_unicode = dataset::PythonUnicode::kPython39;
  // A progress line on stderr (only drawn when it is a terminal).
  bool progress = false;
  // With decode: stores whose decode pass was done elsewhere, by path as
  // decode_targets() names them; they are not read again.
  std::map<std::string, DecodeResult> decoded;
};

Report validate_data(const std::string& yaml_path, const Options& options = {});

// How validation opens an image store: the id index only, no seek tables
// (the decode pass reads in storage order, which needs none), indexes
// saved under options.cache_dir when the store's folder is read-only. The
// pieces of a distributed decode pass open stores so too, sharing the
// saved index.
ImageStoreOptions store_options(const Options& options);

// The image stores validate_data would open and decode (those of the image
// groups that exist), each path once, in YAML order. Throws as
// validate_data when the YAML cannot be read.
std::vector<std::string> decode_targets(const std::string& yaml_path, const Options& options = {});

// The decode pass over the images of `store_path` placed in [begin, end),
// on options.threads threads (options.max_problems, min_image_side and
// cache_dir apply). Throws mimicit::Error when the store cannot be opened.
DecodeResult decode_range(const std::string& store_path, StoragePlace begin, StoragePlace end,
                          const Options& options = {});

// The report as one JSON object (the `--json` output; mimicit.validate
// returns the same structure as a dict):
//   {"problems": [{"kind", "group", "dataset", "id", "image_id", "file",
//                  "detail"}, ...],
//    "summary": {"counts": {"<kind>": N, ... every kind},
//                "problems": N, "notices": N, "omitted": N, "groups": N, "datasets": N,
//                "records": N, "image_refs": N, "stores": N, "images": N,
//                "images_decoded": N, "decoded": bool, "seconds": S,
//                "notes": [...]}}
// Empty fields are "" (never null), so problems sort as plain strings.
// Invalid UTF-8 (in ids or messages) is replaced by U+FFFD.
std::string report_json(const Report& report);

// The readable report: a summary line, then per kind (in report order) its
// count and its first `examples` problems.
std::string report_text(const Report& report, const std::string& yaml_path, size_t examples = 5);

}  // namespace mimicit::validate
