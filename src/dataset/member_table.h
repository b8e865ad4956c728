// MemberTable: the members of one big JSON object (instruction records,
// train config entries) as a compact ordered hash table.
//
// Per member it keeps the key's bytes in one arena, 24 bytes of offsets
// (key in the arena, value as a byte range of the source document) and an
// 8-byte slot of an open-addressing index (at most 70% full): about 60
// bytes per record for typical ids, against the ~1 KB of a Python dict of
// strings. Values are not copied; they are parsed again from the document
// when needed.
//
// insert() follows Python's dict (what orjson.loads builds): a repeated key
// keeps its first position and takes the later value.
//
// Thread-safety: build from one thread; const methods may then be called
// from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimicit::dataset {

class MemberTable {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  size_t size() const { return members_.size(); }
  std::string_view key(size_t i) const {
    const Member& m = members_[i];
    return {keys_.data() + m.key_offset, m.key_size};
  }
  uint64_t value_begin(size_t i) const { return members_[i].value_offset; }
  uint64_t value_end(size_t i) const { return members_[i].value_offset + members_[i].value_size; }

  // The position of `key`, or npos.
  size_t find(std::string_view key) const;
  // Appends the member, or, when the key is present, replaces its value
  // range in place (the range it had goes to *replaced_begin/end when
  // given). Returns the position and whether the key was new. Throws
  // Error(kLimit) beyond 2^32 - 2 members or a value of 4 GiB.
  std::pair<size_t, bool> insert(std::string_view key, uint64_t value_begin, uint64_t value_end,
                                 uint64_t* replaced_begin = nullptr, uint64_t* replaced_end = nullptr);
  // Removes the members at `positions` (ascending); the others keep their
  // order.
  void erase(const std::vector<size_t>& positions);
  void clear();
  // Releases the growth slack of the arrays once building is done.
  void shrink_to_fit();
  // Bytes held (arena, members, index).
  size_t memory_bytes() const;

 private:
  struct Member {
    uint64_t key_offset;
    uint32_t key_size;
    uint32_t value_size;
    uint64_t value_offset;
  };
  static uint64_t hash(std::string_view key);
  void grow();
  void rehash(size_t capacity);                          // rebuilds the index with `capacity` slots
  size_t probe(std::string_view key, uint64_t h) const;  // slot holding key, or the empty slot

  std::string keys_;
  std::vector<Member> members_;
  // Slot: 0 = empty, else (hash >> 32) << 32 | (position + 1).
  std::vector<uint64_t> slots_;
  uint64_t mask_ = 0;
};

}  // namespace mimicit::dataset
