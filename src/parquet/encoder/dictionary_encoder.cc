#include "parquet/encoder/dictionary_encoder.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <xxhash.h>

#include "mimicit/error.h"
#include "parquet/encoder/plain_encoder.h"
#include "parquet/encoder/rle_encoder.h"

namespace mimicit::parquet {

namespace {

constexpr size_t kInitialSlots = 64;

// A 64-bit finaliser (good avalanche for bit patterns that differ in few bits).
uint32_t hash_fixed(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return static_cast<uint32_t>(x);
}

uint32_t hash_bytes(std::string_view s) {
  return static_cast<uint32_t>(XXH3_64bits(s.data(), s.size()) >> 32);
}

const char* type_name(Type type) {
  switch (type) {
    case Type::INT32: return "INT32";
    case Type::INT64: return "INT64";
    case Type::FLOAT: return "FLOAT";
    case Type::DOUBLE: return "DOUBLE";
    case Type::BYTE_ARRAY: return "BYTE_ARRAY";
    default: return "unsupported";
  }
}

}  // namespace

DictionaryBuilder::DictionaryBuilder(Type type) : type_(type) {
  switch (type) {
    case Type::INT32:
    case Type::FLOAT: width_ = 4; break;
    case Type::INT64:
    case Type::DOUBLE: width_ = 8; break;
    case Type::BYTE_ARRAY: break;
    default: fail_invalid("dictionary encoding: physical type {} is not supported", static_cast<int>(type));
  }
  slots_.resize(kInitialSlots);
  if (type == Type::BYTE_ARRAY) offsets_.push_back(0);
}

void DictionaryBuilder::check_type(Type type) const {
  if (type != type_) {
    fail_invalid("dictionary encoding: a {} value put into a {} dictionary", type_name(type),
                 type_name(type_));
  }
}

uint32_t DictionaryBuilder::put_int32(int32_t value) {
  return put_fixed(static_cast<uint32_t>(value), Type::INT32);
}
uint32_t DictionaryBuilder::put_int64(int64_t value) {
  return put_fixed(static_cast<uint64_t>(value), Type::INT64);
}
uint32_t DictionaryBuilder::put_float(float value) {
  return put_fixed(std::bit_cast<uint32_t>(value), Type::FLOAT);
}
uint32_t DictionaryBuilder::put_double(double value) {
  return put_fixed(std::bit_cast<uint64_t>(value), Type::DOUBLE);
}

uint32_t DictionaryBuilder::put_fixed(uint64_t bits, Type type) {
  check_type(type);
  const uint32_t hash = hash_fixed(bits);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot slot = slots_[i];
    if (slot.entry == 0) {
      fixed_.push_back(bits);
      return add_entry_slot(i, hash);
    }
    if (slot.hash == hash && fixed_[slot.entry - 1] == bits) return slot.entry - 1;
  }
}

uint32_t DictionaryBuilder::put_bytes(std::string_view value) {
  check_type(Type::BYTE_ARRAY);
  if (value.size() > UINT32_MAX) {
    fail_invalid("dictionary encoding: a byte array of {} bytes exceeds 4 GiB", value.size());
  }
  const uint32_t hash = hash_bytes(value);
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot slot = slots_[i];
    if (slot.entry == 0) {
      arena_.append(value.data(), value.size());
      offsets_.push_back(arena_.size());
      return add_entry_slot(i, hash);
    }
    if (slot.hash == hash && bytes_value(slot.entry - 1) == value) return slot.entry - 1;
  }
}

// Fills an empty slot with the entry just stored; grows the table when it
// becomes half full.
uint32_t DictionaryBuilder::add_entry_slot(size_t slot, uint32_t hash) {
  const uint32_t index = static_cast<uint32_t>(count_++);
  slots_[slot] = Slot{hash, index + 1};
  if (2 * count_ > slots_.size()) grow();
  return index;
}

void DictionaryBuilder::grow() {
  std::vector<Slot> bigger(slots_.size() * 2);
  const size_t mask = bigger.size() - 1;
  for (const Slot& slot : slots_) {
    if (slot.entry == 0) continue;
    size_t i = slot.hash & mask;
    while (bigger[i].entry != 0) i = (i + 1) & mask;
    bigger[i] = slot;
  }
  slots_.swap(bigger);
}

std::string_view DictionaryBuilder::bytes_value(uint32_t index) const {
  return std::string_view(reinterpret_cast<const char*>(arena_.data()) + offsets_[index],
                          offsets_[index + 1] - offsets_[index]);
}

uint64_t DictionaryBuilder::dictionary_page_bytes() const {
  if (type_ == Type::BYTE_ARRAY) return arena_.size() + 4 * uint64_t{count_};
  return width_ * uint64_t{count_};
}

int DictionaryBuilder::index_bit_width() const { return count_ <= 1 ? 0 : bit_width_of(count_ - 1); }

void DictionaryBuilder::write_dictionary_page(Buffer& out) const {
  out.reserve(out.size() + dictionary_page_bytes());
  if (type_ == Type::BYTE_ARRAY) {
    for (size_t i = 0; i < count_; ++i) append_plain_byte_array(bytes_value(static_cast<uint32_t>(i)), out);
  } else if (width_ == 8) {
    out.append(fixed_.data(), 8 * count_);
  } else {
    for (uint64_t bits : fixed_) {
      const uint32_t low = static_cast<uint32_t>(bits);
      out.append(&low, 4);
    }
  }
}

void DictionaryBuilder::clear() {
  count_ = 0;
  std::fill(slots_.begin(), slots_.end(), Slot{});
  fixed_.clear();
  arena_.clear();
  offsets_.clear();
  if (type_ == Type::BYTE_ARRAY) offsets_.push_back(0);
}

}  // namespace mimicit::parquet
