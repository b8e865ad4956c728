#include "dataset/object_loader.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "dataset/json_value.h"
#include "mimicit/error.h"
#include "util/json_walker.h"
#include "util/worker_pool.h"

namespace mimicit::dataset {

namespace {

constexpr size_t kChunk = 4096;              // values per task of the worker pool
constexpr uint64_t kReleaseStep = 64 << 20;  // the walk releases pages every 64 MiB

struct Problem {
  uint64_t offset = std::numeric_limits<uint64_t>::max();
  std::string key;
  std::string message;
};

}  // namespace

std::string simdjson_problem(simdjson::error_code error, const std::string& what) {
  std::string message = simdjson::error_message(error);
  if (!what.empty()) message = what + ": " + message;
  return message;
}

void check_value_size(ByteView doc, std::string_view key, uint64_t begin, uint64_t end,
                      uint64_t max_value_bytes) {
  if (end - begin <= max_value_bytes) return;
  fail(ErrorCode::kLimit, "{}: the value of '{}' has {} bytes, over the limit of {} bytes (max_value_bytes)",
       describe_offset(doc, begin), key, end - begin, max_value_bytes);
}

uint64_t walk_object(const MappedFile& file, uint64_t offset, uint64_t max_value_bytes, MemberTable* table,
                     std::vector<RepeatedKey>* repeats, std::vector<ReplacedValue>* replaced) {
  const ByteView doc = file.bytes();
  JsonObjectWalker walker(doc, offset);
  JsonMember member;
  uint64_t released = offset;
  while (walker.next(&member)) {
    if (member.value_begin - released >= kReleaseStep) {
      file.release(released, member.value_begin - released);
      released = member.value_begin;
    }
    check_value_size(doc, member.key, member.value_begin, member.value_end, max_value_bytes);
    uint64_t old_begin = 0;
    uint64_t old_end = 0;
    bool added = true;
    try {
      added = table->insert(member.key, member.value_begin, member.value_end, &old_begin, &old_end).second;
    } catch (Error& e) {
      throw e.add_context(describe_offset(doc, member.key_offset));
    }
    if (!added) {
      repeats->push_back({std::string(member.key), old_begin, member.value_begin});
      replaced->push_back({std::string(member.key), old_begin, old_end});
    }
  }
  table->shrink_to_fit();
  file.release(released, walker.end_offset() - released);
  return walker.end_offset();
}

std::vector<WrongTypedMember> validate_members(const MappedFile& file, const MemberTable& table,
                                               const std::vector<ReplacedValue>& replaced,
                                               std::string_view what, int threads, const ValueCheck& check) {
  const ByteView doc = file.bytes();
  const size_t total = table.size() + replaced.size();
  const size_t chunks = (total + kChunk - 1) / kChunk;
  std::vector<Problem> problems(chunks);
  std::vector<std::vector<WrongTypedMember>> wrong(chunks);
  auto run_chunk = [&](size_t c) {
    ValueParser& parser = ValueParser::for_this_thread();
    uint64_t low = doc.size();
    uint64_t high = 0;
    for (size_t i = c * kChunk; i < std::min(total, (c + 1) * kChunk); ++i) {
      const bool current = i < table.size();
      const uint64_t begin = current ? table.value_begin(i) : replaced[i - table.size()].begin;
      const uint64_t end = current ? table.value_end(i) : replaced[i - table.size()].end;
      low = std::min(low, begin);
      high = std::max(high, end);
      simdjson::ondemand::document value;
      std::string message;
      if (auto error = parser.iterate(doc, begin, end).get(value)) {
        message = simdjson_problem(error, "");
      } else {
        ValueProblem problem = check(value);
        if (problem.type_error) {
          // The check stopped at the wrong type: the rest must still be JSON.
          std::string where;
          auto error = parser.iterate(doc, begin, end).get(value);
          if (!error) error = validate_document(value, &where);
          if (error) {
            message = simdjson_problem(error, where);
          } else if (current) {
            wrong[c].push_back({i, begin, std::move(problem)});
          }
        } else {
          message = std::move(problem.message);
        }
      }
      if (!message.empty() && begin < problems[c].offset) {
        problems[c] = {begin, std::string(current ? table.key(i) : replaced[i - table.size()].key), message};
      }
    }
    // A batch's values are mostly one stretch of the file (whole pages
    // only are released, so a neighbour's are not).
    if (high > low) file.release(low, high - low);
  };
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), chunks));
  if (threads <= 1) {
    for (size_t c = 0; c < chunks; ++c) run_chunk(c);
  } else {
    WorkerPool pool(threads);
    pool.run(chunks, run_chunk);
  }
  const auto first = std::min_element(problems.begin(), problems.end(),
                                      [](const Problem& a, const Problem& b) { return a.offset < b.offset; });
  if (first != problems.end() && !first->message.empty()) {
    fail_corrupt("{}: {} '{}': {}", describe_offset(doc, first->offset), what, first->key, first->message);
  }
  std::vector<WrongTypedMember> out;
  for (auto& chunk : wrong) {
    for (auto& member : chunk) out.push_back(std::move(member));
  }
  return out;  // chunks cover positions in order
}

}  // namespace mimicit::dataset
