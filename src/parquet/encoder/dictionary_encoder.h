// DictionaryBuilder: the writer's dictionary for one column chunk.
//
// put_*() maps each value to its index in insertion order (0, 1, 2, ...),
// adding values not seen before. Fixed-width values are keyed by their bit
// pattern (so 0.0 and -0.0 are distinct, and equal NaN patterns are one
// entry); byte arrays by content. Lookups go through an open-addressing hash
// table (linear probing, load <= 1/2); byte arrays are copied once into an
// arena, so a put allocates nothing except when a table or the arena grows.
//
// The writer encodes the indices with encode_dictionary_indices()
// (rle_encoder.h) using index_bit_width(), watches dictionary_page_bytes()
// to fall back to PLAIN when the dictionary grows too large, and writes the
// dictionary page payload (PLAIN) with write_dictionary_page().
//
// Supported types: INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY (others throw
// Error(kInvalidArgument)); a put of the wrong type also throws it, as does
// a byte array of 2^32 bytes or more. Views returned by bytes_value() stay
// valid until the next put or clear(). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "mimicit/bytes.h"
#include "mimicit/parquet/metadata.h"

namespace mimicit::parquet {

class DictionaryBuilder {
 public:
  explicit DictionaryBuilder(Type type);
  DictionaryBuilder(DictionaryBuilder&&) = default;
  DictionaryBuilder& operator=(DictionaryBuilder&&) = default;

  Type type() const { return type_; }

  // Each returns the value's index.
  uint32_t put_int32(int32_t value);
  uint32_t put_int64(int64_t value);
  uint32_t put_float(float value);
  uint32_t put_double(double value);
  uint32_t put_bytes(std::string_view value);

  // Distinct values so far.
  size_t size() const { return count_; }
  // Size of the PLAIN dictionary page payload write_dictionary_page() appends.
  uint64_t dictionary_page_bytes() const;
  // Bits per index: bit_width_of(size() - 1), 0 for a dictionary of 0 or 1 values.
  int index_bit_width() const;
  // Appends the PLAIN encoding of the values in index order.
  void write_dictionary_page(Buffer& out) const;

  // Value `index` as PLAIN bytes of a fixed-width type (little-endian bit
  // pattern in the low bytes), or the content of a byte array.
  uint64_t fixed_value(uint32_t index) const { return fixed_[index]; }
  std::string_view bytes_value(uint32_t index) const;

  // Forgets all values, keeping allocated memory (for the next column chunk).
  void clear();

 private:
  struct Slot {
    uint32_t hash = 0;   // high 32 bits of the key's hash; also picks the slot
    uint32_t entry = 0;  // index + 1; 0 marks an empty slot
  };

  uint32_t put_fixed(uint64_t bits, Type type);
  uint32_t add_entry_slot(size_t slot, uint32_t hash);
  void grow();
  void check_type(Type type) const;

  Type type_;
  size_t width_ = 0;  // bytes per fixed-width value
  size_t count_ = 0;
  std::vector<Slot> slots_;        // size a power of two
  std::vector<uint64_t> fixed_;    // fixed-width values by index
  Buffer arena_;                   // byte array contents back to back
  std::vector<uint64_t> offsets_;  // byte array i is arena_[offsets_[i], offsets_[i + 1])
};

}  // namespace mimicit::parquet
