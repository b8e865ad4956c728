// Problem kinds, the report order, the Collector, and the two renderings
// of a Report (JSON, also in pieces for the viewer: report_json.h, and text).
#include <algorithm>

#include <fmt/format.h>

#include "mimicit/validate.h"
#include "util/json_writer.h"
#include "util/utf8.h"
#include "validate/report_json.h"
#include "validate/validate_internal.h"

namespace mimicit::validate {

namespace {

auto sort_key(const Problem& p) { return std::tie(p.group, p.dataset, p.id, p.image_id, p.file, p.detail); }

// "IMAGE_TEXT / LADD / LA_INS_1, image LA_IMG_2: detail"
std::string problem_line(const Problem& p) {
  std::string where;
  for (const std::string* part : {&p.group, &p.dataset, &p.id}) {
    if (part->empty()) continue;
    if (!where.empty()) where += " / ";
    where += *part;
  }
  if (!p.image_id.empty()) where += (where.empty() ? "image " : ", image ") + p.image_id;
  // Errors of a file name it first: do not name it twice.
  if (where.empty() && !std::string_view(p.detail).starts_with(p.file)) where = p.file;
  std::string line = "  ";
  append_valid_utf8(line, where.empty() ? p.detail : where + ": " + p.detail);
  return line + '\n';
}

// "1 group", "2 groups".
std::string count(uint64_t n, const char* noun) { return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s"); }

std::string summary_counts(const Summary& s) {
  std::string text = count(s.groups, "group") + ", " + count(s.datasets, "dataset") + ", " +
                     count(s.records, "record") + ", " + count(s.image_refs, "image reference") + ", " +
                     count(s.stores, "store") + " with " + count(s.images, "image");
  if (s.decoded) text += fmt::format(" ({} decoded)", s.images_decoded);
  return text;
}

}  // namespace

std::string kinds_help() {
  std::string text;
  for (const NameEntry<Kind>& entry : kKindNames)
    text += fmt::format("  {:<22} {}\n", entry.name, entry.help);
  return text;
}

bool operator<(const Problem& a, const Problem& b) {
  const int kinds = std::string_view(kind_name(a.kind)).compare(kind_name(b.kind));
  if (kinds != 0) return kinds < 0;
  return sort_key(a) < sort_key(b);
}

bool operator==(const Problem& a, const Problem& b) { return a.kind == b.kind && sort_key(a) == sort_key(b); }

void write_problem_members(JsonWriter& json, const Problem& p) {
  json.key("kind").value(kind_name(p.kind)).key("group").value(p.group).key("dataset").value(p.dataset);
  json.key("id").value(p.id).key("image_id").value(p.image_id).key("file").value(p.file);
  json.key("detail").value(p.detail);
}

void write_summary(JsonWriter& json, const Summary& s) {
  json.begin_object().key("counts").begin_object();
  for (Kind kind : kAllKinds) json.key(kind_name(kind)).value(s.count(kind));
  json.end_object();
  json.key("problems").value(s.problems).key("notices").value(s.notices).key("omitted").value(s.omitted);
  json.key("groups").value(s.groups).key("datasets").value(s.datasets);
  json.key("records").value(s.records).key("image_refs").value(s.image_refs);
  json.key("stores").value(s.stores).key("images").value(s.images);
  json.key("images_decoded").value(s.images_decoded).key("decoded").value(s.decoded);
  // Milliseconds are all a wall time says.
  json.key("seconds").raw(fmt::format("{:.3f}", s.seconds));
  json.key("notes").strings(s.notes);
  json.end_object();
}

std::string report_json(const Report& report) {
  JsonWriter json;
  json.begin_object().key("problems").begin_array();
  for (const Problem& p : report.problems) {
    json.begin_object();
    write_problem_members(json, p);
    json.end_object();
  }
  json.end_array().key("summary");
  write_summary(json, report.summary);
  json.end_object();
  return json.take();
}

std::string report_text(const Report& report, const std::string& yaml_path, size_t examples) {
  const Summary& s = report.summary;
  std::string out;
  append_valid_utf8(out, yaml_path);
  const std::string notices = s.notices == 0 ? "" : fmt::format(", {}", count(s.notices, "notice"));
  if (report.clean()) {
    out += fmt::format(": no problems{} ({}) in {:.2f} s\n", notices, summary_counts(s), s.seconds);
  } else {
    out += fmt::format(": {} problem{}{} ({}) in {:.2f} s\n", s.problems, s.problems == 1 ? "" : "s", notices,
                       summary_counts(s), s.seconds);
  }
  size_t i = 0;
  // Problems are sorted by kind name: walk them kind by kind.
  while (i < report.problems.size()) {
    const Kind kind = report.problems[i].kind;
    size_t end = i;
    while (end < report.problems.size() && report.problems[end].kind == kind) ++end;
    out += fmt::format("\n{}: {}\n", kind_name(kind), s.count(kind));
    for (size_t k = i; k < std::min(end, i + examples); ++k) out += problem_line(report.problems[k]);
    if (s.count(kind) > std::min<uint64_t>(end - i, examples)) {
      out += fmt::format("  ... and {} more\n", s.count(kind) - std::min<uint64_t>(end - i, examples));
    }
    i = end;
  }
  // Kinds counted but with no problem listed (every one omitted).
  for (Kind kind : kAllKinds) {
    const bool listed = std::any_of(report.problems.begin(), report.problems.end(),
                                    [&](const Problem& p) { return p.kind == kind; });
    if (!listed && s.count(kind) > 0)
      out += fmt::format("\n{}: {} (none listed)\n", kind_name(kind), s.count(kind));
  }
  if (!s.notes.empty()) {
    out += "\nnotes:\n";
    for (const std::string& note : s.notes) {
      out += "  ";
      append_valid_utf8(out, note);
      out += '\n';
    }
  }
  return out;
}

namespace internal {

Problem make_problem(Kind kind, std::string group, std::string dataset, std::string id, std::string image_id,
                     std::string file, std::string detail) {
  return Problem{kind,
                 std::move(group),
                 std::move(dataset),
                 std::move(id),
                 std::move(image_id),
                 std::move(file),
                 std::move(detail)};
}

void Collector::trim(std::vector<Problem>& bucket, size_t keep) {
  if (bucket.size() <= keep) return;
  std::nth_element(bucket.begin(), bucket.begin() + static_cast<ptrdiff_t>(keep), bucket.end());
  const size_t dropped = bucket.size() - keep;
  bucket.resize(keep);
  omitted_ += dropped;
}

void Collector::add(Problem problem) {
  ++counts_[static_cast<size_t>(problem.kind)];
  auto& bucket = buckets_[{problem.kind, problem.group, problem.dataset}];
  bucket.push_back(std::move(problem));
  // Trimmed in halves: keeping the `cap` smallest of all added, at an
  // amortised O(log cap) per problem.
  if (cap_ != 0 && bucket.size() >= 2 * cap_) trim(bucket, cap_);
}

void Collector::merge(Collector&& other) {
  for (auto& [key, bucket] : other.buckets_) {
    for (Problem& p : bucket) {
      --other.counts_[static_cast<size_t>(p.kind)];
      add(std::move(p));
    }
  }
  // What `other` trimmed away is counted but gone.
  for (size_t k = 0; k < kNumKinds; ++k) counts_[k] += other.counts_[k];
  omitted_ += other.omitted_;
  other.buckets_.clear();
  other.counts_ = {};
  other.omitted_ = 0;
}

void Collector::count_omitted(Kind kind, uint64_t n) {
  counts_[static_cast<size_t>(kind)] += n;
  omitted_ += n;
}

std::vector<Problem> Collector::finish(Summary& summary) {
  std::vector<Problem> all;
  for (auto& [key, bucket] : buckets_) {
    if (cap_ != 0) trim(bucket, cap_);
    std::move(bucket.begin(), bucket.end(), std::back_inserter(all));
  }
  buckets_.clear();
  std::sort(all.begin(), all.end());
  summary.counts = counts_;
  summary.problems = 0;
  summary.notices = 0;
  for (Kind kind : kAllKinds) {
    (is_notice(kind) ? summary.notices : summary.problems) += counts_[static_cast<size_t>(kind)];
  }
  summary.omitted = omitted_;
  return all;
}

}  // namespace internal

}  // namespace mimicit::validate
