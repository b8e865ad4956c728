#include "parquet/thrift/compact_writer.h"

#include <cstring>

#include "mimicit/error.h"

namespace mimicit::parquet::thrift {

void CompactWriter::struct_begin() {
  if (depth_ >= kMaxNesting) {
    fail(ErrorCode::kInternal, "thrift: writer nesting deeper than {} levels", kMaxNesting);
  }
  last_field_id_[++depth_] = 0;
}

void CompactWriter::struct_end() {
  if (depth_ == 0) fail(ErrorCode::kInternal, "thrift: struct_end without struct_begin");
  out_.push_back(kStop);
  --depth_;
}

void CompactWriter::field_begin(int16_t id, uint8_t type) {
  int16_t& last = last_field_id_[depth_];
  int32_t delta = int32_t{id} - last;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<uint8_t>(delta << 4 | type));
  } else {
    out_.push_back(type);
    write_i16(id);
  }
  last = id;
}

void CompactWriter::list_begin(uint8_t elem_type, size_t size) {
  if (size < 15) {
    out_.push_back(static_cast<uint8_t>(size << 4 | elem_type));
  } else {
    out_.push_back(static_cast<uint8_t>(0xf0 | elem_type));
    write_size(size, "list");
  }
}

void CompactWriter::map_begin(uint8_t key_type, uint8_t value_type, size_t size) {
  write_size(size, "map");
  if (size > 0) out_.push_back(static_cast<uint8_t>(key_type << 4 | value_type));
}

void CompactWriter::write_double(double v) {
  uint8_t bytes[8];
  std::memcpy(bytes, &v, 8);  // little-endian host
  out_.append(bytes, 8);
}

void CompactWriter::write_binary(std::string_view v) {
  write_size(v.size(), "binary");
  out_.append(v.data(), v.size());
}

void CompactWriter::write_varint(uint64_t v) {
  uint8_t bytes[10];
  size_t n = 0;
  while (v >= 0x80) {
    bytes[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  bytes[n++] = static_cast<uint8_t>(v);
  out_.append(bytes, n);
}

// Thrift sizes are i32 on the wire.
void CompactWriter::write_size(size_t size, const char* what) {
  if (size > INT32_MAX) fail(ErrorCode::kLimit, "thrift: {} of size {} is too large", what, size);
  write_varint(size);
}

}  // namespace mimicit::parquet::thrift
