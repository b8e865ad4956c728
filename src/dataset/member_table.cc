#include "dataset/member_table.h"

#include <cstring>

#include <xxhash.h>

#include "mimicit/error.h"

namespace mimicit::dataset {

uint64_t MemberTable::hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

size_t MemberTable::probe(std::string_view key, uint64_t h) const {
  const uint64_t tag = h >> 32;
  for (uint64_t slot = h & mask_;; slot = (slot + 1) & mask_) {
    const uint64_t v = slots_[slot];
    if (v == 0) return slot;
    if ((v >> 32) == tag && this->key(static_cast<uint32_t>(v) - 1) == key) return slot;
  }
}

size_t MemberTable::find(std::string_view key) const {
  if (slots_.empty()) return npos;
  const uint64_t v = slots_[probe(key, hash(key))];
  return v == 0 ? npos : static_cast<uint32_t>(v) - 1;
}

void MemberTable::grow() { rehash(slots_.empty() ? 1024 : slots_.size() * 2); }

void MemberTable::erase(const std::vector<size_t>& positions) {
  if (positions.empty()) return;
  size_t kept = 0;
  size_t next = 0;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (next < positions.size() && positions[next] == i) {
      ++next;
      continue;
    }
    members_[kept++] = members_[i];
  }
  members_.resize(kept);
  rehash(slots_.size());  // the removed keys' bytes stay in the arena
}

void MemberTable::rehash(size_t capacity) {
  slots_.assign(capacity, 0);
  mask_ = capacity - 1;
  for (size_t i = 0; i < members_.size(); ++i) {
    const uint64_t h = hash(key(i));
    slots_[probe(key(i), h)] = ((h >> 32) << 32) | (i + 1);
  }
}

std::pair<size_t, bool> MemberTable::insert(std::string_view key, uint64_t value_begin, uint64_t value_end,
                                            uint64_t* replaced_begin, uint64_t* replaced_end) {
  if (value_end - value_begin > UINT32_MAX) {
    fail(ErrorCode::kLimit, "the value of '{}' is {} bytes: values of 4 GiB or more are not supported", key,
         value_end - value_begin);
  }
  if (key.size() > UINT32_MAX) fail(ErrorCode::kLimit, "a key of {} bytes", key.size());
  if ((members_.size() + 1) * 10 > slots_.size() * 7) {
    if (members_.size() >= UINT32_MAX - 1) fail(ErrorCode::kLimit, "more than {} members", UINT32_MAX - 1);
    grow();
  }
  const uint64_t h = hash(key);
  const size_t slot = probe(key, h);
  const uint32_t value_size = static_cast<uint32_t>(value_end - value_begin);
  if (slots_[slot] != 0) {
    const size_t position = static_cast<uint32_t>(slots_[slot]) - 1;
    if (replaced_begin) *replaced_begin = this->value_begin(position);
    if (replaced_end) *replaced_end = this->value_end(position);
    members_[position].value_offset = value_begin;
    members_[position].value_size = value_size;
    return {position, false};
  }
  const size_t position = members_.size();
  members_.push_back({keys_.size(), static_cast<uint32_t>(key.size()), value_size, value_begin});
  keys_.append(key);
  slots_[slot] = ((h >> 32) << 32) | (position + 1);
  return {position, true};
}

void MemberTable::clear() {
  keys_.clear();
  members_.clear();
  slots_.clear();
  mask_ = 0;
}

void MemberTable::shrink_to_fit() {
  keys_.shrink_to_fit();
  members_.shrink_to_fit();
}

size_t MemberTable::memory_bytes() const {
  return keys_.capacity() + members_.capacity() * sizeof(Member) + slots_.capacity() * sizeof(uint64_t);
}

}  // namespace mimicit::dataset
