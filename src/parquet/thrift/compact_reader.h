// CompactReader: a bounded reader for the Thrift compact protocol.
//
// Parquet stores its metadata (footer, page headers, page index, bloom
// filter headers) as Thrift structs in the compact protocol. This reader
// decodes the protocol's building blocks over a ByteView that the caller
// keeps alive; it never reads outside that view. Struct decoding itself is
// hand-written on top (metadata_codec.cc).
//
// Robustness contract: every input is untrusted. Each read checks the bytes
// remaining; a string, list or map length is checked against the remaining
// bytes before anything is allocated (every list element takes at least one
// byte, so a length can never exceed the input); varints are at most 10
// bytes; struct and container nesting is limited to kMaxNesting, in decoding
// and in skip() alike, so the C++ stack stays bounded. Any violation throws
// Error(kCorrupt) "thrift: <what> at byte <offset>". Every loop over
// elements consumes at least one byte per element, so the work is linear in
// the input size.
//
// Memory: a list element may be far larger in memory than on the wire (a
// 3-byte ColumnChunk decodes into a ~600-byte struct). Decoders therefore
// charge_allocation() what they allocate for list elements against a budget
// of kAllocationFactor bytes per input byte (plus kAllocationSlack); going
// over throws Error(kLimit). Real metadata stays far below it: its densest
// elements (lists of empty strings) need 32 bytes per input byte.
//
// The hot reads (field headers, varints) are inline: page headers are decoded
// once per page on every scan. A CompactReader is a cursor: not thread-safe,
// cheap to create.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mimicit/bytes.h"
#include "mimicit/error.h"

namespace mimicit::parquet::thrift {

// Compact protocol wire types (the low nibble of a field header).
enum WireType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,  // a bool field's value lives in its type nibble
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,
};

// Deepest nesting of structs and containers accepted (Parquet needs ~6).
inline constexpr int kMaxNesting = 64;

// Decoded memory allowed per input byte, and in addition to that.
inline constexpr uint64_t kAllocationFactor = 64;
inline constexpr uint64_t kAllocationSlack = uint64_t{1} << 20;

struct FieldHeader {
  int16_t id = 0;
  uint8_t type = kStop;
  bool is_bool() const { return type == kBoolTrue || type == kBoolFalse; }
  // The value of a bool field (held in the header itself).
  bool bool_value() const { return type == kBoolTrue; }
};

struct ListHeader {
  uint8_t elem_type = kStop;
  uint32_t size = 0;
};

struct MapHeader {
  uint8_t key_type = kStop;
  uint8_t value_type = kStop;
  uint32_t size = 0;
};

class CompactReader {
 public:
  explicit CompactReader(ByteView bytes)
      : begin_(bytes.data()),
        pos_(bytes.data()),
        end_(bytes.data() + bytes.size()),
        allocation_budget_(bytes.size() < (UINT64_MAX - kAllocationSlack) / kAllocationFactor
                               ? kAllocationFactor * bytes.size() + kAllocationSlack
                               : UINT64_MAX) {
    last_field_id_[0] = 0;  // the other depths are set by struct_begin()
  }

  CompactReader(const CompactReader&) = delete;
  CompactReader& operator=(const CompactReader&) = delete;

  // Bytes consumed so far / left.
  size_t position() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }

  // Enter / leave a struct. Field ids are delta-coded per struct, so each
  // struct has its own "last field id"; struct_begin() also enforces the
  // nesting limit.
  void struct_begin() {
    if (depth_ >= kMaxNesting) fail_too_deep();
    last_field_id_[++depth_] = 0;
  }
  void struct_end() { --depth_; }

  // Reads the next field header of the current struct. Returns false at the
  // struct's STOP marker. A bool field's value is in field->type: use
  // field->bool_value(), and skip_field() rather than skip() for such fields.
  bool next_field(FieldHeader* field) {
    const uint8_t* start = pos_;
    uint8_t b = read_u8();
    uint8_t type = b & 0x0f;
    if (type == kStop) return false;
    if (type > kUuid) corrupt_at(offset_of(start), "invalid field type {}", type);
    int16_t& last = last_field_id_[depth_];
    int32_t id;
    if (uint8_t delta = b >> 4) {
      id = last + delta;
      if (id > INT16_MAX) corrupt_at(offset_of(start), "field id {} out of range", id);
    } else {
      id = read_i16();
    }
    last = static_cast<int16_t>(id);
    field->id = static_cast<int16_t>(id);
    field->type = type;
    return true;
  }

  // Values. In a container a bool is one byte (1 = true; writers use 2 or 0
  // for false).
  bool read_bool() { return read_u8() == 1; }
  int8_t read_byte() { return static_cast<int8_t>(read_u8()); }
  int16_t read_i16() {
    const uint8_t* start = pos_;
    uint64_t v = read_varint();
    if (v > UINT16_MAX) corrupt_at(offset_of(start), "i16 varint out of range");
    return static_cast<int16_t>(zigzag_decode(v));
  }
  int32_t read_i32() {
    const uint8_t* start = pos_;
    uint64_t v = read_varint();
    if (v > UINT32_MAX) corrupt_at(offset_of(start), "i32 varint out of range");
    return static_cast<int32_t>(zigzag_decode(v));
  }
  int64_t read_i64() { return zigzag_decode(read_varint()); }
  double read_double() {
    need(8, "double");
    uint64_t bits;
    std::memcpy(&bits, pos_, 8);  // little-endian on the wire; hosts are LE
    pos_ += 8;
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  // A view into the input; valid while the input is.
  std::string_view read_binary() {
    const uint8_t* start = pos_;
    uint64_t len = read_varint();
    if (len > remaining()) {
      corrupt_at(offset_of(start), "binary of {} bytes exceeds the {} remaining bytes", len, remaining());
    }
    std::string_view v(reinterpret_cast<const char*>(pos_), static_cast<size_t>(len));
    pos_ += len;
    return v;
  }

  uint64_t read_varint() {
    if (pos_ < end_ && *pos_ < 0x80) return *pos_++;
    return read_varint_slow();
  }

  // List and set headers share one format. The size is checked against the
  // remaining bytes (times the smallest encoding of one element).
  ListHeader read_list_header();
  MapHeader read_map_header();

  // Skips one value of wire type `type` as it appears inside a container
  // (where a bool takes one byte), recursing into structs and containers.
  void skip(uint8_t type);
  // Skips the value of a field whose header was just read.
  void skip_field(const FieldHeader& field) {
    if (!field.is_bool()) skip(field.type);
  }

  // Accounts for `bytes` of memory about to be allocated for decoded values;
  // throws Error(kLimit) when the input does not justify that much.
  void charge_allocation(uint64_t bytes) {
    if (bytes > allocation_budget_) fail_allocation(bytes);
    allocation_budget_ -= bytes;
  }

  // Throws Error(kCorrupt) "thrift: <what> at byte <offset>".
  template <typename... Args>
  [[noreturn, gnu::cold, gnu::noinline]] void corrupt_at(size_t offset, fmt::format_string<Args...> what,
                                                         Args&&... args) const {
    fail_corrupt("thrift: {} at byte {}", fmt::format(what, std::forward<Args>(args)...), offset);
  }

 private:
  size_t offset_of(const uint8_t* p) const { return static_cast<size_t>(p - begin_); }
  static int64_t zigzag_decode(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }
  uint8_t read_u8() {
    if (pos_ == end_) fail_truncated();
    return *pos_++;
  }
  void need(size_t n, const char* what) {
    if (remaining() < n) corrupt_at(position(), "truncated {}", what);
  }
  uint64_t read_varint_slow();
  void container_begin();
  [[noreturn, gnu::cold, gnu::noinline]] void fail_truncated() const;
  [[noreturn, gnu::cold, gnu::noinline]] void fail_too_deep() const;
  [[noreturn, gnu::cold, gnu::noinline]] void fail_allocation(uint64_t bytes) const;

  const uint8_t* begin_;
  const uint8_t* pos_;
  const uint8_t* end_;
  uint64_t allocation_budget_;
  int depth_ = 0;
  // last_field_id_[d] is the last field id read in the struct at depth d.
  int16_t last_field_id_[kMaxNesting + 1];
};

}  // namespace mimicit::parquet::thrift
