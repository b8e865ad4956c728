// InstructionFile: {"meta": ..., "data": {id: record, ...}} (spec 1.1).
#include <algorithm>

#include "dataset/instruction_parquet.h"
#include "dataset/json_value.h"
#include "dataset/object_loader.h"
#include "mimicit/dataset.h"
#include "mimicit/error.h"
#include "mimicit/file.h"
#include "remote/object_cache.h"
#include "util/json_walker.h"

namespace mimicit::dataset {

namespace od = simdjson::ondemand;

struct InstructionFile::Impl {
  std::string path;
  std::shared_ptr<const MappedFile> file;
  MemberTable records;
  std::vector<RepeatedKey> repeats;
  std::vector<DroppedRecord> dropped;
  uint64_t dropped_count = 0;
  uint32_t checked_fields = kAllRecordFields;
  uint64_t meta_begin = 0;
  uint64_t meta_end = 0;
};

namespace {

uint32_t field_bit(std::string_view key) {
  if (key == "instruction") return kFieldInstruction;
  if (key == "answer") return kFieldAnswer;
  if (key == "image_ids") return kFieldImageIds;
  if (key == "rel_ins_ids") return kFieldRelInsIds;
  return 0;
}

ValueProblem type_problem(const std::string& field, std::string found, std::string_view expected) {
  std::string message = field.empty() ? fmt::format("the record is {}, expected {}", found, expected)
                                      : fmt::format("field '{}' is {}, expected {}", field, found, expected);
  return {std::move(message), true, field, std::move(found)};
}

// The load-time check of one record: an object whose checked fields have
// the right types, every other field valid JSON.
ValueProblem check_record(od::document& doc, uint32_t checked) {
  od::json_type type;
  if (auto error = doc.type().get(type)) return {simdjson_problem(error, "")};
  if (type != od::json_type::object) return type_problem("", json_type_phrase(type), "an object");
  od::object object;
  if (auto error = doc.get_object().get(object)) return {simdjson_problem(error, "")};
  thread_local std::vector<std::string_view> list;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return {simdjson_problem(error, "a key")};
    // The key is a view into the parser's string buffer, which the value's
    // strings may move on from: keep a copy for messages.
    const std::string name(key);
    od::value value;
    if (auto error = field.value().get(value)) return {simdjson_problem(error, "field '" + name + "'")};
    const uint32_t bit = field_bit(name) & checked;
    if (bit & (kFieldInstruction | kFieldAnswer)) {
      od::json_type field_type;
      if (auto error = value.type().get(field_type)) return {simdjson_problem(error, "field '" + name + "'")};
      if (field_type != od::json_type::string)
        return type_problem(name, json_type_phrase(field_type), "a string");
      if (auto error = value.get_string().error()) return {simdjson_problem(error, "field '" + name + "'")};
    } else if (bit != 0) {
      // A failure here may also be bad JSON: validate_members checks the
      // whole record again before it drops it.
      std::string found;
      if (!read_string_list(value, &list, &found))
        return type_problem(name, found, "an array of strings or null");
    } else {
      std::string what;
      if (auto error = validate_value(value, 2, &what))
        return {simdjson_problem(error, "field '" + name + "'")};
    }
  }
  return {};
}

// The dropped records' reports, in position order; `wrong` is in position
// order. Lines are counted in one pass over the file, in offset order.
std::vector<DroppedRecord> drop_reports(const std::string& path, ByteView doc, const MemberTable& records,
                                        const std::vector<WrongTypedMember>& wrong, size_t max_reports,
                                        const std::vector<ParquetShardStart>* shards) {
  const size_t n = std::min(wrong.size(), max_reports);
  std::vector<size_t> by_offset(n);
  for (size_t k = 0; k < n; ++k) by_offset[k] = k;
  std::sort(by_offset.begin(), by_offset.end(),
            [&](size_t a, size_t b) { return wrong[a].offset < wrong[b].offset; });
  std::vector<uint64_t> lines(n);
  uint64_t line = 1;
  uint64_t counted = 0;
  for (size_t k : by_offset) {
    const uint64_t offset = std::min<uint64_t>(wrong[k].offset, doc.size());
    line += static_cast<uint64_t>(std::count(doc.begin() + static_cast<std::ptrdiff_t>(counted),
                                             doc.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    counted = offset;
    lines[k] = line;
  }
  std::vector<DroppedRecord> reports(n);
  for (size_t k = 0; k < n; ++k) {
    const WrongTypedMember& member = wrong[k];
    DroppedRecord& report = reports[k];
    report.id.assign(records.key(member.index));
    report.field = member.problem.field;
    report.found = member.problem.found;
    std::string where;
    if (shards != nullptr && !shards->empty()) {
      // Record r of the rendering is on line r + 2 (instruction_parquet.h).
      const uint64_t record = lines[k] - 2;
      auto shard =
          std::upper_bound(shards->begin(), shards->end(), record,
                           [](uint64_t r, const ParquetShardStart& s) { return r < s.first_record; });
      --shard;
      report.file = shard->path;
      report.row = static_cast<int64_t>(record - shard->first_record);
      where = fmt::format("row {}", report.row);
    } else {
      report.file = path;
      report.offset = member.offset;
      where = fmt::format("byte offset {} (line {})", member.offset, lines[k]);
    }
    report.message =
        fmt::format("{}: {}: record '{}': {}", report.file, where, report.id, member.problem.message);
  }
  return reports;
}

}  // namespace

InstructionFile::InstructionFile() : impl_(std::make_unique<Impl>()) {}
InstructionFile::~InstructionFile() = default;

std::shared_ptr<const InstructionFile> InstructionFile::open(const std::string& path,
                                                             const ParseOptions& options) {
  std::shared_ptr<InstructionFile> result(new InstructionFile());
  Impl& impl = *result->impl_;
  impl.path = path;
  impl.checked_fields = options.checked_fields;
  std::vector<ParquetShardStart> shards;
  impl.file = names_parquet_instructions(path) ? render_parquet_instructions(path, &shards)
                                               : remote::open_mapped(path);
  with_context(path, [&] {
    const ByteView doc = impl.file->bytes();
    impl.file->will_need(0, doc.size());
    JsonObjectWalker top(doc, 0);
    JsonMember member;
    bool has_data = false;
    uint64_t data_begin = 0;
    uint64_t data_end = 0;
    std::vector<ReplacedValue> replaced;
    std::vector<ReplacedValue> others;  // top-level values besides "data", validated whole
    while (top.next_key(&member)) {
      if (member.key != "data") {
        top.skip_member_value(&member);
        if (member.key == "meta") {
          impl.meta_begin = member.value_begin;
          impl.meta_end = member.value_end;
        }
        others.push_back({std::string(member.key), member.value_begin, member.value_end});
        continue;
      }
      if (member.value_begin >= doc.size() || doc[member.value_begin] != '{') {
        fail_corrupt("{}: \"data\" is not an object", describe_offset(doc, member.value_begin));
      }
      if (has_data) {
        // A second "data" replaces the first (Python dict); the first must
        // still be valid JSON.
        others.push_back({"data", data_begin, data_end});
      }
      has_data = true;
      impl.records.clear();
      impl.repeats.clear();
      replaced.clear();
      // Walked once, here: the top-level walker does not skip it first.
      data_begin = member.value_begin;
      data_end = walk_object(*impl.file, member.value_begin, options.max_value_bytes, &impl.records,
                             &impl.repeats, &replaced);
      top.continue_after(data_end);
    }
    expect_only_whitespace_after(doc, top.end_offset());
    if (!has_data)
      fail_corrupt("no \"data\" object (expected {{\"meta\": ..., \"data\": {{id: record, ...}}}})");
    for (const ReplacedValue& other : others) {
      check_value_size(doc, other.key, other.begin, other.end, options.max_value_bytes);
      ValueParser& parser = ValueParser::for_this_thread();
      od::document value;
      std::string what;
      auto error = parser.iterate(doc, other.begin, other.end).get(value);
      if (!error) error = validate_document(value, &what);
      if (error)
        fail_corrupt("{}: \"{}\": {}", describe_offset(doc, other.begin), other.key,
                     simdjson_problem(error, what));
    }
    const uint32_t checked = options.checked_fields;
    const std::vector<WrongTypedMember> wrong =
        validate_members(*impl.file, impl.records, replaced, "record", options.threads,
                         [checked](od::document& record) { return check_record(record, checked); });
    if (!wrong.empty()) {
      impl.dropped = drop_reports(path, doc, impl.records, wrong, options.max_dropped_reports, &shards);
      impl.dropped_count = wrong.size();
      std::vector<size_t> positions;
      for (const WrongTypedMember& member : wrong) positions.push_back(member.index);
      impl.records.erase(positions);
    }
  });
  return result;
}

const std::string& InstructionFile::path() const { return impl_->path; }
size_t InstructionFile::size() const { return impl_->records.size(); }
std::string_view InstructionFile::id(size_t i) const { return impl_->records.key(i); }

std::optional<size_t> InstructionFile::find(std::string_view id) const {
  const size_t i = impl_->records.find(id);
  if (i == MemberTable::npos) return std::nullopt;
  return i;
}

std::string_view InstructionFile::raw_json(size_t i) const {
  const ByteView doc = impl_->file->bytes();
  return as_string_view(doc.subspan(impl_->records.value_begin(i),
                                    impl_->records.value_end(i) - impl_->records.value_begin(i)));
}

uint64_t InstructionFile::offset(size_t i) const { return impl_->records.value_begin(i); }

void InstructionFile::release_records(size_t begin, size_t end) const {
  // Records are in file order except a repeated id's later record, which
  // takes the first one's place: such a record's pages are just kept.
  end = std::min(end, size());
  if (begin >= end) return;
  const uint64_t from = offset(begin);
  const uint64_t to = end < size() ? offset(end) : impl_->file->size();
  if (to > from) impl_->file->release(from, to - from);
}

std::string_view InstructionFile::meta_json() const {
  return as_string_view(impl_->file->bytes().subspan(impl_->meta_begin, impl_->meta_end - impl_->meta_begin));
}

const std::vector<RepeatedKey>& InstructionFile::repeated_ids() const { return impl_->repeats; }
const std::vector<DroppedRecord>& InstructionFile::dropped_records() const { return impl_->dropped; }
uint64_t InstructionFile::dropped_count() const { return impl_->dropped_count; }

size_t InstructionFile::memory_bytes() const { return impl_->records.memory_bytes(); }

void InstructionFile::read(size_t i, Record* out) const {
  const ByteView doc = impl_->file->bytes();
  ValueParser& parser = ValueParser::for_this_thread();
  out->has_instruction = out->has_answer = false;
  out->instruction.clear();
  out->answer.clear();
  out->image_ids.clear();
  out->rel_ins_ids.clear();
  thread_local std::vector<std::string_view> list;
  auto failed = [&](simdjson::error_code error) {
    fail_corrupt("{}: {}: record '{}': {}", impl_->path, describe_offset(doc, impl_->records.value_begin(i)),
                 id(i), simdjson_problem(error, ""));
  };
  od::document record;
  if (auto error =
          parser.iterate(doc, impl_->records.value_begin(i), impl_->records.value_end(i)).get(record)) {
    failed(error);
  }
  od::object object;
  if (auto error = record.get_object().get(object)) failed(error);
  for (auto field : object) {
    std::string_view key;
    od::value value;
    if (auto error = field.unescaped_key().get(key)) failed(error);
    const bool instruction = key == "instruction";
    const bool answer = key == "answer";
    const bool image_ids = key == "image_ids";
    const bool rel_ins_ids = key == "rel_ins_ids";
    if (!instruction && !answer && !image_ids && !rel_ins_ids) continue;
    if (auto error = field.value().get(value)) failed(error);
    // A field the open did not check may have the wrong type: it reads as
    // absent (nothing uses it).
    const bool checked = (field_bit(key) & impl_->checked_fields) != 0;
    if (instruction || answer) {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        if (!checked && error == simdjson::INCORRECT_TYPE) continue;
        failed(error);
      }
      (instruction ? out->instruction : out->answer).assign(text);
      (instruction ? out->has_instruction : out->has_answer) = true;
    } else {
      std::string found;
      std::vector<std::string>& target = image_ids ? out->image_ids : out->rel_ins_ids;
      if (!read_string_list(value, &list, &found)) {
        if (!checked) {
          target.clear();
          continue;
        }
        failed(simdjson::INCORRECT_TYPE);
      }
      target.assign(list.begin(), list.end());
    }
  }
}

Record InstructionFile::read(size_t i) const {
  Record record;
  read(i, &record);
  return record;
}

}  // namespace mimicit::dataset
