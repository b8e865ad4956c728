#include "parquet/thrift/compact_reader.h"

namespace mimicit::parquet::thrift {

namespace {

bool is_value_type(uint8_t type) { return type >= kBoolTrue && type <= kUuid; }

// The fewest bytes one value of `type` can take inside a container; bounds
// element counts before any loop or allocation.
size_t min_encoded_size(uint8_t type) {
  switch (type) {
    case kDouble: return 8;
    case kUuid: return 16;
    default: return 1;
  }
}

}  // namespace

uint64_t CompactReader::read_varint_slow() {
  const uint8_t* p = pos_;
  uint64_t value = 0;
  if (remaining() >= 10) {
    // The common case: no bounds check per byte.
    for (int i = 0; i < 9; ++i) {
      value |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * i);
      if (p[i] < 0x80) {
        pos_ = p + i + 1;
        return value;
      }
    }
  } else {
    for (int i = 0; i < 9; ++i) {
      if (p + i == end_) corrupt_at(offset_of(p), "truncated varint");
      value |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * i);
      if (p[i] < 0x80) {
        pos_ = p + i + 1;
        return value;
      }
    }
    if (p + 9 == end_) corrupt_at(offset_of(p), "truncated varint");
  }
  // The 10th byte holds bit 63 only.
  if (p[9] >= 0x80) corrupt_at(offset_of(p), "varint longer than 10 bytes");
  if (p[9] > 1) corrupt_at(offset_of(p), "varint overflows 64 bits");
  pos_ = p + 10;
  return value | static_cast<uint64_t>(p[9]) << 63;
}

ListHeader CompactReader::read_list_header() {
  size_t at = position();
  uint8_t b = read_u8();
  ListHeader h;
  h.elem_type = b & 0x0f;
  uint64_t size = b >> 4;
  if (size == 15) size = read_varint();
  if (size == 0) return h;  // some writers leave the element type 0 when empty
  if (!is_value_type(h.elem_type)) corrupt_at(at, "invalid list element type {}", h.elem_type);
  if (size > remaining() / min_encoded_size(h.elem_type)) {
    corrupt_at(at, "list of {} elements exceeds the {} remaining bytes", size, remaining());
  }
  if (size > INT32_MAX) corrupt_at(at, "list of {} elements is too long", size);
  h.size = static_cast<uint32_t>(size);
  return h;
}

MapHeader CompactReader::read_map_header() {
  size_t at = position();
  uint64_t size = read_varint();
  MapHeader h;
  if (size == 0) return h;  // an empty map has no type byte
  uint8_t types = read_u8();
  h.key_type = types >> 4;
  h.value_type = types & 0x0f;
  if (!is_value_type(h.key_type) || !is_value_type(h.value_type)) {
    corrupt_at(at, "invalid map types {}/{}", h.key_type, h.value_type);
  }
  size_t entry = min_encoded_size(h.key_type) + min_encoded_size(h.value_type);
  if (size > remaining() / entry) {
    corrupt_at(at, "map of {} entries exceeds the {} remaining bytes", size, remaining());
  }
  if (size > INT32_MAX) corrupt_at(at, "map of {} entries is too long", size);
  h.size = static_cast<uint32_t>(size);
  return h;
}

void CompactReader::container_begin() {
  if (depth_ >= kMaxNesting) fail_too_deep();
  ++depth_;
}

void CompactReader::skip(uint8_t type) {
  switch (type) {
    case kBoolTrue:
    case kBoolFalse:
    case kByte: read_u8(); return;
    case kI16:
    case kI32:
    case kI64: read_varint(); return;
    case kDouble:
      need(8, "double");
      pos_ += 8;
      return;
    case kUuid:
      need(16, "uuid");
      pos_ += 16;
      return;
    case kBinary: read_binary(); return;
    case kList:
    case kSet: {
      container_begin();
      ListHeader h = read_list_header();
      for (uint32_t i = 0; i < h.size; ++i) skip(h.elem_type);
      --depth_;
      return;
    }
    case kMap: {
      container_begin();
      MapHeader h = read_map_header();
      for (uint32_t i = 0; i < h.size; ++i) {
        skip(h.key_type);
        skip(h.value_type);
      }
      --depth_;
      return;
    }
    case kStruct: {
      struct_begin();
      FieldHeader field;
      while (next_field(&field)) skip_field(field);
      struct_end();
      return;
    }
    default: corrupt_at(position(), "cannot skip value of invalid type {}", type);
  }
}

void CompactReader::fail_truncated() const { corrupt_at(position(), "truncated input"); }

void CompactReader::fail_too_deep() const {
  corrupt_at(position(), "nesting deeper than {} levels", kMaxNesting);
}

void CompactReader::fail_allocation(uint64_t bytes) const {
  fail(ErrorCode::kLimit,
       "thrift: decoding needs {} more bytes of memory than {} bytes of input justify at byte {}",
       bytes - allocation_budget_, end_ - begin_, position());
}

}  // namespace mimicit::parquet::thrift
