// Loading a JSON object of many members (the "data" object of an
// instruction file, a train config) into a MemberTable: one sequential walk
// to find the members, then every value validated with simdjson on a worker
// pool. Shared by InstructionFile and TrainConfig.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "dataset/member_table.h"
#include "mimicit/bytes.h"
#include "mimicit/dataset.h"
#include "mimicit/file.h"

namespace mimicit::dataset {

// A value that a repeated key replaced: validated like the others.
struct ReplacedValue {
  std::string key;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Walks the object starting at `offset` of `file` into `table` (Python
// dict semantics; repeats are appended to `repeats` and the values they
// dropped to `replaced`). Returns one past its closing brace. The pages
// walked over are released from the process's resident set as it goes (the
// values are parsed again later, from the page cache). A value of more than
// `max_value_bytes` is Error(kLimit) (check_value_size).
uint64_t walk_object(const MappedFile& file, uint64_t offset, uint64_t max_value_bytes, MemberTable* table,
                     std::vector<RepeatedKey>* repeats, std::vector<ReplacedValue>* replaced);

// Throws Error(kLimit) "byte offset N (line L): the value of '<key>' has S
// bytes, over the limit of M bytes" when [begin, end) is over the limit.
void check_value_size(ByteView doc, std::string_view key, uint64_t begin, uint64_t end,
                      uint64_t max_value_bytes);

// What is wrong with one member's value: nothing (message empty), a value
// of a type its reader cannot use (`type_error`: the caller may drop the
// member), or invalid JSON.
struct ValueProblem {
  std::string message;  // "field 'answer' is a number, expected a string"; empty: fine
  bool type_error = false;
  std::string field;  // type errors: the field (empty: the value itself)
  std::string found;  // type errors: what it is ("a number", ...)
};

// Checks one member's value, parsed as a document.
using ValueCheck = std::function<ValueProblem(simdjson::ondemand::document& doc)>;

// A member of the table whose value has a type error.
struct WrongTypedMember {
  size_t index = 0;     // position in the table
  uint64_t offset = 0;  // the value's first byte
  ValueProblem problem;
};

// Runs `check` on every value of `table` and of `replaced`, `threads` at a
// time (0: all cores), releasing the pages of each finished batch. A value
// with a type error is also checked to be valid JSON as a whole. Throws
// Error(kCorrupt) "byte offset N (line L): <what> '<key>': <problem>" for
// the first value that is not valid JSON, in file order. Returns the
// table's members with a type error, by position (the replaced values'
// types do not matter: nothing reads them).
std::vector<WrongTypedMember> validate_members(const MappedFile& file, const MemberTable& table,
                                               const std::vector<ReplacedValue>& replaced,
                                               std::string_view what, int threads, const ValueCheck& check);

// The message of a simdjson error, plus `what` when set.
std::string simdjson_problem(simdjson::error_code error, const std::string& what);

}  // namespace mimicit::dataset
