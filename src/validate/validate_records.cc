// Instruction records and train configs of one group, checked in parallel
// chunks of records; each chunk collects its own problems, merged in order
// by the calling thread.
#include <algorithm>
#include <unordered_map>

#include "mimicit/error.h"
#include "mimicit/prompt.h"
#include "util/utf8.h"
#include "validate/validate_internal.h"

namespace mimicit::validate::internal {

namespace {

using dataset::Group;
using dataset::Record;

constexpr size_t kChunkRecords = 1024;
constexpr size_t kPreviewBytes = 60;

// What one chunk found.
struct ChunkResult {
  explicit ChunkResult(uint64_t cap) : problems(cap) {}
  Collector problems;
  std::vector<std::pair<size_t, uint64_t>> uses;  // (finding, record)
  uint64_t image_refs = 0;
};

// 'text', cut at a character boundary when long.
std::string preview(std::string_view text) {
  bool cut = false;
  const std::string_view head = utf8_prefix(text, kPreviewBytes, &cut);
  return fmt::format("'{}{}'", head, cut ? "..." : "");
}

// True when the reference's cleaning (clean_question / clean_answer,
// keep_symbols off) leaves `text` empty or only whitespace (runs of spaces
// become one space there, and only newlines are stripped after that):
// exactly when no character survives the symbol deletion other than
// whitespace, i.e. `text` has no \w character and none of . , ? ! ( ) " '.
// A scan instead of the cleaning itself: most texts stop at their first
// letter. Invalid UTF-8 is deleted by the cleaning, so it does not count.
bool cleans_to_blank(std::string_view text, dataset::PythonUnicode unicode) {
  for (size_t i = 0, length = 1; i < text.size(); i += length) {
    const uint32_t cp = decode_utf8(text, i, &length);
    const bool kept =
        cp < 0x80 ? std::string_view(".,?!()\"'").find(static_cast<char>(cp)) != std::string_view::npos ||
                        dataset::is_word_char(cp, unicode)
                  : cp != kInvalidCodePoint && dataset::is_word_char(cp, unicode);
    if (kept) return false;
  }
  return true;
}

class GroupChecker {
 public:
  GroupChecker(const GroupState& group, const Options& options, ImageFindings& findings)
      : group_(group), options_(options), name_(dataset::group_name(group.group)), findings_(findings) {
    for (size_t f = 0; f < findings.findings.size(); ++f) {
      const ImageFinding& finding = findings.findings[f];
      if (std::find(finding.groups.begin(), finding.groups.end(), group.index) != finding.groups.end()) {
        finding_index_[finding.image_id].push_back(f);
      }
    }
  }

  RecordCounts run(WorkerPool& pool, Collector& out, Progress& progress);

 private:
  bool in_group(std::string_view id) const {
    for (const DatasetState& d : group_.datasets) {
      if (d.instructions && d.instructions->find(id)) return true;
    }
    return false;
  }

  void add(ChunkResult& result, Kind kind, size_t d, std::string_view id, std::string image_id,
           const std::string& file, std::string detail) const {
    result.problems.add(make_problem(kind, name_, group_.datasets[d].plan->config.name, std::string(id),
                                     std::move(image_id), file, std::move(detail)));
  }

  // Runs `check(i, result)` for i in [0, n) in chunks on the pool; merges
  // the chunks' problems and image uses in order. Returns the image refs.
  // `file`, when given, has its records' pages released behind the pass.
  template <typename Check>
  uint64_t for_each_chunked(WorkerPool& pool, size_t d, size_t n, Collector& out, Progress* progress,
                            const dataset::InstructionFile* file, const Check& check);

  void check_record(size_t d, size_t r, Record& record, ChunkResult& result) const;
  void check_text(size_t d, std::string_view id, const Record& record, ChunkResult& result) const;
  void check_images(size_t d, size_t r, std::string_view id, const Record& record, ChunkResult& result) const;
  void check_train_entry(size_t d, size_t k, std::vector<std::string>& context, ChunkResult& result) const;
  void add_repeats(size_t d, Collector& out) const;

  const GroupState& group_;
  const Options& options_;
  const std::string name_;
  ImageFindings& findings_;
  std::unordered_map<std::string_view, std::vector<size_t>> finding_index_;
};

template <typename Check>
uint64_t GroupChecker::for_each_chunked(WorkerPool& pool, size_t d, size_t n, Collector& out,
                                        Progress* progress, const dataset::InstructionFile* file,
                                        const Check& check) {
  const size_t chunks = (n + kChunkRecords - 1) / kChunkRecords;
  const size_t wave = static_cast<size_t>(std::max(1, pool.threads() * 4));
  uint64_t image_refs = 0;
  for (size_t first = 0; first < chunks; first += wave) {
    const size_t count = std::min(wave, chunks - first);
    std::vector<ChunkResult> results(count, ChunkResult(options_.max_problems));
    pool.run(count, [&](size_t c) {
      const size_t begin = (first + c) * kChunkRecords;
      const size_t end = std::min(n, begin + kChunkRecords);
      for (size_t i = begin; i < end; ++i) check(i, results[c]);
    });
    for (ChunkResult& result : results) {
      image_refs += result.image_refs;
      out.merge(std::move(result.problems));
      for (const auto& [f, record] : result.uses) {
        ImageFinding& finding = findings_.findings[f];
        ++finding.refs;
        finding.first_use = std::min(finding.first_use, {group_.index, d, record});
      }
    }
    if (file) file->release_records(first * kChunkRecords, std::min(n, (first + count) * kChunkRecords));
    if (progress) {
      const size_t done = std::min(n, (first + count) * kChunkRecords) - first * kChunkRecords;
      progress->advance(done, 0);
    }
  }
  return image_refs;
}

void GroupChecker::check_text(size_t d, std::string_view id, const Record& record,
                              ChunkResult& result) const {
  const std::string& file = group_.datasets[d].instructions->path();
  for (const bool question : {true, false}) {
    const char* field = question ? "instruction" : "answer";
    if (!(question ? record.has_instruction : record.has_answer)) {
      add(result, Kind::kEmptyText, d, id, "", file,
          fmt::format("no '{}' field: a sample using this record fails", field));
      continue;
    }
    const std::string& text = question ? record.instruction : record.answer;
    if (cleans_to_blank(text, options_.python_unicode)) {
      const std::string cleaned = question ? dataset::clean_question(text, false, options_.python_unicode)
                                           : dataset::clean_answer(text, false, options_.python_unicode);
      add(result, Kind::kEmptyText, d, id, "", file,
          fmt::format("the {} is {} after cleaning (was {})", field, cleaned.empty() ? "empty" : "blank",
                      preview(text)));
    }
  }
}

void GroupChecker::check_images(size_t d, size_t r, std::string_view id, const Record& record,
                                ChunkResult& result) const {
  const std::string& file = group_.datasets[d].instructions->path();
  if (record.image_ids.empty()) {
    add(result, Kind::kNoImages, d, id, "", file,
        fmt::format("no image_ids: a {} sample needs {}", name_,
                    group_.group == Group::kVideoText ? "frames" : "at least one image"));
    return;
  }
  for (const std::string& image : record.image_ids) {
    ++result.image_refs;
    if (group_.check_images) {
      if (!group_.stores.contains(image)) {
        add(result, Kind::kMissingImage, d, id, image, file,
            fmt::format("image id in none of the group's {} image store{}", group_.stores.size(),
                        group_.stores.size() == 1 ? "" : "s"));
      }
    }
    if (auto it = finding_index_.find(image); it != finding_index_.end()) {
      for (size_t f : it->second) result.uses.emplace_back(f, r);
    }
  }
}

void GroupChecker::check_record(size_t d, size_t r, Record& record, ChunkResult& result) const {
  const dataset::InstructionFile& file = *group_.datasets[d].instructions;
  const std::string_view id = file.id(r);
  try {
    file.read(r, &record);
  } catch (const Error& e) {
    add(result, Kind::kBadFile, d, id, "", file.path(), e.message());
    return;
  }
  check_text(d, id, record, result);
  if (is_image_group(group_.group)) check_images(d, r, id, record, result);
  // The dataset whose record the group keeps: the last one holding the id.
  for (size_t e = group_.datasets.size(); e-- > d + 1;) {
    const DatasetState& later = group_.datasets[e];
    if (!later.instructions || later.instructions.get() == &file || !later.instructions->find(id)) continue;
    add(result, Kind::kDuplicateInstruction, d, id, "", file.path(),
        fmt::format("also in dataset {} ({}), whose record replaces this one", later.plan->config.name,
                    later.instructions->path()));
    break;
  }
  if (!group_.check_related) return;
  for (const std::string& related : record.rel_ins_ids) {
    if (!in_group(related)) {
      add(result, Kind::kMissingRelated, d, id, "", file.path(),
          fmt::format("rel_ins_ids names '{}', which no dataset of group {} holds", related, name_));
    }
  }
}

void GroupChecker::check_train_entry(size_t d, size_t k, std::vector<std::string>& context,
                                     ChunkResult& result) const {
  const dataset::TrainConfig& config = *group_.datasets[d].train_config;
  const std::string_view key = config.id(k);
  if (!in_group(key)) {
    add(result, Kind::kMissingInstruction, d, key, "", config.path(),
        fmt::format("train config key without a record in group {}: its sample fails", name_));
  }
  config.read(k, &context);
  for (const std::string& related : context) {
    if (!in_group(related)) {
      add(result, Kind::kMissingRelated, d, key, "", config.path(),
          fmt::format("the train config's in-context list names '{}', which no dataset of group {} holds",
                      related, name_));
    }
  }
}

void GroupChecker::add_repeats(size_t d, Collector& out) const {
  const DatasetState& ds = group_.datasets[d];
  auto add_all = [&](const std::vector<dataset::RepeatedKey>& repeats, const std::string& file,
                     const char* what) {
    for (const dataset::RepeatedKey& repeat : repeats) {
      out.add(make_problem(
          Kind::kDuplicateInstruction, name_, ds.plan->config.name, repeat.key, "", file,
          fmt::format("appears twice in the {} (byte offsets {} and {}): the later {} is used", what,
                      repeat.replaced_offset, repeat.kept_offset, what[0] == 'i' ? "record" : "list")));
    }
  };
  if (ds.instructions && ds.first_use_of_instructions) {
    add_all(ds.instructions->repeated_ids(), ds.instructions->path(), "instruction file");
  }
  if (ds.train_config && ds.first_use_of_train_config) {
    add_all(ds.train_config->repeated_ids(), ds.train_config->path(), "train config");
  }
}

RecordCounts GroupChecker::run(WorkerPool& pool, Collector& out, Progress& progress) {
  RecordCounts counts;
  for (size_t d = 0; d < group_.datasets.size(); ++d) {
    const DatasetState& ds = group_.datasets[d];
    add_repeats(d, out);
    if (ds.instructions && ds.first_use_of_instructions) {
      counts.records += ds.instructions->size();
      counts.image_refs += for_each_chunked(pool, d, ds.instructions->size(), out, &progress,
                                            ds.instructions.get(), [&](size_t r, ChunkResult& result) {
                                              thread_local Record record;  // buffers reused across records
                                              check_record(d, r, record, result);
                                            });
    }
    if (ds.train_config && ds.first_use_of_train_config && group_.check_related) {
      for_each_chunked(pool, d, ds.train_config->size(), out, nullptr, nullptr,
                       [&](size_t k, ChunkResult& result) {
                         thread_local std::vector<std::string> context;
                         check_train_entry(d, k, context, result);
                       });
    }
  }
  return counts;
}

}  // namespace

RecordCounts check_group_records(const GroupState& group, const Options& options, WorkerPool& pool,
                                 ImageFindings& findings, Collector& out, Progress& progress) {
  return GroupChecker(group, options, findings).run(pool, out, progress);
}

}  // namespace mimicit::validate::internal
